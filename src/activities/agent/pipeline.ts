/**
 * The two-stage chunk pipeline of createVms and createEndpoints: while chunk k's second stage
 * runs (the namespace helper configures the VMs, the plugin wires them), chunk k+1's first stage
 * already makes its kernel objects with `ip`, so the machine's second core is not idle.
 */

/** A batch split in chunks, each in two stages. */
export interface ChunkPipeline {
  /** Items in the batch. */
  count: number;
  /** Items an earlier attempt already finished (from its heartbeat); work starts after them. Default: 0. */
  start?: number;
  /** Items per chunk. */
  chunkSize: number;
  /**
   * Stage one of the chunk of `n` items from offset `offset` of the batch; returns the chunk's
   * stage two. Runs while the previous chunk's stage two is still going.
   */
  first(offset: number, n: number): Promise<() => Promise<void>>;
  /** Told, in order, the items finished (both stages) each time a chunk's stage two ends: the heartbeat. */
  finished?(done: number): void;
}

/**
 * Runs the chunks: stage one of chunk k+1, then waits for stage two of chunk k (and reports it
 * finished), then starts stage two of chunk k+1. At most one stage two runs at a time, so a
 * chunk's stage two always sees its own stage one done. On a failure in either stage, waits for
 * the stage two in flight to settle (nothing keeps running behind the caller's back), then
 * throws the failure.
 */
export async function runChunkPipeline(p: ChunkPipeline): Promise<void> {
  let done = Math.min(p.start ?? 0, p.count);
  let pending: Promise<void> | undefined;
  let pendingDone = done;
  const finish = async (): Promise<void> => {
    if (!pending) return;
    const stage = pending;
    pending = undefined;
    await stage;
    p.finished?.(pendingDone);
  };
  try {
    while (done < p.count) {
      const n = Math.min(p.chunkSize, p.count - done);
      const second = await p.first(done, n);
      await finish();
      const stage = second();
      stage.catch(() => undefined); // awaited in finish(); this only keeps it from counting as unhandled meanwhile
      pending = stage;
      done += n;
      pendingDone = done;
    }
    await finish();
  } catch (e) {
    await pending?.catch(() => undefined);
    throw e;
  }
}
