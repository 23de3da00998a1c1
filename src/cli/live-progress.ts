import type { Client } from '@temporalio/client';
import { nodeWorkflowId } from '../model/queues';
import { forEachBounded } from '../model/concurrency';
import { nodesToAsk, withLiveCounts } from '../model/progress';
import type { ScenarioStatus } from '../model/status';
import { nodeProgressQuery } from '../workflows/node';

/** Node workflows asked for their progress per tick of `merak up`. */
export const PROGRESS_QUERIES_PER_TICK = 16;
/** Progress queries in flight at once. */
const QUERY_FAN_OUT = 16;

/**
 * Live VM counts of the nodes that are building: the scenario's status counts a node's VMs when
 * its child workflow ends, so this asks the running children themselves (their `progress`
 * query), a bounded number per call, and keeps what each answered last. The scenario's history
 * does not grow: queries are not recorded.
 */
export class LiveProgress {
  private readonly live = new Map<string, number>();
  private cursor = 0;

  /**
   * @param client Temporal client of the scenario's namespace
   * @param scenario scenario name (child ids are `merak-<scenario>-node-<node>`)
   * @param perTick most children asked per {@link refresh} (default {@link PROGRESS_QUERIES_PER_TICK})
   */
  constructor(
    private readonly client: Client,
    private readonly scenario: string,
    private readonly perTick = PROGRESS_QUERIES_PER_TICK,
  ) {}

  /**
   * Asks up to `perTick` running nodes (round robin) and returns the status with the live counts
   * of the running nodes in place. A child that cannot answer (not started yet, or gone) keeps
   * its last count. Never throws for a query that fails.
   */
  async refresh(status: ScenarioStatus): Promise<ScenarioStatus> {
    const running = status.nodes.filter((n) => n.running).map((n) => n.name);
    const runningSet = new Set(running);
    for (const name of [...this.live.keys()]) if (!runningSet.has(name)) this.live.delete(name);
    const ask = nodesToAsk(running, this.cursor, this.perTick);
    this.cursor = ask.cursor;
    await forEachBounded(ask.nodes, QUERY_FAN_OUT, async (node) => {
      try {
        const p = await this.client.workflow.getHandle(nodeWorkflowId(this.scenario, node)).query(nodeProgressQuery);
        // A child of an earlier reconcile (the new one not started yet) answers for its own run.
        if (p.node === node) this.live.set(node, p.vms);
      } catch {
        // Not started yet, or finished and replaced: the status count stands.
      }
    });
    return { ...status, nodes: withLiveCounts(status.nodes, this.live) };
  }
}
