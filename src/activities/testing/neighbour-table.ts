/**
 * Whether the kernel's IPv4 neighbour (ARP) table overflowed while a check ran. There is one
 * such table for every namespace on the machine, limited by `net.ipv4.neigh.default.gc_thresh3`
 * (src/dataplane/kernel-limits.ts); when it is full, the ARP request or reply that needed a new
 * entry is dropped and the kernel only logs `neighbor table overflow!`, so a ping fails with
 * nothing to say why. The kernel counts each refusal (`table_fulls` in /proc/net/stat/arp_cache,
 * readable only from the initial namespace, where the agent runs in local mode): a check that
 * did not get through while that count rose is `not tested`, naming the limit, instead of a
 * verdict on the provider's network. In pod mode the file is not there and nothing is judged so.
 */
import { promises as fs } from 'node:fs';
import { sysctlFile } from '../../dataplane/kernel-limits';
import { parseNeighbourStat } from './parse';

export const ARP_CACHE_STAT = '/proc/net/stat/arp_cache';
export const GC_THRESH3 = 'net.ipv4.neigh.default.gc_thresh3';

export interface NeighbourTableFiles {
  /** @default ARP_CACHE_STAT */
  stat?: string;
  /** @default /proc/sys/net/ipv4/neigh/default/gc_thresh3 */
  gcThresh3?: string;
}

export class NeighbourTableWatch {
  private readonly stat: string;
  private readonly thresh3: string;
  /** False once the counters could not be read: then nothing is read again. */
  private readable = true;

  constructor(files: NeighbourTableFiles = {}) {
    this.stat = files.stat ?? ARP_CACHE_STAT;
    this.thresh3 = files.gcThresh3 ?? sysctlFile(GC_THRESH3);
  }

  /** Refusals counted so far, or undefined when the counters cannot be read here. */
  async fulls(): Promise<number | undefined> {
    if (!this.readable) return undefined;
    try {
      const s = parseNeighbourStat(await fs.readFile(this.stat, 'utf8'));
      if (s) return s.tableFulls;
    } catch {
      // not in the initial namespace (pod mode), or no IPv4: nothing to watch
    }
    this.readable = false;
    return undefined;
  }

  /**
   * Why a check that began when the count was `before` cannot be judged: the table refused
   * entries meanwhile. Undefined when it did not (or `before` is unknown).
   */
  async overflowSince(before: number | undefined): Promise<string | undefined> {
    if (before === undefined) return undefined;
    let text: string;
    try {
      text = await fs.readFile(this.stat, 'utf8');
    } catch {
      return undefined;
    }
    const now = parseNeighbourStat(text);
    if (!now || now.tableFulls <= before) return undefined;
    const limit = await fs.readFile(this.thresh3, 'utf8').then((t) => t.trim(), () => 'unknown');
    return (
      `the kernel's IPv4 neighbour table was full during this check (${GC_THRESH3} = ${limit}, ${now.entries} entries, ` +
      `${now.tableFulls - before} refused meanwhile; one table for every namespace on the machine): an ARP request or reply needing a new entry was dropped`
    );
  }
}
