import type { Cluster } from '../../contracts/target.ts';
import type { LaneContext } from '../../harness/define.ts';
import { callJson } from '../../helpers/http.ts';

/** Every node answers SSH with its own hostname. */
export async function checkNodesAnswer(ctx: LaneContext<Cluster>): Promise<void> {
  for (const node of ctx.target.nodes) {
    const hostname = (await node.succeed('hostname', { timeoutMs: 20_000 })).trim();
    ctx.check(`${node.name} answers SSH as itself`, hostname === node.name, `hostname: ${hostname}`);
  }
}

/** Every HTTP API of every node reports healthy through GET /health. */
export async function checkServicesHealthy(ctx: LaneContext<Cluster>): Promise<string[]> {
  const healthy: string[] = [];
  for (const spec of ctx.target.descriptor.nodes) {
    for (const [service, endpoint] of Object.entries(spec.services)) {
      if (!endpoint || (endpoint.scheme !== 'http' && endpoint.scheme !== 'https')) continue;
      const url = `http://${endpoint.host}:${endpoint.port}/health`;
      const health = await ctx.eventually(`${service} on ${spec.name} is healthy`, () =>
        callJson<{ status?: string }>('GET', url, { timeoutMs: 5_000 }),
      );
      ctx.check(`${service} on ${spec.name} reports status ok`, health.status === 'ok', JSON.stringify(health));
      healthy.push(`${spec.name}/${service}`);
    }
  }
  return healthy;
}
