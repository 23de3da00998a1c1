import { ApplicationFailure } from '@temporalio/common';
import { createComputeActivities } from '../../src/activities/compute/plugin-activities';
import type { NetworkPluginClient } from '../../src/plugin/client';
import { PluginCallError, Status } from '../../src/plugin/errors';

/**
 * pluginNodeConfig: the scenario's one read of the network plugin's GetState `node_config`
 * (what the OVN plugin's node agents need), against a stand-in client that answers GetState only.
 */

const target = { address: '127.0.0.1:1', deadlineMs: 1000 };
const withState = (getState: () => Promise<unknown>) => createComputeActivities({ pluginClient: () => ({ getState }) as unknown as NetworkPluginClient });

describe('pluginNodeConfig', () => {
  it("answers the plugin's node_config and nothing else of its state", async () => {
    const config = { 'ovn-central-netns': 'mk-ovn-default', 'ovn-sb-port': '6642' };
    const got = await withState(async () => ({ vpcs: [{ id: 'v' }], subnets: [], nodes: [], revision: 3, node_config: config })).pluginNodeConfig(target);
    expect(got).toEqual(config);
  });

  it('answers {} for a plugin without a node_config', async () => {
    expect(await withState(async () => ({ vpcs: [], subnets: [], nodes: [], revision: 0 })).pluginNodeConfig(target)).toEqual({});
  });

  it('answers {} for a plugin without the state service (UNIMPLEMENTED)', async () => {
    const err = new PluginCallError(Status.UNIMPLEMENTED, 'unknown service merak.plugin.v1.PluginState', 'GetState', '127.0.0.1:1');
    expect(await withState(() => Promise.reject(err)).pluginNodeConfig(target)).toEqual({});
  });

  it.each([
    [Status.UNAVAILABLE, true],
    [Status.INVALID_ARGUMENT, false],
  ])('fails with Plugin<STATUS> for status %s, retryable: %s', async (code, retryable) => {
    const err = new PluginCallError(code, 'no', 'GetState', '127.0.0.1:1');
    const failure = await withState(() => Promise.reject(err)).pluginNodeConfig(target).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).type).toBe(`Plugin${Status[code]}`);
    expect((failure as ApplicationFailure).nonRetryable).toBe(!retryable);
    expect((failure as ApplicationFailure).message).toContain('read the node configuration of the network plugin at 127.0.0.1:1');
  });
});
