import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createNetworkPluginClient, type NetworkPluginClient } from '../../src/plugin/client';
import { classifyPluginError, PluginCallError, Status } from '../../src/plugin/errors';
import { startReferencePlugin, type RunningReferencePlugin } from '../../src/plugin/reference/server';

// The reference network plugin over real gRPC on loopback (ephemeral port), driven by Merak's client.

/** Awaits a call that must fail and returns its PluginCallError. */
async function failure(call: Promise<unknown>): Promise<PluginCallError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof PluginCallError) return err;
    throw new Error(`expected a PluginCallError, got ${String(err)}`);
  }
  throw new Error('expected the call to fail, it succeeded');
}

// scenario '' = a client without owners (as before the field existed); answers carry it.
const vpcA = { vni: 1001, id: 'vpc-a', ip: '10.0.0.0', prefix: 16, optional: { owner: 'test' }, scenario: '' };
const subnet1 = { id: 'sn-1', vpc: 'vpc-a', ip: '10.0.1.0', prefix: 24, scenario: '' };
const node1 = { name: 'node-1', ip: '192.168.50.1', mac: '02:AA:00:00:00:01', scenario: '' };

describe('reference network plugin over gRPC', () => {
  let plugin: RunningReferencePlugin;
  let client: NetworkPluginClient;
  const lines: string[] = [];

  beforeEach(async () => {
    lines.length = 0;
    plugin = await startReferencePlugin({ port: 0, log: (l) => lines.push(l), shutdownGraceMs: 1000 });
    client = createNetworkPluginClient(`127.0.0.1:${plugin.port}`, { deadlineMs: 5000 });
  });

  afterEach(async () => {
    client.close();
    await plugin.close();
  });

  it('listens on an ephemeral loopback port', () => {
    expect(plugin.port).toBeGreaterThan(0);
    expect(plugin.address).toBe(`127.0.0.1:${plugin.port}`);
  });

  it('serves all nine RPCs and GetState, answering the objects as held', async () => {
    expect((await client.createVpc({ vpc: vpcA })).vpc).toEqual(vpcA);
    const sn = await client.createSubnet({ subnet: subnet1 });
    // vni 0 (absent) asks for the VPC's VNI; the answer carries the one in force.
    expect(sn.subnet).toEqual({ ...subnet1, vni: 1001, optional: {} });
    const nd = await client.createNode({ node: node1 });
    expect(nd.node).toEqual({ ...node1, mac: '02:aa:00:00:00:01', optional: {} });

    let state = await client.getState();
    expect(state.vpcs).toEqual([vpcA]);
    expect(state.subnets).toEqual([sn.subnet]);
    expect(state.nodes).toEqual([nd.node]);
    expect(state.revision).toBe(3);

    expect((await client.updateVpc({ vpc: { ...vpcA, prefix: 12 } })).vpc.prefix).toBe(12);
    expect((await client.updateSubnet({ subnet: { ...subnet1, ip: '10.0.2.0', prefix: 23 } })).subnet).toMatchObject({ ip: '10.0.2.0', prefix: 23, vni: 1001 });
    expect((await client.updateNode({ node: { ...node1, ip: '192.168.50.9' } })).node.ip).toBe('192.168.50.9');
    state = await client.getState();
    expect(state.vpcs[0].prefix).toBe(12);
    expect(state.subnets[0].ip).toBe('10.0.2.0');
    expect(state.nodes[0].ip).toBe('192.168.50.9');

    await client.deleteNode({ name: 'node-1' });
    await client.deleteSubnet({ id: 'sn-1' });
    await client.deleteVpc({ id: 'vpc-a' });
    state = await client.getState();
    expect(state).toMatchObject({ vpcs: [], subnets: [], nodes: [], revision: 9 });
    expect(lines.some((l) => l.startsWith('CreateVpc vpc-a vni=1001 10.0.0.0/16'))).toBe(true);
  });

  it('create is idempotent; different fields are ALREADY_EXISTS, not retryable', async () => {
    await client.createVpc({ vpc: vpcA });
    expect((await client.createVpc({ vpc: vpcA })).vpc).toEqual(vpcA);
    expect((await client.getState()).revision).toBe(1);

    const err = await failure(client.createVpc({ vpc: { ...vpcA, vni: 1002 } }));
    expect(err.code).toBe(Status.ALREADY_EXISTS);
    expect(err.method).toBe('CreateVpc');
    expect(err.details).toContain('vni held 1001, asked 1002');
    expect(classifyPluginError(err)).toMatchObject({ retryable: false, code: 'ALREADY_EXISTS' });

    const dupVni = await failure(client.createVpc({ vpc: { ...vpcA, id: 'vpc-b', ip: '10.1.0.0' } }));
    expect(dupVni.code).toBe(Status.ALREADY_EXISTS);
    expect(dupVni.details).toContain('two VPCs cannot share a VNI');
  });

  it.each([
    ['VNI 0', () => ({ vpc: { ...vpcA, vni: 0 } }), 'vpc.vni: 0 is outside 1..16777215'],
    ['VNI 2^24', () => ({ vpc: { ...vpcA, vni: 2 ** 24 } }), 'vpc.vni: 16777216 is outside'],
    ['host bits', () => ({ vpc: { ...vpcA, ip: '10.0.0.1' } }), 'host bits must be zero'],
    ['no VPC at all', () => ({}), 'vpc: is missing'],
    ['empty id', () => ({ vpc: { ...vpcA, id: '' } }), 'vpc.id: "" is empty'],
  ])('bad VPC field (%s) is INVALID_ARGUMENT, not retryable', async (_l, request, text) => {
    const err = await failure(client.createVpc(request()));
    expect(err.code).toBe(Status.INVALID_ARGUMENT);
    expect(err.details).toContain(text);
    expect(classifyPluginError(err)).toMatchObject({ retryable: false, code: 'INVALID_ARGUMENT' });
    expect((await client.getState()).vpcs).toEqual([]);
  });

  it('subnet rules: outside the VPC, overlap, missing VPC', async () => {
    await client.createVpc({ vpc: vpcA });
    await client.createSubnet({ subnet: subnet1 });
    expect((await failure(client.createSubnet({ subnet: { ...subnet1, id: 'out', ip: '10.9.0.0' } }))).code).toBe(Status.INVALID_ARGUMENT);
    expect((await failure(client.createSubnet({ subnet: { ...subnet1, id: 'over', ip: '10.0.1.128', prefix: 25 } }))).code).toBe(Status.ALREADY_EXISTS);
    const missing = await failure(client.createSubnet({ subnet: { ...subnet1, id: 'orphan', vpc: 'nope' } }));
    expect(missing.code).toBe(Status.FAILED_PRECONDITION);
    expect(classifyPluginError(missing).retryable).toBe(false);
  });

  it('a VPC with subnets cannot be deleted; deletes of missing objects succeed; update of missing is NOT_FOUND', async () => {
    await client.createVpc({ vpc: vpcA });
    await client.createSubnet({ subnet: subnet1 });
    const busy = await failure(client.deleteVpc({ id: 'vpc-a' }));
    expect(busy.code).toBe(Status.FAILED_PRECONDITION);
    expect(busy.details).toContain('still has 1 subnet(s) ("sn-1")');

    await expect(client.deleteVpc({ id: 'ghost' })).resolves.toEqual({});
    await expect(client.deleteSubnet({ id: 'ghost' })).resolves.toEqual({});
    await expect(client.deleteNode({ name: 'ghost' })).resolves.toEqual({});

    const nf = await failure(client.updateNode({ node: node1 }));
    expect(nf.code).toBe(Status.NOT_FOUND);
    expect(classifyPluginError(nf).retryable).toBe(false);
  });

  it('a stopped plugin answers UNAVAILABLE, classified retryable', async () => {
    const { port } = plugin;
    client.close();
    await plugin.close();
    const lonely = createNetworkPluginClient(`127.0.0.1:${port}`, { deadlineMs: 3000 });
    try {
      const err = await failure(lonely.createVpc({ vpc: vpcA }));
      expect(err.code).toBe(Status.UNAVAILABLE);
      expect(classifyPluginError(err)).toMatchObject({ retryable: true, code: 'UNAVAILABLE' });
    } finally {
      lonely.close();
    }
    // afterEach closes again: both close() calls must be harmless twice.
    plugin = await startReferencePlugin({ port: 0 });
    client = createNetworkPluginClient(`127.0.0.1:${plugin.port}`);
  });
});

describe('reference network plugin with a state file', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'merak-plugin-state-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps VPCs, subnets, nodes and the revision across a restart', async () => {
    const file = path.join(dir, 'nested', 'state.json');
    let plugin = await startReferencePlugin({ port: 0, stateFile: file });
    let client = createNetworkPluginClient(`127.0.0.1:${plugin.port}`);
    await client.createVpc({ vpc: vpcA });
    await client.createSubnet({ subnet: subnet1 });
    await client.createNode({ node: node1 });
    const before = await client.getState();
    client.close();
    await plugin.close();

    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { version: number; revision: number };
    expect(saved).toMatchObject({ version: 1, revision: 3 });
    // Atomic write: no temporary file left next to it.
    expect(fs.readdirSync(path.dirname(file))).toEqual(['state.json']);

    plugin = await startReferencePlugin({ port: 0, stateFile: file });
    client = createNetworkPluginClient(`127.0.0.1:${plugin.port}`);
    try {
      const after = await client.getState();
      expect(after).toEqual(before);
      // The reloaded state still enforces its rules: same create is idempotent, a clash is refused.
      await client.createVpc({ vpc: vpcA });
      expect((await failure(client.createVpc({ vpc: { ...vpcA, id: 'vpc-z', ip: '10.200.0.0' } }))).code).toBe(Status.ALREADY_EXISTS);
      expect((await failure(client.deleteVpc({ id: 'vpc-a' }))).code).toBe(Status.FAILED_PRECONDITION);
    } finally {
      client.close();
      await plugin.close();
    }
  });

  it('concurrent creates all reach the state file', async () => {
    const file = path.join(dir, 'state.json');
    let plugin = await startReferencePlugin({ port: 0, stateFile: file });
    let client = createNetworkPluginClient(`127.0.0.1:${plugin.port}`);
    const hex = (i: number) => i.toString(16).padStart(2, '0');
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => client.createNode({ node: { name: `n${i}`, ip: `172.20.${i >> 8}.${i & 255}`, mac: `02:00:00:00:${hex(i >> 8)}:${hex(i & 255)}` } })),
    );
    client.close();
    await plugin.close();
    plugin = await startReferencePlugin({ port: 0, stateFile: file });
    client = createNetworkPluginClient(`127.0.0.1:${plugin.port}`);
    try {
      const state = await client.getState();
      expect(state.nodes).toHaveLength(200);
      expect(state.revision).toBe(200);
    } finally {
      client.close();
      await plugin.close();
    }
  });

  it('GetState answers a state larger than gRPC default 4 MiB message limit', async () => {
    const file = path.join(dir, 'big.json');
    const nodes = Array.from({ length: 70_000 }, (_, i) => ({
      name: `node-with-a-longish-name-${i}`,
      ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      mac: `02:00:00:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
      optional: {},
    }));
    fs.writeFileSync(file, JSON.stringify({ version: 1, revision: 70_000, vpcs: [], subnets: [], nodes }));
    const plugin = await startReferencePlugin({ port: 0, stateFile: file });
    const client = createNetworkPluginClient(`127.0.0.1:${plugin.port}`, { deadlineMs: 30_000 });
    try {
      const state = await client.getState();
      expect(state.nodes).toHaveLength(70_000);
      expect(state.nodes[0].name).toBe('node-with-a-longish-name-0');
    } finally {
      client.close();
      await plugin.close();
    }
  }, 60_000);

  it('refuses to start on a corrupt state file, naming the file and the rule', async () => {
    const file = path.join(dir, 'state.json');
    fs.writeFileSync(file, JSON.stringify({ version: 1, vpcs: [{ ...vpcA, vni: 0 }] }));
    await expect(startReferencePlugin({ port: 0, stateFile: file })).rejects.toThrow(`state file ${file} is refused: state.vpcs[0]: vpc.vni: 0 is outside`);
    fs.writeFileSync(file, '{ not json');
    await expect(startReferencePlugin({ port: 0, stateFile: file })).rejects.toThrow('is not JSON');
  });

  it('a change that cannot be saved answers UNAVAILABLE (retryable)', async () => {
    const file = path.join(dir, 'state.json');
    const plugin = await startReferencePlugin({ port: 0, stateFile: file });
    const client = createNetworkPluginClient(`127.0.0.1:${plugin.port}`);
    try {
      // A directory where the file's folder should be makes every save fail.
      fs.rmSync(dir, { recursive: true, force: true });
      fs.writeFileSync(dir, 'not a folder');
      const err = await failure(client.createVpc({ vpc: vpcA }));
      expect(err.code).toBe(Status.UNAVAILABLE);
      expect(err.details).toContain('could not be written');
      expect(classifyPluginError(err).retryable).toBe(true);
    } finally {
      client.close();
      await plugin.close();
      fs.rmSync(dir, { force: true });
    }
  });
});
