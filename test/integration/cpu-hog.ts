/**
 * A CPU hog for tests that must give the same answers on a busy machine: `stress-ng --cpu N`
 * (Debian package stress-ng) with one worker per core, bounded by its own `--timeout`, in a
 * process group of its own so the test ends exactly what it started (the group, by its id) and
 * nothing else, even when the test body throws.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export interface HogReport {
  /** Workers (one per core). */
  workers: number;
  /** Wall time the body ran, ms. */
  elapsedMs: number;
  /** CPU time the workers used while the body ran, s (user + system, from /proc/PID/stat). */
  hogCpuS: number;
  /** /proc/loadavg's 1-minute figure when the body ended. */
  load1: number;
}

/** Processes of process group `pgid`, with their CPU ticks (utime + stime). */
function groupProcesses(pgid: number): Array<{ pid: number; ticks: number }> {
  const found: Array<{ pid: number; ticks: number }> = [];
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces), from field 3 (state) on.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) === pgid) found.push({ pid: Number(p), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // ended while we looked
    }
  }
  return found;
}

/** Clock ticks per second of /proc/PID/stat (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/**
 * Runs `body` while one stress-ng CPU worker per core spins, then stops the hog whatever
 * happened. The hog ends on its own after `maxSeconds` if this process dies.
 * @throws Error when stress-ng did not start its workers within 10 s (the body is not run).
 */
export async function withCpuHog<T>(maxSeconds: number, body: () => Promise<T>): Promise<{ result: T; hog: HogReport }> {
  const workers = availableParallelism();
  const hog = spawn('stress-ng', ['--cpu', String(workers), '--cpu-method', 'matrixprod', '--timeout', `${maxSeconds}s`, '--quiet'], { detached: true, stdio: 'ignore' });
  const pgid = hog.pid;
  if (pgid === undefined) throw new Error('stress-ng did not start: install the Debian package stress-ng (.ci/apt-packages.txt)');
  const exited = new Promise<void>((resolve) => hog.once('exit', () => resolve()));
  let outcome: { ok: true; value: { result: T; hog: HogReport } } | { ok: false; error: unknown };
  try {
    // The workers are the group's processes other than stress-ng's own parent.
    for (let i = 0; groupProcesses(pgid).length < workers + 1; i++) {
      if (i >= 100 || hog.exitCode !== null) throw new Error(`stress-ng did not start ${workers} CPU workers within 10 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const ticks0 = groupProcesses(pgid).reduce((s, p) => s + p.ticks, 0);
    const t0 = Date.now();
    const result = await body();
    const elapsedMs = Date.now() - t0;
    const hogCpuS = (groupProcesses(pgid).reduce((s, p) => s + p.ticks, 0) - ticks0) / USER_HZ;
    const load1 = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
    outcome = { ok: true, value: { result, hog: { workers, elapsedMs, hogCpuS, load1 } } };
  } catch (error) {
    outcome = { ok: false, error };
  }
  // Whatever happened: end the hog's whole group (only it: the group is the one it was started in).
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // the group already ended (its timeout)
  }
  await exited;
  for (let i = 0; groupProcesses(pgid).length > 0; i++) {
    if (i >= 50) throw new Error(`stress-ng processes of group ${pgid} still alive 5 s after SIGKILL`);
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}
