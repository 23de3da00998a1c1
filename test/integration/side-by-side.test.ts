/**
 * Two scenarios side by side on one machine and one reference plugin, through the built CLI
 * (`node bin/merak.js`, needs `npm run build`) against a real Temporal dev server, with real
 * namespaces (root):
 * - alpha and beta, with the same node names and different VPCs (with the same CIDR), are built
 *   by two `merak up` at once and both pass their tests; they share one plugin, one compute worker
 *   and one agent process, and nothing they got from Merak collides (plugin node names, underlay
 *   addresses, MACs, kernel tags);
 * - scenarios asking for what alpha holds (its VPC id, VNI, a subnet id; its underlay, a node's
 *   address, a node's MAC) are refused before anything is built, naming alpha, and their failed
 *   `up` leaves the daemons alpha and beta use running;
 * - `merak down alpha` leaves beta fully working: `merak test`, `merak scale`, tests again;
 *   a record naming an unrelated live process (a `sleep`) is neither adopted nor signalled;
 * - a scenario started through the Temporal client (as `temporal workflow start` does) keeps the
 *   shared daemons alive when beta goes down; its own `merak down` then leaves nothing.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createNetworkPluginClient } from '../../src/plugin/client';
import { findTag } from '../../src/dataplane/tags';
import { listDaemons, type Daemon } from '../../src/local/daemons';
import { isSameProcess, readProcessIdentity } from '../../src/local/process-identity';
import { DEFAULT_RUN_DIR } from '../../src/local/run-dir';
import { scenarioNumberOf } from '../../src/local/scenario-numbers';
import { COMPUTE_TASK_QUEUE, scenarioWorkflowId } from '../../src/model/queues';
import { statusQuery } from '../../src/workflows/messages';
import { createTestEnv } from '../helpers/temporal';
import { isRoot, netnsNames, rootSnapshot } from './dataplane-fixture';

jest.setTimeout(1_500_000);

const root = path.resolve(__dirname, '../..');
const merakBin = path.join(root, 'bin/merak.js');
const localState = mkdtempSync(path.join(tmpdir(), 'merak-sbs-local-'));
const stateDir = mkdtempSync(path.join(tmpdir(), 'merak-sbs-records-'));
const files = mkdtempSync(path.join(tmpdir(), 'merak-sbs-files-'));
const ALPHA = `sbs-${process.pid}-a`;
const BETA = `sbs-${process.pid}-b`;
const GAMMA = `sbs-${process.pid}-g`;
const CLASH = `sbs-${process.pid}-x`;
const CLASH2 = `sbs-${process.pid}-y`;
const NODES = ['sbs-n1', 'sbs-n2'];

let env: TestWorkflowEnvironment;
let pluginPort: number;
const strangers: ChildProcess[] = [];

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI with the test's state folders and dev server; bounded by `timeoutMs`. */
function merak(args: string[], timeoutMs = 600_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [merakBin, ...args], {
      env: { ...process.env, MERAK_LOCAL_STATE: localState, MERAK_STATE_DIR: stateDir, TEMPORAL_ADDRESS: env.address },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`merak ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function expectOk(r: Ran, what: string): void {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
}

function scenarioFile(name: string, vpc: string, vni: number, vmsPerNode = 2, kinds = ['icmp', 'tcp', 'udp', 'iperf']): string {
  const file = path.join(files, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      name,
      plugin: { address: `127.0.0.1:${pluginPort}` },
      dataplane: 'reference',
      // Two VPCs per scenario with the same CIDR in both scenarios: isolation tests run inside each.
      vpcs: [
        { id: `${vpc}-1`, vni, cidr: '10.77.0.0/16', subnets: [{ id: `${vpc}-1-s`, cidr: '10.77.1.0/24' }] },
        { id: `${vpc}-2`, vni: vni + 1, cidr: '10.78.0.0/16', subnets: [{ id: `${vpc}-2-s`, cidr: '10.78.1.0/24' }] },
      ],
      nodes: NODES,
      vmsPerNode,
      tests: { kinds, pairs: 'ring', negative: true },
    }),
  );
  return file;
}

interface ResultDoc {
  summary: { total: number; passed: number; failed: number };
  results: Array<{ kind: string; pass: boolean; negative: boolean; error?: string }>;
}

function allPassed(stdout: string): ResultDoc {
  const doc = JSON.parse(stdout) as ResultDoc;
  expect(doc.results.filter((r) => !r.pass)).toEqual([]);
  expect(new Set(doc.results.map((r) => r.kind))).toEqual(new Set(['icmp', 'tcp', 'udp', 'iperf']));
  expect(doc.results.some((r) => r.negative)).toBe(true);
  return doc;
}

async function pluginState() {
  const client = createNetworkPluginClient(`127.0.0.1:${pluginPort}`);
  try {
    return await client.getState();
  } finally {
    client.close();
  }
}

const ownedBy = (state: Awaited<ReturnType<typeof pluginState>>, scenario: string) =>
  [...state.vpcs, ...state.subnets, ...state.nodes].filter((o) => o.scenario === scenario).length;

const daemons = (): Daemon[] => listDaemons({ stateDir: localState });

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const describeRoot = isRoot ? describe : describe.skip;

describeRoot('scenarios side by side on one machine and one plugin (built CLI)', () => {
  let rootBefore: ReturnType<typeof rootSnapshot>;
  const nsBefore = new Set(netnsNames());
  const tags: Record<string, string> = {};

  beforeAll(async () => {
    if (!existsSync(path.join(root, 'dist', 'cli', 'main.js'))) throw new Error('run `npm run build` first: this test drives the built CLI');
    rootBefore = rootSnapshot();
    env = await createTestEnv();
    pluginPort = await freePort();
  });

  afterAll(async () => {
    // Whatever a failure left: stop the daemons this test's registry recorded (only if they are still
    // those processes), remove the kernel objects by their records, then the folders.
    for (const d of daemons()) if (isSameProcess(d)) process.kill(d.pid, 'SIGKILL');
    for (const s of strangers) s.kill('SIGKILL');
    execFileSync(process.execPath, [merakBin, 'clean', '--all', '--state-dir', stateDir], { stdio: 'ignore' });
    await env?.teardown();
    for (const dir of [localState, stateDir, files]) rmSync(dir, { recursive: true, force: true });
  });

  test('built at once, isolated, refused on collision, one goes down while the other keeps working', async () => {
    // ---- a record naming an unrelated live process (after a reboot or pid reuse): never adopted, never signalled
    const stranger = spawn('sleep', ['900'], { stdio: 'ignore' });
    strangers.push(stranger);
    await new Promise((r) => setTimeout(r, 100));
    const strangerId = readProcessIdentity(stranger.pid!)!;
    mkdirSync(path.join(localState, 'daemons', '_shared'), { recursive: true });
    writeFileSync(
      path.join(localState, 'daemons', '_shared', 'compute.json'),
      JSON.stringify({ name: 'compute', kind: 'compute', pid: stranger.pid, argv: [process.execPath, merakBin, 'worker', 'compute'], startTicks: strangerId.startTicks + 7, bootId: strangerId.bootId, logFile: '/dev/null', users: ['ghost'] }),
    );

    // ---- alpha and beta at the same time, same node names, different VPCs (same CIDRs)
    const [a, b] = await Promise.all([
      merak(['up', '-f', scenarioFile(ALPHA, `${ALPHA}-v`, 3101), '-o', 'json', '--timeout', '900']),
      merak(['up', '-f', scenarioFile(BETA, `${BETA}-v`, 3201), '-o', 'json', '--timeout', '900']),
    ]);
    expectOk(a, `merak up ${ALPHA}`);
    expectOk(b, `merak up ${BETA}`);
    allPassed(a.stdout);
    allPassed(b.stdout);

    // One plugin, one compute worker, agents shared: each daemon lists both scenarios. The
    // compute record naming the stranger was not adopted: a real worker was started.
    const shared = daemons();
    expect(shared.find((d) => d.kind === 'compute')!.pid).not.toBe(stranger.pid);
    expect(shared.filter((d) => d.kind === 'plugin')).toHaveLength(1);
    expect(shared.filter((d) => d.kind === 'compute')).toHaveLength(1);
    expect(new Set(shared.filter((d) => d.kind === 'agent').flatMap((d) => d.nodes ?? []))).toEqual(new Set(NODES));
    for (const d of shared) {
      expect(d.users).toEqual([ALPHA, BETA]);
      expect(isSameProcess(d)).toBe(true);
    }

    // What Merak invented differs: plugin node names, underlay addresses, MACs, kernel tags.
    const state = await pluginState();
    const nodes = state.nodes.filter((n) => n.scenario === ALPHA || n.scenario === BETA);
    expect(nodes.map((n) => n.name).sort()).toEqual([...NODES.map((n) => `${n}.${ALPHA}`), ...NODES.map((n) => `${n}.${BETA}`)].sort());
    expect(new Set(nodes.map((n) => n.ip)).size).toBe(4);
    expect(new Set(nodes.map((n) => n.mac)).size).toBe(4);
    const numbers = [await scenarioNumberOf(DEFAULT_RUN_DIR, ALPHA), await scenarioNumberOf(DEFAULT_RUN_DIR, BETA)];
    expect(numbers[0]).not.toBe(numbers[1]);
    tags[ALPHA] = (await findTag(stateDir, ALPHA))!;
    tags[BETA] = (await findTag(stateDir, BETA))!;
    expect(tags[ALPHA]).toMatch(/^[a-z][a-z0-9]{3}$/);
    expect(tags[BETA]).not.toBe(tags[ALPHA]);
    for (const s of [ALPHA, BETA]) expect(netnsNames()).toEqual(expect.arrayContaining(NODES.map((n) => `mk-${tags[s]}-${n}`)));

    // ---- a scenario asking for alpha's VPC id and VNI is refused before anything is built, naming alpha
    const clashFile = path.join(files, 'clash.json');
    const clash = JSON.parse(readFileSync(scenarioFile(CLASH, `${CLASH}-v`, 3301), 'utf8')) as { vpcs: Array<{ id: string; vni: number }> };
    clash.vpcs[0]!.id = `${ALPHA}-v-1`;
    clash.vpcs[0]!.vni = 3101;
    (clash.vpcs[1] as unknown as { subnets: Array<{ id: string }> }).subnets[0]!.id = `${ALPHA}-v-2-s`;
    writeFileSync(clashFile, JSON.stringify(clash));
    const revision = (await pluginState()).revision;
    const refused = await merak(['up', '-f', clashFile, '--timeout', '120']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`collides with scenario ${ALPHA}`);
    expect(refused.stderr).toContain(`vpcs[0].id: value "${ALPHA}-v-1" is already a VPC of scenario "${ALPHA}"`);
    expect(refused.stderr).toContain(`vpcs[0].vni: value 3101 is already the VNI of VPC "${ALPHA}-v-1" of scenario "${ALPHA}"`);
    expect(refused.stderr).toContain(`vpcs[1].subnets[0].id: value "${ALPHA}-v-2-s" is already a subnet of scenario "${ALPHA}"`);
    // Its failed `up` lets go of the shared daemons, which keep running for alpha and beta.
    expect(refused.stderr).toContain('left running for other scenarios');
    expect(refused.stderr).not.toContain('stopped what this command started');
    // The same for what Merak would otherwise derive: alpha's underlay named, one node given
    // alpha's address, the other alpha's MAC.
    const alphaNodes = (await pluginState()).nodes.filter((n) => n.scenario === ALPHA).sort((x, y) => x.name.localeCompare(y.name));
    const alphaUnderlay = `${alphaNodes[0]!.ip.split('.').slice(0, 2).join('.')}.0.0/16`;
    const clash2File = path.join(files, 'clash2.json');
    const clash2 = JSON.parse(readFileSync(scenarioFile(CLASH2, `${CLASH2}-v`, 3501), 'utf8')) as Record<string, unknown>;
    clash2.underlay = { cidr: alphaUnderlay };
    clash2.nodes = [
      { name: NODES[0], ip: alphaNodes[0]!.ip },
      { name: NODES[1], mac: alphaNodes[1]!.mac },
    ];
    writeFileSync(clash2File, JSON.stringify(clash2));
    const refused2 = await merak(['up', '-f', clash2File, '--timeout', '120']);
    expect(refused2.code).not.toBe(0);
    expect(refused2.stderr).toContain(`collides with scenario ${ALPHA}`);
    expect(refused2.stderr).toContain(`nodes[0].ip: value "${alphaNodes[0]!.ip}" is already the address of node "${NODES[0]}.${ALPHA}" of scenario "${ALPHA}"`);
    expect(refused2.stderr).toContain(`nodes[1]: value "${alphaNodes[1]!.ip}" (its underlay address from ${alphaUnderlay}) is already the address of node "${NODES[1]}.${ALPHA}" of scenario "${ALPHA}"`);
    expect(refused2.stderr).toContain(`nodes[1].mac: value "${alphaNodes[1]!.mac.toLowerCase()}" is already the MAC of node "${NODES[1]}.${ALPHA}" of scenario "${ALPHA}"`);
    const after = await pluginState();
    expect(after.revision).toBe(revision);
    for (const s of [CLASH, CLASH2]) {
      expect(ownedBy(after, s)).toBe(0);
      expect(await findTag(stateDir, s)).toBeUndefined();
      expect(await scenarioNumberOf(DEFAULT_RUN_DIR, s)).toBeUndefined();
      expectOk(await merak(['down', s, '--timeout', '60']), `merak down ${s}`);
    }
    for (const d of shared) {
      expect(isSameProcess(d)).toBe(true);
      expect(daemons().find((x) => x.name === d.name)!.users).toEqual([ALPHA, BETA]);
    }

    // ---- the same stranger in a record of an older version (per-scenario folder, no start time)
    mkdirSync(path.join(localState, 'daemons', ALPHA), { recursive: true });
    writeFileSync(
      path.join(localState, 'daemons', ALPHA, 'agent.json'),
      JSON.stringify({ name: 'agent', pid: stranger.pid, argv: [process.execPath, merakBin, 'worker', 'agent', '--node', NODES[0]], logFile: '/dev/null' }),
    );

    // ---- alpha goes down; beta keeps every daemon and works on
    const downA = await merak(['down', ALPHA, '-o', 'json', '--timeout', '300']);
    expectOk(downA, `merak down ${ALPHA}`);
    const downADoc = JSON.parse(downA.stdout) as { stopped: string[]; kept: Array<{ name: string; users: string[] }> };
    expect(downADoc.stopped).toEqual([]);
    expect(downADoc.kept.map((k) => k.users)).toEqual(shared.map(() => [BETA]));
    expect(isSameProcess(strangerId)).toBe(true);
    for (const d of shared) expect(isSameProcess(d)).toBe(true);
    expect(netnsNames().filter((n) => n.startsWith(`mk-${tags[ALPHA]}`))).toEqual([]);
    expect(ownedBy(await pluginState(), ALPHA)).toBe(0);
    expect(await scenarioNumberOf(DEFAULT_RUN_DIR, ALPHA)).toBeUndefined();

    const test1 = await merak(['test', BETA, '-o', 'json']);
    expectOk(test1, `merak test ${BETA}`);
    allPassed(test1.stdout);
    expectOk(await merak(['scale', BETA, '--vms-per-node', '3']), `merak scale ${BETA}`);
    const status = JSON.parse((await merak(['status', BETA, '-o', 'json'])).stdout) as { phase: string; nodes: Array<{ vms: number }> };
    expect(status.phase).toBe('ready');
    expect(status.nodes.map((n) => n.vms)).toEqual([3, 3]);
    const test2 = await merak(['test', BETA, '-o', 'json']);
    expectOk(test2, `merak test ${BETA} after scale`);
    allPassed(test2.stdout);

    // ---- gamma, started as `temporal workflow start` would, shares the running agent and workers
    const gammaInput = JSON.parse(readFileSync(scenarioFile(GAMMA, `${GAMMA}-v`, 3401, 1, ['icmp']), 'utf8')) as Record<string, unknown>;
    const gamma = await env.client.workflow.start('scenarioWorkflow', { taskQueue: COMPUTE_TASK_QUEUE, workflowId: scenarioWorkflowId(GAMMA), args: [gammaInput] });
    const deadline = Date.now() + 300_000;
    for (;;) {
      const s = await gamma.query(statusQuery).catch(() => undefined);
      if (s?.phase === 'ready') break;
      if (s?.phase === 'failed' || Date.now() > deadline) throw new Error(`gamma did not become ready: ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const downB = await merak(['down', BETA, '-o', 'json', '--timeout', '300']);
    expectOk(downB, `merak down ${BETA}`);
    const downBDoc = JSON.parse(downB.stdout) as { stopped: string[]; kept: Array<{ name: string; users: string[] }> };
    expect(downBDoc.stopped).toEqual([]);
    expect(downBDoc.kept.map((k) => k.users)).toEqual(shared.map(() => [GAMMA]));
    expect(netnsNames().filter((n) => n.startsWith(`mk-${tags[BETA]}`))).toEqual([]);
    expect(ownedBy(await pluginState(), BETA)).toBe(0);

    // ---- the last user goes down: every daemon stops, nothing is left
    const downG = await merak(['down', GAMMA, '-o', 'json', '--timeout', '300']);
    expectOk(downG, `merak down ${GAMMA}`);
    expect((JSON.parse(downG.stdout) as { stopped: string[] }).stopped.sort()).toEqual(shared.map((d) => d.name).sort());
    for (const d of shared) expect(isSameProcess(d)).toBe(false);
    expect(daemons()).toEqual([]);
    expect(isSameProcess(strangerId)).toBe(true);
    expect(netnsNames().filter((n) => !nsBefore.has(n))).toEqual([]);
    const pluginFile = JSON.parse(readFileSync(path.join(localState, `plugin-${pluginPort}.json`), 'utf8')) as { vpcs: unknown[]; subnets: unknown[]; nodes: unknown[] };
    expect([pluginFile.vpcs, pluginFile.subnets, pluginFile.nodes]).toEqual([[], [], []]);
    for (const s of [ALPHA, BETA, GAMMA]) {
      expect(await scenarioNumberOf(DEFAULT_RUN_DIR, s)).toBeUndefined();
      expect(existsSync(path.join(stateDir, 'scenarios', s))).toBe(false);
    }
    const machineTags = existsSync(path.join(DEFAULT_RUN_DIR, 'tags')) ? readdirSync(path.join(DEFAULT_RUN_DIR, 'tags')) : [];
    expect(machineTags.filter((t) => Object.values(tags).includes(t))).toEqual([]);
    const rootAfter = rootSnapshot();
    expect(rootAfter.addrs).toEqual(rootBefore.addrs);
    expect(rootAfter.routes).toEqual(rootBefore.routes);
  });
});
