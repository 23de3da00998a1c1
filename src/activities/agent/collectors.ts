/**
 * The eBPF collectors of the nodes this agent serves (src/dataplane/collector.ts): one per node,
 * started when the node is made (ensureNode) and recorded against it as a daemon, so deleting the
 * node (or `merak clean`) stops it with everything else the node owns. The agent tells each
 * collector which namespaces are its node's (the node's own and its VMs', by inode, as VMs come
 * and go) and reads the counters back for `/metrics`, `/counters` and `merak monitor`.
 *
 * A collector that is gone while its node still exists (killed, crashed) is started again at the
 * next read, and a collector the agent has not told its namespaces yet in this process (the
 * agent restarted, or the collector did) is told all of them first: nothing depends on the
 * agent's memory surviving.
 */
import { COLLECTOR_PROTOCOL, collectorFiles, collectorRecord, collectorRequest, findCollector, netnsInode, startCollector } from '../../dataplane/collector';
import type { CommandRunner } from '../../dataplane/command';
import { daemonPid } from '../../dataplane/daemon';
import { objectKey } from '../../dataplane/owner-record-format';
import type { OwnerRecordStore } from '../../dataplane/owner-records';
import { listMountedNetns, netnsPath } from '../../dataplane/netns';
import { nodeNetns, parseVmNetns } from '../../dataplane/names';
import { findTag } from '../../dataplane/tags';
import { forEachBounded } from '../../model/concurrency';
import { COUNTERS_SCHEMA, NODE_LABEL, nodeCounters, nodeWithoutCounters, parseCollectorReading, vmLabel, type CountersDocument, type NodeCounters } from '../../model/counters';
import { errorText } from '../../model/error-text';
import { NodeStateFiles } from './node-state';

/**
 * on: every node gets a collector, and a node whose collector cannot start fails (retried);
 * auto: a collector where it can start, a warning where it cannot (no binary, no BPF rights);
 * off: none.
 */
export type CollectorMode = 'auto' | 'on' | 'off';
export const COLLECTOR_MODES: readonly CollectorMode[] = ['auto', 'on', 'off'];

export interface NodeCollectorsOptions {
  /** @default "auto" */
  mode?: CollectorMode;
  runner: CommandRunner;
  records: OwnerRecordStore;
  /** local: the node is namespace mk-<tag>-<node>; pod: the agent's own namespace. */
  nodeMode: 'local' | 'pod';
  /** The collector binary. @default findCollector() ($MERAK_COLLECTOR or .tools/collector/merak-collector) */
  binary?: string;
  /** Interfaces one collector counts at most. @default 16384 */
  maxInterfaces?: number;
  /** One line per event (a collector restarted, a watch that failed). @default stderr */
  log?: (line: string) => void;
  /** ms. @default Date.now */
  clock?: () => number;
}

export interface NodeRef {
  scenario: string;
  node: string;
  tag: string;
}

export interface NodeCollectors {
  readonly mode: CollectorMode;
  /** ensureNode: records and starts the node's collector unless it runs, and tells it the node's namespaces. */
  nodeUp(ref: NodeRef): Promise<void>;
  /** createVms: count these VMs too (names of namespaces that exist). */
  watchVms(ref: NodeRef, vms: ReadonlyArray<{ vmIndex: number; name: string }>): Promise<void>;
  /** deleteVms, before the namespaces go: stop counting them (a later namespace may get the inode). */
  unwatchVms(ref: NodeRef, names: readonly string[]): Promise<void>;
  /** deleteNode, after the clean stopped the collector through its record. */
  forget(scenario: string, node: string): void;
  /** The counters of the scenario's nodes that have state here and are in `served` (all when undefined). */
  read(scenario: string, served?: ReadonlySet<string>): Promise<CountersDocument>;
  /** Scenarios with node state here. */
  scenarios(): Promise<string[]>;
}

/** Namespaces stat'ed at once when a collector is told all of a node's VMs. */
const STATS_AT_ONCE = 64;

export function createNodeCollectors(o: NodeCollectorsOptions): NodeCollectors {
  const mode = o.mode ?? 'auto';
  const log = o.log ?? ((line: string) => process.stderr.write(`merak: ${line}\n`));
  const clock = o.clock ?? Date.now;
  const files = new NodeStateFiles(o.records.stateDir);
  /** Pid of the collector each pid file names, once it was told all its node's namespaces. */
  const synced = new Map<string, number>();
  /** Pid file of each `scenario/node` this process synced, for forget(). */
  const pidfiles = new Map<string, string>();
  /** One start or sync per node at a time. */
  const locks = new Map<string, Promise<unknown>>();
  let warned = false;
  let binary = o.binary;
  /** Why there is no binary, for every reader of the counters (merak monitor), not only the agent's log. */
  let missing: string | undefined;

  function locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = locks.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    locks.set(key, next.catch(() => undefined));
    return next;
  }

  /** The binary, or undefined in auto mode when there is none (warned once). */
  function binaryOrSkip(): string | undefined {
    if (binary) return binary;
    try {
      binary = findCollector();
      return binary;
    } catch (e) {
      if (mode === 'on') throw e;
      missing = errorText(e);
      if (!warned) log(`warning: no eBPF counters on this agent's nodes: ${missing}`);
      warned = true;
      return undefined;
    }
  }

  const nodeNsFile = (r: NodeRef): string => (o.nodeMode === 'pod' ? '/proc/self/ns/net' : netnsPath(nodeNetns(r.tag, r.node)));

  /** Tells the collector exactly the node's namespaces that exist now. */
  async function sync(r: NodeRef, pid: number): Promise<void> {
    const { socket, pidfile } = collectorFiles(r.tag, r.node);
    const vms = [...(await listMountedNetns())].flatMap((name) => {
      const vm = parseVmNetns(r.tag, r.node, name);
      return vm === undefined ? [] : [{ vm, name }];
    });
    const items = [`${await netnsInode(nodeNsFile(r))}:${NODE_LABEL}`];
    await forEachBounded(vms, STATS_AT_ONCE, async ({ vm, name }) => {
      try {
        items.push(`${await netnsInode(netnsPath(name))}:${vmLabel(vm)}`);
      } catch {
        // deleted meanwhile: nothing to count
      }
    });
    await collectorRequest(socket, `sync ${items.join(' ')}`);
    synced.set(pidfile, pid);
    pidfiles.set(`${r.scenario}/${r.node}`, pidfile);
  }

  async function start(r: NodeRef, bin: string): Promise<number> {
    await o.records.intend(r.scenario, r.node, [collectorRecord(r.tag, r.node)]);
    const { pid, started } = await startCollector(o.runner, { binary: bin, tag: r.tag, node: r.node, maxInterfaces: o.maxInterfaces });
    if (started) synced.delete(collectorFiles(r.tag, r.node).pidfile);
    return pid;
  }

  async function nodeUp(r: NodeRef): Promise<void> {
    if (mode === 'off') return;
    const bin = binaryOrSkip();
    if (!bin) return;
    const { pidfile } = collectorFiles(r.tag, r.node);
    await locked(pidfile, async () => {
      let pid: number;
      try {
        pid = await start(r, bin);
      } catch (e) {
        if (mode === 'on') throw e;
        log(`warning: no eBPF counters for node ${r.node} of scenario ${r.scenario}: ${errorText(e)}`);
        return;
      }
      if (synced.get(pidfile) !== pid) await sync(r, pid);
    });
  }

  /** Sends a watch/unwatch line to a running collector; a failure only costs counters, so it is logged, not thrown. */
  async function tell(r: NodeRef, line: string): Promise<void> {
    const { socket, pidfile } = collectorFiles(r.tag, r.node);
    const pid = await daemonPid(pidfile);
    if (pid === undefined || synced.get(pidfile) !== pid) return; // the next read syncs it
    try {
      await collectorRequest(socket, line);
    } catch (e) {
      log(`warning: collector of node ${r.node} (scenario ${r.scenario}): ${errorText(e)}`);
      synced.delete(pidfile);
    }
  }

  async function watchVms(r: NodeRef, vms: ReadonlyArray<{ vmIndex: number; name: string }>): Promise<void> {
    if (mode === 'off' || vms.length === 0) return;
    const items: string[] = [];
    await forEachBounded(vms, STATS_AT_ONCE, async (v) => {
      try {
        items.push(`${await netnsInode(netnsPath(v.name))}:${vmLabel(v.vmIndex)}`);
      } catch {
        // not there: nothing to count
      }
    });
    if (items.length) await tell(r, `watch ${items.join(' ')}`);
  }

  async function unwatchVms(r: NodeRef, names: readonly string[]): Promise<void> {
    if (mode === 'off' || names.length === 0) return;
    const inodes: number[] = [];
    await forEachBounded(names, STATS_AT_ONCE, async (name) => {
      try {
        inodes.push(await netnsInode(netnsPath(name)));
      } catch {
        // already gone
      }
    });
    if (inodes.length) await tell(r, `unwatch ${inodes.join(' ')}`);
  }

  /** Whether the node still wants its collector: its record names it and (local mode) its namespace exists. */
  async function wanted(r: NodeRef): Promise<boolean> {
    const objects = await o.records.liveOf(r.scenario, r.node);
    const key = objectKey(collectorRecord(r.tag, r.node));
    if (!objects.some((x) => objectKey(x) === key)) return false;
    return o.nodeMode === 'pod' || (await listMountedNetns()).has(nodeNetns(r.tag, r.node));
  }

  async function readNode(r: NodeRef): Promise<NodeCounters> {
    const { socket, pidfile } = collectorFiles(r.tag, r.node);
    try {
      let pid = await daemonPid(pidfile);
      if (pid === undefined) {
        const bin = mode === 'off' ? undefined : binaryOrSkip();
        const why = mode === 'off' ? 'collectors are off on this agent' : !bin && missing ? missing : 'no collector runs for this node';
        if (!bin || !(await wanted(r))) return nodeWithoutCounters(r.node, clock(), why);
        pid = await locked(pidfile, async () => {
          const p = await startCollector(o.runner, { binary: bin, tag: r.tag, node: r.node, maxInterfaces: o.maxInterfaces });
          if (p.started) log(`collector of node ${r.node} (scenario ${r.scenario}) was gone; started it again (pid ${p.pid})`);
          return p.pid;
        });
      }
      if (synced.get(pidfile) !== pid) {
        const p = pid;
        await locked(pidfile, () => (synced.get(pidfile) === p ? Promise.resolve() : sync(r, p)));
      }
      const reading = parseCollectorReading(await collectorRequest(socket, 'read'), COLLECTOR_PROTOCOL);
      return nodeCounters(r.node, reading);
    } catch (e) {
      return nodeWithoutCounters(r.node, clock(), errorText(e));
    }
  }

  async function read(scenario: string, served?: ReadonlySet<string>): Promise<CountersDocument> {
    const tag = await findTag(o.records.stateDir, scenario);
    const nodes = tag ? (await files.nodes(scenario)).filter((n) => !served || served.has(n)) : [];
    const out: NodeCounters[] = [];
    await forEachBounded(nodes, 8, async (node) => {
      const meta = await files.readMeta(scenario, node);
      // Nodes of the `none` dataplane have no kernel objects, so nothing to count.
      if (meta && meta.plugin !== 'none') out.push(await readNode({ scenario, node, tag: tag! }));
    });
    out.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
    return { schema: COUNTERS_SCHEMA, scenario, time: new Date(clock()).toISOString(), nodes: out };
  }

  return {
    mode,
    nodeUp,
    watchVms,
    unwatchVms,
    forget(scenario, node) {
      const pidfile = pidfiles.get(`${scenario}/${node}`);
      if (pidfile) synced.delete(pidfile);
      pidfiles.delete(`${scenario}/${node}`);
    },
    read,
    scenarios: () => o.records.scenarios(),
  };
}

