/**
 * Processes a test starts that are not Merak's own daemons (etcd, kube-apiserver): Merak's owner
 * records cannot hold them (they take no `--pidfile=` argument), so each is recorded here, with
 * the test process that owns it and the jest run it belongs to, as soon as it is spawned. A test
 * process that dies without its afterAll (a killed runner, a crash) leaves a record behind, and
 * the next run stops what it names; the integration project's global teardown fails the run when
 * one of its own tests left a recorded process running. A recorded pid is signalled only while it
 * is still that process (src/local/process-identity.ts), never a stranger under a reused pid.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isSameProcess, readProcessIdentity, signalIfSame, type RecordedProcess } from '../../src/local/process-identity';

/** Where records live: machine-wide, so a run in any checkout finds what another one left. Overridable for tests of this file. */
export const testRecordDir = (): string => process.env.MERAK_TEST_PROCESS_RECORDS ?? '/run/merak/test-processes';

/** One record: the processes one test started together, and what to remove with them. */
export interface TestProcessRecord {
  /** The test process that started them (a jest worker, or jest itself in band). */
  owner: RecordedProcess;
  /** The jest process of the run: the owner's parent when the owner is a worker, else the owner. */
  run: number;
  processes: Array<RecordedProcess & { role: string }>;
  /** A temporary folder of theirs, removed once they are stopped. */
  dir?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Records the children a test just spawned (spawn returns after exec, so their command lines are
 * already theirs); one that is no longer running cannot be left behind and is not recorded.
 * Returns the record's path for {@link forgetTestProcesses}, or undefined when nothing runs.
 */
export function recordTestProcesses(name: string, children: Array<{ role: string; child: ChildProcess }>, dir?: string): string | undefined {
  const owner = readProcessIdentity(process.pid)!;
  const processes = children.flatMap(({ role, child }) => {
    const id = child.pid === undefined ? undefined : readProcessIdentity(child.pid);
    return id ? [{ ...id, role }] : [];
  });
  if (processes.length === 0) return undefined;
  const record: TestProcessRecord = {
    owner,
    run: process.env.JEST_WORKER_ID !== undefined && process.send !== undefined ? process.ppid : process.pid,
    processes,
    ...(dir ? { dir } : {}),
  };
  mkdirSync(testRecordDir(), { recursive: true, mode: 0o700 });
  const file = join(testRecordDir(), `${process.pid}-${name}-${basename(dir ?? String(Date.now()))}.json`);
  writeFileSync(file, JSON.stringify(record));
  return file;
}

/** Drops a record once the test has stopped its processes itself. */
export function forgetTestProcesses(file: string): void {
  rmSync(file, { force: true });
}

function readRecords(): Array<{ file: string; record: TestProcessRecord }> {
  let names: string[];
  try {
    names = readdirSync(testRecordDir()).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    const file = join(testRecordDir(), n);
    try {
      return [{ file, record: JSON.parse(readFileSync(file, 'utf8')) as TestProcessRecord }];
    } catch {
      return []; // being written, or already removed by another run
    }
  });
}

/** SIGTERM, then SIGKILL after `graceMs`, to each recorded process that is still itself; removes its folder and record. */
async function stopRecord(file: string, record: TestProcessRecord, graceMs: number): Promise<string[]> {
  const stopped = record.processes.filter((p) => signalIfSame(p, 'SIGTERM'));
  const deadline = Date.now() + graceMs;
  while (stopped.some(isSameProcess) && Date.now() < deadline) await sleep(100);
  for (const p of stopped) signalIfSame(p, 'SIGKILL');
  if (record.dir) rmSync(record.dir, { recursive: true, force: true });
  rmSync(file, { force: true });
  return stopped.map((p) => `${p.role} (pid ${p.pid})`);
}

/**
 * Stops what records name whose owner is gone (the test process died before its afterAll).
 * Returns what it stopped, as "role (pid N)".
 */
export async function stopOrphanedTestProcesses(graceMs = 10_000): Promise<string[]> {
  const out: string[] = [];
  for (const { file, record } of readRecords()) if (!isSameProcess(record.owner)) out.push(...(await stopRecord(file, record, graceMs)));
  return out;
}

/**
 * Stops what this jest run's tests left recorded (their afterAll did not stop it) and returns it;
 * other runs' records are left to them.
 */
export async function stopLeftoversOfRun(run: number, graceMs = 10_000): Promise<string[]> {
  const out: string[] = [];
  for (const { file, record } of readRecords()) if (record.run === run) out.push(...(await stopRecord(file, record, graceMs)));
  return out;
}
