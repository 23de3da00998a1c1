import { createNetworkPluginClient } from '../../src/plugin/client';
import { classifyPluginError, PluginCallError, Status } from '../../src/plugin/errors';
import { startReferencePlugin } from '../../src/plugin/reference/server';

// A plugin that is down when Merak starts and comes back later: the client (one long-lived
// channel per worker) must notice within seconds, not after gRPC's default reconnect backoff
// (which grows to two minutes), or the activity retries would run out before it reconnects.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('a client that saw the plugin down for a while reconnects within seconds of its return', async () => {
  // Reserve a free loopback port, then free it: the plugin is "down" on it.
  const probe = await startReferencePlugin({ port: 0 });
  const port = probe.port;
  await probe.close();

  const client = createNetworkPluginClient(`127.0.0.1:${port}`, { deadlineMs: 2000 });
  try {
    // 45 s of failing calls, as activity retries would make, let gRPC's backoff grow (with its
    // defaults this test waits ~8 s or more for the reconnect and fails).
    const until = Date.now() + 45_000;
    let failures = 0;
    while (Date.now() < until) {
      try {
        await client.getState();
        throw new Error('the plugin answered while down');
      } catch (err) {
        if (!(err instanceof PluginCallError)) throw err;
        expect(classifyPluginError(err)).toMatchObject({ retryable: true });
        expect([Status.UNAVAILABLE, Status.DEADLINE_EXCEEDED]).toContain(err.code);
        failures += 1;
      }
      await sleep(500);
    }
    expect(failures).toBeGreaterThan(10);

    const plugin = await startReferencePlugin({ port });
    try {
      const back = Date.now();
      let answered = false;
      for (let attempt = 0; attempt < 100 && !answered; attempt += 1) {
        try {
          await client.getState();
          answered = true;
        } catch {
          await sleep(100);
        }
      }
      const waited = Date.now() - back;
      expect(answered).toBe(true);
      expect(waited).toBeLessThan(3000);
    } finally {
      await plugin.close();
    }
  } finally {
    client.close();
  }
}, 90_000);
