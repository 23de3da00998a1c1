import { existsSync } from 'node:fs';
import { createNetworkPluginClient, type NetworkPluginClient } from '../../src/plugin/client';
import { PluginCallError, Status } from '../../src/plugin/errors';
import { startApiServer, type TestApiServer } from '../helpers/apiserver';
import { KOPF_FINALIZER, startMizarOperatorDouble, type MizarOperatorDouble } from '../helpers/mizar-operator-double';
import { loadMizarCrds, mizarResource, mizarResources, runMerak, startMizarPluginProcess, type MizarPluginProcess } from '../helpers/mizar';

// The Mizar network plugin (`merak plugin serve --provider mizar`, a real process) against a
// real kube-apiserver with Mizar's CRDs. Mizar's operator cannot run here (XDP, its daemons):
// a test double named as such (test/helpers/mizar-operator-double.ts) plays its published part.

jest.setTimeout(300_000);

const NS = 'mizar-test';
let api: TestApiServer;
let operator: MizarOperatorDouble | undefined;
let plugin: MizarPluginProcess | undefined;
let client: NetworkPluginClient;

beforeAll(async () => {
  api = await startApiServer();
  await api.createNamespace(NS);
});

afterAll(async () => {
  client?.close();
  await plugin?.stop();
  await operator?.stop();
  const dir = api?.dir;
  await api?.stop();
  if (dir) expect(existsSync(dir)).toBe(false);
});

async function refused(call: Promise<unknown>): Promise<PluginCallError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof PluginCallError) return err;
    throw err;
  }
  throw new Error('the call succeeded; it should have been refused');
}

test('the plugin refuses to start while the API server does not serve Mizar\'s resources, and says why', async () => {
  const r = await runMerak(['plugin', 'serve', '--provider', 'mizar', '--port', '0', '--kubeconfig', api.kubeconfigPath, '--namespace', NS]);
  expect(r.code).not.toBe(0);
  expect(r.output).toMatch(/vpcs\.mizar\.com.*Mizar's custom resource definitions are not installed/);
});

test('Mizar\'s CRDs load into the real API server and the plugin starts on them', async () => {
  await loadMizarCrds(api);
  operator = startMizarOperatorDouble(api, NS);
  plugin = await startMizarPluginProcess(['--kubeconfig', api.kubeconfigPath, '--namespace', NS, '--provision-timeout', '4000']);
  client = createNetworkPluginClient(plugin.address, { deadlineMs: 15_000 });
  expect(await mizarResources(api, NS)).toEqual([]);
});

test('bad fields are refused with the field, the value and the rule before any resource is written', async () => {
  const cases: [string, Promise<unknown>, RegExp][] = [
    ['upper-case id', client.createVpc({ vpc: { id: 'Blue_VPC', vni: 100, ip: '10.1.0.0', prefix: 16 } }), /vpc\.id: "Blue_VPC" is not a Kubernetes object name/],
    ['VNI 0', client.createVpc({ vpc: { id: 'blue', vni: 0, ip: '10.1.0.0', prefix: 16 } }), /vpc\.vni: 0 is outside 1\.\.16777215/],
    ['host bits', client.createVpc({ vpc: { id: 'blue', vni: 100, ip: '10.1.0.1', prefix: 16 } }), /vpc\.ip\/vpc\.prefix: "10\.1\.0\.1\/16" is not a network address/],
    ['bad subnet CIDR', client.createSubnet({ subnet: { id: 'blue-1', vpc: 'blue', ip: '10.1.1.0', prefix: 33 } }), /subnet\.prefix: 33 is not a prefix length/],
    ['multicast MAC', client.createNode({ node: { name: 'node-a', ip: '100.64.0.1', mac: '01:00:5e:00:00:01' } }), /node\.mac: "01:00:5e:00:00:01" is a multicast/],
    ['bad node IP', client.createNode({ node: { name: 'node-a', ip: '100.64.0.256', mac: '02:00:00:00:00:0a' } }), /node\.ip: "100\.64\.0\.256" is not a dotted IPv4/],
  ];
  for (const [what, call, message] of cases) {
    const err = await refused(call);
    expect({ what, code: err.code }).toEqual({ what, code: Status.INVALID_ARGUMENT });
    expect(err.details).toMatch(message);
  }
  expect(await mizarResources(api, NS)).toEqual([]);
});

test('a VPC waits for a droplet as Mizar\'s operator does: the bounded wait ends with a clear UNAVAILABLE, then the retry returns Mizar\'s VNI', async () => {
  const started = Date.now();
  const err = await refused(client.createVpc({ vpc: { id: 'blue', vni: 100, ip: '10.1.0.0', prefix: 16 } }));
  expect(err.code).toBe(Status.UNAVAILABLE);
  expect(err.details).toMatch(/Vpc mizar-test\/blue: Mizar's operator did not move spec.status from "Init" to "Provisioned" within 4000 ms .*no Droplet in namespace mizar-test is Provisioned/);
  expect(Date.now() - started).toBeLessThan(12_000);
  expect((await mizarResource(api, NS, 'vpcs', 'blue'))?.spec).toMatchObject({ status: 'Init', ip: '10.1.0.0', prefix: '16', vni: '100' });

  const node = await client.createNode({ node: { name: 'node-a', ip: '100.64.0.1', mac: '02:00:00:00:00:0A' } });
  expect(node.node).toMatchObject({ name: 'node-a', ip: '100.64.0.1', mac: '02:00:00:00:00:0a' });
  expect((await mizarResource(api, NS, 'droplets', 'node-a'))?.spec).toMatchObject({ status: 'Provisioned', ip: '100.64.0.1', mac: '02:00:00:00:00:0a', main_ip: '100.64.0.1' });

  // Merak retries the Create (idempotent): the VPC is now provisioned with the operator's VNI.
  const vpc = (await client.createVpc({ vpc: { id: 'blue', vni: 100, ip: '10.1.0.0', prefix: 16 } })).vpc;
  const mizarVni = operator!.vnis.get('blue');
  expect(mizarVni).toBeDefined();
  expect(vpc).toMatchObject({ id: 'blue', vni: mizarVni, ip: '10.1.0.0', prefix: 16 });
  const held = await mizarResource(api, NS, 'vpcs', 'blue');
  expect(held?.spec).toMatchObject({ status: 'Provisioned', vni: String(mizarVni) });
  expect(held?.metadata.finalizers).toContain(KOPF_FINALIZER);
});

test('subnets are provisioned with the VPC\'s Mizar VNI; creates are idempotent; conflicts and missing VPCs are refused', async () => {
  const vni = operator!.vnis.get('blue')!;
  const s1 = (await client.createSubnet({ subnet: { id: 'blue-1', vpc: 'blue', vni: 0, ip: '10.1.1.0', prefix: 24, optional: { team: 'a' } } })).subnet;
  expect(s1).toMatchObject({ id: 'blue-1', vpc: 'blue', vni, ip: '10.1.1.0', prefix: 24, optional: { team: 'a' } });
  // A VNI asked for the subnet is ignored: Mizar copies the VPC's.
  const s2 = (await client.createSubnet({ subnet: { id: 'blue-2', vpc: 'blue', vni: 777, ip: '10.1.2.0', prefix: 24 } })).subnet;
  expect(s2.vni).toBe(vni);
  expect((await mizarResource(api, NS, 'subnets', 'blue-2'))?.spec).toMatchObject({ status: 'Provisioned', vni: String(vni), vpc: 'blue' });

  const again = (await client.createSubnet({ subnet: { id: 'blue-1', vpc: 'blue', vni: 0, ip: '10.1.1.0', prefix: 24, optional: { team: 'a' } } })).subnet;
  expect(again).toEqual(s1);
  expect((await client.createVpc({ vpc: { id: 'blue', vni: 100, ip: '10.1.0.0', prefix: 16 } })).vpc.vni).toBe(vni);

  const conflict = await refused(client.createSubnet({ subnet: { id: 'blue-1', vpc: 'blue', ip: '10.1.3.0', prefix: 24, optional: { team: 'a' } } }));
  expect(conflict.code).toBe(Status.ALREADY_EXISTS);
  expect(conflict.details).toMatch(/subnet\.id: "blue-1" already exists in Mizar with other fields \(ip held "10\.1\.1\.0", asked "10\.1\.3\.0"\)/);
  const overlap = await refused(client.createSubnet({ subnet: { id: 'blue-3', vpc: 'blue', ip: '10.1.1.128', prefix: 25 } }));
  expect(overlap.code).toBe(Status.ALREADY_EXISTS);
  expect(overlap.details).toMatch(/overlaps subnet "blue-1"/);
  const outside = await refused(client.createSubnet({ subnet: { id: 'blue-3', vpc: 'blue', ip: '10.2.1.0', prefix: 24 } }));
  expect(outside.code).toBe(Status.INVALID_ARGUMENT);
  const orphan = await refused(client.createSubnet({ subnet: { id: 'red-1', vpc: 'red', ip: '10.9.1.0', prefix: 24 } }));
  expect(orphan.code).toBe(Status.FAILED_PRECONDITION);
  expect(orphan.details).toMatch(/subnet\.vpc: "red" names no VPC in Mizar \(namespace mizar-test\)/);
  expect(await mizarResources(api, NS)).toEqual(['Droplet/node-a', 'Subnet/blue-1', 'Subnet/blue-2', 'Vpc/blue']);
});

test('updates: optional maps change in place, a droplet\'s address is provisioned again, a CIDR change and a missing object are refused', async () => {
  const vni = operator!.vnis.get('blue')!;
  const vpc = (await client.updateVpc({ vpc: { id: 'blue', vni: 5, ip: '10.1.0.0', prefix: 16, optional: { owner: 'net' } } })).vpc;
  expect(vpc).toMatchObject({ vni, optional: { owner: 'net' } });
  const cidr = await refused(client.updateVpc({ vpc: { id: 'blue', vni: 5, ip: '10.0.0.0', prefix: 8 } }));
  expect(cidr.code).toBe(Status.FAILED_PRECONDITION);
  expect(cidr.details).toMatch(/Mizar does not change a provisioned VPC's CIDR/);
  const missing = await refused(client.updateSubnet({ subnet: { id: 'nope', vpc: 'blue', ip: '10.1.9.0', prefix: 24 } }));
  expect(missing.code).toBe(Status.NOT_FOUND);

  const before = operator!.actions.filter((a) => a.startsWith('Droplet node-a: Provisioned')).length;
  const node = (await client.updateNode({ node: { name: 'node-a', ip: '100.64.0.11', mac: '02:00:00:00:00:0a' } })).node;
  expect(node).toMatchObject({ ip: '100.64.0.11' });
  expect(operator!.actions.filter((a) => a.startsWith('Droplet node-a: Provisioned')).length).toBe(before + 1);
  expect((await mizarResource(api, NS, 'droplets', 'node-a'))?.spec).toMatchObject({ status: 'Provisioned', ip: '100.64.0.11', main_ip: '100.64.0.11' });
  const dup = await refused(client.createNode({ node: { name: 'node-b', ip: '100.64.0.11', mac: '02:00:00:00:00:0b' } }));
  expect(dup.code).toBe(Status.ALREADY_EXISTS);

  const state = await client.getState();
  expect(state.vpcs.map((v) => [v.id, v.vni])).toEqual([['blue', vni]]);
  expect(state.subnets.map((s) => s.id)).toEqual(['blue-1', 'blue-2']);
  expect(state.nodes.map((n) => n.name)).toEqual(['node-a']);
  expect(Number(state.revision)).toBeGreaterThan(0);
});

test('deletes remove every resource (after Mizar\'s finalizer), a VPC with subnets is refused, and a second delete succeeds', async () => {
  const busy = await refused(client.deleteVpc({ id: 'blue' }));
  expect(busy.code).toBe(Status.FAILED_PRECONDITION);
  expect(busy.details).toMatch(/VPC "blue" still has subnets \(blue-1, blue-2\)/);
  await client.deleteSubnet({ id: 'blue-1' });
  await client.deleteSubnet({ id: 'blue-2' });
  await client.deleteVpc({ id: 'blue' });
  await client.deleteNode({ name: 'node-a' });
  expect(await mizarResources(api, NS)).toEqual([]);
  expect(operator!.actions.filter((a) => a.endsWith('deleted (finalizer removed)')).sort()).toEqual(
    ['Droplet node-a', 'Subnet blue-1', 'Subnet blue-2', 'Vpc blue'].map((r) => `${r}: deleted (finalizer removed)`),
  );
  await client.deleteSubnet({ id: 'blue-1' });
  await client.deleteVpc({ id: 'blue' });
  await client.deleteNode({ name: 'node-a' });
  expect(operator!.actions.filter((a) => a.startsWith('error'))).toEqual([]);
});
