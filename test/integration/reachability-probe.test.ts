/**
 * Time to reachable on real namespaces, through the socket helper (helpers/sockprobe.py, `icmp`):
 * a createBatch with probing on measures every endpoint without starting a process per probe,
 * an address nobody has is named as never reached after its timeout, a target that becomes
 * answerable while it is probed is measured when it did (not at the probing VM's next ARP retry,
 * up to 1 s later), and the helper is gone when the probes are done.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { makeFixture, isRoot, type Fixture } from './dataplane-fixture';
import { spawnRunner, type CommandRunner } from '../../src/dataplane/command';
import { vmNetns } from '../../src/dataplane/names';
import { netnsPath } from '../../src/dataplane/netns';
import { ReachabilityProber, socketEchoHelper } from '../../src/activities/agent/measure';
import { MetricsRecorder, summarizeHistogram } from '../../src/model/metrics';

const describeRoot = isRoot ? describe : describe.skip;
jest.setTimeout(120_000);

const subnet = { id: 'subnet-r', vpc: 'vpc-r', cidr: '10.77.0.0/24', gateway: '10.77.0.1', vni: 177 };
const VMS = 6;

/** Child processes of this test process running the socket helper. */
function ourSockprobes(): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('sockprobe.py')) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describeRoot('time to reachable through the socket helper', () => {
  let f: Fixture;
  const argvs: string[][] = [];
  const recording: CommandRunner = {
    run(argv, opts) {
      argvs.push([...argv]);
      return spawnRunner.run(argv, opts);
    },
  };
  beforeAll(() => {
    f = makeFixture('reach', { runner: recording });
  });
  afterAll(async () => {
    if (f) await f.finish();
    expect(ourSockprobes()).toEqual([]);
  });

  test('createBatch measures every endpoint from its create request, with no ping process', async () => {
    const w0 = Date.now();
    const r = await f.agent.createBatch({
      scenario: f.scenario,
      node: 'node-0',
      nodeSlot: 0,
      ensureNode: true,
      from: 0,
      count: VMS,
      endpointsPerVm: 1,
      segments: [{ vmFrom: 0, vmCount: VMS, endpoint: 0, subnet, ipIndexFrom: 0 }],
      reachability: { every: 1, offset: 0, timeoutMs: 5_000 },
    });
    const took = Date.now() - w0;
    const reach = r.metrics!.reachability!;
    expect(reach).toMatchObject({ probed: VMS, reachable: VMS, unreachable: [] });
    const t = summarizeHistogram(reach.histogram);
    expect(t.count).toBe(VMS);
    // Counted from the request: never before the endpoints existed, never after the batch ended.
    expect(t.min).toBeGreaterThan(0);
    expect(t.max).toBeLessThanOrEqual(took);
    expect(argvs.filter((a) => a.includes('ping'))).toEqual([]);
    expect(ourSockprobes()).toEqual([]);
  });

  test('an address nobody has is named as never reached after its timeout; a real one is reached', async () => {
    const tag = await f.tag();
    const from = vmNetns(tag, 'node-0', 0);
    const rec = new MetricsRecorder();
    const t0 = Date.now();
    const pr = new ReachabilityProber({ runner: recording, rec, clock: Date.now, node: 'node-0', plan: { every: 1, offset: 0, timeoutMs: 1_500 }, endpointsPerVm: 1, requestedAt: t0, helper: () => socketEchoHelper(spawnRunner) });
    const before = argvs.length;
    pr.start([
      { target: { fromNs: from, fromNsPath: netnsPath(from), ip: '10.77.0.3', name: 'vm1' } },
      { target: { fromNs: from, fromNsPath: netnsPath(from), ip: '10.77.0.200', name: 'nobody' } },
    ]);
    await pr.finish();
    const m = rec.metrics().reachability!;
    expect(m).toMatchObject({ probed: 2, reachable: 1, unreachable: ['nobody'] });
    // The unanswered probe waited its whole timeout before it was given up.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_500);
    expect(summarizeHistogram(m.histogram).max).toBeLessThan(1_500);
    expect(argvs.slice(before).filter((a) => a.includes('ping'))).toEqual([]);
    expect(ourSockprobes()).toEqual([]);
  });

  test('a target that becomes answerable while probed is measured within 150 ms of it, not at the next ARP retry', async () => {
    const tag = await f.tag();
    const from = vmNetns(tag, 'node-0', 0);
    const to = vmNetns(tag, 'node-0', 3);
    // vm3's interface on the subnet; the late address is one nobody has until the test adds it.
    const links = JSON.parse(execFileSync('ip', ['-n', to, '-j', 'addr', 'show']).toString()) as Array<{ ifname: string; addr_info: Array<{ local: string }> }>;
    const dev = links.find((l) => l.addr_info.some((a) => a.local.startsWith('10.77.0.')))!.ifname;
    const late = '10.77.0.150';
    const neighbour = (): string => execFileSync('ip', ['-n', from, 'neigh', 'show', late]).toString().trim();
    expect(neighbour()).toBe('');
    const rec = new MetricsRecorder();
    const t0 = Date.now();
    const pr = new ReachabilityProber({ runner: recording, rec, clock: Date.now, node: 'node-0', plan: { every: 1, offset: 0, timeoutMs: 8_000 }, endpointsPerVm: 1, requestedAt: t0, helper: () => socketEchoHelper(spawnRunner) });
    pr.start([{ target: { fromNs: from, fromNsPath: netnsPath(from), ip: late, name: 'late' } }]);
    let added = false;
    try {
      // The probe is under way once vm0's kernel has a neighbour entry for the address (its
      // first echo request made it, with an ARP request nobody answered). 300 ms later the
      // kernel's own next ARP request is still ~700 ms away (retrans_time 1 s).
      for (let i = 0; i < 100 && neighbour() === ''; i++) await new Promise((r) => setTimeout(r, 50));
      expect(neighbour()).toMatch(/INCOMPLETE|FAILED/);
      await new Promise((r) => setTimeout(r, 300));
      const before = Date.now() - t0;
      execFileSync('ip', ['-n', to, 'addr', 'add', `${late}/24`, 'dev', dev]);
      added = true;
      const answerable = Date.now() - t0;
      await pr.finish();
      const m = rec.metrics().reachability!;
      expect(m).toMatchObject({ probed: 1, reachable: 1, unreachable: [] });
      const ttr = summarizeHistogram(m.histogram).max;
      expect(ttr).toBeGreaterThanOrEqual(before);
      expect(ttr - answerable).toBeLessThan(150);
    } finally {
      await pr.close();
      if (added) execFileSync('ip', ['-n', to, 'addr', 'del', `${late}/24`, 'dev', dev]);
    }
    expect(execFileSync('ip', ['-n', to, 'addr', 'show', 'dev', dev]).toString()).not.toContain(late);
    expect(ourSockprobes()).toEqual([]);
  });
});
