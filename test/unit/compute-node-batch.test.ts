import { ApplicationFailure } from '@temporalio/common';
import { createComputeActivities, type NodeObject } from '../../src/activities/compute/plugin-activities';
import type { NetworkPluginClient } from '../../src/plugin/client';
import { PluginCallError, Status } from '../../src/plugin/errors';

/**
 * createNodes/deleteNodes run their plugin calls through the shared bounded loop
 * (src/model/concurrency.ts): these tests pin what that means for a node batch, against a
 * stand-in plugin client whose calls the test settles one by one.
 */

interface Gate {
  name: string;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** A stand-in NetworkPluginClient: only createNode/deleteNode, each call held until the test settles it. */
function heldClient() {
  const calls: Gate[] = [];
  const hold = (name: string) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ name, resolve, reject });
    });
  const client = {
    createNode: async ({ node }: { node: NodeObject }) => {
      await hold(node.name);
      return { node };
    },
    deleteNode: async ({ name }: { name: string }) => {
      await hold(name);
      return {};
    },
  } as unknown as NetworkPluginClient;
  return { calls, client };
}

async function settle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve();
}

const target = { address: '127.0.0.1:1', deadlineMs: 1000 };
const nodes = (n: number): NodeObject[] => Array.from({ length: n }, (_, i) => ({ name: `n${i}`, ip: `10.0.0.${i + 1}`, mac: `02:00:00:00:00:${String(i).padStart(2, '0')}` }));

describe('createNodes / deleteNodes: bounded plugin calls', () => {
  it('keeps `concurrency` calls in flight and answers the batch size', async () => {
    const { calls, client } = heldClient();
    const run = createComputeActivities({ pluginClient: () => client }).createNodes(target, nodes(5), 2);
    await settle();
    expect(calls.map((c) => c.name)).toEqual(['n0', 'n1']);
    for (let i = 0; i < 5; i++) {
      calls[i]!.resolve();
      await settle();
    }
    const done = await run;
    expect(done.count).toBe(5);
    // Each call's latency, measured around the RPC, in one histogram.
    expect(done.metrics.ops['plugin.CreateNode']).toMatchObject({ count: 5, failed: 0 });
    expect(calls.map((c) => c.name)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
  });

  it('reports a refused node only after the calls in flight have answered, and starts no more', async () => {
    const { calls, client } = heldClient();
    let settled = false;
    const run = createComputeActivities({ pluginClient: () => client })
      .createNodes(target, nodes(6), 3)
      .then(
        () => undefined,
        (e: unknown) => e,
      )
      .finally(() => {
        settled = true;
      });
    await settle();
    calls[1]!.reject(new PluginCallError(Status.INVALID_ARGUMENT, 'bad mac', 'CreateNode', target.address));
    await settle();
    expect(settled).toBe(false); // n0 and n2 are still being created
    expect(calls).toHaveLength(3);
    calls[0]!.resolve();
    calls[2]!.resolve();
    const failure = await run;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
    expect((failure as ApplicationFailure).type).toBe('PluginINVALID_ARGUMENT');
    expect((failure as ApplicationFailure).message).toMatch(/^create node n1: /);
    expect(calls).toHaveLength(3);
  });

  it('deleteNodes keeps a plugin outage retryable', async () => {
    const { calls, client } = heldClient();
    const run = createComputeActivities({ pluginClient: () => client }).deleteNodes(target, ['a', 'b'], 16);
    await settle();
    expect(calls.map((c) => c.name)).toEqual(['a', 'b']);
    calls[0]!.reject(new PluginCallError(Status.UNAVAILABLE, 'down', 'DeleteNode', target.address));
    calls[1]!.resolve();
    const failure = await run.catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).nonRetryable).toBe(false);
  });
});
