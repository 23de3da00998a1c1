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
