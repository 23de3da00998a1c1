/**
 * Checks shared by the OVN tests: what runs, what is in the central's databases, and that a
 * run left nothing behind (processes, folders, namespaces, rows).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** Whether the OVN and OVS tools are installed (Debian ovn-central, ovn-host, openvswitch-switch). */
export const hasOvn = ['/usr/bin/ovn-nbctl', '/usr/sbin/ovs-vswitchd', '/usr/bin/ovn-controller', '/usr/bin/ovn-northd'].every((p) => existsSync(p));

/** Pids of processes whose command line mentions `needle` (a folder of ours). */
export function processesMentioning(needle: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (cmd.includes(needle)) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out.filter((p) => p !== process.pid);
}

/** Runs an ovn-nbctl/ovn-sbctl/ovs-vsctl command against a unix socket; returns trimmed stdout. */
export function ovsdb(tool: 'ovn-nbctl' | 'ovn-sbctl' | 'ovs-vsctl', socket: string, ...args: string[]): string {
  return execFileSync(tool, [`--db=unix:${socket}`, '--timeout=20', ...args], { encoding: 'utf8' }).trim();
}

/** Names of the Chassis rows in a southbound database. */
export function chassisNames(sbSocket: string): string[] {
  const out = ovsdb('ovn-sbctl', sbSocket, '--bare', '--columns=name', 'list', 'Chassis');
  return out === '' ? [] : out.split('\n').filter((l) => l !== '').sort();
}

/** Number of rows of a northbound table. */
export function nbCount(nbSocket: string, table: string): number {
  const out = ovsdb('ovn-nbctl', nbSocket, '--bare', '--columns=_uuid', 'list', table);
  return out === '' ? 0 : out.split('\n').filter((l) => l !== '').length;
}

/** Waits until `check` is true, polling every `everyMs`, at most `timeoutMs`; returns the elapsed ms or throws. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000, everyMs = 50): Promise<number> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return Date.now() - t0;
}
