/**
 * Small per-node files next to the owner records: the node's underlay (so the reference
 * plugin and peers can find it) and, for the `none` dataplane, which VMs and endpoints exist
 * as ranges. Writes go through a temporary file and rename, so a crash never leaves half a file.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { readJsonFile as readJson, writeJsonFile as writeJson } from '../../dataplane/json-file';
import { addRange, rangeCount, removeRange, type Range } from '../../dataplane/range-set';

export interface NodeMeta {
  node: string;
  nodeSlot: number;
  mode: 'local' | 'pod';
  /** The node's underlay: its address, the device carrying it and that device's MTU (bytes; absent in state written before MTUs were derived). */
  underlay: { address: string; device: string; mtu?: number };
  plugin: string;
  /** The provider's node configuration given to ensureNode (absent: none). */
  providerConfig?: Record<string, string>;
}

export interface VirtualState {
  vms: Range[];
  /** Endpoint e -> VM ranges that have endpoint e. */
  endpoints: Record<string, Range[]>;
}



export class NodeStateFiles {
  /** Serialises read-modify-write of one file within this process. */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly stateDir: string) {}

  private dir(scenario: string): string {
    return path.join(this.stateDir, 'scenarios', scenario);
  }

  private locked<T>(file: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(file) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.locks.set(file, next.catch(() => undefined));
    return next;
  }

  metaFile(scenario: string, node: string): string {
    return path.join(this.dir(scenario), `${node}.node.json`);
  }

  readMeta(scenario: string, node: string): Promise<NodeMeta | undefined> {
    return readJson<NodeMeta>(this.metaFile(scenario, node));
  }

  writeMeta(scenario: string, meta: NodeMeta): Promise<void> {
    return writeJson(this.metaFile(scenario, meta.node), meta);
  }

  /** Names of the nodes of the scenario with state here (from file names only: cheap at 1000s of nodes). */
  async nodes(scenario: string): Promise<string[]> {
    try {
      return (await fs.readdir(this.dir(scenario))).filter((x) => x.endsWith('.node.json')).map((x) => x.slice(0, -'.node.json'.length)).sort();
    } catch {
      return [];
    }
  }

  /**
   * Whether a node other than `node` has state here. Stops at the first one it finds: deleting
   * each of 10,000 nodes must not list a directory of 10,000 nodes' files once per node.
   */
  async hasOtherNode(scenario: string, node: string): Promise<boolean> {
    let dir;
    try {
      dir = await fs.opendir(this.dir(scenario));
    } catch {
      return false;
    }
    // Leaving the loop (return included) closes the directory.
    for await (const e of dir) if (e.name.endsWith('.node.json') && e.name !== `${node}.node.json`) return true;
    return false;
  }

  /** Every node of the scenario that recorded its underlay here (local mode: all of them). */
  async allMeta(scenario: string): Promise<NodeMeta[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir(scenario));
    } catch {
      return [];
    }
    const out: NodeMeta[] = [];
    for (const n of names.filter((x) => x.endsWith('.node.json')).sort()) {
      const m = await readJson<NodeMeta>(path.join(this.dir(scenario), n));
      if (m) out.push(m);
    }
    return out;
  }

  private virtualFile(scenario: string, node: string): string {
    return path.join(this.dir(scenario), `${node}.none.json`);
  }

  readVirtual(scenario: string, node: string): Promise<VirtualState> {
    return readJson<VirtualState>(this.virtualFile(scenario, node)).then((v) => v ?? { vms: [], endpoints: {} });
  }

  updateVirtual(scenario: string, node: string, fn: (v: VirtualState) => VirtualState): Promise<VirtualState> {
    const file = this.virtualFile(scenario, node);
    return this.locked(file, async () => {
      const next = fn(await this.readVirtual(scenario, node));
      await writeJson(file, next);
      return next;
    });
  }

  async removeNode(scenario: string, node: string): Promise<void> {
    await fs.rm(this.metaFile(scenario, node), { force: true });
    await fs.rm(this.virtualFile(scenario, node), { force: true });
  }
}

export const virtualVmCount = (v: VirtualState): number => rangeCount(v.vms);
export const virtualEndpointCount = (v: VirtualState): number => Object.values(v.endpoints).reduce((n, r) => n + rangeCount(r), 0);
export { addRange, removeRange };
