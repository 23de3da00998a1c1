import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { createPreflightActivities } from '../../src/activities/compute/preflight';
import type { NetworkPluginClient } from '../../src/plugin/client';
import { PluginCallError, Status } from '../../src/plugin/errors';
import { numberedNodeMac } from '../../src/model/identity';
import { scenarioNumberOf } from '../../src/local/scenario-numbers';

type Held = Awaited<ReturnType<NetworkPluginClient['getState']>>;

function fakePlugin(state: Partial<Held> | 'unimplemented'): NetworkPluginClient {
  return {
    getState: async () => {
      if (state === 'unimplemented') throw new PluginCallError(Status.UNIMPLEMENTED, 'no state service', 'GetState', '127.0.0.1:1');
      return { vpcs: [], subnets: [], nodes: [], revision: 1, ...state };
    },
  } as unknown as NetworkPluginClient;
}

const input = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  plugin: { address: '127.0.0.1:50051' },
  vpcs: [{ id: `vpc-${name}`, vni: 1001, cidr: '10.10.0.0/16', subnets: [{ id: `${name}-1`, cidr: '10.10.1.0/24' }] }],
  nodes: ['node-a', 'node-b'],
  ...extra,
});
const target = { address: '127.0.0.1:50051', deadlineMs: 1000 };
const slots = { 'node-a': 0, 'node-b': 1 };

describe('preflightScenario', () => {
  let run: string;
  beforeEach(() => {
    run = mkdtempSync(path.join(tmpdir(), 'merak-run-'));
  });
  afterEach(() => rmSync(run, { recursive: true, force: true }));

  test('two scenarios with the same node names get different numbers, underlays and node MACs', async () => {
    const acts = createPreflightActivities({ pluginClient: () => fakePlugin({}), runDir: run, isScenarioLive: async () => true });
    const a = await acts.preflightScenario(target, { input: input('alpha'), slots });
    const b = await acts.preflightScenario(target, { input: { ...input('beta'), vpcs: [{ id: 'vpc-b', vni: 2002, cidr: '10.10.0.0/16', subnets: [{ id: 'b-1', cidr: '10.10.1.0/24' }] }] }, slots });
    expect(a).toEqual({ number: 0, underlayCidr: '100.64.0.0/16' });
    expect(b).toEqual({ number: 1, underlayCidr: '100.65.0.0/16' });
    await acts.releaseScenarioNumber('alpha');
    expect(await scenarioNumberOf(run, 'alpha')).toBeUndefined();
    expect(await scenarioNumberOf(run, 'beta')).toBe(1);
  });

  test('a VPC id or VNI another scenario holds is refused before anything is built, naming that scenario; the number is given back', async () => {
    const held = { vpcs: [{ id: 'vpc-beta', vni: 1001, ip: '10.0.0.0', prefix: 8, optional: {}, scenario: 'alpha' }] };
    const acts = createPreflightActivities({ pluginClient: () => fakePlugin(held), runDir: run, isScenarioLive: async () => true });
    const err = await acts.preflightScenario(target, { input: input('beta'), slots }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe('ScenarioConflict');
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect((err as Error).message).toContain('scenario "beta" collides with scenario alpha at the network plugin 127.0.0.1:50051; nothing was built');
    expect((err as Error).message).toContain('vpcs[0].id: value "vpc-beta" is already a VPC of scenario "alpha"');
    expect((err as Error).message).toContain('vpcs[0].vni: value 1001 is already the VNI of VPC "vpc-beta" of scenario "alpha"');
    expect(await scenarioNumberOf(run, 'beta')).toBeUndefined();
  });

  test('derived node values taken at the plugin (state from another machine or a reboot) move the scenario to the next number', async () => {
    const held = { nodes: [{ name: 'node-a.old', ip: '100.64.0.2', mac: numberedNodeMac(0, 9), optional: {}, scenario: 'old' }] };
    const acts = createPreflightActivities({ pluginClient: () => fakePlugin(held), runDir: run, isScenarioLive: async () => true });
    expect(await acts.preflightScenario(target, { input: input('beta'), slots })).toEqual({ number: 1, underlayCidr: '100.65.0.0/16' });
    expect(await scenarioNumberOf(run, 'beta')).toBe(1);
  });

  test('a given node ip keeps the spec underlay whatever the number; its derived neighbours colliding there are refused, not moved', async () => {
    const nodes = [{ name: 'node-a', ip: '100.64.7.7' }, 'node-b'];
    // Number 0 is taken on this machine: the scenario gets 1, its underlay stays 100.64.0.0/16
    // (where node-a's given address is), so node-b is 100.64.0.2 next to it.
    const free = createPreflightActivities({ pluginClient: () => fakePlugin({}), runDir: run, isScenarioLive: async () => true });
    await free.preflightScenario(target, { input: input('first'), slots });
    expect(await free.preflightScenario(target, { input: input('given', { nodes }), slots })).toEqual({ number: 1, underlayCidr: '100.64.0.0/16' });
    await free.releaseScenarioNumber('given');
    // Another scenario holds 100.64.0.2: node-b's address cannot move without leaving node-a's
    // network, so it is the user's collision, named.
    const held = { nodes: [{ name: 'node-b.alpha', ip: '100.64.0.2', mac: numberedNodeMac(0, 1), optional: {}, scenario: 'alpha' }] };
    const acts = createPreflightActivities({ pluginClient: () => fakePlugin(held), runDir: run, isScenarioLive: async () => true });
    const err = await acts.preflightScenario(target, { input: input('given', { nodes }), slots }).catch((e: unknown) => e);
    expect((err as ApplicationFailure).type).toBe('ScenarioConflict');
    expect((err as Error).message).toContain('collides with scenario alpha');
    expect((err as Error).message).toContain('nodes[1]: value "100.64.0.2" (its underlay address from 100.64.0.0/16) is already the address of node "node-b.alpha" of scenario "alpha"');
    expect(await scenarioNumberOf(run, 'given')).toBeUndefined();
  });

  test('a plugin without the state service is not checked (its Create answers are)', async () => {
    const acts = createPreflightActivities({ pluginClient: () => fakePlugin('unimplemented'), runDir: run, isScenarioLive: async () => true });
    expect((await acts.preflightScenario(target, { input: input('beta', { underlay: { cidr: '10.200.0.0/16' } }), slots })).underlayCidr).toBe('10.200.0.0/16');
  });
});
