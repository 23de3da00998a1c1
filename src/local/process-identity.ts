/**
 * Who a pid is. A pid alone names a process only until it exits: after a reboot or once the
 * kernel hands the number out again, the same pid is a stranger. A process is identified here by
 * its pid, its start time (field 22 of /proc/<pid>/stat, clock ticks since boot), the boot it
 * started in (/proc/sys/kernel/random/boot_id) and its command line (/proc/<pid>/cmdline): a
 * recorded pid counts as the recorded process only while all of them still match, so Merak never
 * adopts or signals an unrelated process. Source of the /proc fields: proc(5).
 */
import { readFileSync } from 'node:fs';

/** What identifies a running process beyond its pid. */
export interface ProcessIdentity {
  pid: number;
  /** Start time in clock ticks after boot (proc(5), /proc/<pid>/stat field 22). */
  startTicks: number;
  /** The boot the process started in (/proc/sys/kernel/random/boot_id). */
  bootId: string;
  /** Its command line, one element per argument. */
  argv: string[];
}

function readBootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * The identity of a live process from /proc, or undefined when it does not exist, has exited
 * (a zombie counts as exited) or /proc cannot be read.
 */
export function readProcessIdentity(pid: number): ProcessIdentity | undefined {
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  let stat: string;
  let cmdline: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces and ')': the fields
  // after it start behind the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = rest[0];
  if (state === 'Z' || state === 'X' || state === 'x') return undefined;
  // rest[0] is field 3 (state), so field 22 (starttime) is rest[19].
  const startTicks = Number(rest[19]);
  const bootId = readBootId();
  if (!Number.isInteger(startTicks) || bootId === undefined) return undefined;
  const argv = cmdline.split('\0');
  if (argv[argv.length - 1] === '') argv.pop();
  return { pid, startTicks, bootId, argv };
}

/** A process as recorded when it was started; `startTicks`/`bootId` are absent in records of older versions. */
export interface RecordedProcess {
  pid: number;
  argv: string[];
  startTicks?: number;
  bootId?: string;
}

/**
 * Whether the recorded process is still alive and still the same one: same boot, same start
 * time, same command line. A record without a start time (an older version wrote it) counts only
 * when the command line matches exactly. Never true for a pid whose /proc entry cannot be read.
 */
export function isSameProcess(recorded: RecordedProcess): boolean {
  const now = readProcessIdentity(recorded.pid);
  if (now === undefined) return false;
  if (recorded.startTicks !== undefined && (recorded.startTicks !== now.startTicks || recorded.bootId !== now.bootId)) return false;
  return now.argv.length === recorded.argv.length && now.argv.every((arg, i) => arg === recorded.argv[i]);
}

/** Sends a signal to the recorded process only if it is still that process; false when it is not (nothing sent). */
export function signalIfSame(recorded: RecordedProcess, signal: NodeJS.Signals): boolean {
  if (!isSameProcess(recorded)) return false;
  try {
    process.kill(recorded.pid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/**
 * Stops the recorded process if it is still that process: SIGTERM, up to `graceMs` for it to
 * exit, then SIGKILL. Returns what happened; `not-ours` means the pid is gone or now belongs
 * to another process, which is left alone.
 */
export async function stopIfSame(recorded: RecordedProcess, graceMs = 15_000): Promise<'stopped' | 'killed' | 'not-ours'> {
  if (!signalIfSame(recorded, 'SIGTERM')) return 'not-ours';
  const deadline = Date.now() + graceMs;
  while (isSameProcess(recorded) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (!isSameProcess(recorded)) return 'stopped';
  signalIfSame(recorded, 'SIGKILL');
  const killDeadline = Date.now() + 5_000;
  while (isSameProcess(recorded) && Date.now() < killDeadline) await new Promise((r) => setTimeout(r, 50));
  return 'killed';
}
