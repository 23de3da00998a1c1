/**
 * Processes tests start outside Merak's records (test/helpers/test-processes.ts), with real
 * processes: one whose test process died is stopped by its record, a stranger under a recorded
 * pid is never signalled, a live test's processes are left to it, and the run's teardown stops
 * what a test of the run left and fails naming it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSameProcess, readProcessIdentity } from '../../src/local/process-identity';
import globalTeardown from '../helpers/global-teardown';
import { forgetTestProcesses, recordTestProcesses, stopLeftoversOfRun, stopOrphanedTestProcesses, testRecordDir, type TestProcessRecord } from '../helpers/test-processes';

const records = mkdtempSync(join(tmpdir(), 'merak-test-records-'));
const before = process.env.MERAK_TEST_PROCESS_RECORDS;
const children: ChildProcess[] = [];

const sleeper = (): ChildProcess => {
  const child = spawn('sleep', ['300'], { stdio: 'ignore' });
  children.push(child);
  return child;
};
const identity = (child: ChildProcess) => readProcessIdentity(child.pid!)!;
const write = (name: string, record: TestProcessRecord): string => {
  const file = join(testRecordDir(), `${name}.json`);
  writeFileSync(file, JSON.stringify(record));
  return file;
};
const waitGone = async (child: ChildProcess): Promise<void> => {
  if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
};

beforeAll(() => {
  process.env.MERAK_TEST_PROCESS_RECORDS = records;
});
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (before === undefined) delete process.env.MERAK_TEST_PROCESS_RECORDS;
  else process.env.MERAK_TEST_PROCESS_RECORDS = before;
  rmSync(records, { recursive: true, force: true });
});

test('a process whose test process died is stopped by its record, with its folder; a stranger under a recorded pid is not signalled', async () => {
  const left = sleeper();
  const stranger = sleeper();
  const dir = mkdtempSync(join(tmpdir(), 'merak-test-left-'));
  const me = readProcessIdentity(process.pid)!;
  // The owner is gone: the same pid with another start time is another process.
  const deadOwner = { ...me, startTicks: me.startTicks - 1 };
  const file = write('dead-owner', {
    owner: deadOwner,
    run: -1,
    processes: [
      { ...identity(left), role: 'etcd' },
      // The pid now belongs to another process (its start time differs): never signalled.
      { ...identity(stranger), startTicks: identity(stranger).startTicks - 1, role: 'kube-apiserver' },
    ],
    dir,
  });
  expect(await stopOrphanedTestProcesses(2_000)).toEqual([`etcd (pid ${left.pid})`]);
  await waitGone(left);
  expect(left.signalCode).toBe('SIGTERM');
  expect(isSameProcess(identity(stranger))).toBe(true);
  expect(existsSync(file)).toBe(false);
  expect(existsSync(dir)).toBe(false);
});

test('a live test\'s record is left to it; forgetting drops it; only running children are recorded', async () => {
  const mine = sleeper();
  const gone = spawn('true', { stdio: 'ignore' });
  await waitGone(gone);
  const file = recordTestProcesses('etcd', [{ role: 'etcd', child: mine }, { role: 'gone', child: gone }])!;
  expect(await stopOrphanedTestProcesses(2_000)).toEqual([]);
  expect(isSameProcess(identity(mine))).toBe(true);
  forgetTestProcesses(file);
  expect(readdirSync(records)).toEqual([]);
  expect(recordTestProcesses('gone', [{ role: 'gone', child: gone }])).toBeUndefined();
  mine.kill('SIGKILL');
});

test('the run\'s teardown stops what its tests left and fails naming it; another run\'s live records are untouched', async () => {
  const left = sleeper();
  const others = sleeper();
  const me = readProcessIdentity(process.pid)!;
  // Teardown runs in the jest process: records of this run carry its pid as `run`.
  write('this-run', { owner: me, run: process.pid, processes: [{ ...identity(left), role: 'kube-apiserver' }] });
  write('other-run', { owner: me, run: -2, processes: [{ ...identity(others), role: 'etcd' }] });
  await expect(globalTeardown()).rejects.toThrow(`tests of this run left processes running (now stopped by their records): kube-apiserver (pid ${left.pid})`);
  await waitGone(left);
  expect(isSameProcess(identity(others))).toBe(true);
  expect(readdirSync(records)).toEqual(['other-run.json']);
  expect(await stopLeftoversOfRun(-2, 2_000)).toEqual([`etcd (pid ${others.pid})`]);
  await waitGone(others);
});
