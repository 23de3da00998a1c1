/**
 * Merak against the real Alcor control plane, built from source by scripts/provide-alcor.sh and
 * started here (Ignite and eleven services in their own namespace): the network plugin over
 * gRPC with Alcor's rough edges, then a whole scenario through Temporal — 2 nodes, one VPC with 2
 * subnets, VMs on both — whose endpoints are built from the goal states Alcor pushes to each
 * node's host agent: all four test kinds pass, the VNI is Alcor's, scale up and down, teardown
 * leaves nothing in Alcor or in the kernel. The control plane is stopped at the end, and nothing
 * of it is left either (no JVM, no namespace).
 *
 * Needs root, the Temporal CLI, the built CLI (npm run build) and about 3.3 GiB of memory.
 */
import { pluginNodeName } from '../../src/model/identity';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createComputeWorker } from '../../src/workers/compute';
import { createAgentWorkers } from '../../src/workers/agent';
import { createTestingActivities } from '../../src/activities/testing/activities';
import { spawnRunner } from '../../src/dataplane/command';
import { cleanAll } from '../../src/dataplane/clean';
import { FileOwnerRecords } from '../../src/dataplane/owner-records';
import { findTag } from '../../src/dataplane/tags';
import { nodeNetns, vmNetns } from '../../src/dataplane/names';
import { alcorNetns, alcorOwner, alcorRunDir, startAlcorControlPlane, stopAlcorControlPlane, type RunningControlPlane } from '../../src/local/alcor-control-plane';
import { alcorEndpointsAt, createAlcorRest, type AlcorRest } from '../../src/plugin/alcor/rest';
import { Status } from '../../src/plugin/sdk';
import { createNetworkPluginClient, type NetworkPluginClient } from '../../src/plugin/client';
import { PluginCallError } from '../../src/plugin/errors';
import { resultsQuery, scaleSignal, scaleUpdate, statusQuery, teardownSignal, testSignal } from '../../src/workflows/messages';
import type { ScenarioStatus, TestResult } from '../../src/model/status';
import { COMPUTE_TASK_QUEUE, scenarioWorkflowId } from '../../src/model/queues';
import type { scenarioWorkflow } from '../../src/workflows';
import type { ScenarioInput } from '../../src/model/spec';
import type { EndpointTiming } from '../../src/endpoint-plugins/alcor';
import { waitForStatus } from '../helpers/local-cloud';
import { bundleWorkflows, createTestEnv } from '../helpers/temporal';
import { alcorHome, namespacesWith, processesWith, requireBuiltCli } from '../helpers/alcor';
import { ruleIds, runConformanceCli } from '../helpers/conformance-cli';
import type { ConformanceReport } from '../../src/model/plugin-conformance';

const isRoot = process.getuid?.() === 0;
const describeRoot = isRoot ? describe : describe.skip;
jest.setTimeout(600_000);

const CP = `t${process.pid % 100000}`;
const LISTEN = `127.77.${Math.floor((process.pid % 60000) / 250)}.${(process.pid % 250) + 2}`;
const PROJECT = `merak-test-${process.pid}`;
const NODES = ['alcor-a', 'alcor-b'];
const stateDir = mkdtempSync(join(tmpdir(), 'merak-alcor-'));
// Alcor's logs stay (and their folder is printed) unless every test passed.
const cpState = mkdtempSync(join(tmpdir(), 'merak-alcor-logs-'));
let failures = 0;

let cp: RunningControlPlane | undefined;
let env: TestWorkflowEnvironment;
/** The network plugin, run as a user runs it: `merak plugin serve --provider alcor` (the built CLI). */
let plugin: { child: ChildProcess; address: string; stderr: () => string };
const MERAK = join(__dirname, '..', '..', 'bin', 'merak.js');
let client: NetworkPluginClient;
let alcor: AlcorRest;
const workers: Worker[] = [];
let running: Promise<unknown> | undefined;
let closeCompute: (() => void) | undefined;

const rootNet = () => JSON.stringify([execFileSync('ip', ['-j', 'addr'], { encoding: 'utf8' }), execFileSync('ip', ['-j', 'route'], { encoding: 'utf8' })]);
let rootBefore: string;

/** What Alcor holds for the test's project (its list endpoints return every project's objects unless filtered). */
async function alcorList(service: 'vpc' | 'subnet' | 'port' | 'route', kind: string): Promise<Array<Record<string, unknown>>> {
  const body = (await alcor.call('GET', service, `/project/${PROJECT}/${kind}?project_id=${PROJECT}`)).body as Record<string, Array<Record<string, unknown>>>;
  return body[kind] ?? [];
}

beforeAll(async () => {
  if (!isRoot) return;
  requireBuiltCli();
  rootBefore = rootNet();
  const home = alcorHome();
  cp = await startAlcorControlPlane({ name: CP, home, listenHost: LISTEN, stateDir: cpState, runner: spawnRunner, log: (l) => process.stderr.write(`alcor: ${l}\n`) });
  process.stdout.write(`Alcor control plane ${CP} ready in ${cp.startSeconds.toFixed(1)} s (REST on ${LISTEN})\n`);
  alcor = createAlcorRest({ endpoints: alcorEndpointsAt(LISTEN) });
  // The agent's alcor endpoint plugin reads its configuration from the environment at first use.
  process.env.MERAK_ALCOR_URL = `http://${LISTEN}`;
  process.env.MERAK_ALCOR_PROJECT = PROJECT;
  process.env.MERAK_ALCOR_NETNS = alcorNetns(CP);
  plugin = await servePlugin(['--provider', 'alcor', '--alcor-url', `http://${LISTEN}`, '--project', PROJECT]);
  client = createNetworkPluginClient(plugin.address, { deadlineMs: 60_000 });
  env = await createTestEnv();
  const compute = await createComputeWorker({ connection: env.nativeConnection, workflowBundle: await bundleWorkflows() });
  closeCompute = compute.close;
  workers.push(compute.worker);
  workers.push(...(await createAgentWorkers({ connection: env.nativeConnection, nodes: NODES, stateDir, extraActivities: createTestingActivities({ stateDir }) })));
  running = Promise.all(workers.map((w) => w.run()));
}, 30 * 60_000);

afterAll(async () => {
  if (!isRoot) return;
  workers.forEach((w) => w.shutdown());
  await running;
  closeCompute?.();
  client?.close();
  if (plugin) {
    const exited = new Promise<number | null>((r) => plugin.child.on('exit', (code) => r(code)));
    plugin.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    if (failures > 0) process.stderr.write(`network plugin log:\n${plugin.stderr()}\n`);
  }
  await env?.teardown();
  const leaked = NODES.flatMap((n) => namespacesWith(n));
  await cleanAll({ runner: spawnRunner, records: new FileOwnerRecords(stateDir) });
  // The control plane goes last, and nothing of it stays: no JVM, no forwarder, no namespace.
  const processes = cp?.record.processes ?? [];
  await stopAlcorControlPlane({ name: CP, stateDir: cpState, runner: spawnRunner });
  rmSync(stateDir, { recursive: true, force: true });
  if (failures === 0) rmSync(cpState, { recursive: true, force: true });
  else process.stderr.write(`Alcor's logs are kept in ${cpState}\n`);
  expect(leaked).toEqual([]);
  expect(processes.length).toBe(13);
  // Every process of it carried --pidfile=<its pid file below the run folder>: none runs now.
  expect(processesWith(`--pidfile=${alcorRunDir(CP)}/`)).toEqual([]);
  expect(existsSync(alcorRunDir(CP))).toBe(false);
  expect(existsSync(join(cpState, 'providers', alcorOwner(CP)))).toBe(false);
  expect(namespacesWith(alcorNetns(CP))).toEqual([]);
  expect(rootNet()).toBe(rootBefore);
}, 10 * 60_000);

/** Starts `merak plugin serve --port 0 ARGS` and waits (bounded) for the address it prints. */
async function servePlugin(args: string[]): Promise<typeof plugin> {
  const child = spawn(process.execPath, [MERAK, 'plugin', 'serve', '--port', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const m = /listening on (127\.0\.0\.1:\d+)/.exec(stderr);
    if (m) return { child, address: m[1]!, stderr: () => stderr };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`merak plugin serve --provider alcor did not start: ${stderr}`);
}

/** A test body whose failure keeps Alcor's logs. */
function tracked(fn: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await fn();
    } catch (err) {
      failures++;
      throw err;
    }
  };
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    return err instanceof PluginCallError ? Status[err.code]! : String(err);
  }
}

describeRoot('the alcor network plugin against the real Alcor', () => {
  const vpc = (id: string, ip = '10.80.0.0', prefix = 16) => ({ vpc: { id, vni: 4242, ip, prefix, optional: {} } });
  const subnet = (id: string, vpcId: string, ip: string, prefix = 24) => ({ subnet: { id, vpc: vpcId, vni: 0, ip, prefix, optional: {} } });

  test('every Create answers what Alcor assigned; its rough edges become the plugin\'s statuses', tracked(async () => {
    const v = `pv-${process.pid}`;
    const { vpc: made } = await client.createVpc(vpc(v));
    const held = ((await alcor.call('GET', 'vpc', `/project/${PROJECT}/vpcs/${v}`)).body as { network: { 'provider:segmentation_id': number } }).network;
    // Alcor overwrote the VNI asked for; the answer carries Alcor's.
    expect(made.vni).not.toBe(4242);
    expect(made.vni).toBe(held['provider:segmentation_id']);
    // A second create with the same fields reads first: same VPC, same VNI (Alcor would have given a new one).
    expect((await client.createVpc(vpc(v))).vpc.vni).toBe(made.vni);
    expect(await code(client.createVpc(vpc(v, '10.81.0.0')))).toBe('ALREADY_EXISTS');

    const s1 = `ps1-${process.pid}`;
    const { subnet: sub } = await client.createSubnet(subnet(s1, v, '10.80.1.0'));
    expect(sub.vni).toBe(made.vni);
    expect(sub.optional['alcor.gateway_ip']).toBe('10.80.1.1');
    // Alcor's 500s, classified by their message.
    expect(await code(client.createSubnet(subnet(`ps2-${process.pid}`, v, '10.80.1.0')))).toBe('ALREADY_EXISTS');
    expect(await code(client.createSubnet(subnet(`ps3-${process.pid}`, v, '10.99.1.0')))).toBe('INVALID_ARGUMENT');
    expect(await code(client.createSubnet(subnet(`ps4-${process.pid}`, `nope-${process.pid}`, '10.80.2.0')))).toBe('FAILED_PRECONDITION');
    // Alcor deletes a VPC with subnets (orphaning them); the plugin refuses.
    expect(await code(client.deleteVpc({ id: v }))).toBe('FAILED_PRECONDITION');
    expect((await alcorList('vpc', 'vpcs')).map((x) => x.id)).toContain(v);
    // A subnet update resends the gateway: Alcor keeps it.
    await client.updateSubnet(subnet(s1, v, '10.80.0.0', 23));
    const after = ((await alcor.call('GET', 'subnet', `/project/${PROJECT}/subnets/${s1}`)).body as { subnet: { cidr: string; gateway_ip: string } }).subnet;
    expect(after).toMatchObject({ cidr: '10.80.0.0/23', gateway_ip: '10.80.1.1' });

    const n = `pn-${process.pid}`;
    await client.createNode({ node: { name: n, ip: '100.98.7.1', mac: '02:00:00:00:07:01', optional: {} } });
    expect(await code(client.createNode({ node: { name: `${n}x`, ip: '100.98.7.1', mac: '02:00:00:00:07:02', optional: {} } }))).toBe('ALREADY_EXISTS');
    expect(await code(client.updateNode({ node: { name: `nope-${process.pid}`, ip: '100.98.7.9', mac: '02:00:00:00:07:09', optional: {} } }))).toBe('NOT_FOUND');

    await client.deleteNode({ name: n });
    await client.deleteSubnet({ id: s1 });
    await client.deleteVpc({ id: v });
    await client.deleteVpc({ id: v });
    expect(await alcorList('vpc', 'vpcs')).toEqual([]);
    expect(await alcorList('subnet', 'subnets')).toEqual([]);
    expect(await alcorList('route', 'routers')).toEqual([]);
  }));

  test('merak plugin conformance passes against the alcor plugin; Alcor holds nothing of the suite after', tracked(async () => {
    const run = await runConformanceCli(['--address', plugin.address, '-o', 'json', '--prefix', 'mkc-alcor', '--timeout', '60000'], 480_000);
    const report = JSON.parse(run.stdout || '{"results":[]}') as ConformanceReport;
    const fails = report.results.filter((r) => r.status === 'fail').map((r) => ({ id: r.rule.id, reason: r.reason, request: r.failed?.request, answer: r.failed?.outcome }));
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr, fails }).toEqual({ code: 0, stderr: '', fails: [] });
    expect(ruleIds(report, 'pass').length).toBeGreaterThan(30);
    process.stdout.write(`conformance against alcor: ${ruleIds(report, 'pass').length} passed, skipped: ${ruleIds(report, 'skip').join(', ')}\n`);
    expect(await alcorList('vpc', 'vpcs')).toEqual([]);
    expect(await alcorList('subnet', 'subnets')).toEqual([]);
    expect(await alcorList('port', 'ports')).toEqual([]);
  }));
});

// ---------------------------------------------------------------------------- the scenario

function spec(name: string): ScenarioInput {
  return {
    name,
    plugin: { address: plugin.address, deadlineMs: 60_000, retryWindowMs: 180_000 },
    endpointPlugin: 'alcor',
    vpcs: [{ id: `${name}-vpc`, vni: 4242, cidr: '10.90.0.0/16', subnets: [{ id: `${name}-s1`, cidr: '10.90.1.0/24' }, { id: `${name}-s2`, cidr: '10.90.2.0/24' }] }],
    nodes: NODES,
    vmsPerNode: 2,
    underlay: { cidr: '100.97.0.0/24' },
    tests: { kinds: ['icmp', 'tcp', 'udp', 'iperf'], pairs: 'all', negative: false },
  };
}

const waitFor = (handle: WorkflowHandle, ok: (s: ScenarioStatus) => boolean, what: string, timeoutMs = 420_000): Promise<ScenarioStatus> =>
  waitForStatus(handle, ok, what, { timeoutMs, everyMs: 500 });

const vmsOnNodes = (s: ScenarioStatus) => s.nodes.map((n) => n.vms);
const merakPorts = async () => (await alcorList('port', 'ports')).filter((p) => p.device_owner === 'compute:merak');

/** The endpoint timings the alcor plugin recorded on each node. */
function timings(name: string): EndpointTiming[] {
  return NODES.flatMap((n) => {
    const f = join(stateDir, 'scenarios', name, `${n}.alcor`, 'endpoints.jsonl');
    return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as EndpointTiming) : [];
  });
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};

/**
 * Watches for a VM namespace to appear and pings `peer` from it every 20 ms until the first
 * reply: the moment an endpoint built from Alcor's goal state first carries traffic.
 */
function firstReply(netns: string, peer: string, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const deadline = Date.now() + timeoutMs;
    const tick = () => {
      if (Date.now() > deadline) return resolve(undefined);
      if (!existsSync(`/run/netns/${netns}`)) return void setTimeout(tick, 20);
      const p = spawn('ip', ['netns', 'exec', netns, 'ping', '-c', '1', '-W', '1', peer], { stdio: 'ignore' });
      p.on('close', (rc) => (rc === 0 ? resolve(Date.now()) : setTimeout(tick, 20)));
      p.on('error', () => setTimeout(tick, 50));
    };
    tick();
  });
}

describeRoot('a scenario on Alcor: endpoints built from the goal states Alcor pushes', () => {
  test('2 nodes, one VPC with 2 subnets: all four test kinds pass with Alcor\'s VNI, scale up and down, teardown leaves nothing', tracked(async () => {
    const name = 'alcorsc';
    const handle = await env.client.workflow.start<typeof scenarioWorkflow>('scenarioWorkflow', {
      taskQueue: COMPUTE_TASK_QUEUE,
      workflowId: scenarioWorkflowId(name),
      args: [spec(name)],
    });
    try {
      const ready = await waitFor(handle, (s) => s.phase === 'ready', 'ready');
      expect(vmsOnNodes(ready)).toEqual([2, 2]);
      const tag = (await findTag(stateDir, name))!;

      // The VNI Merak built with is Alcor's: the VPC's segmentation id, on every node's VXLAN device.
      const seg = ((await alcor.call('GET', 'vpc', `/project/${PROJECT}/vpcs/${name}-vpc`)).body as { network: { 'provider:segmentation_id': number } }).network['provider:segmentation_id'];
      expect(seg).not.toBe(4242);
      expect(ready.built.find((b) => b.kind === 'vpc')?.vni).toBe(seg);
      // `merak plugin state` shows what Alcor holds, with Alcor's VNI.
      const state = JSON.parse(execFileSync(process.execPath, [MERAK, 'plugin', 'state', '--address', plugin.address, '-o', 'json'], { encoding: 'utf8' })) as { vpcs: Array<{ id: string; vni: number }>; subnets: unknown[]; nodes: Array<{ name: string }> };
      expect(state.vpcs).toEqual([expect.objectContaining({ id: `${name}-vpc`, vni: seg })]);
      expect(state.subnets).toHaveLength(2);
      // Alcor holds each node under the scenario's plugin name <node>.<scenario> (scenarios share a plugin).
      const registered = NODES.map((n) => pluginNodeName(name, n));
      expect(state.nodes.map((n) => n.name).filter((n) => registered.includes(n)).sort()).toEqual(registered);
      for (const node of NODES) {
        const vx = JSON.parse(execFileSync('ip', ['-n', nodeNetns(tag, node), '-d', '-j', 'link', 'show', 'type', 'vxlan'], { encoding: 'utf8' })) as Array<{ linkinfo: { info_data: { id: number } } }>;
        expect(vx.map((l) => l.linkinfo.info_data.id)).toEqual([seg]);
      }

      // Every endpoint is an Alcor port bound to its node, and the VM's interface has the MAC and
      // address Alcor pushed for it (Alcor's MACs: aa:bb:cc, from its MAC manager).
      const ports = await merakPorts();
      expect(ports.length).toBe(4);
      for (const node of NODES) {
        for (const vm of [0, 1]) {
          const port = ports.find((p) => p.id === `${name}-${node}-${vm}-0`)!;
          expect(port['binding:host_id']).toBe(pluginNodeName(name, node));
          const eth0 = (JSON.parse(execFileSync('ip', ['-n', vmNetns(tag, node, vm), '-j', 'addr', 'show', 'dev', 'eth0'], { encoding: 'utf8' })) as Array<{ address: string; addr_info: Array<{ local: string }> }>)[0]!;
          expect(eth0.address).toBe(port.mac_address);
          expect(eth0.address.startsWith('aa:bb:cc')).toBe(true);
          expect(eth0.addr_info.map((a) => a.local)).toContain((port.fixed_ips as Array<{ ip_address: string }>)[0]!.ip_address);
        }
      }

      // All four kinds pass, between subnets as well as within one, across nodes.
      const results: TestResult[] = await handle.query(resultsQuery);
      expect([...new Set(results.map((r) => r.kind))].sort()).toEqual(['icmp', 'iperf', 'tcp', 'udp']);
      expect(results.filter((r) => !r.pass)).toEqual([]);
      // Result ends read `node/vm-3 (10.90.1.5)`.
      const subnetOf = (label: string) => /\((\d+\.\d+\.\d+)\.\d+\)/.exec(label)?.[1];
      const icmp = results.filter((r) => r.kind === 'icmp');
      expect(icmp.some((r) => subnetOf(r.source) !== subnetOf(r.destination))).toBe(true);
      expect(icmp.some((r) => subnetOf(r.source) === subnetOf(r.destination))).toBe(true);

      // Scale up: the new endpoints are created, pushed and wired; time to reachable measured from
      // the port's create to the first ping answered through it.
      // The peer is VM 0 of the other node: reachable only once Alcor has told both nodes.
      const ipOf = (p: Record<string, unknown>) => (p.fixed_ips as Array<{ ip_address: string }>)[0]!.ip_address;
      const peerOf = (node: string) => ipOf(ports.find((p) => p.id === `${name}-${NODES.find((n) => n !== node)}-0-0`)!);
      const watchers = NODES.map((node) => firstReply(vmNetns(tag, node, 2), peerOf(node), 240_000));
      await handle.signal(scaleSignal, { vmsPerNode: 3 });
      const up = await waitFor(handle, (s) => s.phase === 'ready' && vmsOnNodes(s).every((v) => v === 3), 'scaled to 3');
      expect(vmsOnNodes(up)).toEqual([3, 3]);
      const grown = await merakPorts();
      expect(grown.length).toBe(6);
      const firstPings = await Promise.all(watchers);
      // The tests again, now with the new VMs among the pairs.
      const newIps = grown.filter((p) => String(p.id).endsWith('-2-0')).map(ipOf);
      await handle.signal(testSignal, { kinds: ['icmp', 'tcp'] });
      const deadline = Date.now() + 240_000;
      let again: TestResult[] = [];
      while (Date.now() < deadline) {
        again = await handle.query(resultsQuery);
        if (newIps.every((ip) => again.some((r) => r.destination.endsWith(`(${ip})`))) && (await handle.query(statusQuery)).phase === 'ready') break;
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(newIps.every((ip) => again.some((r) => r.destination.endsWith(`(${ip})`)))).toBe(true);
      expect(again.filter((r) => !r.pass)).toEqual([]);

      // Scale one node down by update: its ports leave Alcor.
      await handle.executeUpdate(scaleUpdate, { args: [{ vmsPerNode: 1, node: 'alcor-b' }] });
      expect(vmsOnNodes(await handle.query(statusQuery))).toEqual([3, 1]);
      expect((await merakPorts()).map((p) => p.id).sort()).toEqual([0, 1, 2].map((i) => `${name}-alcor-a-${i}-0`).concat([`${name}-alcor-b-0-0`]).sort());

      // Time to reachable, per endpoint (ms): create sent -> Alcor answered -> goal state at the node -> wired; first ping for the scaled-up VMs.
      const t = timings(name);
      const row = (label: string, xs: number[]) => `${label.padEnd(34)} p50 ${pct(xs, 50)}  p95 ${pct(xs, 95)}  max ${Math.max(...xs)}  (n=${xs.length})`;
      const newPorts = NODES.map((n) => t.find((x) => x.port === `${name}-${n}-2-0`)!);
      const ttr = firstPings.map((at, i) => (at === undefined ? NaN : at - newPorts[i]!.created));
      process.stdout.write(
        [
          `time to reachable on Alcor (${t.length} endpoints, ms):`,
          row('create -> Alcor answered', t.map((x) => x.answered - x.created)),
          row('create -> goal state received', t.map((x) => x.received - x.created)),
          row('create -> endpoint wired', t.map((x) => x.wired - x.created)),
          row('create -> first ping (scale-up)', ttr),
        ].join('\n') + '\n',
      );
      expect(t.every((x) => x.created <= x.received && x.received <= x.programmed && x.programmed <= x.wired)).toBe(true);
      expect(ttr.every((x) => Number.isFinite(x) && x > 0)).toBe(true);

      await handle.signal(teardownSignal);
      const outcome = await handle.result();
      expect(outcome.phase).toBe('deleted');
      expect(outcome.cleanupErrors).toEqual([]);
      // Nothing in Alcor for the scenario's project, and no node of it.
      for (const [service, kind] of [['vpc', 'vpcs'], ['subnet', 'subnets'], ['port', 'ports'], ['route', 'routers']] as const) {
        expect({ kind, left: await alcorList(service, kind) }).toEqual({ kind, left: [] });
      }
      for (const node of NODES) {
        expect(((await alcor.call('GET', 'node', `/nodes/${node}`)).body as { host_info: unknown }).host_info).toBeNull();
      }
      // Nothing in the kernel: no namespace of the scenario (nodes, VMs, router namespaces, fabric).
      expect(namespacesWith(`mk-${tag}`)).toEqual([]);
      expect(readdirSync(stateDir).includes('scenarios') ? readdirSync(join(stateDir, 'scenarios')).filter((d) => d.includes(name)) : []).toEqual([]);
    } finally {
      if ((await handle.describe()).status.name === 'RUNNING') {
        await handle.signal(teardownSignal);
        await handle.result().catch(() => undefined);
      }
    }
  }));
});
