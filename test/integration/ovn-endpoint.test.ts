/**
 * The OVN provider end to end without Temporal (issue 11, steps 2–3): the OVN network plugin over
 * gRPC, and Merak's real agent activities with the `ovn` endpoint plugin on two nodes. ensureNode
 * starts a chassis per node (from the plugin's node_config); CreateNode confirms it in the
 * southbound database; one VPC with two subnets and a second VPC with an overlapping address
 * space; endpoints become logical switch ports bound by iface-id. Real packets through OVN's
 * flows: ping and TCP within a subnet across nodes and between the subnets of one VPC (routed by
 * the VPC's logical router), nothing between the VPCs. Teardown leaves nothing in NB/SB, no
 * daemon, no namespace.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createNetworkPluginClient, type NetworkPluginClient } from '../../src/plugin/client';
import { startOvnPlugin, type RunningOvnPlugin } from '../../src/plugin/ovn/server';
import { vmNetns } from '../../src/dataplane/names';
import { cleanScenario } from '../../src/dataplane/clean';
import { spawnRunner } from '../../src/dataplane/command';
import { chassisDir, chassisFiles } from '../../src/dataplane/ovn/paths';
import { pluginNodeName } from '../../src/model/identity';
import { gateway, hostAddress } from '../../src/model/ipam';
import { endpointMac } from '../../src/model/mac';
import type { EndpointBatch, SubnetRef } from '../../src/activities/agent/types';
import { isRoot, makeFixture, netnsNames, pingFrom, type Fixture } from './dataplane-fixture';
import { chassisNames, hasOvn, nbCount, ovsdb, processesMentioning, waitFor } from '../helpers/ovn';

const describeOvn = isRoot && hasOvn ? describe : describe.skip;
jest.setTimeout(240_000);

/** Whether a TCP connection from `from` to `address:port` gets the server's greeting back (a server runs in `to`). */
async function tcpWorks(from: string, to: string, address: string, port: number): Promise<boolean> {
  const server = spawn('ip', ['netns', 'exec', to, 'python3', '-c', `import socket\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\ns.bind(('0.0.0.0', ${port}))\ns.listen(1)\ns.settimeout(8)\nc,_=s.accept()\nc.sendall(b'merak-ovn')\nc.close()`], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 300));
    const out = execFileSync('ip', ['netns', 'exec', from, 'python3', '-c', `import socket\ns=socket.create_connection(('${address}', ${port}), timeout=3)\nprint(s.recv(64).decode())`], { encoding: 'utf8', timeout: 6000 });
    return out.trim() === 'merak-ovn';
  } catch {
    return false;
  } finally {
    server.kill();
  }
}

describeOvn('OVN provider: network plugin + ovn endpoint plugin on real chassis', () => {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'merak-ovne-'));
  let f: Fixture;
  let plugin: RunningOvnPlugin;
  let client: NetworkPluginClient;
  let tag = '';
  const nodes = ['node-0', 'node-1'];
  const underlayCidr = '100.71.0.0/16';
  const subnets: Record<string, SubnetRef> = {};
  const nb = (...args: string[]) => ovsdb('ovn-nbctl', plugin.central.nbSocket, ...args);
  // node-0: vm0 in s-1 (VPC 1), vm1 in t-1 (VPC 2, same addresses as s-1); node-1: vm0 in s-1, vm1 in s-2.
  const layout: Record<string, Array<{ subnet: string; ipIndex: number }>> = {
    'node-0': [{ subnet: 's-1', ipIndex: 0 }, { subnet: 't-1', ipIndex: 5 }],
    'node-1': [{ subnet: 's-1', ipIndex: 1 }, { subnet: 's-2', ipIndex: 0 }],
  };
  const ipOf = (node: string, vm: number): string => { const l = layout[node]![vm]!; return hostAddress(subnets[l.subnet]!.cidr, l.ipIndex); };
  const batchOf = (node: string, slot: number): EndpointBatch => ({
    scenario: f.scenario,
    node,
    nodeSlot: slot,
    from: 0,
    count: 2,
    endpointsPerVm: 1,
    plugin: 'ovn',
    underlayCidr,
    segments: layout[node]!.map((l, vm) => ({ vmFrom: vm, vmCount: 1, endpoint: 0, subnet: subnets[l.subnet]!, ipIndexFrom: l.ipIndex })),
  });

  beforeAll(async () => {
    f = makeFixture('ovn');
    plugin = await startOvnPlugin({ port: 0, central: `e${process.pid % 100000}`, stateDir, registrationWaitMs: 8000 });
    client = createNetworkPluginClient(plugin.address, { deadlineMs: 30_000 });
  });

  afterAll(async () => {
    // What a failed test left: the records name it (a passing run has cleaned already).
    if (f) await cleanScenario({ runner: spawnRunner, records: f.records }, f.scenario).catch(() => undefined);
    client?.close();
    await plugin?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  test('ensureNode starts a chassis from the plugin node_config; CreateNode confirms it in the southbound database', async () => {
    const { node_config: config } = await client.getState();
    expect(Object.keys(config).sort()).toEqual(['ovn-central-netns', 'ovn-nb-db', 'ovn-sb-db', 'ovn-sb-port']);
    for (const [slot, node] of nodes.entries()) {
      const r = await f.agent.ensureNode({ scenario: f.scenario, node, nodeSlot: slot, plugin: 'ovn', underlayCidr, providerConfig: config });
      // The scenario names the plugin's node <node>.<scenario> (model/identity.ts), and so the chassis.
      const made = await client.createNode({ node: { name: pluginNodeName(f.scenario, node), ip: r.underlay, mac: `02:00:00:00:71:0${slot}`, scenario: f.scenario } });
      expect(made.node).toMatchObject({ name: pluginNodeName(f.scenario, node), ip: r.underlay });
    }
    tag = await f.tag();
    expect(chassisNames(plugin.central.sbSocket)).toEqual(nodes.map((n) => pluginNodeName(f.scenario, n)));
    // A second ensure (a retried activity) starts nothing new.
    const pids = processesMentioning(chassisDir(tag, 'node-0')).sort();
    await f.agent.ensureNode({ scenario: f.scenario, node: 'node-0', nodeSlot: 0, plugin: 'ovn', underlayCidr, providerConfig: config });
    expect(processesMentioning(chassisDir(tag, 'node-0')).sort()).toEqual(pids);
  });

  test('VPCs and subnets become routers and switches; the VNIs answered are northd\'s tunnel keys', async () => {
    const vpcs = [
      { id: 'vpc-1', ip: '10.1.0.0', prefix: 16, subnets: [['s-1', '10.1.1.0'], ['s-2', '10.1.2.0']] },
      { id: 'vpc-2', ip: '10.1.0.0', prefix: 16, subnets: [['t-1', '10.1.1.0']] },
    ] as const;
    for (const v of vpcs) {
      await client.createVpc({ vpc: { id: v.id, vni: 1, ip: v.ip, prefix: v.prefix } });
      for (const [id, ip] of v.subnets) {
        const s = (await client.createSubnet({ subnet: { id, vpc: v.id, vni: 0, ip, prefix: 24 } })).subnet;
        subnets[id] = { id, vpc: v.id, cidr: `${ip}/24`, gateway: gateway(`${ip}/24`), vni: s.vni };
      }
    }
    expect(subnets['s-1']!.gateway).toBe('10.1.1.1');
    expect(new Set(Object.values(subnets).map((s) => s.vni)).size).toBe(3);
  });

  test('endpoints become logical switch ports bound by iface-id; ping and TCP across nodes and subnets of a VPC, nothing between VPCs', async () => {
    for (const [slot, node] of nodes.entries()) {
      await f.agent.createVms({ scenario: f.scenario, node, from: 0, count: 2, plugin: 'ovn' });
      expect((await f.agent.createEndpoints(batchOf(node, slot))).changed).toBe(2);
      // Idempotent: again changes nothing and keeps one port each.
      expect((await f.agent.createEndpoints(batchOf(node, slot))).changed).toBe(0);
    }
    expect(nbCount(plugin.central.nbSocket, 'Logical_Switch_Port')).toBe(4 + 3); // 4 endpoints + 3 router ports' peers
    const port = `${f.scenario}-node-1-1-0`;
    expect(nb('--bare', '--columns=addresses', 'find', 'Logical_Switch_Port', `name="${port}"`)).toBe(`${endpointMac(f.scenario, 1, 1, 0)} ${ipOf('node-1', 1)}`);
    const dbSocket = chassisFiles(chassisDir(tag, 'node-1')).dbSocket;
    await waitFor('ovn-installed on every port', () => nodes.every((n) => [0, 1].every((vm) => {
      try {
        return ovsdb('ovs-vsctl', chassisFiles(chassisDir(tag, n)).dbSocket, 'get', 'Interface', `m${tag}v${vm}e0`, 'external_ids:ovn-installed') === '"true"';
      } catch {
        return false;
      }
    })), 60_000, 100);
    expect(ovsdb('ovs-vsctl', dbSocket, 'get', 'Interface', `m${tag}v1e0`, 'external_ids:iface-id').replace(/"/g, '')).toBe(port);

    const a = vmNetns(tag, 'node-0', 0); // s-1
    const other = vmNetns(tag, 'node-0', 1); // VPC 2
    // Same subnet, other node (Geneve), then the other subnet of the VPC on the other node (routed).
    await waitFor('ping within s-1 across nodes', () => pingFrom(a, ipOf('node-1', 0)), 30_000, 200);
    await waitFor('ping s-1 → s-2 across nodes', () => pingFrom(a, ipOf('node-1', 1)), 30_000, 200);
    expect(await tcpWorks(a, vmNetns(tag, 'node-1', 0), ipOf('node-1', 0), 7101)).toBe(true);
    expect(await tcpWorks(a, vmNetns(tag, 'node-1', 1), ipOf('node-1', 1), 7102)).toBe(true);
    // VPC 2 has the same addresses, but its router and switch are its own: nothing of VPC 1 answers.
    expect(pingFrom(other, ipOf('node-1', 0))).toBe(false);
    expect(pingFrom(other, ipOf('node-1', 1))).toBe(false);
    expect(await tcpWorks(other, vmNetns(tag, 'node-1', 1), ipOf('node-1', 1), 7103)).toBe(false);
    expect(pingFrom(other, '10.1.1.1')).toBe(true); // its own gateway answers
  });

  test('teardown: endpoints, nodes and plugin objects removed leave nothing in NB/SB, no daemon, no namespace', async () => {
    for (const [slot, node] of nodes.entries()) {
      expect((await f.agent.deleteEndpoints(batchOf(node, slot))).changed).toBe(2);
      await f.agent.deleteEndpoints(batchOf(node, slot)); // again: nothing to do, no error
    }
    expect(nbCount(plugin.central.nbSocket, 'Logical_Switch_Port')).toBe(3);
    for (const node of nodes) {
      await f.agent.deleteVms({ scenario: f.scenario, node, from: 0, count: 2, plugin: 'ovn' });
      await client.deleteNode({ name: pluginNodeName(f.scenario, node), scenario: f.scenario });
      await f.agent.deleteNode({ scenario: f.scenario, node, plugin: 'ovn' });
    }
    for (const id of ['s-1', 's-2', 't-1']) await client.deleteSubnet({ id });
    for (const id of ['vpc-1', 'vpc-2']) await client.deleteVpc({ id });
    for (const table of ['Logical_Switch_Port', 'Logical_Switch', 'Logical_Router', 'Logical_Router_Port']) expect(nbCount(plugin.central.nbSocket, table)).toBe(0);
    expect(chassisNames(plugin.central.sbSocket)).toEqual([]);
    expect(ovsdb('ovn-sbctl', plugin.central.sbSocket, '--bare', '--columns=_uuid', 'list', 'Chassis_Private')).toBe('');
    for (const node of nodes) expect(processesMentioning(chassisDir(tag, node))).toEqual([]);
    expect(netnsNames().filter((n) => n.startsWith(`mk-${tag}`))).toEqual([]);
    expect(await f.records.scenarios()).toEqual([]);
    rmSync(f.stateDir, { recursive: true, force: true });
    rmSync(f.pluginDir, { recursive: true, force: true });
  });
});
