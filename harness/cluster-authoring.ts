import { HarnessError } from '../contracts/errors.ts';
import { type AppliedCluster, ClusterState, type DeployerPort } from '../contracts/ports/deployer.ts';
import type { Cluster } from '../contracts/target.ts';
import { nixErrorSummary, runNix, selectFlake } from '../guards/nix-command.ts';
import type { LaneContext } from './define.ts';

/** the flake output the cluster authoring source is evaluated from */
export const clusterAttribute = 'ultracloud.cluster';

/**
 * The target flake's `ultracloud.cluster` generated state (`nix eval --json <flake>#ultracloud.cluster`), checked
 * against the contract. Blocked naming `nix` when nix is missing, naming the output when the flake has none; a
 * cluster module that fails evaluation or a state off the contract fails the lane naming the field.
 */
export async function evaluatedClusterState(ctx: LaneContext<Cluster>): Promise<ClusterState> {
  const selection = selectFlake(ctx.target.descriptor.flake);
  const attr = `${selection.flake}#${clusterAttribute}`;
  const run = await runNix('eval', ['--json', '--no-eval-cache', attr], { offline: selection.offline }).catch(
    (err: Error) => {
      if ((err as { missing?: string[] }).missing) ctx.block(['nix']);
      throw err;
    },
  );
  if (run.exitCode !== 0) {
    if (/does not provide attribute|attribute '(ultracloud|cluster)' missing/.test(run.stderr)) {
      ctx.block([`${clusterAttribute} (the cluster authoring source: no such output in ${selection.flake})`]);
    }
    throw new HarnessError(`nix eval ${attr} failed: ${nixErrorSummary(run.stderr)}`);
  }
  const parsed = ClusterState.safeParse(JSON.parse(run.stdout));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HarnessError(`${attr} is off the cluster-state contract: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  return parsed.data;
}

/** the evaluated state without the named services (what a lane applies to take a service out of the cluster) */
export function withoutServices(state: ClusterState, names: readonly string[]): ClusterState {
  return {
    ...state,
    services: Object.fromEntries(Object.entries(state.services).filter(([n]) => !names.includes(n))),
  };
}

const names = <T>(list: T[], key: (x: T) => string) => list.map(key);
const repeated = (list: string[]) => [...new Set(list.filter((x, i) => list.indexOf(x) !== i))];
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : x,
  );

/**
 * The applied state read back through the deployer's admin API equals the evaluated one: every class with its
 * install plan and desired system, every node with its class, role and host name, every service with its replicas,
 * command and nodes, each exactly once; and nothing outside the evaluated state is present.
 */
export async function checkAppliedEqualsEvaluated(
  ctx: LaneContext<Cluster>,
  deployer: DeployerPort,
  evaluated: ClusterState,
): Promise<AppliedCluster> {
  const applied = await deployer.appliedCluster();
  await ctx.artifact('cluster-state-applied.json', applied);
  const sections = [
    ['class', names(applied.classes, (c) => c.name), Object.keys(evaluated.classes)],
    ['node', names(applied.nodes, (n) => n.node_id), Object.keys(evaluated.nodes)],
    ['service', names(applied.services, (s) => s.name), Object.keys(evaluated.services)],
  ] as const;
  for (const [kind, got, want] of sections) {
    const missing = want.filter((n) => !got.includes(n));
    const extra = got.filter((n) => !want.includes(n));
    const twice = repeated([...got]);
    ctx.check(`every evaluated ${kind} is applied`, missing.length === 0, `missing: ${missing.join(', ') || 'none'}`);
    ctx.check(
      `no applied ${kind} is outside the evaluated state`,
      extra.length === 0,
      `extra: ${extra.join(', ') || 'none'}`,
    );
    ctx.check(`no ${kind} is applied twice`, twice.length === 0, `twice: ${twice.join(', ') || 'none'}`);
  }
  const differ = (kind: string, name: string, want: unknown, got: unknown) =>
    canonical(want) === canonical(got)
      ? []
      : [`${kind} ${name}: applied ${canonical(got)}, evaluated ${canonical(want)}`];
  const diffs = [
    ...applied.classes.flatMap(({ name, ...c }) => differ('class', name, evaluated.classes[name], c)),
    ...applied.nodes.flatMap(({ node_id, ...n }) => differ('node', node_id, evaluated.nodes[node_id], n)),
    ...applied.services.flatMap(({ name, ...s }) => differ('service', name, evaluated.services[name], s)),
  ].filter((d) => !/evaluated undefined$/.test(d));
  ctx.check(
    'every applied class, node and service has exactly the fields of the evaluated state',
    diffs.length === 0,
    diffs.slice(0, 5).join('; ') || 'all equal',
  );
  return applied;
}

/**
 * `deployer-ctl apply` of the evaluated state, then the same apply again: the re-apply changes nothing (no class,
 * node or service created, changed or removed), and the applied state reads back equal to the evaluated one.
 */
export async function applyAndCheck(
  ctx: LaneContext<Cluster>,
  deployer: DeployerPort,
  evaluated: ClusterState,
): Promise<AppliedCluster> {
  const first = await deployer.applyCluster(evaluated);
  ctx.log(`applied ${evaluated.name}: ${JSON.stringify(first)}`);
  const again = await deployer.applyCluster(evaluated);
  ctx.check(
    'a re-apply of the same generated state changes nothing',
    again.created.length + again.changed.length + again.removed.length === 0,
    JSON.stringify(again),
  );
  return checkAppliedEqualsEvaluated(ctx, deployer, evaluated);
}

/** the evaluated class of a node: its install plan and desired system, as the cluster authoring source has them */
export function classOfNode(state: ClusterState, node: string): { name: string } & ClusterState['classes'][string] {
  const n = state.nodes[node];
  if (!n) throw new HarnessError(`${clusterAttribute} has no node "${node}"`);
  const cls = state.classes[n.class];
  if (!cls) throw new HarnessError(`${clusterAttribute} node "${node}" names no class of it ("${n.class}")`);
  return { name: n.class, ...cls };
}
