import { execFileSync } from 'node:child_process';
import { createNetworkPluginClient, type NetworkPluginClient } from '../../src/plugin/client';
import { PluginCallError, Status } from '../../src/plugin/errors';
import { startApiServer, type TestApiServer } from '../helpers/apiserver';
import { startMizarOperatorDouble, type MizarOperatorDouble } from '../helpers/mizar-operator-double';
import { loadMizarCrds, mizarResource, mizarResources, runMerak, startMizarPluginProcess, type MizarPluginProcess } from '../helpers/mizar';

// The Mizar provider's node side (`merak mizar endpoint add|del`, a real process): each VM
// endpoint is registered with Mizar as its daemon does (an Endpoint resource in Init with the
// veth's kernel MAC), Mizar's operator — played by the named stand-in of
// test/helpers/mizar-operator-double.ts on the real API server — allocates the address, and the
// veth is built with the address, MAC and gateway it wrote. Two VMs of one node then ping each
// other on those addresses. Every namespace made here is removed, and no resource is left.

jest.setTimeout(300_000);

const NS = 'mizar-ep';
const NODE_NS = 'mzep-node';
const VMS = ['mzep-vm0', 'mzep-vm1'];
let api: TestApiServer;
let operator: MizarOperatorDouble | undefined;
let plugin: MizarPluginProcess | undefined;
let client: NetworkPluginClient | undefined;
let kube: string[];

const netnsList = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
const ip = (args: string[]) => execFileSync('ip', args, { encoding: 'utf8' });

beforeAll(async () => {
  for (const ns of [NODE_NS, ...VMS]) {
    if (netnsList().split('\n').some((l) => l.split(' ')[0] === ns)) throw new Error(`network namespace ${ns} already exists; remove it (ip netns del ${ns})`);
  }
  api = await startApiServer();
  await api.createNamespace(NS);
  await loadMizarCrds(api);
  operator = startMizarOperatorDouble(api, NS);
  plugin = await startMizarPluginProcess(['--kubeconfig', api.kubeconfigPath, '--namespace', NS, '--provision-timeout', '6000']);
  client = createNetworkPluginClient(plugin.address, { deadlineMs: 15_000 });
  kube = ['--kubeconfig', api.kubeconfigPath, '--namespace', NS];
  for (const ns of [NODE_NS, ...VMS]) ip(['netns', 'add', ns]);
});

afterAll(async () => {
  client?.close();
  await plugin?.stop();
  await operator?.stop();
  for (const ns of [NODE_NS, ...VMS]) {
    if (netnsList().split('\n').some((l) => l.split(' ')[0] === ns)) ip(['netns', 'del', ns]);
  }
  await api?.stop();
  expect(netnsList().split('\n').filter((l) => l.startsWith('mzep-'))).toEqual([]);
});

const addArgs = (vm: number, extra: string[] = []) => [
  'mizar', 'endpoint', 'add', ...kube,
  '--name', `ep-vm${vm}`, '--vpc', 'green', '--subnet', 'green-1', '--droplet', 'node-a',
  '--node-netns', NODE_NS, '--vm-netns', VMS[vm]!, '--host-ifname', `mzepv${vm}`, '--bridge', 'mzepbr', ...extra,
];

interface Added {
  ip: string;
  prefix: number;
  gw: string;
  mac: string;
  vni: number;
}

test('endpoints are registered as Mizar\'s daemon does and built with the address, MAC and gateway Mizar assigned; the VMs ping each other', async () => {
  const vpc = (await client!.createVpc({ vpc: { id: 'green', vni: 900, ip: '10.88.0.0', prefix: 16 } }).catch(async (err: unknown) => {
    // No droplet yet: Mizar's operator waits for one (see mizar-provider.test.ts); register the node, retry.
    if (!(err instanceof PluginCallError) || err.code !== Status.UNAVAILABLE) throw err;
    await client!.createNode({ node: { name: 'node-a', ip: '100.96.0.1', mac: '02:00:00:96:00:01' } });
    return client!.createVpc({ vpc: { id: 'green', vni: 900, ip: '10.88.0.0', prefix: 16 } });
  })).vpc;
  const vni = operator!.vnis.get('green')!;
  expect(vpc.vni).toBe(vni);
  await client!.createSubnet({ subnet: { id: 'green-1', vpc: 'green', ip: '10.88.1.0', prefix: 24 } });

  // A bad field is refused before anything is built or written.
  const bad = await runMerak(addArgs(0, ['--name', 'EP_Bad']));
  expect(bad.code).not.toBe(0);
  expect(bad.output).toMatch(/name: "EP_Bad" is not a Kubernetes object name/);
  expect(ip(['-n', NODE_NS, '-br', 'link'])).not.toContain('mzepv0');
  expect((await mizarResources(api, NS)).filter((r) => r.startsWith('Endpoint/'))).toEqual([]);

  const added: Added[] = [];
  for (const vm of [0, 1]) {
    const r = await runMerak(addArgs(vm));
    if (r.code !== 0) throw new Error(`mizar endpoint add failed:\n${r.output}`);
    added.push(JSON.parse(r.output.trim().split('\n').pop()!) as Added);
  }
  for (const [vm, a] of added.entries()) {
    // Mizar's operator allocated the address (the subnet's, never its network or gateway address).
    expect(a).toMatchObject({ prefix: 24, gw: '10.88.1.1', vni });
    expect(a.ip).toMatch(/^10\.88\.1\.\d+$/);
    expect(['10.88.1.0', '10.88.1.1']).not.toContain(a.ip);
    const cr = await mizarResource(api, NS, 'endpoints', `ep-vm${vm}`);
    expect(cr?.spec).toMatchObject({ type: 'simple', status: 'Provisioned', ip: a.ip, gw: '10.88.1.1', prefix: '24', vni: String(vni), mac: a.mac, droplet: 'node-a', net: 'green-1', vpc: 'green', itf: 'eth0', veth: `mzepv${vm}`, hostip: '100.96.0.1' });
    // The VM end carries exactly what Mizar holds.
    const link = JSON.parse(ip(['-n', VMS[vm]!, '-j', 'addr', 'show', 'dev', 'eth0'])) as { address: string; operstate: string; addr_info: { local: string; prefixlen: number }[] }[];
    expect(link[0]!.address).toBe(a.mac);
    expect(link[0]!.addr_info.filter((x) => x.local.startsWith('10.')).map((x) => `${x.local}/${x.prefixlen}`)).toEqual([`${a.ip}/24`]);
    expect(ip(['-n', VMS[vm]!, 'route', 'show', 'default'])).toContain('via 10.88.1.1 dev eth0');
  }
  expect(added[0]!.ip).not.toBe(added[1]!.ip);
  expect(operator!.actions.filter((x) => x.startsWith('Endpoint ')).length).toBe(2);

  // Idempotent: adding again converges to the same endpoint.
  const again = await runMerak(addArgs(0));
  expect(again.code).toBe(0);
  expect(JSON.parse(again.output.trim().split('\n').pop()!)).toMatchObject({ ip: added[0]!.ip, mac: added[0]!.mac });

  // Real traffic between the VMs on Mizar's addresses.
  const ping = execFileSync('ip', ['netns', 'exec', VMS[0]!, 'ping', '-c', '2', '-W', '2', added[1]!.ip], { encoding: 'utf8' });
  expect(ping).toMatch(/2 received/);

  // A subnet with endpoints cannot go (Mizar's NetDelete would spin); after the endpoints it can.
  const busy = await client!.deleteSubnet({ id: 'green-1' }).then(() => undefined, (e: unknown) => e as PluginCallError);
  expect(busy?.code).toBe(Status.FAILED_PRECONDITION);
  expect(busy?.details).toMatch(/subnet "green-1" still has endpoints \(ep-vm0, ep-vm1\)/);

  for (const vm of [0, 1]) {
    const del = await runMerak(['mizar', 'endpoint', 'del', ...kube, '--name', `ep-vm${vm}`, '--node-netns', NODE_NS, '--host-ifname', `mzepv${vm}`]);
    if (del.code !== 0) throw new Error(`mizar endpoint del failed:\n${del.output}`);
  }
  expect(ip(['-n', NODE_NS, '-br', 'link'])).not.toMatch(/mzepv/);
  expect(ip(['-n', VMS[0]!, '-br', 'link'])).not.toContain('eth0');
  // A second del succeeds on what is gone.
  expect((await runMerak(['mizar', 'endpoint', 'del', ...kube, '--name', 'ep-vm0', '--node-netns', NODE_NS, '--host-ifname', 'mzepv0'])).code).toBe(0);

  await client!.deleteSubnet({ id: 'green-1' });
  await client!.deleteVpc({ id: 'green' });
  await client!.deleteNode({ name: 'node-a' });
  expect(await mizarResources(api, NS)).toEqual([]);
  expect(operator!.actions.filter((x) => x.startsWith('error'))).toEqual([]);
});
