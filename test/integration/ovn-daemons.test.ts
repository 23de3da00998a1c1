/**
 * OVN daemons on real namespaces (issue 11, step 1): a central (NB, SB, northd) in its own
 * namespace joined to a scenario's fabric, and a chassis (ovsdb-server, ovs-vswitchd on the
 * userspace datapath, ovn-controller) in each of two node namespaces. Both chassis register in
 * the southbound database; a VM on each, bound by iface-id to ports of one logical switch, pings
 * the other over Geneve; a kill -9 of ovn-controller or ovs-vswitchd is repaired by the
 * supervisor (with traffic flowing again); and the clean by the owner records leaves no daemon,
 * folder, namespace or row, nor does the central's removal.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { spawnRunner } from '../../src/dataplane/command';
import { cleanScenario } from '../../src/dataplane/clean';
import { daemonPid } from '../../src/dataplane/daemon';
import { fabricNetns, nodeNetns, underlayNodeEnd, vmNetns } from '../../src/dataplane/names';
import { ensureNodeNs } from '../../src/dataplane/node-ns';
import { FileOwnerRecords } from '../../src/dataplane/owner-records';
import { claimTag } from '../../src/dataplane/tags';
import { Supervisor } from '../../src/dataplane/supervisor';
import { chassisDb, ensureChassis, watchChassis, type ChassisConfig } from '../../src/dataplane/ovn/chassis';
import { centralInfo, centralRecords, ensureCentral, removeCentral, watchCentral } from '../../src/dataplane/ovn/central';
import { chassisDaemons, centralDaemons } from '../../src/dataplane/ovn/daemons';
import { joinCentralToFabric } from '../../src/dataplane/ovn/fabric';
import { centralFabricSide, chassisDir, chassisFiles, fabricCentralSide } from '../../src/dataplane/ovn/paths';
import { ctl } from '../../src/dataplane/ovn/ctl';
import { isRoot, netnsNames, pingFrom } from './dataplane-fixture';
import { chassisNames, hasOvn, nbCount, ovsdb, processesMentioning, waitFor } from '../helpers/ovn';

const describeOvn = isRoot && hasOvn ? describe : describe.skip;
jest.setTimeout(180_000);

const UNDERLAY = '100.100.0.0/16';

describeOvn('OVN central and chassis daemons', () => {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'merak-ovn-'));
  const records = new FileOwnerRecords(stateDir);
  const centralStore = centralRecords(stateDir);
  const scenario = `ovnd-${process.pid}`;
  const central = centralInfo(`t${process.pid}`);
  const log: string[] = [];
  const supervisor = new Supervisor({ intervalMs: 200, log: (l) => log.push(l) });
  const deps = { runner: spawnRunner, records };
  let tag = '';
  const chassis: ChassisConfig[] = [];
  const nsBefore = new Set(netnsNames());

  const installed = (c: ChassisConfig, iface: string): boolean => {
    try {
      return ovsdb('ovs-vsctl', chassisFiles(chassisDir(c.tag, c.node)).dbSocket, 'get', 'Interface', iface, 'external_ids:ovn-installed') === '"true"';
    } catch {
      return false;
    }
  };

  beforeAll(async () => {
    const c1 = await ensureCentral({ runner: spawnRunner, records: centralStore }, central.name);
    expect(c1.started).toEqual(['ovsdb-server-nb', 'ovsdb-server-sb', 'ovn-northd', 'ovn-nbctl']);
    expect((await ensureCentral({ runner: spawnRunner, records: centralStore }, central.name)).started).toEqual([]);
    tag = await claimTag(stateDir, scenario);
    for (const [slot, node] of ['node-a', 'node-b'].entries()) {
      const ns = await ensureNodeNs(deps, { scenario, tag, node, nodeSlot: slot, underlayCidr: UNDERLAY, addressOnVeth: false });
      const sbAddress = await joinCentralToFabric(deps, { scenario, centralNetns: central.netns, tag, underlayCidr: UNDERLAY });
      expect(sbAddress).toBe('100.100.255.254');
      chassis.push({
        scenario,
        node,
        tag,
        netns: nodeNetns(tag, node),
        systemId: `${node}.${scenario}`,
        encapIp: ns.underlay,
        underlayPrefix: ns.prefix,
        underlayDevice: underlayNodeEnd(tag),
        sbRemote: `tcp:${sbAddress}:6642`,
        sbSocket: central.sbSocket,
      });
    }
    for (const c of chassis) {
      expect((await ensureChassis(deps, c)).started).toEqual(['ovsdb-server', 'ovs-vswitchd', 'ovn-controller']);
      expect((await ensureChassis(deps, c)).started).toEqual([]);
    }
  });

  const rejoinScenario = `ovnr-${process.pid}`;
  let holder: ChildProcess | undefined;

  afterAll(async () => {
    supervisor.stop();
    holder?.kill('SIGKILL'); // no error when it is gone already
    // Whatever a failed test left: the records name it.
    await cleanScenario(deps, scenario).catch(() => undefined);
    await cleanScenario(deps, rejoinScenario).catch(() => undefined);
    await removeCentral({ runner: spawnRunner, records: centralStore }, central.name).catch(() => undefined);
    rmSync(stateDir, { recursive: true, force: true });
  });

  test('both chassis register in the southbound database with their underlay address as Geneve encap', async () => {
    for (const c of chassis) execFileSync('ovn-sbctl', [`--db=unix:${central.sbSocket}`, '--timeout=30', 'wait-until', 'Chassis', c.systemId]);
    expect(chassisNames(central.sbSocket)).toEqual(chassis.map((c) => c.systemId).sort());
    const encaps = ovsdb('ovn-sbctl', central.sbSocket, '--bare', '--columns=chassis_name,type,ip', 'list', 'Encap');
    for (const c of chassis) expect(encaps).toContain(`${c.systemId}\ngeneve\n${c.encapIp}`);
    // The encap address sits on the OVS bridge's internal port, not on the veth.
    const addrs = execFileSync('ip', ['-n', chassis[0]!.netns, '-j', '-4', 'addr', 'show'], { encoding: 'utf8' });
    const byIf = Object.fromEntries((JSON.parse(addrs) as Array<{ ifname: string; addr_info: Array<{ local: string }> }>).map((l) => [l.ifname, l.addr_info.map((a) => a.local)]));
    expect(byIf['br-ul']).toEqual([chassis[0]!.encapIp]);
    expect(byIf[underlayNodeEnd(tag)] ?? []).toEqual([]);
  });

  test('an ARP for a chassis\'s encap address gets exactly one reply, with br-ul\'s MAC (no ARP flux from the underlay veth)', async () => {
    // Asked from the central's fabric side, a plain kernel interface on the same underlay as the
    // chassis. A second reply with the veth's MAC is what lost a peer's Geneve frames in the bench.
    const macOf = (ns: string, dev: string): string =>
      (JSON.parse(execFileSync('ip', ['-n', ns, '-j', 'link', 'show', 'dev', dev], { encoding: 'utf8' })) as Array<{ address: string }>)[0]!.address.toLowerCase();
    for (const c of chassis) {
      const r = spawnSync('ip', ['netns', 'exec', central.netns, 'arping', '-b', '-c', '3', '-I', centralFabricSide(tag), c.encapIp], { encoding: 'utf8', timeout: 20_000 });
      const replies = [...r.stdout.matchAll(/reply from \S+ \[([0-9A-Fa-f:]+)\]/g)].map((m) => m[1]!.toLowerCase());
      const brUl = macOf(c.netns, 'br-ul');
      const veth = macOf(c.netns, underlayNodeEnd(tag));
      expect(brUl).not.toBe(veth); // else the test could not tell the two answers apart
      // -b: every request a broadcast (arping otherwise goes unicast to the first MAC that answered).
      expect({ node: c.node, veth, replies }).toEqual({ node: c.node, veth, replies: [brUl, brUl, brUl] });
    }
  });

  test('a VM on each chassis, bound by iface-id to one logical switch, reaches the other over Geneve', async () => {
    const nb = { tool: 'ovn-nbctl' as const, db: `unix:${central.nbSocket}` };
    await records.intend(scenario, 'local', [{ kind: 'ovn-nb', socket: central.nbSocket }]);
    const mark = `external_ids:merak-scenario=${scenario}`;
    await ctl(spawnRunner, nb, [['ls-add', `ls-${scenario}`], ['set', 'Logical_Switch', `ls-${scenario}`, mark]]);
    for (const [i, c] of chassis.entries()) {
      const vm = vmNetns(tag, c.node, 0);
      const mac = `02:00:00:00:00:0${i + 1}`;
      const ip = `10.77.0.${i + 10}`;
      const port = `${scenario}-${c.node}-0-0`;
      const hostIf = `m${tag}v0e0`;
      await records.intend(scenario, c.node, [{ kind: 'netns', name: vm }]);
      execFileSync('ip', ['netns', 'add', vm]);
      execFileSync('ip', ['link', 'add', 'eth0', 'netns', vm, 'address', mac, 'type', 'veth', 'peer', 'name', hostIf, 'netns', c.netns]);
      execFileSync('ip', ['-n', vm, 'link', 'set', 'lo', 'up']);
      execFileSync('ip', ['-n', vm, 'link', 'set', 'eth0', 'up']);
      execFileSync('ip', ['-n', vm, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
      execFileSync('ip', ['netns', 'exec', vm, 'ethtool', '-K', 'eth0', 'tx', 'off'], { stdio: 'ignore' });
      execFileSync('ip', ['-n', c.netns, 'link', 'set', hostIf, 'up']);
      await ctl(spawnRunner, nb, [['lsp-add', `ls-${scenario}`, port], ['lsp-set-addresses', port, `${mac} ${ip}`], ['set', 'Logical_Switch_Port', port, mark]]);
      await ctl(spawnRunner, chassisDb(chassisDir(c.tag, c.node)), [['--may-exist', 'add-port', 'br-int', hostIf], ['set', 'Interface', hostIf, `external_ids:iface-id=${port}`]]);
    }
    for (const c of chassis) await waitFor(`ovn-installed on ${c.node}`, () => installed(c, `m${tag}v0e0`));
    await waitFor('a ping from node-a to node-b', () => pingFrom(vmNetns(tag, 'node-a', 0), '10.77.0.11'), 20_000, 100);
  });

  test('the supervisor restarts a killed ovn-controller and a killed ovs-vswitchd; traffic flows again', async () => {
    for (const c of chassis) watchChassis(supervisor, deps, c);
    watchCentral(supervisor, { runner: spawnRunner, records: centralStore }, central.name);
    const [, , controllerA] = chassisDaemons(chassisDir(tag, 'node-a'), chassis[0]!.netns);
    const [, vswitchdB] = chassisDaemons(chassisDir(tag, 'node-b'), chassis[1]!.netns);
    const before = [await daemonPid(controllerA!.pidfile), await daemonPid(vswitchdB!.pidfile)];
    process.kill(before[0]!, 'SIGKILL');
    process.kill(before[1]!, 'SIGKILL');
    await waitFor('both restarts logged', () => supervisor.events.filter((e) => e.outcome === 'restarted').length >= 2);
    const now = [await daemonPid(controllerA!.pidfile), await daemonPid(vswitchdB!.pidfile)];
    expect(now.every((p, i) => p !== undefined && p !== before[i])).toBe(true);
    expect(log.filter((l) => /restarted/.test(l)).length).toBe(2);
    expect(supervisor.events.filter((e) => e.outcome === 'restarted').map((e) => e.describe).sort()).toEqual(
      [`ovn-controller of node node-a (scenario ${scenario})`, `ovs-vswitchd of node node-b (scenario ${scenario})`].sort(),
    );
    // ovs-vswitchd's restart made br-ul's tap device anew: its address is back, and the port flows.
    await waitFor('ovn-installed on node-b again', () => installed(chassis[1]!, `m${tag}v0e0`));
    await waitFor('a ping from node-a to node-b after the restarts', () => pingFrom(vmNetns(tag, 'node-a', 0), '10.77.0.11'), 30_000, 100);
    // A central daemon too.
    const [, sb] = centralDaemons(central.name, central.netns);
    const sbPid = await daemonPid(sb!.pidfile);
    process.kill(sbPid!, 'SIGKILL');
    await waitFor('the southbound database back', async () => ((await daemonPid(sb!.pidfile)) ?? sbPid) !== sbPid);
    await waitFor('both chassis registered again', () => chassisNames(central.sbSocket).length === 2, 30_000, 200);
  });

  test('a join replaces a central end left over from an earlier fabric of the same tag; the clean deletes it before it returns', async () => {
    // A second scenario on this central (another underlay: one namespace, one routing table).
    const underlay = '100.101.0.0/16';
    const t2 = await claimTag(stateDir, rejoinScenario);
    const side = centralFabricSide(t2);
    const centralLinks = (): string[] => (JSON.parse(execFileSync('ip', ['-n', central.netns, '-j', 'link', 'show'], { encoding: 'utf8' })) as Array<{ ifname: string }>).map((l) => l.ifname);
    await ensureNodeNs(deps, { scenario: rejoinScenario, tag: t2, node: 'node-r', nodeSlot: 0, underlayCidr: underlay });
    const address = await joinCentralToFabric(deps, { scenario: rejoinScenario, centralNetns: central.netns, tag: t2, underlayCidr: underlay });
    expect(address).toBe('100.101.255.254');
    expect(pingFrom(nodeNetns(t2, 'node-r'), address)).toBe(true);
    // The fabric namespace goes while a process still holds it (as the kernel's asynchronous
    // teardown does for a while): its end of the central's veth, and so the central's end, live on.
    holder = spawn('nsenter', [`--net=/run/netns/${fabricNetns(t2)}`, '--', 'sleep', '120'], { stdio: 'ignore' });
    const inFabric = (): boolean => spawnSync('ip', ['netns', 'identify', String(holder!.pid)], { encoding: 'utf8' }).stdout.trim() === fabricNetns(t2);
    await waitFor('the holder inside the fabric', inFabric);
    execFileSync('ip', ['netns', 'del', fabricNetns(t2)]);
    expect(centralLinks()).toContain(side); // the leftover this test is about
    // The same tag's fabric again (a `merak down X && merak up X`), a node on it, the join.
    await ensureNodeNs(deps, { scenario: rejoinScenario, tag: t2, node: 'node-s', nodeSlot: 1, underlayCidr: underlay });
    await joinCentralToFabric(deps, { scenario: rejoinScenario, centralNetns: central.netns, tag: t2, underlayCidr: underlay });
    // The central's end is the new veth: its peer is the fabric end in the new fabric, and traffic crosses it.
    const [c] = JSON.parse(execFileSync('ip', ['-n', central.netns, '-j', 'link', 'show', 'dev', side], { encoding: 'utf8' })) as Array<{ ifindex: number; link_index: number }>;
    const [f] = JSON.parse(execFileSync('ip', ['-n', fabricNetns(t2), '-j', 'link', 'show', 'dev', fabricCentralSide(t2)], { encoding: 'utf8' })) as Array<{ ifindex: number; link_index: number }>;
    expect([c!.link_index, f!.link_index]).toEqual([f!.ifindex, c!.ifindex]);
    await waitFor('a ping from the new fabric\'s node to the central', () => pingFrom(nodeNetns(t2, 'node-s'), address), 10_000, 100);
    holder.kill('SIGKILL');

    const removed = await cleanScenario(deps, rejoinScenario);
    expect(removed.links).toBe(1); // the central's end, by its record
    expect(centralLinks()).not.toContain(side);
    expect(netnsNames().filter((n) => n.startsWith(`mk-${t2}`))).toEqual([]);
  });

  test('the clean by the owner records removes every daemon, folder, namespace and row of the scenario; then the central goes', async () => {
    const removed = await cleanScenario(deps, scenario);
    expect(removed.daemons).toBe(6);
    expect(removed.links).toBe(1); // the central's end of its fabric veth, by its record
    expect(removed.rows).toBeGreaterThanOrEqual(2 + 1 + 2); // 2 chassis, the switch and its 2 ports
    await supervisor.check(); // the supervisor sees the records gone and drops the chassis instead of restarting them
    expect(supervisor.keys().filter((k) => k.includes(`/${tag}-`))).toEqual([]);
    for (const c of chassis) {
      expect(existsSync(chassisDir(c.tag, c.node))).toBe(false);
      expect(processesMentioning(chassisDir(c.tag, c.node))).toEqual([]);
    }
    expect(netnsNames().filter((n) => !nsBefore.has(n) && n.startsWith(`mk-${tag}`))).toEqual([]);
    expect(chassisNames(central.sbSocket)).toEqual([]);
    expect(ovsdb('ovn-sbctl', central.sbSocket, '--bare', '--columns=_uuid', 'list', 'Chassis_Private')).toBe('');
    expect(nbCount(central.nbSocket, 'Logical_Switch')).toBe(0);
    expect(nbCount(central.nbSocket, 'Logical_Switch_Port')).toBe(0);
    // The central's fabric veth is gone when the clean returns (not later, with the fabric namespace).
    expect(execFileSync('ip', ['-n', central.netns, '-j', 'link', 'show'], { encoding: 'utf8' })).not.toContain(`m${tag}ovnc`);

    supervisor.stop();
    const gone = await removeCentral({ runner: spawnRunner, records: centralStore }, central.name);
    expect(gone.daemons).toBe(4); // NB, SB, northd and the ovn-nbctl daemon
    expect(existsSync(central.dir)).toBe(false);
    expect(netnsNames()).not.toContain(central.netns);
    expect(processesMentioning(central.dir)).toEqual([]);
    expect(await centralStore.scenarios()).toEqual([]);
  });
});
