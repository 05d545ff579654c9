/**
 * Every bound a lane waits within, named once. A lane says what it waits for (`timeouts.nodeReturns`), not a
 * number; a slower host (TCG, a shared CI runner) moves them all with ULTRACLOUD_TIMEOUT_SCALE.
 */
const scale = Math.max(1, Number(process.env.ULTRACLOUD_TIMEOUT_SCALE ?? 1) || 1);
const ms = (n: number) => Math.round(n * scale);

export const timeouts = {
  /** a write becomes visible, a list converges (the default of ctx.eventually / ctx.until) */
  converge: ms(30_000),
  /** a service restarted alone answers again */
  serviceRestart: ms(60_000),
  /** a node powered off is seen lost by the control plane */
  nodeLost: ms(30_000),
  /** a node powered on again boots, registers and is active */
  nodeReturns: ms(120_000),
  /** a Raft member catches up, a leader is elected */
  consensus: ms(20_000),
  /** a fault healed: the property it broke holds again */
  recovery: ms(60_000),
} as const;

export type TimeoutName = keyof typeof timeouts;
