/**
 * A Merak scenario whose endpoints are Mizar's: the real Temporal dev server, the real
 * `merak plugin serve --provider mizar` process, Mizar's CRDs on a real kube-apiserver, real node
 * agents (their own processes, running the built-in `mizar` endpoint plugin) and namespaces.
 * Mizar's operator cannot run here (XDP, its daemons): the stand-in of
 * test/helpers/mizar-operator-double.ts plays its published part, allocates the VNI and
 * provisions each Endpoint. The scenario asks for VNI 4242; Merak builds its VXLAN dataplane with
 * the VNI Mizar's operator wrote, every VM endpoint is registered as an Endpoint resource and
 * built with the address and MAC Mizar holds for it, the VMs of two nodes ping and connect, and
 * teardown removes every custom resource Merak wrote (Endpoints included) and every namespace.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createComputeWorker } from '../../src/workers/compute';
import { findTag } from '../../src/dataplane/tags';
import { vmNetns } from '../../src/dataplane/names';
import { cleanAll } from '../../src/dataplane/clean';
import { spawnRunner } from '../../src/dataplane/command';
import { FileOwnerRecords } from '../../src/dataplane/owner-records';
import { resultsQuery, teardownSignal } from '../../src/workflows/messages';
import type { ScenarioStatus } from '../../src/model/status';
import { COMPUTE_TASK_QUEUE, scenarioWorkflowId } from '../../src/model/queues';
import type { ScenarioInput } from '../../src/model/spec';
import type { scenarioWorkflow } from '../../src/workflows';
import { renderTable } from '../../src/report/table';
import { bundleWorkflows, createTestEnv } from '../helpers/temporal';
import { waitForStatus } from '../helpers/local-cloud';
import { startApiServer, type TestApiServer } from '../helpers/apiserver';
import { startMizarOperatorDouble, type MizarOperatorDouble } from '../helpers/mizar-operator-double';
import { loadMizarCrds, mizarResource, mizarResources, startMizarPluginProcess, type MizarPluginProcess } from '../helpers/mizar';

jest.setTimeout(600_000);

const NS = 'mizar-scn';
const NODES = ['mz-a', 'mz-b'];
const stateDir = mkdtempSync(join(tmpdir(), 'merak-mizar-'));
let api: TestApiServer;
let operator: MizarOperatorDouble;
let plugin: MizarPluginProcess;
let env: TestWorkflowEnvironment;
const workers: Worker[] = [];
let running: Promise<unknown>;
let closeCompute: () => void;
let agent: ChildProcess | undefined;
const agentLines: string[] = [];

/** The node agents, one process for both nodes, reaching Mizar through MERAK_MIZAR_* (never the spec). */
async function startAgent(address: string, namespace: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-r', join(__dirname, 'dataplane-ts-loader.js'), join(__dirname, 'mizar-agent-child.ts'), address, namespace, stateDir, ...NODES], {
    env: { ...process.env, MERAK_MIZAR_KUBECONFIG: api.kubeconfigPath, MERAK_MIZAR_NAMESPACE: NS, MERAK_MIZAR_TIMEOUT_MS: '6000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.on('data', (c: Buffer) => agentLines.push(...c.toString().split('\n').filter((l) => l !== '')));
  await new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent child not ready within 120 s:\n${agentLines.join('\n')}`)), 120_000);
    child.stdout!.on('data', (c: Buffer) => {
      if (c.toString().includes('ready')) {
        clearTimeout(timer);
        resolveReady();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`agent child exited with ${code}:\n${agentLines.join('\n')}`));
    });
  });
  return child;
}

async function stopAgent(): Promise<void> {
  const child = agent;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

const netnsList = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });

// The machine itself, registered the way Mizar's daemon registers its host at start
// (mizar/daemon/droplet_service.py): Mizar provisions VPCs only once a droplet exists, and
// Merak creates its nodes' droplets after the VPCs.
const HOST_DROPLET = JSON.stringify({
  apiVersion: 'mizar.com/v1',
  kind: 'Droplet',
  metadata: { name: 'test-host' },
  spec: { ip: '192.168.254.1', mac: '02:fe:00:00:00:01', main_ip: '192.168.254.1', itf: 'eth0', status: 'Init' },
});

beforeAll(async () => {
  api = await startApiServer();
  await api.createNamespace(NS);
  await loadMizarCrds(api);
  operator = startMizarOperatorDouble(api, NS);
  await api.kubectl(['apply', '-n', NS, '-f', '-'], { input: HOST_DROPLET });
  plugin = await startMizarPluginProcess(['--kubeconfig', api.kubeconfigPath, '--namespace', NS, '--provision-timeout', '6000']);
  env = await createTestEnv();
  const compute = await createComputeWorker({ connection: env.nativeConnection, workflowBundle: await bundleWorkflows() });
  closeCompute = compute.close;
  workers.push(compute.worker);
  running = Promise.all(workers.map((w) => w.run()));
  agent = await startAgent(env.address, env.namespace ?? 'default');
});

afterAll(async () => {
  await stopAgent();
  workers.forEach((w) => w.shutdown());
  await running;
  closeCompute?.();
  await env?.teardown();
  await plugin?.stop();
  await operator?.stop();
  const leaked = netnsList().split('\n').filter((l) => l.includes('-mz-'));
  await cleanAll({ runner: spawnRunner, records: new FileOwnerRecords(stateDir) });
  rmSync(stateDir, { recursive: true, force: true });
  await api?.stop();
  expect(leaked).toEqual([]);
});

const waitFor = (handle: WorkflowHandle, ok: (s: ScenarioStatus) => boolean, what: string): Promise<ScenarioStatus> =>
  waitForStatus(handle, ok, what, { context: () => `plugin log:\n${plugin.lines.slice(-20).join('\n')}\nagent log:\n${agentLines.slice(-20).join('\n')}` });

test('a scenario through the Mizar plugin builds with Mizar\'s VNI and Mizar\'s endpoints, its VMs ping across nodes, and teardown leaves no resource or namespace', async () => {
  const spec: ScenarioInput = {
    name: 'mizar',
    plugin: { address: plugin.address, deadlineMs: 15_000, retryWindowMs: 60_000 },
    endpointPlugin: 'mizar',
    vpcs: [{ id: 'vpc-mz', vni: 4242, cidr: '10.77.0.0/16', subnets: [{ id: 'mz-1', cidr: '10.77.1.0/24' }, { id: 'mz-2', cidr: '10.77.2.0/24' }] }],
    nodes: NODES,
    vmsPerNode: 2,
    underlay: { cidr: '100.97.0.0/24' },
    tests: { kinds: ['icmp', 'tcp'], pairs: 'ring', negative: false },
  };
  const handle = await env.client.workflow.start<typeof scenarioWorkflow>('scenarioWorkflow', { taskQueue: COMPUTE_TASK_QUEUE, workflowId: scenarioWorkflowId(spec.name), args: [spec] });
  try {
    await waitFor(handle, (s) => s.phase === 'ready', 'ready');
    const mizarVni = operator.vnis.get('vpc-mz');
    expect(mizarVni).toBeDefined();
    expect(mizarVni).not.toBe(4242);
    expect((await mizarResource(api, NS, 'vpcs', 'vpc-mz'))?.spec).toMatchObject({ status: 'Provisioned', vni: String(mizarVni) });
    expect((await mizarResource(api, NS, 'subnets', 'mz-1'))?.spec).toMatchObject({ status: 'Provisioned', vni: String(mizarVni) });
    const endpointNames = NODES.flatMap((node) => [0, 1].map((vm) => `${spec.name}-${node}-${vm}-0`));
    // A node is known to the plugin as <node>.<scenario> (docs/scenario.md, several scenarios on one plugin).
    expect(await mizarResources(api, NS)).toEqual(
      [...endpointNames.map((n) => `Endpoint/${n}`), `Droplet/mz-a.${spec.name}`, `Droplet/mz-b.${spec.name}`, 'Droplet/test-host', 'Subnet/mz-1', 'Subnet/mz-2', 'Vpc/vpc-mz'].sort(),
    );

    // The VXLAN device of each node carries Mizar's VNI, not the one the scenario asked for.
    const tag = (await findTag(stateDir, spec.name))!;
    for (const node of NODES) {
      const links = JSON.parse(execFileSync('ip', ['-n', `mk-${tag}-${node}`, '-d', '-j', 'link', 'show', 'type', 'vxlan'], { encoding: 'utf8' })) as { linkinfo?: { info_data?: { id?: number } } }[];
      expect(links.map((l) => l.linkinfo?.info_data?.id)).toEqual([mizarVni]);
    }

    // Each VM's endpoint is the one Mizar's operator (stand-in) provisioned: its Endpoint resource,
    // read back from the API server, holds the address and MAC the VM's interface carries.
    const assigned: string[] = [];
    const subnetsUsed = new Set<string>();
    for (const node of NODES) {
      for (const vm of [0, 1]) {
        const cr = await mizarResource(api, NS, 'endpoints', `${spec.name}-${node}-${vm}-0`);
        expect(cr?.spec).toMatchObject({ type: 'simple', status: 'Provisioned', vpc: 'vpc-mz', droplet: `${node}.${spec.name}`, vni: String(mizarVni), prefix: '24', itf: 'eth0' });
        const { ip, mac, net } = cr!.spec as { ip: string; mac: string; net: string };
        const gw = { 'mz-1': '10.77.1.1', 'mz-2': '10.77.2.1' }[net];
        expect(gw).toBeDefined();
        expect(cr!.spec.gw).toBe(gw);
        subnetsUsed.add(net);
        const link = JSON.parse(execFileSync('ip', ['-n', vmNetns(tag, node, vm), '-j', 'addr', 'show', 'dev', 'eth0'], { encoding: 'utf8' })) as { address: string; addr_info: { family: string; local: string; prefixlen: number }[] }[];
        expect(link[0]!.address).toBe(mac);
        expect(link[0]!.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`)).toEqual([`${ip}/24`]);
        expect(execFileSync('ip', ['-n', vmNetns(tag, node, vm), 'route', 'show', 'default'], { encoding: 'utf8' })).toContain(`via ${gw} dev eth0`);
        assigned.push(ip);
      }
    }
    expect(new Set(assigned).size).toBe(4);
    // Both subnets hold VMs: the tests below also cross the VPC's router, which answers ARP only
    // from this node's MAC prefix, so the MACs Mizar registered must be Merak's.
    expect([...subnetsUsed].sort()).toEqual(['mz-1', 'mz-2']);
    expect(operator.actions.filter((a) => a.startsWith('Endpoint ')).length).toBeGreaterThanOrEqual(4);

    const results = await handle.query(resultsQuery);
    const failed = results.filter((r) => !r.pass);
    if (failed.length) process.stderr.write(renderTable(failed));
    expect(failed).toEqual([]);
    const icmp = results.filter((r) => r.kind === 'icmp');
    expect(icmp.length).toBeGreaterThanOrEqual(4);
    // Some pairs cross nodes: the packets went through the VXLAN of Mizar's VNI.
    expect(icmp.some((r) => r.source.split('/')[0] !== r.destination.split('/')[0])).toBe(true);

    await handle.signal(teardownSignal);
    const outcome = await handle.result();
    expect(outcome.phase).toBe('deleted');
    expect(outcome.cleanupErrors).toEqual([]);
    expect(netnsList()).not.toContain(`mk-${tag}`);
    // Every Endpoint resource went with the teardown, before the subnets it was in.
    expect(await mizarResources(api, NS)).toEqual(['Droplet/test-host']);
    await api.kubectl(['delete', 'droplets.mizar.com', 'test-host', '-n', NS, '--wait=true', '--timeout=30s']);
    expect(await mizarResources(api, NS)).toEqual([]);
    expect(operator.actions.filter((a) => a.startsWith('error'))).toEqual([]);
  } finally {
    if ((await handle.describe()).status.name === 'RUNNING') {
      await handle.signal(teardownSignal);
      await handle.result().catch(() => undefined);
    }
  }
});
