/**
 * What the scenario benchmark reads from the machine: memory of this process and of the Temporal
 * dev server, kernel memory, the machine's load, and the namespaces that exist. Linux only.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';

/** /proc/meminfo in bytes. */
export function meminfo(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync('/proc/meminfo', 'utf8').split('\n')) {
    const m = /^(\w+):\s+(\d+) kB/.exec(line);
    if (m) out[m[1]!] = Number(m[2]) * 1024;
  }
  return out;
}

/** A field of /proc/<pid>/status in bytes (VmRSS, VmHWM), or 0 when the process is gone. */
export function procMem(pid: number | 'self', field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU milliseconds (user + system) a process used so far, or 0 when it is gone. */
export function procCpuMs(pid: number | 'self'): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime (fields 14 and 15 of stat) in clock ticks, 100 per second on Linux.
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}

/**
 * CPU milliseconds (user + system) this process's waited-for children used so far (cutime +
 * cstime): the `ip`, `tc` and plugin commands the agent runs, once they have exited.
 */
export function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) * 10;
}

/** This process's threads (ids) named `comm` (/proc/self/task/<tid>/comm). */
export function threadsNamed(comm: string): number[] {
  return readdirSync('/proc/self/task')
    .map(Number)
    .filter((tid) => {
      try {
        return readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() === comm;
      } catch {
        return false;
      }
    });
}

/** CPU milliseconds (user + system) the given threads of this process used so far (0 for one that is gone). */
export function threadCpuMs(tids: readonly number[]): number {
  let ms = 0;
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ms += (Number(f[11]) + Number(f[12])) * 10;
    } catch {
      // the thread ended
    }
  }
  return ms;
}

/** Resets this process's peak RSS (VmHWM) so each case reports its own peak. */
export function resetPeakRss(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // Older kernels: the peak then covers the run so far, which the report says.
  }
}

/** The Temporal dev server this process started (a child named temporal), if any. */
export function devServerPid(): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (comm === 'temporal' && ppid === process.pid) return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  return undefined;
}

/** `uptime`'s load averages, as the report notes them next to each measurement. */
export function load(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

/** Network namespaces that exist now (names only). */
export function netnsNames(): Set<string> {
  const out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return new Set(
    out
      .split('\n')
      .map((l) => l.split(' ')[0]!)
      .filter((n) => n.length > 0),
  );
}

/** Samples a value every `everyMs` and keeps its maximum until stopped. */
export function sampleMax(read: () => number, everyMs = 500): { stop(): number } {
  let max = read();
  const timer = setInterval(() => {
    max = Math.max(max, read());
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(max, read());
    },
  };
}

export const mb = (bytes: number): number => Math.round(bytes / 1024 / 1024);
