/**
 * The report of a real small scenario (issue 12): real Temporal dev server, real reference network
 * plugin, real agents and namespaces (root). Every endpoint built gets a time to reachable from a
 * real ping of a peer in its VPC; every operation kind the build ran has its count and
 * percentiles; SLA gates are judged; the HTML page opens in headless Chromium (Debian's
 * `chromium`) with its charts drawn, and a screenshot is saved under .state/artifacts/ (git-ignored)
 * for CI to keep.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { statusQuery, teardownSignal } from '../../src/workflows/messages';
import { COMPUTE_TASK_QUEUE, scenarioWorkflowId } from '../../src/model/queues';
import type { ScenarioStatus } from '../../src/model/status';
import type { scenarioWorkflow } from '../../src/workflows';
import type { ScenarioInput } from '../../src/model/spec';
import { collectReport, writeReport } from '../../src/cli/report-output';
import { startLocalCloud, type LocalCloud } from '../helpers/local-cloud';

jest.setTimeout(300_000);

const NODES = ['rpt-a', 'rpt-b'];
const VMS = 3;
const stateDir = mkdtempSync(join(tmpdir(), 'merak-report-'));
/** CI keeps what is here: .state/ of the checkout is git-ignored. */
const artifactDir = resolve(__dirname, '..', '..', '.state', 'artifacts', 'report');
let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startLocalCloud({ nodes: NODES, stateDir });
});
afterAll(async () => {
  await cloud?.stop('rpt-');
});

async function waitReady(handle: { query: (q: typeof statusQuery) => Promise<ScenarioStatus> }): Promise<ScenarioStatus> {
  const deadline = Date.now() + 180_000;
  let last: ScenarioStatus | undefined;
  while (Date.now() < deadline) {
    last = await handle.query(statusQuery);
    if (last.phase === 'ready') return last;
    if (last.phase === 'failed') break;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`not ready; last status ${JSON.stringify(last)}`);
}

test('a small scenario reports time to reachable for every endpoint, latencies per operation, SLA gates, and an HTML page Chromium draws', async () => {
  const input: ScenarioInput = {
    name: 'rpt',
    plugin: { address: cloud.plugin.address, deadlineMs: 5_000, retryWindowMs: 20_000 },
    dataplane: 'reference',
    vpcs: [
      { id: 'rpt-blue', vni: 2301, cidr: '10.71.0.0/16', subnets: [{ id: 'rpt-blue-1', cidr: '10.71.1.0/24' }, { id: 'rpt-blue-2', cidr: '10.71.2.0/24' }] },
      { id: 'rpt-green', vni: 2302, cidr: '10.72.0.0/16', subnets: [{ id: 'rpt-green-1', cidr: '10.72.1.0/24' }] },
    ],
    nodes: NODES,
    vmsPerNode: VMS,
    batchSize: 2, // two batches per node: histograms are merged across batches and nodes
    underlay: { cidr: '100.98.0.0/24' },
    tests: { kinds: ['icmp'], pairs: 'ring', negative: true, reachability: 'all', reachabilityTimeoutMs: 5_000 },
    // One gate the build keeps, one it cannot keep (no VM is made in 0 ms).
    sla: { reachableP99Ms: 60_000, unreachableEndpoints: 0, failedOperations: 0, operationP99Ms: { 'vm.create': 0 } },
  };
  const handle = cloud.env.client.workflow.start<typeof scenarioWorkflow>('scenarioWorkflow', { taskQueue: COMPUTE_TASK_QUEUE, workflowId: scenarioWorkflowId(input.name), args: [input] });
  const h = await handle;
  try {
    const ready = await waitReady(h);
    expect(ready.nodes.map((n) => n.vms)).toEqual([VMS, VMS]);
    const report = await collectReport(h);
    // Every measurement was kept (a merge that failed in the workflow would be named here).
    expect(report.measurementErrors).toBeUndefined();

    // Every endpoint built was probed and reached, with a time from its create request.
    const endpoints = NODES.length * VMS;
    expect(report.reachability).toMatchObject({ setting: 'all', probed: endpoints, reachable: endpoints, unreachable: 0, unreachableNames: [] });
    expect(report.reachability.summary.count).toBe(endpoints);
    expect(report.reachability.summary.min).toBeGreaterThan(0);
    expect(report.reachability.summary.max).toBeLessThan(60_000);
    expect(report.reachability.distribution.reduce((s, b) => s + b.count, 0)).toBe(endpoints);

    // Each kind of work the build did, counted where it ran.
    const op = (kind: string) => report.operations.find((o) => o.kind === kind);
    expect(op('plugin.CreateVpc')).toMatchObject({ count: 2, failed: 0, timed: 2 });
    expect(op('plugin.CreateSubnet')).toMatchObject({ count: 3, failed: 0 });
    expect(op('plugin.CreateNode')).toMatchObject({ count: 2, failed: 0 });
    expect(op('vm.create')).toMatchObject({ count: endpoints, failed: 0 });
    expect(op('endpoint.create')).toMatchObject({ count: endpoints, failed: 0 });
    // Two batches per node, one chunk each: VM_ADD and EP_ADD once per batch.
    expect(op('endpointPlugin.VM_ADD')).toMatchObject({ count: 4, failed: 0 });
    expect(op('endpointPlugin.EP_ADD')).toMatchObject({ count: 4, failed: 0 });
    for (const o of report.operations) {
      expect(o.min).toBeLessThanOrEqual(o.p50);
      expect(o.p50).toBeLessThanOrEqual(o.p99);
      expect(o.p99).toBeLessThanOrEqual(o.max);
    }
    // The agent's own build time per node.
    expect(report.nodes.map((n) => [n.name, n.vms, n.batches])).toEqual([
      ['rpt-a', VMS, 2],
      ['rpt-b', VMS, 2],
    ]);
    expect(report.nodes.every((n) => n.buildMs > 0)).toBe(true);

    // SLA: the impossible gate is named, the others kept.
    expect(report.sla.violated).toEqual(['operationP99Ms.vm.create']);
    expect(report.sla.gates.find((g) => g.gate === 'reachableP99Ms')).toMatchObject({ pass: true });
    expect(report.tests.failed).toBe(0);
    expect(report.schemaVersion).toBe('1.0');
    expect(report.environment.machine.cpus).toBeGreaterThan(0);
    expect(report.drops).toBeUndefined();

    // The page: written, opened by headless Chromium without network, every chart drawn.
    mkdirSync(artifactDir, { recursive: true });
    const written = await writeReport(report, { json: join(artifactDir, 'report.json'), html: join(artifactDir, 'report.html') });
    expect(JSON.parse(readFileSync(written.json!, 'utf8')).reachability.probed).toBe(endpoints);
    const html = readFileSync(written.html!, 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=/); // nothing loaded from elsewhere
    const chromium = ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--window-size=1200,2400'];
    const dom = execFileSync('chromium', [...chromium, '--dump-dom', `file://${written.html}`], { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'ignore'] });
    // The page's script marks each canvas Chart.js drew on, and counts them on <body>.
    expect(dom).toContain('data-charts="3"');
    for (const id of ['chart-reachable', 'chart-operations', 'chart-nodes']) expect(dom).toMatch(new RegExp(`<canvas id="${id}"[^>]*data-rendered="true"`));
    const shot = join(artifactDir, 'report.png');
    rmSync(shot, { force: true });
    execFileSync('chromium', [...chromium, `--screenshot=${shot}`, `file://${written.html}`], { timeout: 120_000, stdio: 'ignore' });
    expect(existsSync(shot)).toBe(true);
    expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
    expect(statSync(shot).size).toBeGreaterThan(20_000); // charts and tables, not a blank page
    process.stdout.write(`report screenshot (CI artifact): ${shot}\nreport page: ${written.html}\n`);
  } finally {
    if ((await h.describe()).status.name === 'RUNNING') {
      await h.signal(teardownSignal);
      await h.result().catch(() => undefined);
    }
  }
});
