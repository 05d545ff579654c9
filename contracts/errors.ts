/** A property the lane exists to prove did not hold: the target is broken. */
export class PropertyViolation extends Error {
  readonly property: string;
  readonly stepPath: string[];
  constructor(property: string, stepPath: string[], detail?: string) {
    super(`${[...stepPath].join(' › ')}: property "${property}" violated${detail ? `: ${detail}` : ''}`);
    this.name = 'PropertyViolation';
    this.property = property;
    this.stepPath = stepPath;
  }
}

/** The harness itself could not do its job (bad input, missing tool, crashed helper): not a verdict on the target. */
export class HarnessError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HarnessError';
  }
}

/** A lane cannot run on this host; the named requirements are missing. */
export class BlockedError extends Error {
  readonly missing: string[];
  constructor(missing: string[]) {
    super(`blocked: missing ${missing.join(', ')}`);
    this.name = 'BlockedError';
    this.missing = missing;
  }
}

/** A bounded wait ran out. The message says what was awaited and for how long. */
export class WaitTimeoutError extends Error {
  readonly waitedMs: number;
  constructor(message: string, waitedMs: number) {
    super(message);
    this.name = 'WaitTimeoutError';
    this.waitedMs = waitedMs;
  }
}

/** A service operation the target does not (yet) bind, named `service.operation`. Never a pass, never retried. */
export class BindingRequiredError extends BlockedError {
  readonly operation: string;
  constructor(operation: string, target: string) {
    super([operation]);
    this.message = `binding required: ${operation} (target ${target} provides no binding for it)`;
    this.name = 'BindingRequiredError';
    this.operation = operation;
  }
}

/**
 * Why `err` ended a step or lane: a broken property (the target is wrong) or a broken harness (anything else that
 * stopped the run: a node out of reach, ECONNREFUSED or ECONNRESET, a port clash, a transient "leader changed", a
 * setup error, a wait that ran out outside a check). A missing capability is neither: null.
 */
export function failureClassOf(err: unknown): 'property' | 'harness' | null {
  if (err instanceof BlockedError) return null;
  if (err instanceof PropertyViolation) return 'property';
  return 'harness';
}

/**
 * What a failed lane's Vitest test throws: its message is the lane's failure, its name says its class, so
 * Vitest's retry condition (which sees the error serialized) reruns a lane only when its harness broke.
 */
export class LaneFailedError extends Error {
  readonly failureClass: 'property' | 'harness';
  constructor(message: string, failureClass: 'property' | 'harness') {
    super(message);
    this.name = failureClass === 'property' ? 'LanePropertyViolation' : 'LaneHarnessFailure';
    this.failureClass = failureClass;
  }
}
