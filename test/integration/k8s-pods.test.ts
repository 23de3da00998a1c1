/**
 * Kubernetes mode end to end, with every emulated node an agent in a pod of its own: a real
 * kube-apiserver (and etcd), the real `merak controller` process with the manifests' RBAC, the
 * Temporal dev server, the reference network plugin and the compute worker; and three agent
 * processes (`merak worker agent --mode pod`), each in its own network namespace with its own
 * pod address on a 1500-byte pod network, and its own mount namespace with a private
 * /run/netns, so no agent sees another's VM namespaces (as pods on a cluster do not). No kubelet
 * runs: the test plays its part (pod network, pod status Running with the pod IP, the agent
 * process of each pod). A stand-in for the cluster's Service routing: a loopback forwarder
 * (helpers/loopforward.py) in each pod carries the agent's connection to the dev server on the
 * host's loopback, so the root namespace gains no address or route.
 *
 * Checked: all four kinds (icmp, tcp, udp, iperf3) pass between VMs on different pods, negative
 * pairs (another VPC) included, the server side of each check run by the destination pod's own
 * agent; a full-size (1422-byte) don't-fragment ping crosses pods and a 1472-byte one is refused
 * at the sender with the VMs' MTU 1450 named; deleting the pods tears the scenario down, and
 * nothing is left: no VM namespace in any pod, only eth0 and lo in each pod namespace, no tag,
 * no namespace of the test on the host, the root namespace unchanged.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { stringify } from 'yaml';
import { findTag } from '../../src/dataplane/tags';
import { vmNetns } from '../../src/dataplane/names';
import { helperArgv } from '../../src/install/helpers';
import { DEFAULT_UNDERLAY_MTU, VXLAN_IPV4_OVERHEAD } from '../../src/model/limits';
import { scenarioWorkflowId } from '../../src/model/queues';
import type { ScenarioStatus, TestResult } from '../../src/model/status';
import { startReferencePlugin, type RunningReferencePlugin } from '../../src/plugin/reference/server';
import { createComputeWorker } from '../../src/workers/compute';
import { renderTable } from '../../src/report/table';
import { resultsQuery, statusQuery } from '../../src/workflows/messages';
import { startApiServer, type TestApiServer } from '../helpers/apiserver';
import { startControllerProcess, type ControllerProcess } from '../helpers/controller-process';
import { bundleWorkflows, createTestEnv } from '../helpers/temporal';
import { forgetTestProcesses, recordTestProcesses } from '../helpers/test-processes';

const isRoot = process.getuid?.() === 0;
const describeRoot = isRoot ? describe : describe.skip;
jest.setTimeout(900_000);

const REPO_ROOT = resolve(__dirname, '..', '..');
const TS_LOADER = join(__dirname, 'dataplane-ts-loader.js');
const NS = 'merak-pods';
const SCENARIO = NS;
const PODS = ['xp-0', 'xp-1', 'xp-2'];
const podIp = (i: number) => `100.96.40.${10 + i}`;
/** The VMs' MTU on a 1500-byte pod network: VXLAN takes 50 bytes. */
const VM_MTU = DEFAULT_UNDERLAY_MTU - VXLAN_IPV4_OVERHEAD;
const KINDS = ['icmp', 'tcp', 'udp', 'iperf'] as const;

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });
const netnsNames = (): string[] => (existsSync('/run/netns') ? readdirSync('/run/netns') : []);
const rootNet = () => JSON.stringify([ip('-j', 'addr'), ip('-j', 'route', 'show', 'table', 'all')]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Pod {
  name: string;
  netns: string;
  stateDir: string;
  forwarder?: ChildProcess;
  agent?: ChildProcess;
  log: string[];
}

/** Collects a child's output lines; resolves when a line matches `ready` (bounded). */
function follow(child: ChildProcess, log: string[], ready: RegExp, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolveReady, reject) => {
    let done = false;
    const timer = setTimeout(() => finish(new Error(`${what} not ready within ${timeoutMs} ms:\n${log.slice(-20).join('\n')}`)), timeoutMs);
    function finish(err?: Error): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolveReady();
    }
    const onData = (b: Buffer) => {
      for (const line of b.toString().split('\n')) {
        if (line.trim() === '') continue;
        log.push(line);
        if (process.env.MERAK_TEST_VERBOSE) process.stderr.write(`[${what}] ${line}\n`);
        if (ready.test(line)) finish();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => finish(new Error(`${what} exited (${code ?? signal}) before it was ready:\n${log.slice(-20).join('\n')}`)));
  });
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** Runs argv inside a pod's own mount and network namespaces (its agent's), as `kubectl exec` would. */
function inPod(pod: Pod, argv: string[]): { status: number | null; out: string } {
  const r = spawnSync('nsenter', ['-t', String(pod.agent!.pid), '-m', '-n', '--', ...argv], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Command lines of the processes descended from `pid` (from /proc). */
function descendants(pid: number): string[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // ended meanwhile
    }
  }
  const isBelow = (p: number): boolean => {
    for (let q = parent.get(p), hops = 0; q !== undefined && q > 1 && hops < 64; q = parent.get(q), hops++) if (q === pid) return true;
    return false;
  };
  return [...parent.keys()].filter(isBelow).map((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      return `${p} (ended)`;
    }
  });
}

/** `node/vm-N (ip)` → its parts. */
function endOf(label: string): { node: string; vm: number; ip: string } {
  const m = /^(.+)\/vm-(\d+) \((.+)\)$/.exec(label);
  if (!m) throw new Error(`not an endpoint label: ${label}`);
  return { node: m[1]!, vm: Number(m[2]), ip: m[3]! };
}

describeRoot('Kubernetes mode: agents in pods of their own', () => {
  const p = `mkp${process.pid % 100000}`;
  const podnet = `${p}-net`;
  const pods: Pod[] = PODS.map((name, i) => ({ name, netns: `${p}-${i}`, stateDir: mkdtempSync(join(tmpdir(), 'merak-pod-')), log: [] }));
  let api: TestApiServer | undefined;
  let env: TestWorkflowEnvironment | undefined;
  let plugin: RunningReferencePlugin | undefined;
  let compute: { worker: Worker; close: () => void } | undefined;
  let running: Promise<void> | undefined;
  let controller: ControllerProcess | undefined;
  let record: string | undefined;
  let rootBefore: string;
  const context = () => [...(controller?.lines.slice(-15) ?? []), ...pods.flatMap((pod) => pod.log.slice(-10).map((l) => `[${pod.name}] ${l}`))].join('\n');

  async function kubectlJson(doc: unknown): Promise<void> {
    await api!.kubectl(['apply', '-f', '-'], { input: JSON.stringify(doc) });
  }

  async function waitForStatus(ok: (s: ScenarioStatus) => boolean, what: string, timeoutMs = 600_000): Promise<ScenarioStatus> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        const s = await env!.client.workflow.getHandle(scenarioWorkflowId(SCENARIO)).query(statusQuery);
        last = s;
        if (ok(s)) return s;
        if (s.phase === 'failed') break;
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(500);
    }
    throw new Error(`${what} not reached; last status ${JSON.stringify(last)}\n${context()}`);
  }

  beforeAll(async () => {
    rootBefore = rootNet();
    [api, env] = await Promise.all([startApiServer(), createTestEnv()]);
    plugin = await startReferencePlugin({ port: 0 });
    compute = await createComputeWorker({ connection: env.nativeConnection, workflowBundle: await bundleWorkflows() });
    running = compute.worker.run();
    const temporalPort = env.address.split(':').pop()!;

    // The pod network: a bridge in a namespace of its own, one veth per pod (1500 bytes).
    ip('netns', 'add', podnet);
    ip('-n', podnet, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', podnet, 'link', 'set', 'br0', 'up');
    const python = execFileSync('python3', ['-I', '-S', '-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
    for (const [i, pod] of pods.entries()) {
      ip('netns', 'add', pod.netns);
      ip('link', 'add', 'eth0', 'netns', pod.netns, 'mtu', String(DEFAULT_UNDERLAY_MTU), 'type', 'veth', 'peer', 'name', `p${i}`, 'netns', podnet, 'mtu', String(DEFAULT_UNDERLAY_MTU));
      ip('-n', podnet, 'link', 'set', `p${i}`, 'master', 'br0', 'up');
      ip('-n', pod.netns, 'addr', 'add', `${podIp(i)}/24`, 'dev', 'eth0');
      ip('-n', pod.netns, 'link', 'set', 'eth0', 'up');
      ip('-n', pod.netns, 'link', 'set', 'lo', 'up');
      ip('-n', pod.netns, 'route', 'add', 'default', 'via', '100.96.40.1');
      // Temporal's address inside the pod is its loopback, carried to the host's.
      pod.forwarder = spawn('nsenter', [`--net=/run/netns/${pod.netns}`, '--', ...helperArgv(python, 'loopforward', [`/proc/${process.pid}/ns/net`, '127.0.0.1', temporalPort])], { stdio: ['ignore', 'pipe', 'pipe'] });
      await follow(pod.forwarder, pod.log, /^ready$/, 30_000, `${pod.name} forwarder`);
      pod.agent = spawn(
        'unshare',
        [
          '--mount',
          '--propagation',
          'private',
          '--',
          'nsenter',
          `--net=/run/netns/${pod.netns}`,
          '--',
          process.execPath,
          '-r',
          TS_LOADER,
          join(__dirname, 'pod-agent-child.ts'),
          'worker',
          'agent',
          '--mode',
          'pod',
          '--node',
          pod.name,
          '--state-dir',
          pod.stateDir,
          '--collector',
          'off',
          '--metrics-port',
          'off',
          '--address',
          `127.0.0.1:${temporalPort}`,
        ],
        { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      await follow(pod.agent, pod.log, /agent \(pod mode\) polling/, 120_000, `${pod.name} agent`);
    }
    record = recordTestProcesses(
      'k8s-pods',
      pods.flatMap((pod) => [
        { role: `${pod.name} agent`, child: pod.agent! },
        { role: `${pod.name} forwarder`, child: pod.forwarder! },
      ]),
    );

    await api.createNamespace(NS);
    await api.kubectl(['apply', '-n', NS, '-f', join(REPO_ROOT, 'deploy', 'controller-rbac.yaml')]);
    const kubeconfig = await api.kubeconfigFor('controller', `system:serviceaccount:${NS}:merak-controller`, ['system:serviceaccounts', `system:serviceaccounts:${NS}`]);
    const network = {
      plugin: { address: plugin.address, deadlineMs: 5_000, retryWindowMs: 30_000 },
      dataplane: 'reference',
      underlay: { cidr: '100.96.40.0/24' },
      vpcs: [
        { id: 'pods-blue', vni: 2401, cidr: '10.81.0.0/16', subnets: [{ id: 'pods-blue-1', cidr: '10.81.1.0/24' }, { id: 'pods-blue-2', cidr: '10.81.2.0/24' }] },
        { id: 'pods-green', vni: 2402, cidr: '10.82.0.0/16', subnets: [{ id: 'pods-green-1', cidr: '10.82.1.0/24' }] },
      ],
      vmsPerNode: 3,
      tests: { kinds: [...KINDS], negative: true },
    };
    await kubectlJson({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'merak-scenario', namespace: NS }, data: { 'scenario.yaml': stringify(network) } });
    controller = startControllerProcess(['--kubeconfig', kubeconfig, '--watch-namespace', NS, '--selector', 'app.kubernetes.io/name=merak-agent', '--address', env.address]);
    await controller.waitForLine(/initial list done/);
  });

  afterAll(async () => {
    // A failed run may leave the scenario up: take it down through its workflow while the agents run.
    const h = env?.client.workflow.getHandle(scenarioWorkflowId(SCENARIO));
    const d = await h?.describe().catch(() => undefined);
    if (h && d?.status.name === 'RUNNING') {
      await h.cancel().catch(() => undefined);
      await h.result().catch(() => undefined);
    }
    await controller?.stop();
    // Stopping an agent ends its mount namespace, and with it any VM namespace it still held.
    for (const pod of pods) await stopChild(pod.agent);
    for (const pod of pods) await stopChild(pod.forwarder);
    if (record) forgetTestProcesses(record);
    for (const ns of [...pods.map((pod) => pod.netns), podnet]) if (netnsNames().includes(ns)) ip('netns', 'del', ns);
    compute?.worker.shutdown();
    await running;
    compute?.close();
    await plugin?.close();
    await env?.teardown();
    await api?.stop();
    for (const pod of pods) rmSync(pod.stateDir, { recursive: true, force: true });
    expect(netnsNames().filter((n) => n.startsWith(p))).toEqual([]);
    expect(rootNet()).toBe(rootBefore);
  });

  test('three pods: all four kinds pass across pods, negatives included; a full-size frame crosses; deleting the pods removes everything', async () => {
    for (const [i, pod] of pods.entries()) {
      await kubectlJson({
        apiVersion: 'v1',
        kind: 'Pod',
        // A meraksim.com/ annotation makes the pod an emulated node (here its VM count).
        metadata: { name: pod.name, namespace: NS, labels: { 'app.kubernetes.io/name': 'merak-agent' }, annotations: { 'meraksim.com/num_vms': '3' } },
        spec: { containers: [{ name: 'agent', image: 'merak:test' }] },
      });
      // The kubelet's part: the pod runs and has its IP.
      const path = `/api/v1/namespaces/${NS}/pods/${pod.name}/status`;
      const got = JSON.parse((await api!.kubectl(['get', '--raw', path])).stdout) as { status: Record<string, unknown> };
      got.status = { ...got.status, phase: 'Running', podIP: podIp(i), podIPs: [{ ip: podIp(i) }] };
      await api!.kubectl(['replace', '--raw', path, '-f', '-'], { input: JSON.stringify(got) });
    }
    const handle = env!.client.workflow.getHandle(scenarioWorkflowId(SCENARIO));
    // Ready with every pod's VMs, and the tests of that state run from every pod.
    let results: TestResult[] = [];
    const until = Date.now() + 600_000;
    for (;;) {
      await waitForStatus((s) => s.phase === 'ready' && s.nodes.length === 3 && s.nodes.every((n) => n.vms === 3), 'scenario built and tested', Math.max(1000, until - Date.now()));
      results = await handle.query(resultsQuery);
      if (new Set(results.map((r) => endOf(r.source).node)).size === 3 || Date.now() > until) break;
      await sleep(1000);
    }
    // What `merak test merak` prints for this state (docs/kubernetes.md shows it).
    process.stderr.write(renderTable(results));
    const failed = results.filter((r) => !r.pass);
    if (failed.length > 0) process.stderr.write(`${JSON.stringify(failed, null, 1)}\n${context()}\n`);
    expect(failed).toEqual([]);
    const across = results.filter((r) => endOf(r.source).node !== endOf(r.destination).node);
    for (const kind of KINDS) {
      // Each kind ran between pods, both a normal pair and one into another VPC, and all passed.
      expect({ kind, positive: across.some((r) => r.kind === kind && !r.negative), negative: across.some((r) => r.kind === kind && r.negative) }).toEqual({ kind, positive: true, negative: true });
    }
    expect(across.filter((r) => r.kind === 'iperf' && !r.negative).every((r) => (r.throughputBps ?? 0) > 0)).toBe(true);

    // Full-size frames between VMs on different pods: 1450-byte VMs on a 1500-byte pod network.
    const tags = await Promise.all(pods.map((pod) => findTag(pod.stateDir, SCENARIO)));
    const pair = across.find((r) => r.kind === 'icmp' && !r.negative)!;
    const [src, dst] = [endOf(pair.source), endOf(pair.destination)];
    const srcPod = pods.find((pod) => pod.name === src.node)!;
    const srcNs = vmNetns(tags[pods.indexOf(srcPod)]!, src.node, src.vm);
    const df = (payload: number) => inPod(srcPod, ['ip', 'netns', 'exec', srcNs, 'ping', '-c', '1', '-W', '2', '-M', 'do', '-s', String(payload), dst.ip]);
    expect(df(VM_MTU - 28).status).toBe(0);
    const big = df(1472);
    expect({ status: big.status, mtuNamed: big.out.includes(`mtu=${VM_MTU}`) }).toEqual({ status: 1, mtuNamed: true });
    // Each pod's VM namespaces are its own: neither the host nor another pod sees them.
    expect(netnsNames().filter((n) => tags.some((t) => t && n.startsWith(`mk-${t}`)))).toEqual([]);
    expect(inPod(pods[0]!, ['ip', 'netns', 'list']).out).not.toContain(vmNetns(tags[1]!, pods[1]!.name, 0));

    // The pods go: the controller tears the scenario down, each agent removes what its pod held.
    await api!.kubectl(['delete', 'pod', ...PODS, '-n', NS, '--wait=false']);
    const outcome = (await env!.client.workflow.getHandle(scenarioWorkflowId(SCENARIO)).result()) as { phase: string; cleanupErrors: string[] };
    expect(outcome).toMatchObject({ phase: 'deleted', cleanupErrors: [] });
    for (const [i, pod] of pods.entries()) {
      expect({ pod: pod.name, netns: inPod(pod, ['ip', 'netns', 'list']).out.trim() }).toEqual({ pod: pod.name, netns: '' });
      const links = (JSON.parse(inPod(pod, ['ip', '-j', 'link', 'show']).out) as Array<{ ifname: string }>).map((l) => l.ifname).sort();
      expect({ pod: pod.name, links }).toEqual({ pod: pod.name, links: ['eth0', 'lo'] });
      expect(await findTag(pod.stateDir, SCENARIO)).toBeUndefined();
      // No test server outlived its stop: the agent has no child process left (iperf3 servers, socket helpers).
      expect({ pod: pod.name, children: descendants(pod.agent!.pid!) }).toEqual({ pod: pod.name, children: [] });
      void i;
    }
  });
});
