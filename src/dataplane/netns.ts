/** Reading what exists in the kernel: named namespaces and the links of one namespace. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { CommandRunner } from './command';
import { runChecked } from './command';

/** Where iproute2 keeps named namespaces. */
export const NETNS_DIR = '/run/netns';

export const netnsPath = (name: string): string => path.join(NETNS_DIR, name);

/** Names of all named namespaces (one readdir, no spawn). */
export async function listNetns(): Promise<Set<string>> {
  try {
    return new Set(await fs.readdir(NETNS_DIR));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
    throw e;
  }
}

/**
 * Named namespaces that are really mounted. `ip netns add` creates the file before it
 * bind-mounts the namespace onto it; a crash in between leaves an empty file that setns()
 * refuses. Such a file counts as present for deletion (listNetns) but not as created.
 */
export async function listMountedNetns(): Promise<Set<string>> {
  const text = await fs.readFile('/proc/self/mountinfo', 'utf8');
  const out = new Set<string>();
  const prefix = `${NETNS_DIR}/`;
  for (const line of text.split('\n')) {
    const mountPoint = line.split(' ')[4];
    if (mountPoint && mountPoint.startsWith(prefix)) out.add(mountPoint.slice(prefix.length));
  }
  return out;
}

/** Lines creating the namespaces not yet mounted, removing a stale half-made file first. */
export function netnsAddLines(names: readonly string[], files: ReadonlySet<string>, mounted: ReadonlySet<string>): string[] {
  const lines: string[] = [];
  for (const n of names) {
    if (mounted.has(n)) continue;
    if (files.has(n)) lines.push(`netns del ${n}`);
    lines.push(`netns add ${n}`);
  }
  return lines;
}

export interface LinkInfo {
  ifname: string;
  master?: string;
  operstate?: string;
  address?: string;
  flags?: string[];
}

/** Links of a namespace (`ip [-n NS] -j link show`); NS undefined = the agent's own. */
export async function listLinks(runner: CommandRunner, netns?: string): Promise<LinkInfo[]> {
  const r = await runChecked(runner, ['ip', ...(netns ? ['-n', netns] : []), '-j', 'link', 'show']);
  return JSON.parse(r.stdout || '[]') as LinkInfo[];
}
