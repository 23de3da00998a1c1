/**
 * Routing end to end: the real Temporal dev server, the reference network plugin on loopback,
 * real node agents and namespaces. Three nodes; VPC red with three subnets (red-3 on a VNI of its
 * own), VPC blue whose CIDR overlaps red's (blue-1 is red-1's CIDR, so the two give out the same
 * addresses). The default pair selection alone tests every kind of path of red — one subnet on
 * one node, one subnet across nodes, two subnets on one node, two subnets across nodes — with
 * ICMP, TCP, UDP and iperf3, and negative pairs between the VPCs; everything passes; teardown
 * leaves no namespace (router namespaces included), link, plugin object or owner record.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTag } from '../../src/dataplane/tags';
import { resultsQuery, teardownSignal } from '../../src/workflows/messages';
import type { TestResult } from '../../src/model/status';
import { COMPUTE_TASK_QUEUE, scenarioWorkflowId } from '../../src/model/queues';
import { addressInVpc, chooseBlockSize, endpointAddress, planSubnets, reserveAddresses, type AddressBook } from '../../src/model/plan';
import { parseSpec, type ScenarioInput } from '../../src/model/spec';
import type { scenarioWorkflow } from '../../src/workflows';
import { renderTable } from '../../src/report/table';
import { netnsList, startLocalCloud, waitForStatus as waitFor, type LocalCloud } from '../helpers/local-cloud';

jest.setTimeout(600_000);

const NODES = ['rt-a', 'rt-b', 'rt-c'];
const VMS = 6;
const stateDir = mkdtempSync(join(tmpdir(), 'merak-routing-'));
let cloud: LocalCloud;
beforeAll(async () => {
  cloud = await startLocalCloud({ nodes: NODES, stateDir });
});
afterAll(async () => {
  await cloud?.stop('-rt-');
});

const input = (address: string): ScenarioInput => ({
  name: 'routing',
  plugin: { address, deadlineMs: 5_000, retryWindowMs: 20_000 },
  dataplane: 'reference',
  vpcs: [
    {
      id: 'red',
      vni: 2501,
      cidr: '10.71.0.0/16',
      subnets: [
        { id: 'red-1', cidr: '10.71.1.0/24' },
        { id: 'red-2', cidr: '10.71.2.0/24' },
        { id: 'red-3', cidr: '10.71.3.0/24', vni: 2503 },
      ],
    },
    {
      id: 'blue',
      vni: 2502,
      cidr: '10.71.0.0/16',
      subnets: [
        { id: 'blue-1', cidr: '10.71.1.0/24' },
        { id: 'blue-4', cidr: '10.71.4.0/24' },
      ],
    },
  ],
  nodes: NODES,
  vmsPerNode: VMS,
  underlay: { cidr: '100.98.0.0/24' },
  tests: { kinds: ['icmp', 'tcp', 'udp', 'iperf'], pairs: 'ring', negative: true },
});


/**
 * The plan the workflow computes (node slots in spec order), to name each tested VM's subnet.
 * Its addresses are checked against the results', so a plan that differed from the workflow's
 * would fail the test rather than pass it.
 */
function plan(spec: ScenarioInput) {
  const parsed = parseSpec(spec);
  const subnets = planSubnets(parsed, () => undefined);
  let book: AddressBook = { blockSize: chooseBlockSize(VMS, subnets.length), next: subnets.map(() => 0), nodes: {} };
  NODES.forEach((n, slot) => (book = reserveAddresses(book, subnets, n, slot, VMS, 1)));
  const at = (node: string, vm: number) => endpointAddress(spec.name, subnets, book.nodes[node]!, NODES.indexOf(node), vm, 0, 1, book.blockSize);
  return { at, inVpc: addressInVpc(subnets, book) };
}

/** `node/vm-3 (10.0.0.5)` → its parts. */
function end(label: string): { node: string; vm: number; ip: string } {
  const m = /^([a-z0-9-]+)\/vm-(\d+) \(([\d.]+)\)$/.exec(label);
  if (!m) throw new Error(`unexpected label ${label}`);
  return { node: m[1]!, vm: Number(m[2]), ip: m[3]! };
}

test('three subnets of one VPC are routed on one node and across nodes with every test kind; an overlapping VPC stays apart; teardown leaves nothing', async () => {
  const spec = input(cloud.plugin.address);
  const handle = await cloud.env.client.workflow.start<typeof scenarioWorkflow>('scenarioWorkflow', { taskQueue: COMPUTE_TASK_QUEUE, workflowId: scenarioWorkflowId(spec.name), args: [spec] });
  try {
    await waitFor(handle, (s) => s.phase === 'ready', 'ready');
    const tag = (await findTag(stateDir, spec.name))!;
    // A router per VPC per node, next to the VMs.
    const routers = netnsList().split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(`mk-${tag}-`) && n.includes('_r-')).sort();
    expect(routers).toEqual(NODES.flatMap((n) => [`mk-${tag}-${n}_r-blue`, `mk-${tag}-${n}_r-red`]));

    const results = await handle.query(resultsQuery);
    const failed = results.filter((r) => !r.pass);
    if (failed.length) process.stderr.write(renderTable(failed));
    expect(failed).toEqual([]);

    const p = plan(spec);
    const classify = (r: TestResult) => {
      const s = end(r.source);
      const d = end(r.destination);
      const sa = p.at(s.node, s.vm);
      const da = p.at(d.node, d.vm);
      // The workflow's plan and this one agree on every address.
      expect([sa.ip, da.ip]).toEqual([s.ip, d.ip]);
      return { vpc: sa.subnet.vpc, other: da.subnet.vpc, path: `${sa.subnet.id === da.subnet.id ? 'subnet' : 'cross-subnet'}+${s.node === d.node ? 'node' : 'cross-node'}`, dst: d.ip };
    };
    for (const kind of ['icmp', 'tcp', 'udp', 'iperf'] as const) {
      const positive = results.filter((r) => r.kind === kind && !r.negative).map(classify);
      for (const c of positive) expect(c.other).toBe(c.vpc);
      const redPaths = new Set(positive.filter((c) => c.vpc === 'red').map((c) => c.path));
      expect({ kind, red: [...redPaths].sort() }).toEqual({ kind, red: ['cross-subnet+cross-node', 'cross-subnet+node', 'subnet+cross-node', 'subnet+node'] });
      // blue's two subnets take one VM per node each with this layout: both cross-subnet paths are there.
      const bluePaths = new Set(positive.filter((c) => c.vpc === 'blue').map((c) => c.path));
      expect(bluePaths.has('cross-subnet+node') && bluePaths.has('cross-subnet+cross-node')).toBe(true);
      const negative = results.filter((r) => r.kind === kind && r.negative).map(classify);
      expect(negative.length).toBeGreaterThan(0);
      for (const c of negative) {
        expect(c.other).not.toBe(c.vpc);
        // Never an address of the source's own VPC, though blue-1 gives out red-1's addresses.
        expect(p.inVpc(c.vpc, c.dst)).toBe(false);
      }
      expect(new Set(negative.map((c) => c.vpc))).toEqual(new Set(['red', 'blue']));
    }
    expect(results.filter((r) => r.kind === 'iperf' && !r.negative).every((r) => (r.throughputBps ?? 0) > 0)).toBe(true);

    await handle.signal(teardownSignal);
    const outcome = await handle.result();
    expect(outcome.phase).toBe('deleted');
    expect(outcome.cleanupErrors).toEqual([]);
    expect(netnsList()).not.toContain(`mk-${tag}`);
    expect(execFileSync('ip', ['-br', 'link'], { encoding: 'utf8' })).not.toContain(tag);
    expect(existsSync(join(stateDir, 'scenarios', spec.name))).toBe(false);
    expect(await findTag(stateDir, spec.name)).toBeUndefined();
    expect(cloud.plugin.state.snapshot().subnets.filter((s) => s.id.startsWith('red') || s.id.startsWith('blue'))).toEqual([]);
  } finally {
    if ((await handle.describe()).status.name === 'RUNNING') {
      await handle.signal(teardownSignal);
      await handle.result().catch(() => undefined);
    }
  }
});
