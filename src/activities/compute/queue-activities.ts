/**
 * The poller check: which agent task queues no worker polls. The scenario workflow cannot ask the
 * server itself, so it runs this on the compute queue while a reconcile lasts (src/workflows/
 * vm-stage.ts), for the queues of the nodes whose child runs — at most one fan-out's worth.
 *
 * The server lists a task queue's pollers from the poll requests it saw in the last five minutes
 * (DescribeTaskQueue; Temporal CLI docs, `temporal task-queue describe`: "Once it has been 5
 * minutes since the last poll request, the Worker is removed from the list"). An empty list is
 * therefore a reliable "no worker for this queue"; a listed poller may have gone in the last
 * minutes, which the activity timeouts of the node's child cover.
 */
import { forEachBounded } from '../../model/concurrency';

export interface QueueActivityDeps {
  /** Pollers the server lists for an activity task queue (DescribeTaskQueue, type ACTIVITY). */
  pollerCount(queue: string): Promise<number>;
}

/** DescribeTaskQueue calls in flight at once. */
const DESCRIBE_FAN_OUT = 16;
/** Most queues one check may ask about: more than any fan-out of node workflows. */
export const MAX_QUEUES_PER_CHECK = 1_000;

export function createQueueActivities(deps: QueueActivityDeps) {
  return {
    /**
     * The queues the server lists no poller for, in the order given.
     * @param queues activity task queue names (at most {@link MAX_QUEUES_PER_CHECK})
     * @throws RangeError when given more than MAX_QUEUES_PER_CHECK queues
     */
    async idleTaskQueues(queues: string[]): Promise<string[]> {
      if (queues.length > MAX_QUEUES_PER_CHECK) throw new RangeError(`queues: ${queues.length} queues in one check, at most ${MAX_QUEUES_PER_CHECK}`);
      const idle = new Set<string>();
      await forEachBounded(queues, DESCRIBE_FAN_OUT, async (q) => {
        if ((await deps.pollerCount(q)) === 0) idle.add(q);
      });
      return queues.filter((q) => idle.has(q));
    },
  };
}

export type QueueActivities = ReturnType<typeof createQueueActivities>;
