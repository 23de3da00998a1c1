import { forEachBounded } from '../../src/model/concurrency';

/** A promise whose settling the test controls. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void } {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending promise callback run (bounded: a fixed number of turns). */
async function settle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve();
}

/** Instrumented fn: counts calls in flight, records the peak and the start order. */
function instrument(delay: (index: number) => Promise<void>) {
  const state = { inFlight: 0, peak: 0, started: [] as number[], finished: [] as number[] };
  const fn = async (_item: unknown, index: number) => {
    state.inFlight++;
    state.peak = Math.max(state.peak, state.inFlight);
    state.started.push(index);
    try {
      await delay(index);
    } finally {
      state.inFlight--;
      state.finished.push(index);
    }
  };
  return { state, fn };
}

describe('forEachBounded', () => {
  it.each([
    [1, 10],
    [3, 10],
    [4, 4],
    [8, 3],
    [5, 100],
  ])('limit %i over %i items: never more than the limit in flight, every item exactly once', async (limit, count) => {
    const items = Array.from({ length: count }, (_, i) => `item-${i}`);
    const seen: string[] = [];
    // Uneven, deterministic delays in microtask turns so calls overlap and finish out of order.
    const { state, fn } = instrument(async (index) => {
      for (let t = 0; t < (index * 7) % 5; t++) await Promise.resolve();
    });
    await forEachBounded(items, limit, async (item, index) => {
      expect(items[index]).toBe(item);
      seen.push(item);
      await fn(item, index);
    });
    expect(state.peak).toBe(Math.min(limit, count));
    expect(state.inFlight).toBe(0);
    expect(seen.sort()).toEqual([...items].sort());
    expect(state.started).toEqual(Array.from({ length: count }, (_, i) => i)); // started in order
  });

  it('keeps exactly `limit` in flight while work is pending, and starts the next one as one finishes', async () => {
    const gates = Array.from({ length: 6 }, () => deferred());
    const { state, fn } = instrument((index) => gates[index]!.promise);
    const run = forEachBounded([0, 1, 2, 3, 4, 5], 2, fn);
    await settle();
    expect(state.started).toEqual([0, 1]);
    expect(state.inFlight).toBe(2);
    gates[1]!.resolve();
    await settle();
    expect(state.started).toEqual([0, 1, 2]);
    expect(state.inFlight).toBe(2);
    for (const gate of gates) gate.resolve();
    await run;
    expect(state.finished.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(state.peak).toBe(2);
  });

  it('does nothing for no items', async () => {
    const fn = jest.fn(async () => undefined);
    await expect(forEachBounded([], 3, fn)).resolves.toBeUndefined();
    expect(fn).not.toHaveBeenCalled();
  });

  it('rethrows the first error only after the calls in flight have settled, and starts nothing new', async () => {
    const gates = Array.from({ length: 10 }, () => deferred());
    const { state, fn } = instrument((index) => gates[index]!.promise);
    let done = false;
    // Settled into a value at once, so an early rejection fails the assertions below rather than
    // escaping as an unhandled rejection.
    const outcome: Promise<{ error?: unknown }> = forEachBounded(
      Array.from({ length: 10 }, (_, i) => i),
      3,
      fn,
    ).then(
      () => ({}),
      (error: unknown) => ({ error }),
    );
    void outcome.finally(() => {
      done = true;
    });
    await settle();
    expect(state.started).toEqual([0, 1, 2]);

    const first = new Error('item 1 failed');
    gates[1]!.reject(first);
    await settle();
    // Calls 0 and 2 are still running: the failure must not be reported yet, nothing new starts.
    expect(done).toBe(false);
    expect(state.started).toEqual([0, 1, 2]);
    expect(state.inFlight).toBe(2);

    gates[2]!.reject(new Error('item 2 failed later'));
    await settle();
    expect(done).toBe(false);
    gates[0]!.resolve();
    expect((await outcome).error).toBe(first);
    expect(state.inFlight).toBe(0);
    expect(state.started).toEqual([0, 1, 2]);
  });

  it('with limit 1 stops at the failing item', async () => {
    const calls: number[] = [];
    const failure = new RangeError('boom at 3');
    await expect(
      forEachBounded([0, 1, 2, 3, 4, 5], 1, async (item) => {
        calls.push(item);
        if (item === 3) throw failure;
      }),
    ).rejects.toBe(failure);
    expect(calls).toEqual([0, 1, 2, 3]);
  });

  it('catches a synchronous throw from fn like a rejection', async () => {
    const calls: number[] = [];
    const fn = ((item: number) => {
      calls.push(item);
      if (item === 0) throw new Error('sync');
      return Promise.resolve();
    }) as (item: number) => Promise<void>;
    await expect(forEachBounded([0, 1, 2], 1, fn)).rejects.toThrow('sync');
    expect(calls).toEqual([0]);
  });

  it('rethrows non-Error values as they were thrown', async () => {
    await expect(
      forEachBounded([1], 1, async () => {
        throw 'plain string';
      }),
    ).rejects.toBe('plain string');
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses limit %p before calling fn', async (limit) => {
    const fn = jest.fn(async () => undefined);
    await expect(forEachBounded([1, 2], limit, fn)).rejects.toThrow(RangeError);
    await expect(forEachBounded([1, 2], limit, fn)).rejects.toThrow(/limit .* must be a whole number ≥ 1/);
    expect(fn).not.toHaveBeenCalled();
  });
});
