import { endpointEnv, interpretPluginOutput, vmEnv, versionEnv } from '../../src/endpoint-plugins/env';
import { cniEnv, cniNetworkList, parseCniOutput, pluginStdin, verifyCniResult } from '../../src/endpoint-plugins/cni-config';
import { fabricLines } from '../../src/endpoint-plugins/reference';
import { findPlugin, validatePluginName } from '../../src/endpoint-plugins/exec-plugin';
import { batchArgv } from '../../src/dataplane/ip-batch';
import type { Endpoint } from '../../src/endpoint-plugins/types';
import { mkdtempSync, writeFileSync, chmodSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ep: Endpoint = {
  vmIndex: 7,
  endpoint: 0,
  id: 'demo-node-0-7-0',
  ifname: 'eth0',
  ip: '10.0.0.9/24',
  mac: '02:00:00:00:00:70',
  gateway: '10.0.0.1',
  subnetId: 'sa',
  subnetCidr: '10.0.0.0/24',
  vpc: 'va',
  vni: 10,
  hostIfname: 'mabcdv7e0',
  vm: { vmIndex: 7, name: 'mk-abcd-node-0_7', netnsPath: '/run/netns/mk-abcd-node-0_7' },
  chunk: 0,
  extras: { securityGroup: 'sg-1' },
};
const base = { scenario: 'demo', node: 'node-0', nodeNetnsPath: '/run/netns/mk-abcd-node-0' };

describe('exec plugin environment', () => {
  test('endpoint commands carry every protocol variable', () => {
    expect(endpointEnv('EP_ADD', base, ep)).toEqual({
      MERAK_COMMAND: 'EP_ADD',
      MERAK_PLUGIN_PROTOCOL: '1',
      MERAK_SCENARIO: 'demo',
      MERAK_NODE: 'node-0',
      MERAK_NODE_NETNS: '/run/netns/mk-abcd-node-0',
      MERAK_VM: 'mk-abcd-node-0_7',
      MERAK_VM_INDEX: '7',
      MERAK_NETNS: '/run/netns/mk-abcd-node-0_7',
      MERAK_ID: 'demo-node-0-7-0',
      MERAK_IP: '10.0.0.9/24',
      MERAK_MAC: '02:00:00:00:00:70',
      MERAK_SUBNET: '10.0.0.0/24',
      MERAK_SUBNET_ID: 'sa',
      MERAK_VPC: 'va',
      MERAK_IFNAME: 'eth0',
      MERAK_HOST_IFNAME: 'mabcdv7e0',
      MERAK_GATEWAY: '10.0.0.1',
      MERAK_VNI: '10',
      MERAK_EXTRAS: '{"securityGroup":"sg-1"}',
    });
    expect(Object.keys(vmEnv('VM_DEL', base, ep.vm)).sort()).toEqual(
      ['MERAK_COMMAND', 'MERAK_NETNS', 'MERAK_NODE', 'MERAK_NODE_NETNS', 'MERAK_PLUGIN_PROTOCOL', 'MERAK_SCENARIO', 'MERAK_VM', 'MERAK_VM_INDEX'].sort(),
    );
    expect(versionEnv(base).MERAK_COMMAND).toBe('VERSION');
    // The endpoint MTU, once the agent derived it, travels as MERAK_MTU.
    expect(endpointEnv('EP_ADD', base, { ...ep, mtu: 1450 }).MERAK_MTU).toBe('1450');
  });

  test('plugin output: JSON object on exit 0; error object, bare failure, bad output and timeout', () => {
    expect(interpretPluginOutput(0, null, '{"bridge":"b"}', '', false)).toEqual({ ok: true, result: { bridge: 'b' } });
    expect(interpretPluginOutput(0, null, '', '', false)).toEqual({ ok: true, result: {} });
    expect(interpretPluginOutput(3, null, '{"code":"NO_PORTS","message":"full","details":{"vni":1}}', '', false)).toEqual({
      ok: false,
      error: { code: 'NO_PORTS', message: 'full', details: { vni: 1 } },
    });
    expect(interpretPluginOutput(1, null, 'garbage', 'it broke', false).error).toEqual({ code: 'EXIT_1', message: 'it broke' });
    expect(interpretPluginOutput(0, null, '[1]', '', false).error?.code).toBe('BAD_OUTPUT');
    expect(interpretPluginOutput(null, 'SIGKILL', '', '', true).error?.code).toBe('TIMEOUT');
  });

  test('plugins are found by name in the configured directories only', async () => {
    const d1 = mkdtempSync(path.join(tmpdir(), 'merak-p1-'));
    const d2 = mkdtempSync(path.join(tmpdir(), 'merak-p2-'));
    try {
      writeFileSync(path.join(d1, 'not-exec'), '#!/bin/sh\n');
      mkdirSync(path.join(d1, 'a-dir'));
      writeFileSync(path.join(d2, 'mine'), '#!/bin/sh\n');
      chmodSync(path.join(d2, 'mine'), 0o755);
      expect(await findPlugin([d1, d2], 'mine')).toBe(path.join(d2, 'mine'));
      expect(await findPlugin([d1, d2], 'not-exec')).toBeUndefined();
      expect(await findPlugin([d1, d2], 'a-dir')).toBeUndefined();
      await expect(findPlugin([d1], '../etc/passwd')).rejects.toThrow(/never given as a path/);
      expect(() => validatePluginName('Mine')).toThrow(/invalid plugin: "Mine"/);
    } finally {
      rmSync(d1, { recursive: true, force: true });
      rmSync(d2, { recursive: true, force: true });
    }
  });
});

describe('CNI adapter', () => {
  test('network list: bridge with static IPAM (default route only for endpoint 0), then tuning with the MAC', () => {
    const list = cniNetworkList('abcd', 'mabcdbac0', ep);
    expect(list.plugins.map((p) => p.type)).toEqual(['bridge', 'tuning']);
    expect(list.plugins[0]).toMatchObject({ bridge: 'mabcdbac0', isGateway: false, ipMasq: false, ipam: { type: 'static', addresses: [{ address: '10.0.0.9/24', gateway: '10.0.0.1' }], routes: [{ dst: '0.0.0.0/0', gw: '10.0.0.1' }] } });
    expect(cniNetworkList('abcd', 'b', { ...ep, endpoint: 1 }).plugins[0]).toMatchObject({ ipam: { routes: [] } });
    expect(list.plugins[1]).toEqual({ type: 'tuning', mac: '02:00:00:00:00:70' });
    const stdin = JSON.parse(pluginStdin(list, 1, { cniVersion: '1.0.0', interfaces: [] })) as Record<string, unknown>;
    expect(stdin).toMatchObject({ cniVersion: '1.0.0', name: 'merak-abcd-10', type: 'tuning', prevResult: { interfaces: [] } });
    expect(cniEnv({ command: 'ADD', containerId: 'c', netnsPath: '/run/netns/x', ifname: 'eth0', cniPath: '/usr/lib/cni' })).toEqual({
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: 'c',
      CNI_NETNS: '/run/netns/x',
      CNI_IFNAME: 'eth0',
      CNI_ARGS: 'IgnoreUnknown=1',
      CNI_PATH: '/usr/lib/cni',
    });
  });

  test('results and errors', () => {
    const result = { cniVersion: '1.0.0', interfaces: [{ name: 'veth1' }, { name: 'eth0', mac: '02:00:00:00:00:70', sandbox: '/run/netns/x' }], ips: [{ address: '10.0.0.9/24', interface: 1 }] };
    expect(parseCniOutput(0, JSON.stringify(result), '')).toEqual({ ok: true, result });
    expect(verifyCniResult(result, ep)).toEqual([]);
    expect(verifyCniResult({ ...result, ips: [] }, ep)).toEqual(['address 10.0.0.9/24 not in the result']);
    expect(verifyCniResult({ ...result, interfaces: [{ name: 'eth0', mac: '02:00:00:00:00:71', sandbox: 'x' }] }, ep)).toEqual(['MAC 02:00:00:00:00:71, wanted 02:00:00:00:00:70']);
    expect(parseCniOutput(1, '{"cniVersion":"1.0.0","code":11,"msg":"failed to set bridge addr","details":"x"}', '')).toEqual({
      ok: false,
      error: { code: 11, msg: 'failed to set bridge addr', details: 'x' },
    });
    expect(parseCniOutput(2, '', 'panic')).toEqual({ ok: false, error: { code: 999, msg: 'panic' } });
  });
});

describe('reference plugin lines and ip batches', () => {
  test('bridges, VXLAN device and chunk uplinks are created only where missing', () => {
    const u = { address: '100.64.0.1', device: 'mabcdul' };
    const all = fabricLines('abcd', new Map([[10, new Set([0, 1])]]), new Set(), u);
    expect(all.created).toEqual(['mabcdbac0', 'mabcdxa', 'mabcdbac1', 'mabcdkac1']);
    expect(all.lines).toContain('link add mabcdxa type vxlan id 10 local 100.64.0.1 dev mabcdul dstport 4789');
    expect(all.lines).toContain('link set mabcdjac1 master mabcdbac1 up');
    const some = fabricLines('abcd', new Map([[10, new Set([0])]]), new Set(['mabcdbac0', 'mabcdxa']), u);
    expect(some.created).toEqual([]);
    expect(some.lines.every((l) => l.startsWith('link set'))).toBe(true);
  });

  test('batch argv: one process, optional namespace, never a shell', () => {
    expect(batchArgv()).toEqual(['ip', '-batch', '-']);
    expect(batchArgv({ netns: 'mk-a-n', tool: 'bridge' })).toEqual(['bridge', '-n', 'mk-a-n', '-batch', '-']);
  });
});
