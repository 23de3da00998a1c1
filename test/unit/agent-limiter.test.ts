/** The agent's turn-taking for kernel batches: bounded, first come first served, waiters kept alive. */
import { createLimiter } from '../../src/activities/agent/limiter';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('at most `size` run at once, in arrival order, and every call returns its own result', async () => {
  const limiter = createLimiter(2, 10);
  let running = 0;
  let most = 0;
  const started: number[] = [];
  const results = await Promise.all(
    [0, 1, 2, 3, 4, 5].map((i) =>
      limiter.run(async () => {
        started.push(i);
        running++;
        most = Math.max(most, running);
        await tick(15);
        running--;
        return i * 10;
      }, () => undefined),
    ),
  );
  expect(results).toEqual([0, 10, 20, 30, 40, 50]);
  expect(most).toBe(2);
  expect(started).toEqual([0, 1, 2, 3, 4, 5]);
});

test('a waiter is kept alive while it waits, and a failure gives the turn back', async () => {
  const limiter = createLimiter(1, 5);
  let beats = 0;
  const first = limiter.run(async () => {
    await tick(40);
    throw new Error('boom');
  }, () => undefined);
  const second = limiter.run(async () => 'ran', () => beats++);
  await expect(first).rejects.toThrow('boom');
  await expect(second).resolves.toBe('ran');
  expect(beats).toBeGreaterThanOrEqual(3);
  // The turn came back: a third call runs at once.
  await expect(limiter.run(async () => 'again', () => undefined)).resolves.toBe('again');
});
