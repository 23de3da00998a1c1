/**
 * Recorded processes: a pid alone can be reused by a later process, so a process Merak starts is
 * recorded with its start time (field 22 of /proc/PID/stat, clock ticks after boot) and is only
 * ever signalled while both still match.
 */
import { readFileSync } from 'node:fs';

/** A process as recorded: its pid and its start time. */
export interface ProcessIdentity {
  pid: number;
  startTime: string;
}

/** Start time of a live process, or undefined when there is none with that pid. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** True while the recorded process still runs (same pid, same start time). */
export function isRecordedAlive(p: ProcessIdentity): boolean {
  return processStartTime(p.pid) === p.startTime;
}

/**
 * Ends a recorded process: SIGTERM, then SIGKILL after `graceMs`, and waits (bounded) until it
 * is gone. Returns false when it was not running. A process that is someone else's (another
 * start time) is never signalled.
 */
export async function endRecordedProcess(p: ProcessIdentity, graceMs = 10_000): Promise<boolean> {
  if (!isRecordedAlive(p)) return false;
  try {
    process.kill(p.pid, 'SIGTERM');
  } catch {
    return false;
  }
  const deadline = Date.now() + graceMs;
  while (isRecordedAlive(p) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (isRecordedAlive(p)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone between the check and the kill
    }
    const killDeadline = Date.now() + 5_000;
    while (isRecordedAlive(p) && Date.now() < killDeadline) await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}
