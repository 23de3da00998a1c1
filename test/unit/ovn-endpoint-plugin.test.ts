/**
 * The `ovn` endpoint plugin's commands and refusals, with a recording runner (no root, no OVN):
 * one northbound transaction and one OVS transaction per batch with the endpoint's name, MAC
 * and IP; delete reverses both; missing provider config or pod mode is a clear error before
 * anything runs. The real thing is test/integration/ovn-endpoint.test.ts.
 */
import type { CommandRunner, RunOptions } from '../../src/dataplane/command';
import { createOvnPlugin } from '../../src/endpoint-plugins/ovn';
import { EndpointPluginError, type Endpoint, type PluginContext } from '../../src/endpoint-plugins/types';

const NB = '/nonexistent/merak-test/nb.sock';

function recorder(): { runner: CommandRunner; calls: Array<{ argv: string[]; env?: Record<string, string> }> } {
  const calls: Array<{ argv: string[]; env?: Record<string, string> }> = [];
  return {
    calls,
    runner: {
      run(argv: readonly string[], o?: RunOptions) {
        calls.push({ argv: [...argv], env: o?.env });
        return Promise.resolve({ code: 0, signal: null, stdout: '', stderr: '' });
      },
    } as CommandRunner,
  };
}

function ctx(runner: CommandRunner, config: Record<string, string>, netns: string | null = 'mk-ab12-node-0'): PluginContext {
  const nodeNetns = netns ?? undefined; // null: pod mode
  return {
    scenario: 's1',
    node: 'node-0',
    tag: 'ab12',
    nodeNetns,
    nodeNetnsPath: nodeNetns ? `/run/netns/${nodeNetns}` : '',
    runner,
    record: () => Promise.resolve(),
    underlay: () => Promise.resolve({ address: '100.64.0.1', device: 'mab12ul', mtu: 1500 }),
    peers: () => Promise.resolve([]),
    providerConfig: () => Promise.resolve(config),
  };
}

const ep = (vm: number): Endpoint => ({
  vmIndex: vm,
  endpoint: 0,
  id: `s1-node-0-${vm}-0`,
  ifname: 'eth0',
  ip: `10.1.1.${vm + 2}/24`,
  mac: `02:00:00:00:00:0${vm}`,
  gateway: '10.1.1.1',
  subnetId: 's-1',
  subnetCidr: '10.1.1.0/24',
  vpc: 'vpc-1',
  vni: 5,
  hostIfname: `mab12v${vm}e0`,
  vm: { vmIndex: vm, name: `mk-ab12-node-0_${vm}`, netnsPath: `/run/netns/mk-ab12-node-0_${vm}` },
  chunk: 0,
  extras: {},
});

describe('ovn endpoint plugin', () => {
  const config = { 'ovn-nb-db': `unix:${NB}`, 'ovn-sb-db': 'unix:/x/sb.sock', 'ovn-central-netns': 'mk-ovn-x', 'ovn-sb-port': '6642' };

  test('EP_ADD: offload off per VM end, then one NB transaction (port, "MAC IP", marks) and one OVS transaction (br-int, iface-id)', async () => {
    const r = recorder();
    await createOvnPlugin().epAdd(ctx(r.runner, config), [ep(0), ep(1)]);
    const ethtool = r.calls.filter((c) => c.argv.includes('ethtool'));
    expect(ethtool.map((c) => c.argv)).toEqual([0, 1].map((vm) => ['ip', 'netns', 'exec', `mk-ab12-node-0_${vm}`, 'ethtool', '-K', 'eth0', 'tx', 'off']));
    const nb = r.calls.filter((c) => c.argv[0] === 'ovn-nbctl');
    expect(nb).toHaveLength(1);
    const nbArgs = nb[0]!.argv.join(' ');
    expect(nb[0]!.argv).toContain(`--db=unix:${NB}`);
    expect(nbArgs).toContain('-- --may-exist lsp-add s-1 s1-node-0-1-0 -- lsp-set-addresses s1-node-0-1-0 02:00:00:00:00:01 10.1.1.3');
    expect(nbArgs).toContain('external_ids:"merak-scenario"="s1"');
    const ovs = r.calls.filter((c) => c.argv[0] === 'ovs-vsctl');
    expect(ovs).toHaveLength(1);
    expect(ovs[0]!.argv).toContain('--db=unix:/run/merak/ovn/ab12-node-0/db.sock');
    expect(ovs[0]!.argv.join(' ')).toContain('-- --may-exist add-port br-int mab12v0e0 -- set Interface mab12v0e0 external_ids:"iface-id"="s1-node-0-0-0"');
  });

  test('EP_DEL with the chassis and the central gone runs nothing and succeeds (idempotent)', async () => {
    const r = recorder();
    await createOvnPlugin().epDel(ctx(r.runner, config), [ep(0)]);
    expect(r.calls).toEqual([]);
  });

  test('refusals name what is missing, before anything runs', async () => {
    const r = recorder();
    const p = createOvnPlugin();
    await expect(p.epAdd(ctx(r.runner, {}), [ep(0)])).rejects.toThrow(/provider config ovn-nb-db/);
    await expect(p.epAdd(ctx(r.runner, { 'ovn-nb-db': 'tcp:1.2.3.4:6641' }), [ep(0)])).rejects.toThrow(/must be unix:\/ABSOLUTE\/PATH/);
    const pod = p.epAdd(ctx(r.runner, config, null), [ep(0)]);
    await expect(pod).rejects.toBeInstanceOf(EndpointPluginError);
    await expect(pod).rejects.toThrow(/local mode only/);
    expect(r.calls).toEqual([]);
    expect(p.nodeSetup?.addressOnVeth).toBe(false);
  });
});
