/**
 * The kernel's receive backlog in local mode.
 *
 * Every veth, bridge and VXLAN hop of the local cloud hands packets to the receiving CPU's
 * backlog queue (`net.core.netdev_max_backlog`, 1000 by default). A real cloud has one such
 * queue per CPU per host; the local cloud puts every emulated host in one kernel, so they share
 * the machine's two or so. One broadcast (an ARP request) in a VPC spread over many nodes is
 * replicated to every node and flooded to every VM port there inside one softirq run: at
 * 10 nodes x 1000 VMs that is about 5000 packets at once, the queue overflows, and the VMs
 * late in the flood never see the ARP request (measured: 35-38 of 50 cross-node pings failed,
 * the same pairs every time; with a larger backlog all passed).
 *
 * So the local cloud raises the limit (never lowers it), remembers the value it found in
 * /run/merak (a tmpfs, emptied at boot like the setting itself), and puts it back when no local
 * cloud (fabric namespace) of any scenario is left on the machine. The setting is global to the
 * machine (it is not per network namespace); pod mode leaves it alone.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export const BACKLOG_SYSCTL = '/proc/sys/net/core/netdev_max_backlog';
/** Room for the widest flood of a large local scenario; queued packets only use memory while queued. */
export const LOCAL_BACKLOG = 65536;
/** Where the value found before the first raise is kept. */
export const BACKLOG_RECORD = '/run/merak/netdev_max_backlog.original';

export interface BacklogFiles {
  /** @default BACKLOG_SYSCTL */
  sysctl?: string;
  /** @default BACKLOG_RECORD */
  record?: string;
}

export interface BacklogChange {
  before: number;
  after: number;
}

async function read(file: string): Promise<number> {
  return Number((await fs.readFile(file, 'utf8')).trim());
}

/**
 * Raises the backlog to `want` if it is lower; records the value found first (once: a second
 * scenario must not record the raised value as the original). Returns the change, if any.
 */
export async function raiseBacklog(want = LOCAL_BACKLOG, files: BacklogFiles = {}): Promise<BacklogChange | undefined> {
  const file = files.sysctl ?? BACKLOG_SYSCTL;
  const record = files.record ?? BACKLOG_RECORD;
  const before = await read(file);
  if (!Number.isInteger(before) || before >= want) return undefined;
  await fs.mkdir(path.dirname(record), { recursive: true });
  try {
    await fs.writeFile(record, `${before}\n`, { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  await fs.writeFile(file, `${want}\n`);
  return { before, after: want };
}

/**
 * Puts back the value recorded by raiseBacklog, if there is a record. Call only when no local
 * cloud is left on the machine. A value changed by someone else since is left as it is.
 */
export async function restoreBacklog(raised = LOCAL_BACKLOG, files: BacklogFiles = {}): Promise<BacklogChange | undefined> {
  const file = files.sysctl ?? BACKLOG_SYSCTL;
  const record = files.record ?? BACKLOG_RECORD;
  let original: number;
  try {
    original = await read(record);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const now = await read(file);
  let change: BacklogChange | undefined;
  if (now === raised && Number.isInteger(original) && original > 0) {
    await fs.writeFile(file, `${original}\n`);
    change = { before: now, after: original };
  }
  await fs.rm(record, { force: true });
  return change;
}
