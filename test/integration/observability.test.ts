/**
 * The eBPF collector on real namespaces, run by the real agent activities: one collector per
 * node, started by ensureNode and recorded as a daemon, told its VMs' namespaces by inode.
 *   - an nftables drop rule inside one VM's namespace: the drops are that endpoint's, with the
 *     kernel's reason NETFILTER_DROP, and nobody else's;
 *   - a small receive backlog (net.core.netdev_max_backlog) overflowed by one broadcast flooded
 *     to the 40 VM ports of node-0: CPU_BACKLOG drops on node-0's endpoints, none on node-1
 *     (where the broadcast was sent);
 *   - the agent's /metrics (Prometheus text) and /counters (JSON) carry the same counts;
 *   - deleting the nodes stops the collectors and leaves no BPF program, map, link or pinned
 *     object of theirs in the kernel.
 *
 * The backlog test lowers a machine-wide sysctl for about a second (integration tests run under
 * the machine-wide lock) and puts the value it found back.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { makeFixture, isRoot, type Fixture } from './dataplane-fixture';
import { createAgentActivities } from '../../src/activities/agent/activities';
import { createNodeCollectors, type NodeCollectors } from '../../src/activities/agent/collectors';
import { collectorFiles } from '../../src/dataplane/collector';
import { daemonPid } from '../../src/dataplane/daemon';
import { vmNetns } from '../../src/dataplane/names';
import { spawnRunner } from '../../src/dataplane/command';
import type { EndpointBatch } from '../../src/activities/agent/types';
import type { CountersDocument, MonitorDocument, NodeCounters } from '../../src/model/counters';
import { startAgentMetrics } from '../../src/workers/metrics';
import { packagePath } from '../../src/install/paths';

const describeRoot = isRoot ? describe : describe.skip;
const run = promisify(execFile);
/** The built CLI (npm run build). */
const merak = packagePath('bin', 'merak.js');

/** Resolves once the capture tool says it is listening (on stderr), failing after 10 s. */
function listening(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let err = '';
    const t = setTimeout(() => reject(new Error(`capture did not start listening: ${err}`)), 10_000);
    child.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
      if (/listening on/.test(err)) {
        clearTimeout(t);
        resolve();
      }
    });
  });
}
jest.setTimeout(180_000);

const subnet = { id: 'subnet-a', vpc: 'vpc-a', cidr: '10.1.0.0/24', gateway: '10.1.0.1', vni: 100 };
/** VMs per node: node-0 has many ports for a flood to overrun the backlog, node-1 two. */
const VMS = { 'node-0': 40, 'node-1': 2 } as const;
/** First host index per node: node-0's VMs are 10.1.0.2-41, node-1's 10.1.0.102-103. */
const IP_FROM = { 'node-0': 0, 'node-1': 100 } as const;
const BACKLOG = '/proc/sys/net/core/netdev_max_backlog';

function batch(f: Fixture, node: keyof typeof VMS, slot: number): EndpointBatch {
  return { scenario: f.scenario, node, nodeSlot: slot, from: 0, count: VMS[node], endpointsPerVm: 1, segments: [{ vmFrom: 0, vmCount: VMS[node], endpoint: 0, subnet, ipIndexFrom: IP_FROM[node] }] };
}

function collectorBinary(): string {
  return process.env.MERAK_COLLECTOR ?? execFileSync('bash', [packagePath('scripts', 'provide-collector.sh')]).toString().trim();
}

/** Runs a command inside a namespace; false when it fails (a ping into a drop rule fails on purpose). */
function inNs(netns: string, argv: string[], input?: string): boolean {
  try {
    execFileSync('ip', ['netns', 'exec', netns, ...argv], { stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'ignore'], input });
    return true;
  } catch {
    return false;
  }
}

const bpfList = (kind: 'prog' | 'map' | 'link'): Array<{ id: number; prog_id?: number }> => JSON.parse(execFileSync('bpftool', ['-j', kind, 'list']).toString() || '[]') as Array<{ id: number; prog_id?: number }>;
const bpfIds = (kind: 'prog' | 'map'): number[] => bpfList(kind).map((x) => x.id);
/** Links attaching one of `progs`. */
const linksOf = (progs: number[]): number[] => bpfList('link').filter((l) => l.prog_id !== undefined && progs.includes(l.prog_id)).map((l) => l.id);
/** Whether a process runs (a zombie waiting for its reaper does not). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
const pinned = (): string[] => (existsSync('/sys/fs/bpf') ? readdirSync('/sys/fs/bpf').sort() : []);

const node = (doc: CountersDocument, name: string): NodeCounters => {
  const n = doc.nodes.find((x) => x.node === name);
  if (!n) throw new Error(`no node ${name} in ${JSON.stringify(doc.nodes.map((x) => x.node))}`);
  return n;
};
const drops = (n: NodeCounters, reason: string): number => n.totals.drops[reason] ?? 0;

describeRoot('eBPF collector per node', () => {
  let f: Fixture;
  let collectors: NodeCollectors;
  let agent: ReturnType<typeof createAgentActivities>;
  let tag: string;
  const pids: Record<string, number> = {};
  let reported: { progs: number[]; maps: number[] } = { progs: [], maps: [] };
  const pinnedBefore = pinned();

  beforeAll(async () => {
    f = makeFixture('ebpf');
    collectors = createNodeCollectors({ mode: 'on', runner: spawnRunner, records: f.records, nodeMode: 'local', binary: collectorBinary() });
    agent = createAgentActivities({ ...f.deps, collectors });
    for (const [name, slot] of [['node-0', 0], ['node-1', 1]] as const) {
      await agent.ensureNode({ scenario: f.scenario, node: name, nodeSlot: slot });
      await agent.createVms({ scenario: f.scenario, node: name, from: 0, count: VMS[name] });
      await agent.createEndpoints(batch(f, name, slot));
    }
    await agent.syncPeers({ scenario: f.scenario, node: 'node-0', nodeSlot: 0, vnis: [{ vni: 100 }] });
    tag = await f.tag();
    for (const name of Object.keys(VMS)) {
      const pid = await daemonPid(collectorFiles(tag, name).pidfile);
      expect(pid).toBeDefined();
      pids[name] = pid!;
    }
  });
  afterAll(async () => {
    if (f) await f.finish();
  });

  test('each node has its own collector, recorded as a daemon of that node, watching its namespace and its VMs', async () => {
    expect(pids['node-0']).not.toBe(pids['node-1']);
    const live = await f.records.live(f.scenario);
    for (const name of Object.keys(VMS)) {
      expect(live.get(name)).toContainEqual({ kind: 'daemon', netns: '.', pidfile: collectorFiles(tag, name).pidfile });
    }
    const doc = await collectors.read(f.scenario);
    expect(doc.nodes.map((n) => n.node)).toEqual(['node-0', 'node-1']);
    expect(node(doc, 'node-0').collector).toMatchObject({ running: true, pid: pids['node-0'], watchedNamespaces: 1 + VMS['node-0'] });
    expect(node(doc, 'node-1').collector).toMatchObject({ running: true, pid: pids['node-1'], watchedNamespaces: 1 + VMS['node-1'] });
  });

  test('an nftables drop rule in one VM: the drops are that endpoint\'s, reason NETFILTER_DROP; traffic is counted on both ends', async () => {
    const target = vmNetns(tag, 'node-1', 0); // 10.1.0.102
    inNs(target, ['nft', '-f', '-'], 'table inet merak_test {\n chain input {\n  type filter hook input priority 0;\n  icmp type echo-request drop\n }\n}\n');
    const before = await collectors.read(f.scenario);
    inNs(vmNetns(tag, 'node-0', 0), ['ping', '-c', '5', '-i', '0.2', '-W', '1', '10.1.0.102']);
    const after = await collectors.read(f.scenario);

    const n1 = node(after, 'node-1');
    const victim = n1.endpoints.find((e) => e.vm === 0 && e.interface === 'eth0');
    expect(victim).toBeDefined();
    const was = node(before, 'node-1').endpoints.find((e) => e.vm === 0)?.drops.NETFILTER_DROP ?? 0;
    expect((victim!.drops.NETFILTER_DROP ?? 0) - was).toBe(5);
    // Nobody else saw a netfilter drop: not node-1's other VM, not its node namespace, not node-0.
    expect(n1.endpoints.filter((e) => e !== victim && e.drops.NETFILTER_DROP)).toEqual([]);
    expect(n1.interfaces.filter((e) => e.drops.NETFILTER_DROP)).toEqual([]);
    expect(drops(node(after, 'node-0'), 'NETFILTER_DROP')).toBe(0);
    // The echo requests left node-0's VM 0 and reached node-1's VM 0 (frames of at least 98 bytes).
    const sender = node(after, 'node-0').endpoints.find((e) => e.vm === 0)!;
    const senderBefore = node(before, 'node-0').endpoints.find((e) => e.vm === 0)!;
    expect(sender.txPackets - senderBefore.txPackets).toBeGreaterThanOrEqual(5);
    expect(sender.txBytes - senderBefore.txBytes).toBeGreaterThanOrEqual(5 * 98);
    expect(victim!.rxPackets - (node(before, 'node-1').endpoints.find((e) => e.vm === 0)?.rxPackets ?? 0)).toBeGreaterThanOrEqual(5);
    inNs(target, ['nft', 'delete', 'table', 'inet', 'merak_test']);
  });

  test('a broadcast flooded to 40 ports overruns a small receive backlog: CPU_BACKLOG drops on node-0\'s endpoints, none on node-1', async () => {
    const before = await collectors.read(f.scenario);
    const original = readFileSync(BACKLOG, 'utf8').trim();
    try {
      writeFileSync(BACKLOG, '4\n');
      // Sent from node-1's VM 1: node-1 floods it to one VM port and the VXLAN device; node-0's
      // bridge floods it to 40 VM ports inside one softirq run, far more than 4 queue at once.
      inNs(vmNetns(tag, 'node-1', 1), ['ping', '-b', '-c', '3', '-i', '0.2', '-W', '1', '10.1.0.255']);
    } finally {
      writeFileSync(BACKLOG, `${original}\n`);
    }
    expect(readFileSync(BACKLOG, 'utf8').trim()).toBe(original);
    const after = await collectors.read(f.scenario);
    const n0 = node(after, 'node-0');
    const gained = drops(n0, 'CPU_BACKLOG') - drops(node(before, 'node-0'), 'CPU_BACKLOG');
    expect(gained).toBeGreaterThan(0);
    // Attributed to node-0's VM endpoints (the veth ends whose receive queue was full).
    expect(n0.endpoints.filter((e) => e.drops.CPU_BACKLOG).length).toBeGreaterThan(0);
    expect(drops(node(after, 'node-1'), 'CPU_BACKLOG') - drops(node(before, 'node-1'), 'CPU_BACKLOG')).toBe(0);
  });

  test('/metrics and /counters of the agent carry the counters (merak_dropped_packets_total{reason})', async () => {
    const server = await startAgentMetrics({ collectors, nodes: Object.keys(VMS), stateDir: f.stateDir, host: '127.0.0.1', port: 0 });
    try {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`merak_dropped_packets_total{scenario="${f.scenario}",node="node-1",reason="NETFILTER_DROP"}`));
      expect(line).toBeDefined();
      expect(Number(line!.split(' ').pop())).toBeGreaterThanOrEqual(5);
      expect(text).toMatch(new RegExp(`^merak_endpoint_dropped_packets_total\\{scenario="${f.scenario}",node="node-1",vm="0",interface="eth0",reason="NETFILTER_DROP"\\} [1-9]`, 'm'));
      expect(text).toMatch(new RegExp(`^merak_endpoint_tx_packets_total\\{scenario="${f.scenario}",node="node-0",vm="0",interface="eth0"\\} [1-9]`, 'm'));
      expect(text).toContain(`merak_collector_up{scenario="${f.scenario}",node="node-0"} 1`);
      expect(text).toContain('# TYPE merak_dropped_packets_total counter');
      const doc = (await (await fetch(`${server.url}/counters?scenario=${f.scenario}`)).json()) as CountersDocument;
      expect(doc.schema).toBe('merak.counters/v1');
      expect(node(doc, 'node-1').totals.drops.NETFILTER_DROP).toBeGreaterThanOrEqual(5);
      expect((await fetch(`${server.url}/counters?scenario=..%2Fx`)).status).toBe(400);
    } finally {
      await server.close();
    }
  });

  test('merak monitor -o json: one merak.monitor/v1 document per interval, with rates, from the agents registered in the state directory', async () => {
    const server = await startAgentMetrics({ collectors, nodes: Object.keys(VMS), stateDir: f.stateDir, host: '127.0.0.1', port: 0 });
    try {
      const ping = spawn('ip', ['netns', 'exec', vmNetns(tag, 'node-0', 0), 'ping', '-c', '300', '-i', '0.1', '10.1.0.103'], { stdio: 'ignore' });
      const out = await run(process.execPath, [merak, 'monitor', f.scenario, '-o', 'json', '--count', '2', '--interval', '1', '--state-dir', f.stateDir], { timeout: 30_000 });
      ping.kill('SIGINT');
      const docs = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as MonitorDocument & { agents: string[]; errors: string[] });
      expect(docs.length).toBe(2);
      for (const d of docs) {
        expect(d).toMatchObject({ schema: 'merak.monitor/v1', scenario: f.scenario, agents: [server.url], errors: [] });
        expect(d.nodes.map((n) => n.node)).toEqual(['node-0', 'node-1']);
      }
      expect(docs[0]!.intervalMs).toBe(0);
      expect(docs[1]!.intervalMs).toBeGreaterThan(500);
      const sender = docs[1]!.nodes[0]!.endpoints.find((e) => e.vm === 0)!;
      expect(sender.rates.txPps).toBeGreaterThan(3); // 10 echo requests a second
      const receiver = docs[1]!.nodes[1]!.endpoints.find((e) => e.vm === 1)!;
      expect(receiver.rates.rxPps).toBeGreaterThan(3);
      expect(docs[1]!.nodes[1]!.totals.drops.NETFILTER_DROP).toBeGreaterThanOrEqual(5);
      // The table, piped (no terminal): printed once per reading, nothing redrawn.
      const table = await run(process.execPath, [merak, 'monitor', f.scenario, '--count', '1', '--state-dir', f.stateDir], { timeout: 30_000 });
      expect(table.stdout).toMatch(/^NODE +RX pps/m);
      expect(table.stdout).toMatch(/^node-1 /m);
      expect(table.stdout).toContain('NETFILTER_DROP');
      expect(table.stdout).not.toContain('\u001b');
    } finally {
      await server.close();
    }
    // Without agents there is nothing to read, and it says how to point at some.
    await expect(run(process.execPath, [merak, 'monitor', f.scenario, '--count', '1', '--state-dir', f.stateDir])).rejects.toMatchObject({ stderr: expect.stringContaining('--agent http://HOST:PORT') });
  });

  test('merak capture: a ping\'s echo request and reply in a pcap file, bounded by --count', async () => {
    const file = path.join(f.stateDir, 'ping.pcap');
    const cap = spawn(process.execPath, [merak, 'capture', f.scenario, 'node-1/1', '--endpoint', '0', '-w', file, '--count', '2', '--filter', 'icmp', '--duration', '30', '--state-dir', f.stateDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => cap.once('exit', (c) => resolve(c)));
    await listening(cap);
    expect(inNs(vmNetns(tag, 'node-0', 0), ['ping', '-c', '1', '-W', '2', '10.1.0.103'])).toBe(true);
    expect(await exited).toBe(0);
    const text = execFileSync('tcpdump', ['-r', file, '-n'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    expect(text).toMatch(/10\.1\.0\.2 > 10\.1\.0\.103: ICMP echo request/);
    expect(text).toMatch(/10\.1\.0\.103 > 10\.1\.0\.2: ICMP echo reply/);
  });

  test('merak capture stops cleanly on Ctrl-C (SIGINT to its process group): exit 0, a readable pcapng file (tcpdump, converted by tshark)', async () => {
    const file = path.join(f.stateDir, 'ctrl-c.pcapng');
    const cap = spawn(process.execPath, [merak, 'capture', f.scenario, 'node-0/1', '-w', file, '--state-dir', f.stateDir], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const exited = new Promise<number | null>((resolve) => cap.once('exit', (c) => resolve(c)));
    await listening(cap);
    expect(inNs(vmNetns(tag, 'node-1', 0), ['ping', '-c', '2', '-i', '0.2', '-W', '1', '10.1.0.3'])).toBe(true);
    // A packet arriving in the same instant as the Ctrl-C may be missed (tcpdump stops reading
    // its ring at the signal); a person presses it later than this.
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    process.kill(-cap.pid!, 'SIGINT'); // as a terminal does: the whole foreground group
    expect(await exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    // pcapng's section header block magic, then the packets as tcpdump reads them.
    expect(readFileSync(file).subarray(0, 4).toString('hex')).toBe('0a0d0d0a');
    const text = execFileSync('tcpdump', ['-r', file, '-n', 'icmp'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    expect(text).toMatch(/10\.1\.0\.102 > 10\.1\.0\.3: ICMP echo request/);
    expect(text).toMatch(/10\.1\.0\.3 > 10\.1\.0\.102: ICMP echo reply/);
    // And refuses a VM that does not exist, naming it.
    await expect(run(process.execPath, [merak, 'capture', f.scenario, 'node-0/99', '--state-dir', f.stateDir])).rejects.toMatchObject({ stderr: expect.stringContaining('VM node-0/vm-99') });
  });

  test('deleting the nodes stops the collectors; no program, map, link or pinned object of theirs is left', async () => {
    const reading = (await collectors.read(f.scenario)).nodes;
    expect(reading.every((n) => n.collector.running)).toBe(true);
    // The ids the collectors' programs and maps have in the kernel, as bpftool lists them now.
    const progsNow = bpfIds('prog');
    const mapsNow = bpfIds('map');
    for (const n of Object.keys(VMS)) {
      const r = JSON.parse(execFileSync('python3', ['-c', COLLECTOR_READ, collectorFiles(tag, n).socket]).toString()) as { programs: Array<{ id: number }>; maps: Record<string, number> };
      reported = { progs: [...reported.progs, ...r.programs.map((p) => p.id)], maps: [...reported.maps, ...Object.values(r.maps)] };
    }
    expect(reported.progs.length).toBe(6);
    for (const id of reported.progs) expect(progsNow).toContain(id);
    for (const id of reported.maps) expect(mapsNow).toContain(id);
    expect(linksOf(reported.progs).length).toBe(6); // tp_btf programs are attached through BPF links

    for (const n of Object.keys(VMS)) await agent.deleteNode({ scenario: f.scenario, node: n });
    for (const n of Object.keys(VMS)) {
      expect(await daemonPid(collectorFiles(tag, n).pidfile)).toBeUndefined();
      expect(running(pids[n]!)).toBe(false);
      expect(existsSync(collectorFiles(tag, n).socket)).toBe(false);
    }
    // Programs and maps are freed once their last reference (the collector's fds, the links) is
    // gone; the kernel frees them from a work queue, so allow it a moment.
    const deadline = Date.now() + 5000;
    const left = () => [...bpfIds('prog').filter((id) => reported.progs.includes(id)), ...bpfIds('map').filter((id) => reported.maps.includes(id))];
    while (left().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(left()).toEqual([]);
    expect(linksOf(reported.progs)).toEqual([]);
    expect(pinned()).toEqual(pinnedBefore);
  });
});

/** Sends `read` to a collector's socket (argv[1]) and prints its reply: the test's own client, apart from the agent's. */
const COLLECTOR_READ = `
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"read\\n")
out = b""
while True:
    c = s.recv(65536)
    if not c:
        break
    out += c
sys.stdout.write(out.decode())
`;
