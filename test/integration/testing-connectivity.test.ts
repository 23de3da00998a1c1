/**
 * The connectivity-test activity against real namespaces made by this test: VM namespaces named
 * as the agent names them (scenario tag claimed in a temporary state directory), two of them
 * joined by a veth pair, a third with an address but no link. Real ping, TCP and UDP echo and
 * iperf3; at the end no namespace and no process the test or the activity started is left.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createTestingActivities } from '../../src/activities/testing/activities';
import type { RunTestsInput } from '../../src/activities/testing/types';
import type { Progress } from '../../src/activities/agent/heartbeat';
import { spawnRunner, type CommandRunner } from '../../src/dataplane/command';
import { vmNetns } from '../../src/dataplane/names';
import { claimTag, releaseTag } from '../../src/dataplane/tags';
import type { TestResult } from '../../src/model/status';
import type { TestPair } from '../../src/model/pairs';
import { withCpuHog } from './cpu-hog';
import { isRoot, netnsNames, rootSnapshot, type RootSnapshot } from './dataplane-fixture';

const describeRoot = isRoot ? describe : describe.skip;
jest.setTimeout(180_000);

/** Activity calls at once in the every-kind tests, as the workflow runs one per node. */
const CALLERS = 3;

/** Processes whose command line mentions `needle` (the test's namespaces). */
function processesMentioning(needle: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(needle) && Number(pid) !== process.pid) found.push(`${pid}: ${cmd}`);
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describeRoot('connectivity tests over real namespaces', () => {
  const scenario = `mkt-${randomBytes(4).toString('hex')}`;
  const stateDir = mkdtempSync(path.join(tmpdir(), 'merak-testing-'));
  const octet = 1 + (randomBytes(1)[0] % 250);
  const net = `10.250.${octet}`;
  let tag = '';
  let a = '';
  let b = '';
  let c = '';
  let before: RootSnapshot;
  const started: Array<{ pid: number; argv: readonly string[] }> = [];
  const watcher = (p: { pid: number; argv: readonly string[] }) => started.push(p);

  const A = { node: 'n1', vmIndex: 0, ip: `${net}.1` };
  const B = { node: 'n2', vmIndex: 0, ip: `${net}.2` };
  const C = { node: 'n3', vmIndex: 0, ip: `${net}.3` };
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

  beforeAll(async () => {
    before = rootSnapshot();
    tag = await claimTag(stateDir, scenario);
    a = vmNetns(tag, A.node, A.vmIndex);
    b = vmNetns(tag, B.node, B.vmIndex);
    c = vmNetns(tag, C.node, C.vmIndex);
    for (const ns of [a, b, c]) {
      ip('netns', 'add', ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    // Both veth ends are created inside their namespaces: nothing appears in the root namespace.
    ip('link', 'add', 'eth0', 'netns', a, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', b);
    ip('-n', a, 'addr', 'add', `${A.ip}/24`, 'dev', 'eth0');
    ip('-n', b, 'addr', 'add', `${B.ip}/24`, 'dev', 'eth0');
    ip('-n', a, 'link', 'set', 'eth0', 'up');
    ip('-n', b, 'link', 'set', 'eth0', 'up');
    // C holds an address of the same subnet on a veth whose peer stays in C: a real VM address with no path to it.
    ip('-n', c, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'stub0');
    ip('-n', c, 'link', 'set', 'stub0', 'up');
    ip('-n', c, 'addr', 'add', `${C.ip}/24`, 'dev', 'eth0');
    ip('-n', c, 'link', 'set', 'eth0', 'up');
  });

  afterAll(async () => {
    for (const ns of [a, b, c]) if (ns) execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    await releaseTag(stateDir, scenario);
    rmSync(stateDir, { recursive: true, force: true });
    // What the test made is gone: namespaces, processes, and the root namespace is as it was.
    expect(netnsNames().filter((n) => n.startsWith(`mk-${tag}-`))).toEqual([]);
    expect(processesMentioning(`mk-${tag}-`)).toEqual([]);
    // iperf3 (after `ip netns exec` execs it) names only the address it serves or calls.
    expect(processesMentioning(`${net}.`)).toEqual([]);
    const after = rootSnapshot();
    expect(after.addrs).toEqual(before.addrs);
    expect(after.routes).toEqual(before.routes);
  });

  const pair = (source: typeof A, destination: typeof A, negative = false): TestPair => ({ source, destination, negative });

  /** What a result says about the network, without its measurements: what must not change under load. */
  const verdict = (r: TestResult) => `${r.kind} ${r.source} -> ${r.destination}${r.negative ? ' (negative)' : ''}: ${r.pass ? 'pass' : /^not tested/.test(r.error ?? '') ? 'not tested' : 'fail'}`;

  /**
   * Every kind over the five pairs below from `callers` activity calls at once (as the workflow
   * runs one call per node), checked in detail; returns the first call's results.
   */
  async function everyKind(callers: number): Promise<TestResult[]> {
    started.length = 0;
    const pairs = [
      pair(A, B), // reachable
      pair(A, C), // unreachable: no link
      pair(A, B, true), // "different VPC" but reachable: isolation broken, must fail
      pair(A, C, true), // different VPC and unreachable: must pass
      pair(A, { ...B, ip: `${net}.9` }), // not B's address: refused before any traffic
    ];
    const beats: number[][] = [];
    const t0 = Date.now();
    const runs = await Promise.all(
      Array.from({ length: callers }, async (_, c) => {
        // Each caller its own activities (as each node has its own agent) and iperf3 ports.
        const activities = createTestingActivities({ stateDir, watcher, iperfPorts: { from: 15201 + 50 * c, count: 50 } });
        const env = new MockActivityEnvironment();
        const mine: number[] = [];
        beats.push(mine);
        env.on('heartbeat', (d: Progress) => mine.push(d.done));
        return (await env.run(activities.runTests, { scenario, node: 'n1', kinds: ['icmp', 'tcp', 'udp', 'iperf'], pairs, timeoutMs: 1000 } satisfies RunTestsInput)) as TestResult[];
      }),
    );
    const elapsed = Date.now() - t0;

    for (const results of runs) {
      expect(results).toHaveLength(20);
      const at = (kind: string, i: number) => results[['icmp', 'tcp', 'udp', 'iperf'].indexOf(kind) * pairs.length + i];
      for (const kind of ['icmp', 'tcp', 'udp', 'iperf']) {
        const ok = at(kind, 0);
        expect(ok).toMatchObject({ kind, source: `n1/vm-0 (${A.ip})`, destination: `n2/vm-0 (${B.ip})`, negative: false, pass: true });
        expect(ok.error).toBeUndefined();
        if (kind === 'iperf') expect(ok.throughputBps).toBeGreaterThan(0);
        else expect(ok.latencyMs).toBeGreaterThan(0);

        expect(at(kind, 1)).toMatchObject({ kind, negative: false, pass: false });
        expect(at(kind, 1).error).toBeTruthy();
        expect(at(kind, 1).error).not.toMatch(/not tested/);

        expect(at(kind, 2)).toMatchObject({ kind, negative: true, pass: false, error: 'reached a VM of another VPC: isolation is broken' });
        expect(at(kind, 3)).toMatchObject({ kind, negative: true, pass: true });
        expect(at(kind, 3).error).toBeUndefined();

        expect(at(kind, 4)).toMatchObject({ kind, pass: false });
        expect(at(kind, 4).error).toMatch(new RegExp(`not tested: destination address ${net.replace(/\./g, '\\.')}\\.9 is not configured in VM namespace ${b}`));
      }
    }
    // Heartbeats count the checks done.
    for (const mine of beats) expect(Math.max(...mine)).toBe(20);
    // Bounded: 20 checks with 1 s timeouts per call, iperf one at a time.
    expect(elapsed).toBeLessThan(90_000);

    // Every process the activity started has ended: the two socket helpers and one iperf3 server per iperf pair tested, per call.
    expect(started.filter((p) => p.argv.some((x) => x.endsWith('sockprobe.py')))).toHaveLength(2 * callers);
    expect(started.filter((p) => p.argv.includes('iperf3')).length).toBeGreaterThanOrEqual(4 * callers);
    expect(started.filter((p) => alive(p.pid))).toEqual([]);
    expect(processesMentioning(`mk-${tag}-`)).toEqual([]);
    expect(processesMentioning('sockprobe.py')).toEqual([]);
    expect(processesMentioning(`${net}.`)).toEqual([]);
    return runs[0]!;
  }

  let calm: TestResult[] = [];

  test('every kind: reachable passes, unreachable fails, negative pairs pass only when refused; all processes end', async () => {
    calm = await everyKind(CALLERS);
  });

  test('under a CPU hog on every core the verdicts are exactly those of a calm machine, negatives included', async () => {
    expect(calm).toHaveLength(20);
    const { result, hog } = await withCpuHog(150, () => everyKind(CALLERS));
    process.stderr.write(`CPU hog: ${hog.workers} workers used ${hog.hogCpuS.toFixed(1)} CPU s in ${(hog.elapsedMs / 1000).toFixed(1)} s; load average ${hog.load1}\n`);
    expect(result.map(verdict)).toEqual(calm.map(verdict));
    // The hog really ran: at least a fifth of a core on average (other work shares this machine;
    // at a load average of 19 it still had a quarter).
    expect(hog.hogCpuS).toBeGreaterThan((0.2 * hog.elapsedMs) / 1000);
  });

  test('iperf3 moves to the next port when one is taken in the destination VM', async () => {
    started.length = 0;
    const port = 15501;
    // Another iperf3 server already holds the first port on B's address.
    const squatter = spawn('ip', ['netns', 'exec', b, 'iperf3', '-s', '-B', B.ip, '-p', String(port), '--forceflush'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('squatter did not listen')), 5000);
        squatter.stdout.on('data', (d: Buffer) => {
          if (d.toString().includes('Server listening')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const activities = createTestingActivities({ stateDir, watcher, iperfPorts: { from: port, count: 3 } });
      const [r] = await activities.runTests({ scenario, node: 'n1', kinds: ['iperf'], pairs: [pair(A, B)], timeoutMs: 1000 });
      expect(r).toMatchObject({ kind: 'iperf', pass: true });
      expect(r.throughputBps).toBeGreaterThan(0);
      const servers = started.filter((p) => p.argv.includes('iperf3'));
      expect(servers.map((p) => p.argv[p.argv.indexOf('-p') + 1])).toEqual([String(port), String(port + 1)]);
      expect(started.filter((p) => alive(p.pid))).toEqual([]);
    } finally {
      squatter.kill('SIGKILL');
      await new Promise((resolve) => squatter.once('close', resolve));
    }
  });

  test('a retried call keeps the results its last heartbeat carried and measures only the rest', async () => {
    // What an earlier attempt reported for check 0 (A -> C, which would fail if measured again).
    const earlier: TestResult = { kind: 'icmp', source: 'earlier', destination: 'attempt', negative: false, pass: true, latencyMs: 42 };
    const pings: string[][] = [];
    const runner: CommandRunner = {
      run(argv, o) {
        if (argv.includes('ping')) pings.push([...argv]);
        return spawnRunner.run(argv, o);
      },
    };
    const activities = createTestingActivities({ stateDir, watcher, runner });
    const env = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: { done: 1, phase: 'checks', results: [[0, earlier]] } });
    const beats: Array<Progress & { results?: unknown[] }> = [];
    env.on('heartbeat', (d: Progress & { results?: unknown[] }) => beats.push(d));
    const results = (await env.run(activities.runTests, { scenario, node: 'n1', kinds: ['icmp'], pairs: [pair(A, C), pair(A, B)], timeoutMs: 1000 } satisfies RunTestsInput)) as TestResult[];
    expect(results[0]).toEqual(earlier);
    expect(results[1]).toMatchObject({ kind: 'icmp', destination: `n2/vm-0 (${B.ip})`, pass: true });
    expect(pings).toHaveLength(1);
    expect(pings[0]).toContain(B.ip);
    // The last heartbeat carries both: a further retry would measure nothing again.
    expect(beats.at(-1)).toMatchObject({ done: 2, phase: 'checks', results: [[0, earlier], [1, results[1]]] });
  });

  test('a check that does not get through while the neighbour table refuses entries is not tested, naming the limit (stand-in counters)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'merak-neigh-'));
    try {
      // Stand-in for the kernel's counters, in the format of /proc/net/stat/arp_cache: the table
      // refuses one entry during every ping (the real kernel refuses only when full, machine-wide).
      const stat = path.join(dir, 'arp_cache');
      const gcThresh3 = path.join(dir, 'gc_thresh3');
      writeFileSync(gcThresh3, '1024\n');
      let fulls = 0;
      const write = () => writeFileSync(stat, `entries table_fulls\n00000400 ${fulls.toString(16).padStart(8, '0')}\n00000400 00000000\n`);
      write();
      const runner: CommandRunner = {
        async run(argv, o) {
          const r = await spawnRunner.run(argv, o);
          if (argv.includes('ping')) {
            fulls++;
            write();
          }
          return r;
        },
      };
      const activities = createTestingActivities({ stateDir, watcher, runner, concurrency: 1, neighbourTable: { stat, gcThresh3 } });
      const pairs = [pair(A, B), pair(A, C), pair(A, C, true)];
      const results = (await new MockActivityEnvironment().run(activities.runTests, { scenario, node: 'n1', kinds: ['icmp'], pairs, timeoutMs: 1000 } satisfies RunTestsInput)) as TestResult[];
      // Got through: whatever the table did, the path works.
      expect(results[0]).toMatchObject({ pass: true });
      expect(results[0]!.error).toBeUndefined();
      const full = /^not tested: the kernel's IPv4 neighbour table was full during this check \(net\.ipv4\.neigh\.default\.gc_thresh3 = 1024, 1024 entries, 1 refused meanwhile; one table for every namespace on the machine\): an ARP request or reply needing a new entry was dropped; the check saw: /;
      expect(results[1]).toMatchObject({ negative: false, pass: false });
      expect(results[1]!.error).toMatch(full);
      // A negative pair does not pass on a check the table spoiled.
      expect(results[2]).toMatchObject({ negative: true, pass: false });
      expect(results[2]!.error).toMatch(full);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('cancellation stops promptly and still ends every process', async () => {
    started.length = 0;
    const activities = createTestingActivities({ stateDir, watcher, concurrency: 1, iperfPorts: { from: 15301, count: 50 } });
    const pairs = Array.from({ length: 10 }, () => pair(A, C));
    const env = new MockActivityEnvironment();
    env.on('heartbeat', (d: Progress) => {
      if (d.done === 2) env.cancel();
    });
    const t0 = Date.now();
    await expect(env.run(activities.runTests, { scenario, node: 'n1', kinds: ['tcp', 'iperf'], pairs, timeoutMs: 1000 } satisfies RunTestsInput)).rejects.toThrow();
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(started.length).toBeGreaterThan(0);
    expect(started.filter((p) => alive(p.pid))).toEqual([]);
  });

  test('bad input is refused before anything runs, naming the field', async () => {
    started.length = 0;
    const activities = createTestingActivities({ stateDir, watcher });
    await expect(activities.runTests({ scenario, node: 'n2', kinds: ['icmp'], pairs: [pair(A, B)] })).rejects.toThrow(
      /invalid tests\.pairs\.0\.source\.node: "n1" \(must be n2: tests run on the node of their source VM\)/,
    );
    await expect(activities.runTests({ scenario, node: 'n1', kinds: ['ssh' as never], pairs: [] })).rejects.toThrow(/invalid tests\.kinds\.0/);
    await expect(activities.runTests({ scenario, node: 'n1', kinds: ['icmp'], pairs: [pair(A, { ...B, ip: '127.0.0.1' })] })).rejects.toThrow(
      /invalid tests\.pairs\.0\.destination\.ip: "127\.0\.0\.1" \(must be a unicast IPv4 address/,
    );
    await expect(activities.runTests({ scenario, node: 'n1', kinds: ['icmp'], pairs: [pair(A, B)], timeoutMs: 10 })).rejects.toThrow(/invalid tests\.timeoutMs: 10/);
    await expect(activities.runTests({ scenario: 'never-built', node: 'n1', kinds: ['icmp'], pairs: [pair(A, B)] })).rejects.toThrow(/scenario never-built has no tag/);
    expect(started).toEqual([]);
  });
});
