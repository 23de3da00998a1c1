/**
 * `merak up` is declarative, and says what is going on, against the real Temporal dev server,
 * the real reference network plugin, real compute and agent workers and (for the reference
 * dataplane) real namespaces. The commands run in-process through commander with `--no-local`
 * (the workers are this test's own):
 * - the same file is only followed; a changed file (2 nodes × 2 VMs → 3 × 6) is applied through
 *   the `apply` update and `up` exits 0 with the new counts and tests rerun on the new state;
 * - a change that cannot be applied (a VPC's VNI while it keeps its subnets) exits non-zero with
 *   the reason and changes nothing (plugin, status, spec, history);
 * - the update's validator refuses bad input with the field;
 * - a node whose queue no worker polls is named by the `status` query and `merak status`, and
 *   the flag goes once its agent comes;
 * - `merak status` and `merak up` show a building node's VMs while it builds (its child's
 *   progress query), and the scenario's history does not grow for it.
 * Records test/histories/merak-dup.json (apply update) and merak-idle.json (poller check) for the
 * replay test (MERAK_RECORD_HISTORIES=1).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { register as registerUp } from '../../src/cli/commands/up';
import { register as registerOps } from '../../src/cli/commands/ops';
import type { RunningReferencePlugin } from '../../src/plugin/reference/server';
import { findTag } from '../../src/dataplane/tags';
import { applyUpdate, resultsQuery, specQuery, statusQuery, teardownSignal } from '../../src/workflows/messages';
import type { ScenarioStatus, TestResult } from '../../src/model/status';
import type { ScenarioListRow } from '../../src/cli/status-output';
import { COMPUTE_TASK_QUEUE, scenarioWorkflowId } from '../../src/model/queues';
import type { scenarioWorkflow } from '../../src/workflows';
import type { ScenarioInput } from '../../src/model/spec';
import { netnsList, startLocalCloud, waitForStatus, type LocalCloud } from '../helpers/local-cloud';

jest.setTimeout(400_000);

const fileDir = mkdtempSync(join(tmpdir(), 'merak-dup-files-'));
let cloud: LocalCloud;
let env: TestWorkflowEnvironment;
let plugin: RunningReferencePlugin;
let stateDir: string;

beforeAll(async () => {
  // dup-c is served from the start: the changed file adds it. idle-b has no agent until the test gives it one.
  cloud = await startLocalCloud({ nodes: ['dup-a', 'dup-b', 'dup-c', 'idle-a', 'live-a', 'live-b'] });
  ({ env, plugin, stateDir } = cloud);
});

afterAll(async () => {
  rmSync(fileDir, { recursive: true, force: true });
  // Nothing the tests made is left, and the root namespace gained no address or route.
  await cloud?.stop(/dup|idle|live/);
});

interface Run {
  stdout: string;
  stderr: string;
  /** The error the command threw (a non-zero exit of `merak`), if any. */
  error?: Error;
  /** process.exitCode the command set (1 when a test failed). */
  exitCode?: number;
}

/** Runs `merak <args>` in this process against the test's dev server. */
async function merak(args: string[]): Promise<Run> {
  const program = new Command('merak').exitOverride();
  registerUp(program);
  registerOps(program);
  const out: string[] = [];
  const err: string[] = [];
  const so = jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (out.push(String(c)), true));
  const se = jest.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (err.push(String(c)), true));
  const run: Run = { stdout: '', stderr: '' };
  try {
    await program.parseAsync(['node', 'merak', ...args, '--address', env.address]);
  } catch (e) {
    run.error = e as Error;
  } finally {
    so.mockRestore();
    se.mockRestore();
    run.exitCode = typeof process.exitCode === 'number' ? process.exitCode : undefined;
    process.exitCode = undefined;
  }
  run.stdout = out.join('');
  run.stderr = err.join('');
  return run;
}

function file(name: string, input: ScenarioInput): string {
  const path = join(fileDir, `${name}.json`);
  writeFileSync(path, JSON.stringify(input, null, 2));
  return path;
}

function dupSpec(nodes: string[], vmsPerNode: number): ScenarioInput {
  return {
    name: 'dup',
    plugin: { address: plugin.address, deadlineMs: 5_000, retryWindowMs: 20_000 },
    dataplane: 'reference',
    vpcs: [
      { id: 'dup-blue', vni: 2301, cidr: '10.71.0.0/16', subnets: [{ id: 'dup-blue-1', cidr: '10.71.1.0/24' }] },
      { id: 'dup-green', vni: 2302, cidr: '10.72.0.0/16', subnets: [{ id: 'dup-green-1', cidr: '10.72.1.0/24' }] },
    ],
    nodes,
    vmsPerNode,
    underlay: { cidr: '100.98.0.0/24' },
    tests: { kinds: ['icmp'], pairs: 'ring', negative: true },
  };
}

function noneSpec(name: string, vni: number, nodes: string[], extra: Partial<ScenarioInput> = {}): ScenarioInput {
  return {
    name,
    plugin: { address: plugin.address, deadlineMs: 5_000, retryWindowMs: 20_000 },
    dataplane: 'none',
    vpcs: [{ id: `${name}-vpc`, vni, cidr: '10.73.0.0/16', subnets: [{ id: `${name}-s1`, cidr: '10.73.0.0/20' }] }],
    nodes,
    vmsPerNode: 1,
    tests: [],
    ...extra,
  };
}

const waitFor = (handle: WorkflowHandle, ok: (s: ScenarioStatus) => boolean, what: string, timeoutMs = 120_000): Promise<ScenarioStatus> =>
  waitForStatus(handle, ok, what, { timeoutMs, everyMs: 250 });

async function teardown(handle: WorkflowHandle<typeof scenarioWorkflow>): Promise<void> {
  if ((await handle.describe()).status.name !== 'RUNNING') return;
  await handle.signal(teardownSignal);
  const outcome = await handle.result();
  expect(outcome.cleanupErrors).toEqual([]);
}

const vms = (s: ScenarioStatus) => s.nodes.map((n) => `${n.name}=${n.vms}`).join(' ');
const historyLength = async (h: WorkflowHandle) => (await h.fetchHistory()).events?.length ?? 0;
/** The test results `merak up -o json` printed (`{ summary, results }`). */
const resultsOf = (run: Run) => (JSON.parse(run.stdout) as { results: TestResult[] }).results;
const sources = (results: TestResult[]) => [...new Set(results.map((r) => r.source.split('/')[0]!))].sort();

test('merak up: the same file is followed, a changed one applied with its tests rerun, an unapplicable one refused with nothing changed', async () => {
  const handle = env.client.workflow.getHandle<typeof scenarioWorkflow>(scenarioWorkflowId('dup'));
  const v1 = dupSpec(['dup-a', 'dup-b'], 2);
  try {
    const first = await merak(['up', '-f', file('v1', v1), '--no-local', '--timeout', '300', '-o', 'json']);
    expect(first.error).toBeUndefined();
    expect(first.exitCode).toBeUndefined();
    expect(first.stderr).toContain('started scenario dup');
    expect(sources(resultsOf(first))).toEqual(['dup-a', 'dup-b']);
    expect(vms(await handle.query(statusQuery))).toBe('dup-a=2 dup-b=2');

    // Same file: followed, nothing sent (the history does not grow).
    const events = await historyLength(handle);
    const same = await merak(['up', '-f', file('v1-again', v1), '--no-local', '-o', 'json']);
    expect(same.error).toBeUndefined();
    expect(same.exitCode).toBeUndefined();
    expect(same.stderr).toContain('scenario dup is already running with this spec: following it');
    expect(same.stderr).not.toContain('applying');
    expect(await historyLength(handle)).toBe(events);

    // Changed file: applied, progress shown, exit 0 with the new counts, the tests rerun on the new state.
    const v2 = dupSpec(['dup-a', 'dup-b', 'dup-c'], 6);
    const changed = await merak(['up', '-f', file('v2', v2), '--no-local', '--timeout', '300', '-o', 'json']);
    expect(changed.error).toBeUndefined();
    expect(changed.exitCode).toBeUndefined();
    expect(changed.stderr).toContain('scenario dup is running with a different spec: applying the change (vpcs +0 ~0 -0, subnets +0 ~0 -0, nodes +1 ~0 -0)');
    expect(changed.stderr).toContain('scenario dup: applied: nodes +1 ~0 -0; now 3 nodes, 18 VMs');
    expect(changed.stderr).toContain('scenario dup is ready: 3 nodes, 18 VMs');
    // The progress of the apply was drawn (the last drawing: all 18 VMs, ready).
    expect([...changed.stderr.matchAll(/VMs\s+\[[^\]]*\] (\d+\/\d+) (\w+)/g)].map((m) => `${m[1]} ${m[2]}`)).toContain('18/18 ready');
    const results = resultsOf(changed);
    expect(sources(results)).toEqual(['dup-a', 'dup-b', 'dup-c']);
    expect(results.filter((r) => !r.pass)).toEqual([]);
    expect(results.some((r) => r.negative)).toBe(true);
    const after = await handle.query(statusQuery);
    expect(vms(after)).toBe('dup-a=6 dup-b=6 dup-c=6');
    expect(after.phase).toBe('ready');
    expect(after.cleanupErrors).toEqual([]);
    const tag = (await findTag(stateDir, 'dup'))!;
    // VM namespaces (`mk-<tag>-<node>_<i>`), not the per-VPC routers (`_r-<vpc>`).
    expect(netnsList().split('\n').filter((l) => l.startsWith(`mk-${tag}-`) && /_\d+$/.test(l.split(' ')[0]!))).toHaveLength(18);

    // A change that cannot be applied: refused with the reason, non-zero exit, nothing changed.
    const revision = plugin.state.snapshot().revision;
    const eventsBefore = await historyLength(handle);
    const v3 = dupSpec(['dup-a', 'dup-b', 'dup-c'], 6);
    v3.vpcs[1]!.vni = 2399;
    const refused = await merak(['up', '-f', file('v3', v3), '--no-local', '-o', 'json']);
    expect(refused.error?.message).toBe(
      'scenario dup: the change was refused and nothing changed: the change cannot be applied to the running scenario: vpcs[1].vni: VPC "dup-green" cannot change its VNI (2302 → 2399) while it keeps subnets (dup-green-1) whose VMs use it; give the VPC a new id to replace it, or tear the scenario down',
    );
    expect(plugin.state.snapshot().revision).toBe(revision);
    expect(await handle.query(statusQuery)).toEqual(after);
    expect(await handle.query(specQuery)).toEqual(v2);
    expect(await historyLength(handle)).toBe(eventsBefore);

    // The update's validator refuses bad input with the field, the value and the rule.
    const bad = async (input: unknown) => {
      const e = await handle.executeUpdate(applyUpdate, { args: [input as ScenarioInput] }).then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(WorkflowUpdateFailedError);
      return String((e as WorkflowUpdateFailedError).cause?.message);
    };
    expect(await bad({ ...v2, vmsPerNode: -1 })).toContain('vmsPerNode: value -1');
    expect(await bad({ ...v2, underlay: { cidr: '100.97.0.0/24' } })).toContain('underlay.cidr: the underlay of a live scenario cannot change');
    expect(await bad({ ...v2, name: 'other' })).toContain('name: a scenario cannot be renamed (dup → other)');
    expect(await handle.query(statusQuery)).toEqual(after);
    expect(await historyLength(handle)).toBe(eventsBefore);
    expect((await handle.query(resultsQuery)).length).toBe(results.length);

    await handle.signal(teardownSignal);
    const outcome = await handle.result();
    expect(outcome.phase).toBe('deleted');
    expect(outcome.cleanupErrors).toEqual([]);
    expect(plugin.state.snapshot().nodes.filter((n) => n.name.startsWith('dup-'))).toEqual([]);
    expect(netnsList()).not.toContain(`mk-${tag}-`);
    if (process.env.MERAK_RECORD_HISTORIES === '1') {
      await writeFile(join(__dirname, '..', 'histories', `${scenarioWorkflowId('dup')}.json`), historyToJSON(await handle.fetchHistory()));
    }
  } finally {
    await teardown(handle).catch(() => undefined);
  }
});

test('a node whose queue no worker polls is named by the status query and merak status, until its agent comes', async () => {
  // Started as from the Temporal CLI: nothing starts agents for it.
  const handle = await env.client.workflow.start<typeof scenarioWorkflow>('scenarioWorkflow', {
    taskQueue: COMPUTE_TASK_QUEUE,
    workflowId: scenarioWorkflowId('idle'),
    args: [noneSpec('idle', 2401, ['idle-a', 'idle-b'])],
  });
  try {
    const flagged = await waitFor(handle, (s) => s.nodes.some((n) => n.noPoller !== undefined), 'a no-poller flag', 90_000);
    expect(flagged.nodes.map((n) => [n.name, n.noPoller])).toEqual([
      ['idle-a', undefined],
      ['idle-b', 'merak-agent-idle-b'],
    ]);
    expect(flagged.pollersCheckedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(flagged.phase).toBe('building');

    const json = await merak(['status', 'idle', '-o', 'json']);
    expect(json.error).toBeUndefined();
    expect((JSON.parse(json.stdout) as ScenarioStatus).nodes.find((n) => n.name === 'idle-b')).toMatchObject({ noPoller: 'merak-agent-idle-b', running: true, vms: 0 });
    const table = await merak(['status', 'idle']);
    expect(table.stdout).toContain('no worker polls merak-agent-idle-b');
    expect(table.stdout).toMatch(/idle-b: no worker polled their agent queue in the last 5 minutes/);

    // The agent comes: the node builds and its flag goes.
    await cloud.addAgents(['idle-b']);
    const ready = await waitFor(handle, (s) => s.phase === 'ready', 'ready once idle-b has an agent', 120_000);
    expect(vms(ready)).toBe('idle-a=1 idle-b=1');
    expect(ready.nodes.every((n) => n.noPoller === undefined && n.running === undefined)).toBe(true);

    // Without a name: the running scenarios, each with its phase, nodes and VMs.
    const list = await merak(['status', '-o', 'json']);
    expect(list.error).toBeUndefined();
    expect((JSON.parse(list.stdout) as ScenarioListRow[]).find((r) => r.name === 'idle')).toEqual({ name: 'idle', phase: 'ready', nodes: 2, vms: 2, desiredVms: 2 });
    expect((await merak(['status'])).stdout).toMatch(/idle\s*│\s*ready\s*│\s*2\s*│\s*2\/2\s*│/);
    // One scenario: the scenario's VMs and the last operation's count, each named.
    const one = await merak(['status', 'idle']);
    expect(one.stdout).toMatch(/VMs\s*│\s*2 of 2 in the spec, on 2 nodes/);
    expect(one.stdout).toMatch(/last operation\s*│\s*2\/2 VMs created or deleted/);
    await teardown(handle);
    if (process.env.MERAK_RECORD_HISTORIES === '1') {
      // The poller check's timer and activity are in it.
      await writeFile(join(__dirname, '..', 'histories', `${scenarioWorkflowId('idle')}.json`), historyToJSON(await handle.fetchHistory()));
    }
  } finally {
    await teardown(handle);
  }
});

test("merak status counts a building node's VMs while it builds, from its own workflow, and the scenario's history does not grow for it", async () => {
  // 40 VMs in batches of 4 at 4 VMs/s: about 10 s of building, one node.
  const handle = await env.client.workflow.start<typeof scenarioWorkflow>('scenarioWorkflow', {
    taskQueue: COMPUTE_TASK_QUEUE,
    workflowId: scenarioWorkflowId('live'),
    args: [noneSpec('live', 2402, ['live-a'], { vmsPerNode: 40, batchSize: 4, rate: { rps: 4 } })],
  });
  try {
    /** What `merak status` showed while the node built, the workflow's own count then, and the scenario's history length. */
    const mids: { cli: number; workflow: number; events: number }[] = [];
    const seen: number[] = [];
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const workflow = await handle.query(statusQuery);
      if (workflow.phase === 'ready') break;
      const events = await historyLength(handle);
      const run = await merak(['status', 'live', '-o', 'json']);
      const node = (JSON.parse(run.stdout) as ScenarioStatus).nodes[0]!;
      seen.push(node.vms);
      // Re-read after the status: only samples where the history did not move in between count.
      if (node.running && node.vms > 0 && node.vms < 40 && (await historyLength(handle)) === events) {
        mids.push({ cli: node.vms, workflow: workflow.nodes[0]!.vms, events });
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    // Counts strictly between 0 and the total were shown while the node built, and they moved;
    // the workflow's own status still said 0 then (it counts a node when its child ends).
    const counts = [...new Set(mids.map((m) => m.cli))];
    expect({ counts: counts.length >= 2, seen }).toEqual({ counts: true, seen });
    expect(mids.every((m) => m.workflow === 0 && m.cli > 0 && m.cli < 40)).toBe(true);
    // The count moved through queries: the scenario's history has the same length at every one
    // of those samples (not an event per VM, nor per batch).
    expect(new Set(mids.map((m) => m.events)).size).toBe(1);
    const ready = await waitFor(handle, (s) => s.phase === 'ready', 'ready', 60_000);
    expect(vms(ready)).toBe('live-a=40');
  } finally {
    await teardown(handle);
  }
});

test("merak up's VM bar moves while a node builds, not only when its node workflow ends", async () => {
  // 40 VMs in batches of 4 at 2 VMs/s: about 20 s of building, so the non-TTY bars (printed every
  // 5 s) are drawn several times during the build.
  const handle = env.client.workflow.getHandle<typeof scenarioWorkflow>(scenarioWorkflowId('upbar'));
  try {
    const run = await merak(['up', '-f', file('upbar', noneSpec('upbar', 2403, ['live-b'], { vmsPerNode: 40, batchSize: 4, rate: { rps: 2 } })), '--no-local', '--timeout', '120', '-o', 'json']);
    expect(run.error).toBeUndefined();
    const drawn = [...run.stderr.matchAll(/VMs\s+\[[^\]]*\] (\d+)\/40 (\w+)/g)].map((m) => ({ vms: Number(m[1]), phase: m[2] }));
    const mid = drawn.filter((d) => d.phase === 'building' && d.vms > 0 && d.vms < 40);
    expect({ mid: mid.length > 0, drawn }).toEqual({ mid: true, drawn });
    expect(drawn[drawn.length - 1]).toEqual({ vms: 40, phase: 'ready' });
    expect(run.stderr).toContain('scenario upbar is ready: 1 nodes, 40 VMs');
  } finally {
    await teardown(handle);
  }
});
