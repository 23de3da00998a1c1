/**
 * The OVN network plugin over gRPC against a real OVN central (issue 11, step 2): one test per
 * rule of the plugin proto, each checked both in the answer and in OVN's databases. Nodes are
 * chassis rows registered with `ovn-sbctl chassis-add` (OVN's own tool for it, as OVN's tests
 * use it); the end-to-end test runs real ovn-controllers.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createNetworkPluginClient, type NetworkPluginClient } from '../../src/plugin/client';
import { PluginCallError, Status } from '../../src/plugin/errors';
import { startOvnPlugin, type RunningOvnPlugin } from '../../src/plugin/ovn/server';
import { centralDaemons } from '../../src/dataplane/ovn/daemons';
import { centralInfo, centralRecords } from '../../src/dataplane/ovn/central';
import { spawnRunner, type CommandRunner } from '../../src/dataplane/command';
import { daemonPid } from '../../src/dataplane/daemon';
import { isRoot, netnsNames } from './dataplane-fixture';
import { hasOvn, ovsdb, processesMentioning } from '../helpers/ovn';

const describeOvn = isRoot && hasOvn ? describe : describe.skip;
jest.setTimeout(120_000);

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    if (err instanceof PluginCallError) return Status[err.code] as string;
    throw err;
  }
}

async function refusal(p: Promise<unknown>): Promise<{ code: string; details: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof PluginCallError) return { code: Status[err.code] as string, details: err.details };
    throw err;
  }
  throw new Error('the call succeeded');
}

describeOvn('OVN network plugin', () => {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'merak-ovnp-'));
  const central = `p${process.pid}`;
  let plugin: RunningOvnPlugin;
  let client: NetworkPluginClient;
  const lines: string[] = [];
  const start = async () => {
    plugin = await startOvnPlugin({ port: 0, central, stateDir, registrationWaitMs: 1000, dbTimeoutSec: 3, log: (l) => lines.push(l) });
    client = createNetworkPluginClient(plugin.address, { deadlineMs: 15_000 });
  };
  const nb = (...args: string[]) => ovsdb('ovn-nbctl', plugin.central.nbSocket, ...args);
  const sb = (...args: string[]) => ovsdb('ovn-sbctl', plugin.central.sbSocket, ...args);
  /** The tunnel key northd gave the datapath of a router or switch named `name`. */
  const tunnelKey = (table: 'Logical_Router' | 'Logical_Switch', name: string): number => {
    const uuid = nb('--bare', '--columns=_uuid', 'find', table, `name=${name}`);
    const key = table === 'Logical_Router' ? 'logical-router' : 'logical-switch';
    return Number(sb('--bare', '--columns=tunnel_key', 'find', 'Datapath_Binding', `external_ids:${key}=${uuid}`));
  };

  beforeAll(start);
  afterAll(async () => {
    client?.close();
    await plugin?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  test('CreateVpc makes a logical router and answers the tunnel key northd allocated; identical again is idempotent', async () => {
    const vpc = { id: 'vpc-a', vni: 1001, ip: '10.1.0.0', prefix: 16, optional: { team: 'x' } };
    const made = await client.createVpc({ vpc });
    expect(made.vpc).toMatchObject({ id: 'vpc-a', ip: '10.1.0.0', prefix: 16, optional: { team: 'x' } });
    expect(made.vpc.vni).toBe(tunnelKey('Logical_Router', 'vpc-a'));
    expect(made.vpc.vni).not.toBe(1001); // the asked VNI is ignored: OVN allocates its own
    expect(nb('--bare', '--columns=external_ids', 'find', 'Logical_Router', 'name=vpc-a')).toContain('merak-cidr=10.1.0.0/16');
    const again = await client.createVpc({ vpc });
    expect(again.vpc).toEqual(made.vpc);
    expect(nb('--bare', '--columns=_uuid', 'find', 'Logical_Router', 'name=vpc-a').split('\n')).toHaveLength(1);
  });

  test('CreateVpc with the same id and other fields is ALREADY_EXISTS; a router Merak did not make is refused too', async () => {
    expect(await code(client.createVpc({ vpc: { id: 'vpc-a', vni: 1001, ip: '10.2.0.0', prefix: 16, optional: { team: 'x' } } }))).toBe('ALREADY_EXISTS');
    expect(await code(client.createVpc({ vpc: { id: 'vpc-a', vni: 1001, ip: '10.1.0.0', prefix: 16, optional: { team: 'y' } } }))).toBe('ALREADY_EXISTS');
    nb('lr-add', 'someone-elses');
    const r = await refusal(client.createVpc({ vpc: { id: 'someone-elses', vni: 5, ip: '10.9.0.0', prefix: 16 } }));
    expect(r).toMatchObject({ code: 'ALREADY_EXISTS' });
    expect(r.details).toMatch(/Merak did not make/);
    expect(await code(client.deleteVpc({ id: 'someone-elses' }))).toBe('FAILED_PRECONDITION');
    nb('lr-del', 'someone-elses');
  });

  test('bad fields are INVALID_ARGUMENT naming the field, before anything is written', async () => {
    const routersBefore = nb('--bare', '--columns=name', 'list', 'Logical_Router');
    const cases: Array<[Promise<unknown>, RegExp]> = [
      [client.createVpc({ vpc: { id: 'vpc-z', vni: 0, ip: '10.3.0.0', prefix: 16 } }), /vpc\.vni: 0 is outside/],
      [client.createVpc({ vpc: { id: 'vpc-z', vni: 7, ip: '10.3.0.1', prefix: 16 } }), /vpc\.ip\/vpc\.prefix/],
      [client.createVpc({ vpc: { id: '', vni: 7, ip: '10.3.0.0', prefix: 16 } }), /vpc\.id: "" is empty/],
      [client.createVpc({ vpc: { id: 'bd166eb0-d03f-4633-84e6-7ae8f4fe15a5', vni: 7, ip: '10.3.0.0', prefix: 16 } }), /form of a UUID/],
      [client.createVpc({}), /vpc: is missing/],
      [client.createSubnet({ subnet: { id: 's-z', vpc: 'vpc-a', ip: '10.1.9.0', prefix: 31 } }), /subnet\.prefix: 31/],
      [client.createSubnet({ subnet: { id: 's-z', vpc: 'vpc-a', ip: '10.1.9.0', prefix: 24, vni: 16777216 } }), /subnet\.vni/],
      [client.createNode({ node: { name: 'n', ip: '100.64.0.9', mac: '01:00:00:00:00:01' } }), /node\.mac: .*multicast/],
      [client.createNode({ node: { name: 'n', ip: '100.64.0.300', mac: '02:00:00:00:00:01' } }), /node\.ip/],
    ];
    for (const [call, message] of cases) {
      const r = await refusal(call);
      expect(r.code).toBe('INVALID_ARGUMENT');
      expect(r.details).toMatch(message);
    }
    expect(nb('--bare', '--columns=name', 'list', 'Logical_Router')).toBe(routersBefore);
  });

  test('CreateSubnet makes a switch joined to its VPC router by a port with the gateway address; answers the switch tunnel key', async () => {
    const subnet = { id: 'a-1', vpc: 'vpc-a', vni: 0, ip: '10.1.1.0', prefix: 24 };
    const made = await client.createSubnet({ subnet });
    expect(made.subnet).toMatchObject({ id: 'a-1', vpc: 'vpc-a', ip: '10.1.1.0', prefix: 24 });
    expect(made.subnet.vni).toBe(tunnelKey('Logical_Switch', 'a-1'));
    expect(nb('--bare', '--columns=networks,mac', 'find', 'Logical_Router_Port', 'name="lrp:a-1"')).toBe('10.1.1.1/24\n0a:58:0a:01:01:01');
    expect(nb('lrp-list', 'vpc-a')).toContain('lrp:a-1');
    expect(nb('--bare', '--columns=type,options', 'find', 'Logical_Switch_Port', 'name="lsp:a-1:router"')).toBe('router\nrouter-port=lrp:a-1');
    expect((await client.createSubnet({ subnet })).subnet).toEqual(made.subnet);
    const second = await client.createSubnet({ subnet: { id: 'a-2', vpc: 'vpc-a', ip: '10.1.2.0', prefix: 24 } });
    expect(second.subnet.vni).not.toBe(made.subnet.vni);
  });

  test('subnet conflicts: other fields or an overlap ALREADY_EXISTS, outside the VPC INVALID_ARGUMENT, a missing VPC FAILED_PRECONDITION', async () => {
    expect(await code(client.createSubnet({ subnet: { id: 'a-1', vpc: 'vpc-a', ip: '10.1.3.0', prefix: 24 } }))).toBe('ALREADY_EXISTS');
    expect(await code(client.createSubnet({ subnet: { id: 'a-3', vpc: 'vpc-a', ip: '10.1.1.128', prefix: 25 } }))).toBe('ALREADY_EXISTS');
    expect(await code(client.createSubnet({ subnet: { id: 'a-4', vpc: 'vpc-a', ip: '10.7.0.0', prefix: 24 } }))).toBe('INVALID_ARGUMENT');
    expect(await code(client.createSubnet({ subnet: { id: 'x-1', vpc: 'no-such-vpc', ip: '10.1.5.0', prefix: 24 } }))).toBe('FAILED_PRECONDITION');
    expect(nb('--bare', '--columns=name', 'find', 'Logical_Switch', 'name=a-3')).toBe('');
  });

  test('Update changes the northbound rows; NOT_FOUND for missing; a subnet cannot move or fall outside its VPC', async () => {
    const up = await client.updateSubnet({ subnet: { id: 'a-2', vpc: 'vpc-a', ip: '10.1.128.0', prefix: 20, optional: { tier: 'web' } } });
    expect(up.subnet).toMatchObject({ ip: '10.1.128.0', prefix: 20, optional: { tier: 'web' } });
    expect(nb('--bare', '--columns=networks', 'find', 'Logical_Router_Port', 'name="lrp:a-2"')).toBe('10.1.128.1/20');
    const vpc = await client.updateVpc({ vpc: { id: 'vpc-a', vni: 1, ip: '10.0.0.0', prefix: 8, optional: { team: 'x' } } });
    expect(vpc.vpc).toMatchObject({ ip: '10.0.0.0', prefix: 8, vni: tunnelKey('Logical_Router', 'vpc-a') });
    expect(await code(client.updateVpc({ vpc: { id: 'vpc-a', vni: 1, ip: '10.1.0.0', prefix: 24, optional: {} } }))).toBe('FAILED_PRECONDITION');
    await client.createVpc({ vpc: { id: 'vpc-b', vni: 2002, ip: '10.1.0.0', prefix: 16 } });
    expect(await code(client.updateSubnet({ subnet: { id: 'a-1', vpc: 'vpc-b', ip: '10.1.1.0', prefix: 24 } }))).toBe('FAILED_PRECONDITION');
    expect(await code(client.updateVpc({ vpc: { id: 'nope', vni: 1, ip: '10.0.0.0', prefix: 8 } }))).toBe('NOT_FOUND');
    expect(await code(client.updateSubnet({ subnet: { id: 'nope', vpc: 'vpc-a', ip: '10.1.9.0', prefix: 24 } }))).toBe('NOT_FOUND');
    expect(await code(client.updateNode({ node: { name: 'nope', ip: '100.64.0.9', mac: '02:00:00:00:00:09' } }))).toBe('NOT_FOUND');
  });

  test('CreateNode waits (bounded) for the chassis: UNAVAILABLE while none registered, then its name and encap address', async () => {
    const node = { name: 'node-a.t', ip: '100.64.0.2', mac: '02:00:00:00:00:0A', optional: { rack: '1' } };
    const t0 = Date.now();
    const r = await refusal(client.createNode({ node }));
    expect(r.code).toBe('UNAVAILABLE');
    expect(r.details).toMatch(/no chassis "node-a\.t" registered/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    sb('chassis-add', 'node-a.t', 'geneve', '100.64.0.2');
    const made = await client.createNode({ node });
    expect(made.node).toEqual({ name: 'node-a.t', ip: '100.64.0.2', mac: '02:00:00:00:00:0a', optional: { rack: '1' }, scenario: '' });
    expect((await client.createNode({ node })).node).toEqual(made.node);
    expect(await code(client.createNode({ node: { ...node, mac: '02:00:00:00:00:0b' } }))).toBe('ALREADY_EXISTS');
    expect(await code(client.createNode({ node: { ...node, ip: '100.64.0.3' } }))).toBe('ALREADY_EXISTS');
    const up = await client.updateNode({ node: { ...node, mac: '02:00:00:00:00:0c' } });
    expect(up.node.mac).toBe('02:00:00:00:00:0c');
    expect(sb('get', 'Chassis', 'node-a.t', 'external_ids:merak-mac')).toBe('"02:00:00:00:00:0c"');
    expect(await code(client.updateNode({ node: { ...node, ip: '100.64.0.3' } }))).toBe('FAILED_PRECONDITION');
  });

  test('GetState answers what OVN holds, the central in node_config, and a revision that grows', async () => {
    const s1 = await client.getState();
    expect(s1.vpcs.map((v) => v.id)).toEqual(['vpc-a', 'vpc-b']);
    expect(s1.subnets.map((s) => [s.id, s.vpc, s.vni])).toEqual([
      ['a-1', 'vpc-a', tunnelKey('Logical_Switch', 'a-1')],
      ['a-2', 'vpc-a', tunnelKey('Logical_Switch', 'a-2')],
    ]);
    expect(s1.nodes.map((n) => n.name)).toEqual(['node-a.t']);
    expect(s1.node_config).toEqual({
      'ovn-central-netns': `mk-ovn-${central}`,
      'ovn-nb-db': `unix:${plugin.central.nbSocket}`,
      'ovn-sb-db': `unix:${plugin.central.sbSocket}`,
      'ovn-sb-port': '6642',
    });
    await client.createVpc({ vpc: { id: 'vpc-c', vni: 3, ip: '10.3.0.0', prefix: 16 } });
    expect((await client.getState()).revision).toBeGreaterThan(s1.revision);
  });

  test('a restarted plugin carries on from the databases: same objects, same VNIs, creates still idempotent', async () => {
    const before = await client.getState();
    client.close();
    // The central keeps running, as after a crash of the plugin process.
    await plugin.close({ keepCentral: true });
    await start();
    expect(lines.some((l) => /already running/.test(l))).toBe(true);
    const after = await client.getState();
    expect(after.vpcs).toEqual(before.vpcs);
    expect(after.subnets).toEqual(before.subnets);
    expect(after.nodes).toEqual(before.nodes);
    const again = await client.createVpc({ vpc: { id: 'vpc-a', vni: 9, ip: '10.0.0.0', prefix: 8, optional: { team: 'x' } } });
    expect(again.vpc.vni).toBe(before.vpcs.find((v) => v.id === 'vpc-a')!.vni);
  });

  test('the northbound database not answering is UNAVAILABLE; once it answers again the call goes through', async () => {
    const [nbd] = centralDaemons(central, plugin.central.netns);
    const pid = await daemonPid(nbd!.pidfile);
    process.kill(pid!, 'SIGSTOP');
    try {
      const r = await refusal(client.createVpc({ vpc: { id: 'vpc-d', vni: 4, ip: '10.4.0.0', prefix: 16 } }));
      expect(r.code).toBe('UNAVAILABLE');
      expect(r.details).toMatch(/did not answer/);
    } finally {
      process.kill(pid!, 'SIGCONT');
    }
    expect((await client.createVpc({ vpc: { id: 'vpc-d', vni: 4, ip: '10.4.0.0', prefix: 16 } })).vpc.id).toBe('vpc-d');
  });

  test('northbound calls go through the ovn-nbctl daemon; northd stopped is UNAVAILABLE and does not wedge the daemon', async () => {
    const log = readFileSync(path.join(plugin.central.dir, 'ovn-nbctl.log'), 'utf8');
    expect(log).toMatch(/Running command run .*Logical_Router/);
    const northd = centralDaemons(central, plugin.central.netns).find((d) => d.role === 'ovn-northd')!;
    const pid = await daemonPid(northd.pidfile);
    process.kill(pid!, 'SIGSTOP');
    try {
      const r = await refusal(client.createVpc({ vpc: { id: 'vpc-e', vni: 5, ip: '10.5.0.0', prefix: 16 } }));
      expect(r.code).toBe('UNAVAILABLE');
    } finally {
      process.kill(pid!, 'SIGCONT');
    }
    // The retry finds the router the first call wrote and answers its tunnel key.
    const made = await client.createVpc({ vpc: { id: 'vpc-e', vni: 5, ip: '10.5.0.0', prefix: 16 } });
    expect(made.vpc.vni).toBe(tunnelKey('Logical_Router', 'vpc-e'));
    expect((await client.getState()).vpcs.map((v) => v.id)).toContain('vpc-e');
  });

  test('Delete: a VPC with subnets is FAILED_PRECONDITION; deletes remove the rows; deleting what is missing succeeds', async () => {
    expect(await code(client.deleteVpc({ id: 'vpc-a' }))).toBe('FAILED_PRECONDITION');
    await client.deleteSubnet({ id: 'a-1' });
    await client.deleteSubnet({ id: 'a-2' });
    expect(nb('--bare', '--columns=name', 'list', 'Logical_Switch')).toBe('');
    expect(nb('--bare', '--columns=name', 'list', 'Logical_Router_Port')).toBe('');
    for (const id of ['vpc-a', 'vpc-b', 'vpc-c', 'vpc-d', 'vpc-e']) await client.deleteVpc({ id });
    expect(nb('--bare', '--columns=name', 'list', 'Logical_Router')).toBe('');
    await client.deleteNode({ name: 'node-a.t' });
    expect(sb('--bare', '--columns=name', 'list', 'Chassis')).toBe('');
    expect(sb('--bare', '--columns=name', 'list', 'Chassis_Private')).toBe('');
    expect(await code(client.deleteVpc({ id: 'vpc-a' }))).toBe('OK');
    expect(await code(client.deleteSubnet({ id: 'a-1' }))).toBe('OK');
    expect(await code(client.deleteNode({ name: 'node-a.t' }))).toBe('OK');
  });

  test('closing the plugin removes its central: no daemon, folder or namespace left', async () => {
    client.close();
    const dir = plugin.central.dir;
    await plugin.close();
    expect(existsSync(dir)).toBe(false);
    expect(netnsNames()).not.toContain(plugin.central.netns);
    expect(processesMentioning(dir)).toEqual([]);
    expect(lines.some((l) => /removed/.test(l))).toBe(true);
  });
});

describeOvn('OVN network plugin: a start that fails', () => {
  test('a central the failed start made is removed again: no daemon, folder, namespace or record left', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'merak-ovnp-fail-'));
    const central = `f${process.pid}`;
    // The real commands, except that northd does not start (after NB and SB did).
    const runner: CommandRunner = {
      run: (argv, o) => (argv.some((a) => a.endsWith('ovn-northd')) ? Promise.resolve({ code: 1, signal: null, stdout: '', stderr: 'injected: northd does not start' }) : spawnRunner.run(argv, o)),
    };
    try {
      await expect(startOvnPlugin({ port: 0, central, stateDir, runner })).rejects.toThrow(/injected: northd does not start/);
      const info = centralInfo(central);
      expect(netnsNames()).not.toContain(info.netns);
      expect(existsSync(info.dir)).toBe(false);
      expect(processesMentioning(info.dir)).toEqual([]);
      expect(await centralRecords(stateDir).scenarios()).toEqual([]);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
