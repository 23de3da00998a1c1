/**
 * Temporal activity context when present: heartbeats with progress, resume point on retry,
 * cancellation. Outside an activity (benchmark, CLI) these are no-ops, so the activities are
 * plain async functions too.
 */
import { Context } from '@temporalio/activity';

export interface Progress {
  /** Items of the batch finished so far. */
  done: number;
  /** Which step of a multi-step activity the count belongs to (createBatch: vms, then endpoints). */
  phase?: string;
}

function current(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** The step an earlier attempt of this activity had reached (from its last heartbeat). */
export function resumePhase(): string | undefined {
  return (current()?.info.heartbeatDetails as Progress | undefined)?.phase;
}

/** Items of `phase` already done by an earlier attempt of this activity (from its last heartbeat). */
export function resumePoint(phase?: string): number {
  const d = current()?.info.heartbeatDetails as Progress | undefined;
  if (!d || d.phase !== phase) return 0;
  return Number.isInteger(d.done) && d.done > 0 ? d.done : 0;
}

/**
 * Everything the last heartbeat of an earlier attempt of this activity carried, when it was in
 * `phase` (progress plus what the activity put there to resume from), else undefined.
 */
export function resumeDetails(phase: string): (Progress & Record<string, unknown>) | undefined {
  const d = current()?.info.heartbeatDetails as (Progress & Record<string, unknown>) | undefined;
  return d && typeof d === 'object' && d.phase === phase ? d : undefined;
}

/**
 * Reports progress, with `extra` details a retry needs to resume (they replace the last
 * heartbeat's, so send them every time); throws if the activity was cancelled, so long batches
 * stop promptly.
 */
export function beat(done: number, phase?: string, extra?: Record<string, unknown>): void {
  const ctx = current();
  if (!ctx) return;
  ctx.heartbeat({ ...extra, ...(phase === undefined ? { done } : { done, phase }) } satisfies Progress);
  throwIfCancelled();
}

/** Throws if the activity was cancelled, without sending a heartbeat (so the last one's details stay). */
export function throwIfCancelled(): void {
  const ctx = current();
  if (ctx?.cancellationSignal.aborted) throw ctx.cancellationSignal.reason ?? new Error('activity cancelled');
}

/**
 * Re-sends the last heartbeat's details unchanged (or none): keeps an activity that is waiting
 * for its turn alive without overwriting the resume point an earlier attempt left.
 */
export function keepAlive(): void {
  const ctx = current();
  if (!ctx) return;
  ctx.heartbeat(ctx.info.heartbeatDetails);
  if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason ?? new Error('activity cancelled');
}
