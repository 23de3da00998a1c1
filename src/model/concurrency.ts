/**
 * Bounded fan-out for workflow code: at most `limit` calls in flight, so a scenario with a
 * thousand nodes does not schedule a thousand activities (or children) at once. Pure promises,
 * deterministic under replay. The first failure is rethrown after the calls in flight settle,
 * so no activity is left running unobserved while compensation starts.
 */
export async function forEachBounded<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
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
