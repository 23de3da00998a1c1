/**
 * Merak's image (Dockerfile, scripts/build-image.sh), built with no registry and run the way
 * deploy/ runs the agent: a rootful podman container (scripts/podman.sh: this checkout's own
 * storage and settings) with its own network namespace, all capabilities dropped except those
 * deploy/agents.yaml grants, no_new_privs (allowPrivilegeEscalation: false), podman's default
 * seccomp profile (the manifest's RuntimeDefault),
 * the manifest's emptyDir volumes as fresh host directories, and the manifest's arguments:
 * `merak worker agent --mode pod --node NAME`. The test plays the rest of the cluster: a real
 * Temporal dev server, the compute worker and the reference network plugin on the host, reached
 * from the container over slirp4netns (the container's 10.0.2.2 is the host's loopback), so no
 * interface, address or route is added to the host.
 *
 * The image is `MERAK_IMAGE` when set (.ci/run builds it first) and is then left alone;
 * otherwise the test builds one with its own tag and removes it at the end. Every container it
 * starts is removed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { createComputeWorker } from '../../src/workers/compute';
import { startReferencePlugin, type RunningReferencePlugin } from '../../src/plugin/reference/server';
import { resultsQuery, statusQuery, teardownSignal } from '../../src/workflows/messages';
import { COMPUTE_TASK_QUEUE, scenarioWorkflowId } from '../../src/model/queues';
import type { ScenarioInput } from '../../src/model/spec';
import type { ScenarioStatus } from '../../src/model/status';
import type { scenarioWorkflow } from '../../src/workflows';
import { bundleWorkflows, createTestEnv } from '../helpers/temporal';
import { isRoot, netnsNames, rootSnapshot } from './dataplane-fixture';

const run = promisify(execFile);
const REPO = resolve(__dirname, '..', '..');
const describeRoot = isRoot ? describe : describe.skip;
// A cold build (base root filesystem, npm ci, tsc) takes minutes on two busy cores.
const BUILD_TIMEOUT_MS = 30 * 60_000;
jest.setTimeout(300_000);

/** podman with this checkout's storage and settings (scripts/podman.sh). */
async function podman(args: string[], options: { timeoutMs?: number } = {}): Promise<{ stdout: string; stderr: string }> {
  return run('bash', [join(REPO, 'scripts', 'podman.sh'), ...args], { maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 120_000 });
}

/** Like podman(), but a non-zero exit is a result, not an exception. */
async function podmanStatus(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    return { code: 0, ...(await podman(args)) };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

interface AgentContainerSpec {
  args: string[];
  securityContext: { runAsUser?: number; privileged?: boolean; allowPrivilegeEscalation?: boolean; seccompProfile?: { type: string }; capabilities: { drop: string[]; add: string[] } };
  volumeMounts: Array<{ name: string; mountPath: string }>;
}

/** The agent container of deploy/agents.yaml, as the API server would get it. */
function manifestAgent(): { container: AgentContainerSpec; volumes: Array<{ name: string; emptyDir?: object }> } {
  const docs = parseAllDocuments(readFileSync(join(REPO, 'deploy', 'agents.yaml'), 'utf8')).map((d) => d.toJSON() as { kind: string; spec?: { template: { spec: { containers: Array<AgentContainerSpec & { name: string }>; volumes: Array<{ name: string; emptyDir?: object }> } } } });
  const pod = docs.find((d) => d.kind === 'StatefulSet')!.spec!.template.spec;
  return { container: pod.containers.find((c) => c.name === 'agent')!, volumes: pod.volumes };
}

let image = '';
let builtHere = false;
const containers: string[] = [];
const hostDirs: string[] = [];
let hostBefore: ReturnType<typeof rootSnapshot>;
let netnsBefore: string[];

describeRoot('the image', () => {
  beforeAll(async () => {
    hostBefore = rootSnapshot();
    netnsBefore = netnsNames();
    if (process.env.MERAK_IMAGE) {
      image = process.env.MERAK_IMAGE;
      await podman(['image', 'exists', image]).catch(() => {
        throw new Error(`MERAK_IMAGE=${image} is not in this checkout's podman storage (bash scripts/podman.sh images)`);
      });
    } else {
      const tag = `localhost/merak:itest-${process.pid}`;
      builtHere = true;
      const { stdout } = await run('bash', [join(REPO, 'scripts', 'build-image.sh'), tag], { maxBuffer: 64 * 1024 * 1024, timeout: BUILD_TIMEOUT_MS });
      image = stdout.trim().split('\n').pop()!;
      expect(image).toBe(tag);
    }
  }, BUILD_TIMEOUT_MS);

  afterAll(async () => {
    for (const c of containers) await podmanStatus(['rm', '--force', '--time', '5', c]);
    if (builtHere && image) await podmanStatus(['rmi', image]);
    hostDirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
    const left = await podman(['ps', '--all', '--format', '{{.Names}}']);
    expect(left.stdout.split('\n').filter((n) => containers.includes(n))).toEqual([]);
    if (builtHere) expect((await podmanStatus(['image', 'exists', image])).code).not.toBe(0);
    // Containers have their own network and mount namespaces: nothing is left in the host's.
    expect(netnsNames().sort()).toEqual([...netnsBefore].sort());
    expect(rootSnapshot()).toEqual(hostBefore);
  });

  test('merak --help runs from the image (tini, node, the compiled CLI), and so does the eBPF collector', async () => {
    const { stdout } = await podman(['run', '--rm', '--pull=never', '--network=none', image, '--help']);
    expect(stdout).toMatch(/^Usage: merak /);
    for (const cmd of ['worker', 'controller', 'plugin', 'local']) expect(stdout).toContain(`\n  ${cmd} `);
    // The default command is --help as well; a command that does not exist fails.
    expect((await podman(['run', '--rm', '--pull=never', '--network=none', image])).stdout).toMatch(/^Usage: merak /);
    // --version names Merak's own version (the image has no Temporal CLI: it says so, it does not fail).
    const version = await podman(['run', '--rm', '--pull=never', '--network=none', image, '--version']);
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout).toContain(`merak ${pkg.version}`);
    expect(version.stdout).toMatch(/Temporal TypeScript SDK \d+\.\d+\.\d+/);
    // The eBPF collector is where the agent looks for it, with the libraries it links.
    const collector = await podman(['run', '--rm', '--pull=never', '--network=none', '--entrypoint', '/app/.tools/collector/merak-collector', image, '--version']);
    expect(JSON.parse(collector.stdout)).toMatchObject({ collector: 'merak-collector' });
    const bad = await podmanStatus(['run', '--rm', '--pull=never', '--network=none', image, 'no-such-command']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("unknown command 'no-such-command'");
  });

  test('the manifest grants exactly the capabilities the agent needs: each one alone is missed', async () => {
    const { container } = manifestAgent();
    const caps = container.securityContext.capabilities;
    expect(caps.drop).toEqual(['ALL']);
    expect([...caps.add].sort()).toEqual(['NET_ADMIN', 'NET_RAW', 'SYS_ADMIN']);
    expect(container.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    expect(container.securityContext.privileged).toBe(false);
    expect(container.securityContext.allowPrivilegeEscalation).toBe(false);
    // What the agent does, in the order it does it: a VM namespace (unshare + the bind mount that
    // pins it: SYS_ADMIN), a device (NET_ADMIN), a ping from the VM (raw socket: NET_RAW).
    const script = 'ip netns add t && ip link add b0 type bridge && ip -n t link set lo up && ip netns exec t ping -c 1 -W 2 127.0.0.1 >/dev/null && ip netns del t && echo all-ok';
    const attempt = (add: string[]) =>
      podmanStatus(['run', '--rm', '--pull=never', '--network=none', '--security-opt=no-new-privileges', '--cap-drop=ALL', ...add.map((c) => `--cap-add=${c}`), '--entrypoint', 'sh', image, '-c', script]);
    const all = await attempt(caps.add);
    expect(all).toMatchObject({ code: 0, stdout: 'all-ok\n' });
    const without = async (cap: string) => attempt(caps.add.filter((c) => c !== cap));
    expect((await without('SYS_ADMIN')).stderr).toContain('mount --make-shared /run/netns failed: Operation not permitted');
    expect((await without('NET_ADMIN')).stderr).toContain('RTNETLINK answers: Operation not permitted');
    expect((await without('NET_RAW')).stderr).toContain('exec of "ping" failed: Operation not permitted');
  });

  describe('the agent entrypoint in a container, driven by a scenario', () => {
    let env: TestWorkflowEnvironment;
    let plugin: RunningReferencePlugin;
    let compute: { worker: Worker; close(): void };
    let running: Promise<void>;

    beforeAll(async () => {
      env = await createTestEnv();
      plugin = await startReferencePlugin({ port: 0 });
      compute = await createComputeWorker({ connection: env.nativeConnection, workflowBundle: await bundleWorkflows() });
      running = compute.worker.run();
    });

    afterAll(async () => {
      compute?.worker.shutdown();
      await running;
      compute?.close();
      await plugin?.close();
      await env?.teardown();
    });

    test('VM namespaces made and removed inside the container, all four test kinds pass, the agent stops on SIGTERM', async () => {
      const { container, volumes } = manifestAgent();
      const node = `img-pod-${process.pid % 100000}`;
      const scenario = `img${process.pid % 100000}`;
      const name = `merak-itest-agent-${process.pid}`;
      const port = new URL(`http://${env.address}`).port;
      // The pod's emptyDir volumes: fresh host directories, as the kubelet makes them.
      const mounts = container.volumeMounts.flatMap((m) => {
        expect(volumes.find((v) => v.name === m.name)?.emptyDir).toBeDefined();
        const dir = mkdtempSync(join(tmpdir(), `merak-itest-${m.name}-`));
        hostDirs.push(dir);
        return ['--volume', `${dir}:${m.mountPath}`];
      });
      const caps = container.securityContext.capabilities;
      containers.push(name);
      await podman([
        'run', '--detach', '--name', name, '--pull=never',
        '--network', 'slirp4netns:allow_host_loopback=true',
        '--user', String(container.securityContext.runAsUser ?? 0),
        ...(container.securityContext.allowPrivilegeEscalation === false ? ['--security-opt=no-new-privileges'] : []),
        ...caps.drop.map((c) => `--cap-drop=${c}`), ...caps.add.map((c) => `--cap-add=${c}`),
        ...mounts,
        '--env', `POD_NAME=${node}`, '--env', `TEMPORAL_ADDRESS=10.0.2.2:${port}`, '--env', 'TEMPORAL_NAMESPACE=default',
        image, ...container.args.map((a) => a.replace('$(POD_NAME)', node)),
      ]);
      const inPod = async (args: string[]) => (await podman(['exec', name, ...args])).stdout;
      // The pod's network namespace: podman pins it on the host as /run/netns/netns-<uuid> (as a
      // CRI runtime pins a pod's), and removes it with the container.
      const podNetns = basename((await podman(['inspect', '--format', '{{.NetworkSettings.SandboxKey}}', name])).stdout.trim());
      expect(podNetns).toMatch(/^netns-/);
      const podIp = (JSON.parse(await inPod(['ip', '-j', '-4', 'route', 'get', '10.0.2.2'])) as Array<{ prefsrc: string }>)[0]!.prefsrc;
      const linksBefore = await inPod(['ip', '-br', 'link']);
      await waitUntil(async () => (await podman(['logs', name])).stderr.includes(`polling merak-agent-${node}`), 'the agent polls its queue', 60_000);

      const input: ScenarioInput = {
        name: scenario,
        plugin: { address: plugin.address, deadlineMs: 5_000, retryWindowMs: 20_000 },
        dataplane: 'reference',
        vpcs: [
          { id: `${scenario}-blue`, vni: 3101, cidr: '10.71.0.0/16', subnets: [{ id: `${scenario}-blue-1`, cidr: '10.71.1.0/24' }] },
          { id: `${scenario}-green`, vni: 3102, cidr: '10.72.0.0/16', subnets: [{ id: `${scenario}-green-1`, cidr: '10.72.1.0/24' }] },
        ],
        placement: 'assign',
        nodes: [{ name: node, ip: podIp, vms: 4 }],
        tests: { kinds: ['icmp', 'tcp', 'udp', 'iperf'], pairs: 'ring', negative: true },
      };
      const handle = await env.client.workflow.start<typeof scenarioWorkflow>('scenarioWorkflow', { taskQueue: COMPUTE_TASK_QUEUE, workflowId: scenarioWorkflowId(scenario), args: [input] });
      try {
        const ready = await waitForPhase(handle, 'ready');
        expect(ready.nodes.map((n) => n.vms)).toEqual([4]);
        // The VM namespaces live in the container's own /run/netns, not the host's.
        const podNs = (await inPod(['ip', 'netns', 'list'])).split('\n').filter((l) => l.trim() !== '').map((l) => l.split(' ')[0]!);
        // Four VMs and a router for each of the two VPCs (`_r-<vpc>`), whose sysctls are set
        // although the container's /proc/sys is read-only.
        expect(podNs.filter((n) => /_\d+$/.test(n))).toHaveLength(4);
        expect(podNs.filter((n) => n.includes('_r-')).sort()).toEqual([`_r-${scenario}-blue`, `_r-${scenario}-green`].map((r) => podNs.find((n) => n.endsWith(r))).sort());
        expect(podNs).toHaveLength(6);
        expect(netnsNames().sort()).toEqual([...netnsBefore, podNetns].sort());
        const results = await handle.query(resultsQuery);
        expect([...new Set(results.map((r) => r.kind))].sort()).toEqual(['icmp', 'iperf', 'tcp', 'udp']);
        expect(results.filter((r) => !r.pass)).toEqual([]);
        expect(results.some((r) => r.negative)).toBe(true);

        await handle.signal(teardownSignal);
        const outcome = await handle.result();
        expect(outcome.phase).toBe('deleted');
        expect(outcome.cleanupErrors).toEqual([]);
      } finally {
        if ((await handle.describe()).status.name === 'RUNNING') {
          await handle.signal(teardownSignal);
          await handle.result().catch(() => undefined);
        }
      }
      // Deleted inside the container: no namespace, and only the pod's own links are left.
      expect(await inPod(['ip', 'netns', 'list'])).toBe('');
      expect(await inPod(['ip', '-br', 'link'])).toBe(linksBefore);

      // SIGTERM (what the kubelet sends) through tini: the workers drain and merak exits 0.
      await podman(['stop', '--time', '30', name]);
      expect((await podman(['inspect', '--format', '{{.State.ExitCode}}', name])).stdout.trim()).toBe('0');
    });
  });
});

async function waitUntil(ok: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

async function waitForPhase(handle: WorkflowHandle<typeof scenarioWorkflow>, phase: ScenarioStatus['phase'], timeoutMs = 180_000): Promise<ScenarioStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: ScenarioStatus | undefined;
  while (Date.now() < deadline) {
    last = await handle.query(statusQuery);
    if (last.phase === phase) return last;
    if (last.phase === 'failed') break;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`phase ${phase} not reached; last status ${JSON.stringify(last)}`);
}
