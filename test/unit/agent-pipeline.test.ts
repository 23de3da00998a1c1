/** The two-stage chunk pipeline of createVms and createEndpoints (src/activities/agent/pipeline.ts). */
import { runChunkPipeline } from '../../src/activities/agent/pipeline';

const tick = (ms = 1) => new Promise((r) => setTimeout(r, ms));

/** Runs a pipeline whose stages log when they start and end; stage two of `failAt` (a chunk offset) or stage one of `failFirstAt` throws. */
async function run(o: { count: number; chunkSize: number; start?: number; failAt?: number; failFirstAt?: number }) {
  const log: string[] = [];
  const finished: number[] = [];
  let secondsRunning = 0;
  let mostSeconds = 0;
  const error = await runChunkPipeline({
    count: o.count,
    chunkSize: o.chunkSize,
    start: o.start,
    finished: (d) => {
      finished.push(d);
      log.push(`finished ${d}`);
    },
    first: async (offset, n) => {
      log.push(`1:${offset}+${n}`);
      await tick();
      if (offset === o.failFirstAt) throw new Error(`first ${offset}`);
      return async () => {
        secondsRunning++;
        mostSeconds = Math.max(mostSeconds, secondsRunning);
        log.push(`2:${offset} start`);
        await tick(3);
        log.push(`2:${offset} end`);
        secondsRunning--;
        if (offset === o.failAt) throw new Error(`second ${offset}`);
      };
    },
  }).then(
    () => undefined,
    (e: Error) => e,
  );
  return { log, finished, mostSeconds, error };
}

test('chunks cover the batch once, in order; the last chunk is the remainder; progress is reported per chunk', async () => {
  const r = await run({ count: 25, chunkSize: 10 });
  expect(r.error).toBeUndefined();
  expect(r.log.filter((l) => l.startsWith('1:'))).toEqual(['1:0+10', '1:10+10', '1:20+5']);
  expect(r.finished).toEqual([10, 20, 25]);
});

test("stage one of chunk k+1 runs before chunk k's stage two is waited for; one stage two at a time, each after its own stage one", async () => {
  const r = await run({ count: 30, chunkSize: 10 });
  expect(r.log).toEqual([
    '1:0+10',
    '2:0 start',
    '1:10+10', // overlaps chunk 0's stage two
    '2:0 end',
    'finished 10',
    '2:10 start',
    '1:20+10',
    '2:10 end',
    'finished 20',
    '2:20 start',
    '2:20 end',
    'finished 30',
  ]);
  expect(r.mostSeconds).toBe(1);
});

test('resumes after what an earlier attempt finished, and does nothing when all is done', async () => {
  expect((await run({ count: 25, chunkSize: 10, start: 10 })).log.filter((l) => l.startsWith('1:'))).toEqual(['1:10+10', '1:20+5']);
  expect((await run({ count: 25, chunkSize: 10, start: 10 })).finished).toEqual([20, 25]);
  const past = await run({ count: 25, chunkSize: 10, start: 99 });
  expect(past.log).toEqual([]);
  expect(past.finished).toEqual([]);
});

test("a failing stage two surfaces after the next chunk's stage one; progress is not reported for it", async () => {
  const r = await run({ count: 30, chunkSize: 10, failAt: 0 });
  expect(r.error?.message).toBe('second 0');
  expect(r.finished).toEqual([]);
  expect(r.log).toEqual(['1:0+10', '2:0 start', '1:10+10', '2:0 end']);
});

test('a failing stage one waits for the stage two in flight before it is thrown', async () => {
  const r = await run({ count: 30, chunkSize: 10, failFirstAt: 10 });
  expect(r.error?.message).toBe('first 10');
  // Chunk 0's stage two had ended (settled) by the time the failure came out.
  expect(r.log).toEqual(['1:0+10', '2:0 start', '1:10+10', '2:0 end']);
  expect(r.finished).toEqual([]);
});

test('an empty batch runs nothing', async () => {
  const r = await run({ count: 0, chunkSize: 10 });
  expect(r.log).toEqual([]);
  expect(r.error).toBeUndefined();
});
