import type { Cluster } from '../../contracts/target.ts';
import type { LaneContext } from '../../harness/define.ts';
import { recordHistoryDuring, type WorkloadOptions } from '../../helpers/chainfire-workload.ts';

/**
 * Run `transition` under concurrent chainfire clients (writes and linearizable reads through `nodes`) and check the
 * recorded history: the clients' operations complete, and the history is linearizable. The history is kept as an
 * artifact; transient errors retried and operations of unknown outcome are counted in the check's detail.
 */
export async function linearizableDuring<T>(
  ctx: LaneContext<Cluster>,
  during: string,
  nodes: string[],
  transition: () => Promise<T>,
  options: Partial<WorkloadOptions> = {},
): Promise<T> {
  const slug = during.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '');
  const { result, report } = await recordHistoryDuring(
    {
      port: ctx.target.ports.chainfire,
      nodes,
      keyPrefix: `proof/history/${slug}/${Math.random().toString(36).slice(2, 8)}`,
      ...options,
    },
    transition,
  );
  ctx.log(`history during ${during}: ${report.summary}`);
  await ctx.artifact(`history-${slug}.json`, {
    during,
    summary: report.summary,
    verdict: report.verdict,
    history: report.history,
  });
  ctx.check(
    `clients complete writes and linearizable reads during ${during}`,
    report.counts.okPuts > 0 && report.counts.okGets > 0,
    report.summary,
  );
  ctx.check(
    `the history of ${report.counts.operations} concurrent operations during ${during} is linearizable`,
    report.verdict.linearizable,
    report.verdict.linearizable ? report.summary : `${report.verdict.explanation} — ${report.summary}`,
  );
  return result;
}
