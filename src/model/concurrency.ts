/**
 * Bounded fan-out: the one loop Merak uses to run many calls with at most `limit` in flight,
 * in workflow code (activities and child workflows of a thousand-node scenario) and in activity
 * code (plugin RPCs of a node batch, connectivity checks). Pure promises, no timers and no Node
 * imports, so it is deterministic under workflow replay.
 */

/**
 * Calls `fn(items[i], i)` for every item, starting them in order, with at most `limit` calls in
 * flight at any time.
 *
 * Failure: the first call that throws (or rejects) stops the loop from starting new items; the
 * calls already in flight are awaited, and only then is that first error rethrown unchanged
 * (later errors are dropped). Nothing is left running unobserved when the caller goes on to
 * compensate, retry or report: a workflow's saga, a retried activity and a test run all rely
 * on that. Items after the failure are never started.
 *
 * @param items - the work, in the order it is started; not modified.
 * @param limit - calls in flight at once: a whole number ≥ 1 (more lanes than items are not made).
 * @param fn - the call; its resolved value is ignored. A synchronous throw counts as a failure.
 * @returns when every item has been called and settled.
 * @throws RangeError when `limit` is not a whole number ≥ 1, before `fn` is called.
 * @throws the first error `fn` threw, after the calls in flight have settled.
 */
export async function forEachBounded<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<unknown>): Promise<void> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit ${limit} must be a whole number ≥ 1`);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (next < items.length && failure === undefined) {
      const index = next++;
      try {
        await fn(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure !== undefined) throw failure.error;
}
