import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { routerNetns } from '../../src/dataplane/names';
import type { Endpoint } from '../../src/endpoint-plugins/types';
import { createNetworkPluginClient, type NetworkPluginClient } from '../../src/plugin/client';
import { PluginCallError, Status } from '../../src/plugin/errors';
import { startApiServer, type TestApiServer } from '../helpers/apiserver';
import { startMizarOperatorDouble, type MizarOperatorDouble } from '../helpers/mizar-operator-double';
import { loadMizarCrds, mizarResource, mizarResources, startMizarPluginProcess, type MizarPluginProcess } from '../helpers/mizar';

// The built-in `mizar` endpoint plugin on its own (the agent's side, run in a child process since
// its Kubernetes client cannot load under jest), against Mizar's CRDs on the real API server and
// the named stand-in of Mizar's operator (test/helpers/mizar-operator-double.ts): adding an
// endpoint twice converges to one resource and one veth; the wait for Provisioned is bounded and
// its failure names the Endpoint, the bound and the status; delete is idempotent.

jest.setTimeout(300_000);

const NS = 'mizar-epp';
const TAG = 'mzq';
const NODE = 'mzq-n';
const NODE_NS = 'mzq-node';
const VMS = ['mzq-vm0', 'mzq-vm1'];
const ROUTER_NS = routerNetns(TAG, NODE, 'blue');
let api: TestApiServer;
let operator: MizarOperatorDouble | undefined;
let plugin: MizarPluginProcess | undefined;
let client: NetworkPluginClient | undefined;

const netnsList = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]);
const ip = (args: string[]) => execFileSync('ip', args, { encoding: 'utf8' });

beforeAll(async () => {
  for (const ns of [NODE_NS, ...VMS, ROUTER_NS]) if (netnsList().includes(ns)) throw new Error(`network namespace ${ns} already exists; remove it (ip netns del ${ns})`);
  api = await startApiServer();
  await api.createNamespace(NS);
  await loadMizarCrds(api);
  operator = startMizarOperatorDouble(api, NS);
  plugin = await startMizarPluginProcess(['--kubeconfig', api.kubeconfigPath, '--namespace', NS, '--provision-timeout', '6000']);
  client = createNetworkPluginClient(plugin.address, { deadlineMs: 15_000 });
  for (const ns of [NODE_NS, ...VMS]) ip(['netns', 'add', ns]);
  // The node's underlay, for the VXLAN device the host ends' fabric needs (a veth: no dummy module here).
  ip(['-n', NODE_NS, 'link', 'add', 'ul0', 'type', 'veth', 'peer', 'name', 'ul0p']);
  ip(['-n', NODE_NS, 'link', 'set', 'ul0p', 'up']);
  ip(['-n', NODE_NS, 'addr', 'add', '100.96.9.1/24', 'dev', 'ul0']);
  ip(['-n', NODE_NS, 'link', 'set', 'ul0', 'up']);
});

afterAll(async () => {
  client?.close();
  await plugin?.stop();
  await operator?.stop();
  for (const ns of [NODE_NS, ...VMS, ROUTER_NS]) if (netnsList().includes(ns)) ip(['netns', 'del', ns]);
  await api?.stop();
  expect(netnsList().filter((n) => n.startsWith('mzq-') || n.includes(`-${NODE}_`))).toEqual([]);
});

interface Outcome {
  ok: boolean;
  name?: string;
  code?: number;
  message?: string;
}

function runPlugin(command: 'add' | 'del', eps: Endpoint[], timeoutMs = 6000): Promise<Outcome> {
  const input = {
    command,
    settings: { kubeconfig: api.kubeconfigPath, namespace: NS, timeoutMs, concurrency: 4 },
    ctx: { scenario: 'mzq', node: NODE, tag: TAG, nodeNetns: NODE_NS, underlay: { address: '100.96.9.1', device: 'ul0', mtu: 1500 } },
    eps,
  };
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-r', join(__dirname, 'dataplane-ts-loader.js'), join(__dirname, 'mizar-plugin-child.ts'), JSON.stringify(input)], { timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`plugin child failed: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Outcome);
    });
  });
}

const endpoint = (vm: number, vni: number): Endpoint => ({
  vmIndex: vm,
  endpoint: 0,
  id: `mzq-${NODE}-${vm}-0`,
  ifname: 'eth0',
  ip: `10.66.1.${10 + vm}/24`,
  mac: `02:66:00:00:00:${(16 + vm).toString(16)}`,
  gateway: '10.66.1.1',
  subnetId: 'blue-1',
  subnetCidr: '10.66.1.0/24',
  vpc: 'blue',
  vni,
  hostIfname: `mzqh${vm}`,
  vm: { vmIndex: vm, name: VMS[vm]!, netnsPath: `/run/netns/${VMS[vm]}` },
  chunk: 0,
  extras: {},
});

test('the mizar endpoint plugin registers idempotently, bounds its wait for Provisioned and names what it waited for, and deletes idempotently', async () => {
  // The scenario's node is the plugin's <node>.<scenario> (model/identity.ts).
  await client!.createNode({ node: { name: `${NODE}.mzq`, ip: '100.96.9.1', mac: '02:00:00:96:09:01', scenario: 'mzq' } });
  const vpc = (await client!.createVpc({ vpc: { id: 'blue', vni: 901, ip: '10.66.0.0', prefix: 16 } }).catch(async (err: unknown) => {
    if (!(err instanceof PluginCallError) || err.code !== Status.UNAVAILABLE) throw err;
    return client!.createVpc({ vpc: { id: 'blue', vni: 901, ip: '10.66.0.0', prefix: 16 } });
  })).vpc;
  await client!.createSubnet({ subnet: { id: 'blue-1', vpc: 'blue', ip: '10.66.1.0', prefix: 24 } });
  const ep0 = endpoint(0, vpc.vni);

  // Added twice: one resource, one veth, provisioned once; the VM end is what the resource holds.
  expect(await runPlugin('add', [ep0])).toEqual({ ok: true });
  expect(await runPlugin('add', [ep0])).toEqual({ ok: true });
  const cr = await mizarResource(api, NS, 'endpoints', ep0.id);
  expect(cr?.spec).toMatchObject({ status: 'Provisioned', ip: '10.66.1.10', mac: ep0.mac, gw: '10.66.1.1', vni: String(vpc.vni), droplet: `${NODE}.mzq`, veth: 'mzqh0' });
  expect(operator!.actions.filter((a) => a.startsWith(`Endpoint ${ep0.id}: Provisioned`))).toHaveLength(1);
  expect((await mizarResources(api, NS)).filter((r) => r.startsWith('Endpoint/'))).toEqual([`Endpoint/${ep0.id}`]);
  const vmLink = JSON.parse(ip(['-n', VMS[0]!, '-j', 'addr', 'show', 'dev', 'eth0'])) as { address: string; mtu: number; addr_info: { family: string; local: string }[] }[];
  expect(vmLink[0]).toMatchObject({ address: ep0.mac, mtu: 1450 });
  expect(vmLink[0]!.addr_info.filter((a) => a.family === 'inet').map((a) => a.local)).toEqual(['10.66.1.10']);
  expect(ip(['-n', NODE_NS, '-br', 'link']).match(/^mzqh0@/gm)).toHaveLength(1);

  // Delete, twice: the resource goes once the operator lifted its finalizer, and the veth with it.
  expect(await runPlugin('del', [ep0])).toEqual({ ok: true });
  expect(await runPlugin('del', [ep0])).toEqual({ ok: true });
  expect(operator!.actions).toContain(`Endpoint ${ep0.id}: deleted (finalizer removed)`);
  expect((await mizarResources(api, NS)).filter((r) => r.startsWith('Endpoint/'))).toEqual([]);
  expect(ip(['-n', NODE_NS, '-br', 'link'])).not.toMatch(/mzqh/);

  // With nobody provisioning, the wait ends at its bound and says what it waited for.
  await operator!.stop();
  operator = undefined;
  const ep1 = endpoint(1, vpc.vni);
  const started = Date.now();
  const late = await runPlugin('add', [ep1], 1500);
  expect(late).toMatchObject({ ok: false, name: 'PluginError', code: Status.UNAVAILABLE });
  expect(late.message).toContain(`mizar endpoint plugin EP_ADD ${ep1.id}: Endpoint ${NS}/${ep1.id}: Mizar's operator did not move spec.status from "Init" to "Provisioned" within 1500 ms (it is "Init")`);
  expect(Date.now() - started).toBeLessThan(60_000);

  // The unprovisioned one (no finalizer yet) is deleted as well.
  expect(await runPlugin('del', [ep1])).toEqual({ ok: true });
  expect((await mizarResources(api, NS)).filter((r) => r.startsWith('Endpoint/'))).toEqual([]);
  expect(ip(['-n', NODE_NS, '-br', 'link'])).not.toMatch(/mzqh/);
});
