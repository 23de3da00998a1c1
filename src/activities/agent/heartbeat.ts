/**
 * Temporal activity context when present: heartbeats with progress, resume point on retry,
 * cancellation. Outside an activity (benchmark, CLI) these are no-ops, so the activities are
 * plain async functions too.
 */
import { Context } from '@temporalio/activity';

export interface Progress {
  /** Items of the batch finished so far. */
  done: number;
}

function current(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Items already done by an earlier attempt of this activity (from its last heartbeat). */
export function resumePoint(): number {
  const d = current()?.info.heartbeatDetails as Progress | undefined;
  return d && Number.isInteger(d.done) && d.done > 0 ? d.done : 0;
}

/** Reports progress; throws if the activity was cancelled, so long batches stop promptly. */
export function beat(done: number): void {
  const ctx = current();
  if (!ctx) return;
  ctx.heartbeat({ done } satisfies Progress);
  if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason ?? new Error('activity cancelled');
}
