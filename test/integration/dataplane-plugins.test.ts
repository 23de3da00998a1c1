/**
 * Each endpoint plugin on real namespaces: cni (bridge + static IPAM + tuning from
 * containernetworking-plugins), none, the shipped example script plugin found by name, and a
 * failing plugin that must give a clear error and leave nothing behind.
 */
import { chmodSync, writeFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { makeFixture, isRoot, pingFrom, vmInterfaces, netnsNames, type Fixture } from './dataplane-fixture';
import { endpointMac } from '../../src/model/mac';
import { vmNetns, nodeNetns } from '../../src/dataplane/names';
import { listLinks } from '../../src/dataplane/netns';
import { spawnRunner } from '../../src/dataplane/command';
import type { EndpointBatch } from '../../src/activities/agent/types';

const describeRoot = isRoot ? describe : describe.skip;
jest.setTimeout(120_000);

const subnet = { id: 'subnet-1', vpc: 'vpc-1', cidr: '10.7.0.0/24', gateway: '10.7.0.1', vni: 7 };

function batch(f: Fixture, plugin: string, count: number): EndpointBatch {
  return {
    scenario: f.scenario,
    node: 'node-0',
    nodeSlot: 0,
    from: 0,
    count,
    endpointsPerVm: 1,
    plugin,
    segments: [{ vmFrom: 0, vmCount: count, endpoint: 0, subnet, ipIndexFrom: 0 }],
  };
}

async function upWithVms(f: Fixture, plugin: string, count: number): Promise<void> {
  await f.agent.ensureNode({ scenario: f.scenario, node: 'node-0', nodeSlot: 0, plugin });
  await f.agent.createVms({ scenario: f.scenario, node: 'node-0', from: 0, count, plugin });
}

function ipv4Of(netns: string, ifname: string): string[] {
  const i = vmInterfaces(netns).find((x) => x.ifname === ifname);
  return (i?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
}

describeRoot('endpoint plugins', () => {
  test('cni: bridge + static IPAM + tuning give the requested name, address and MAC; VMs on one bridge ping', async () => {
    const f = makeFixture('cni');
    try {
      await upWithVms(f, 'cni', 2);
      const b = batch(f, 'cni', 2);
      expect((await f.agent.createEndpoints(b)).changed).toBe(2);
      expect((await f.agent.createEndpoints(b)).requested).toBe(2); // run twice: DEL + ADD, same end state
      const tag = await f.tag();
      const vm1 = vmNetns(tag, 'node-0', 1);
      const eth0 = vmInterfaces(vm1).find((i) => i.ifname === 'eth0');
      expect(eth0?.address).toBe(endpointMac(f.scenario, 0, 1, 0));
      expect(ipv4Of(vm1, 'eth0')).toEqual(['10.7.0.3/24']);
      expect(pingFrom(vmNetns(tag, 'node-0', 0), '10.7.0.3')).toBe(true);
      expect((await f.agent.deleteEndpoints(b)).changed).toBe(2);
      expect(vmInterfaces(vm1).some((i) => i.ifname === 'eth0')).toBe(false);
      await f.agent.deleteEndpoints(b);
      await f.agent.deleteVms({ scenario: f.scenario, node: 'node-0', from: 0, count: 2, plugin: 'cni' });
    } finally {
      await f.finish();
    }
  });

  test('none: counts only, no namespace and no device at all', async () => {
    const f = makeFixture('none');
    const nsBefore = netnsNames().length;
    try {
      await upWithVms(f, 'none', 5000);
      const b = batch(f, 'none', 5000);
      b.segments[0].subnet = { ...subnet, cidr: '10.8.0.0/16' };
      expect((await f.agent.createEndpoints(b)).changed).toBe(5000);
      expect((await f.agent.createEndpoints(b)).changed).toBe(0);
      expect(netnsNames().length).toBe(nsBefore);
      expect(await f.agent.nodeInfo({ scenario: f.scenario, node: 'node-0', plugin: 'none' })).toMatchObject({ vms: 5000, endpoints: 5000 });
      await f.agent.deleteVms({ scenario: f.scenario, node: 'node-0', from: 1000, count: 4000, plugin: 'none' });
      expect(await f.agent.nodeInfo({ scenario: f.scenario, node: 'node-0', plugin: 'none' })).toMatchObject({ vms: 1000, endpoints: 1000 });
      await f.agent.deleteNode({ scenario: f.scenario, node: 'node-0', plugin: 'none' });
    } finally {
      await f.finish();
    }
  });

  test('example-bash, found by name in the shipped plugin directory: VMs of one VNI reach each other', async () => {
    const f = makeFixture('exec');
    try {
      await upWithVms(f, 'example-bash', 2);
      const b = batch(f, 'example-bash', 2);
      expect((await f.agent.createEndpoints(b)).changed).toBe(2);
      expect((await f.agent.createEndpoints(b)).changed).toBe(0);
      const tag = await f.tag();
      const nodeLinks = await listLinks(spawnRunner, nodeNetns(tag, 'node-0'));
      expect(nodeLinks.find((l) => l.ifname === 'exb7')).toBeDefined();
      expect(nodeLinks.filter((l) => l.master === 'exb7')).toHaveLength(2);
      expect(pingFrom(vmNetns(tag, 'node-0', 0), '10.7.0.3')).toBe(true);
    } finally {
      await f.finish();
    }
  });

  test('a plugin is looked up by name only: a path is refused before anything is built', async () => {
    const f = makeFixture('path');
    try {
      await expect(f.agent.createVms({ scenario: f.scenario, node: 'node-0', from: 0, count: 1, plugin: '../bin/sh' })).rejects.toThrow(/vms\.plugin.*never a path/);
      await expect(f.agent.createVms({ scenario: f.scenario, node: 'node-0', from: 0, count: 1, plugin: 'not-installed' })).rejects.toThrow(/not-installed not found/);
    } finally {
      await f.finish();
    }
  });

  test('a failing plugin gives a clear error and leaves nothing behind', async () => {
    const f = makeFixture('fail');
    const script = path.join(f.pluginDir, 'always-fails');
    writeFileSync(
      script,
      [
        '#!/bin/sh',
        'case "$MERAK_COMMAND" in',
        '  EP_ADD) printf \'{"code":"NO_PORTS","message":"provider has no port for %s","details":{"vni":%s}}\\n\' "$MERAK_ID" "$MERAK_VNI"; exit 3 ;;',
        '  *) echo "{}" ;;',
        'esac',
        '',
      ].join('\n'),
    );
    chmodSync(script, 0o755);
    try {
      await upWithVms(f, 'always-fails', 3);
      const tag = await f.tag();
      const err = await f.agent.createEndpoints(batch(f, 'always-fails', 3)).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/endpoint plugin always-fails EP_ADD failed \[NO_PORTS\]: provider has no port for/);
      const nodeLinks = await listLinks(spawnRunner, nodeNetns(tag, 'node-0'));
      expect(nodeLinks.filter((l) => l.ifname.startsWith(`m${tag}v`))).toEqual([]);
      for (let i = 0; i < 3; i++) expect(vmInterfaces(vmNetns(tag, 'node-0', i)).map((x) => x.ifname)).toEqual(['lo']);
      expect(existsSync(path.join('/run/netns', vmNetns(tag, 'node-0', 0)))).toBe(true);
    } finally {
      await f.finish();
    }
  });

  test('a plugin failing VM_ADD: clear error, the namespaces of the batch are removed', async () => {
    const f = makeFixture('failvm');
    const script = path.join(f.pluginDir, 'fails-vm-add');
    writeFileSync(
      script,
      ['#!/bin/sh', 'if [ "$MERAK_COMMAND" = VM_ADD ] && [ "$MERAK_VM_INDEX" = 3 ]; then echo \'{"code":"QUOTA","message":"no more VMs"}\'; exit 1; fi', 'echo "{}"', ''].join('\n'),
    );
    chmodSync(script, 0o755);
    try {
      await f.agent.ensureNode({ scenario: f.scenario, node: 'node-0', nodeSlot: 0, plugin: 'fails-vm-add' });
      const tag = await f.tag();
      await expect(f.agent.createVms({ scenario: f.scenario, node: 'node-0', from: 0, count: 5, plugin: 'fails-vm-add' })).rejects.toThrow(
        /endpoint plugin fails-vm-add VM_ADD failed \[QUOTA\]: no more VMs/,
      );
      expect(netnsNames().filter((n) => n.startsWith(`mk-${tag}-node-0_`))).toEqual([]);
    } finally {
      await f.finish();
    }
  });

  test('a plugin that is not a working executable fails ensureNode before any VM exists', async () => {
    const f = makeFixture('broken');
    const script = path.join(f.pluginDir, 'broken');
    writeFileSync(script, '#!/bin/sh\necho not json\nexit 0\n');
    chmodSync(script, 0o755);
    try {
      await expect(f.agent.ensureNode({ scenario: f.scenario, node: 'node-0', nodeSlot: 0, plugin: 'broken' })).rejects.toThrow(/broken VERSION failed \[BAD_OUTPUT\]/);
    } finally {
      await f.finish();
    }
  });
});
