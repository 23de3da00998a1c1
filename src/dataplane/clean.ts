/**
 * Exact cleanup: removes what the owner records name, and nothing else. Never derives a
 * name from a pattern; an object already gone is not an error.
 */
import { promises as fs } from 'node:fs';
import type { CommandRunner } from './command';
import { stopDaemon } from './daemon';
import { forEachBounded } from '../model/concurrency';
import { runBatch } from './ip-batch';
import { listLinks, listMountedNetns, listNetns } from './netns';
import { SELF_NETNS, type OwnedObject } from './owner-record-format';
import { FileOwnerRecords, PROVIDER_RECORDS, type OwnerRecordStore } from './owner-records';
import { findTag, pruneTagClaims, releaseTag, tagOwners } from './tags';
import { hostVethPrefix, isFabricNetns } from './names';
import { LOCAL_WRITER } from './node-ns';
import { restoreLocalLimits } from './kernel-limits';
import { removeChassisRows, removeScenarioNbRows } from './ovn/rows';

export interface CleanDeps {
  runner: CommandRunner;
  records: OwnerRecordStore;
}

export interface CleanSummary {
  scenario: string;
  netns: number;
  links: number;
  /** Daemons that were running and were stopped. */
  daemons: number;
  /** OVN database rows (chassis, switches, routers, ports) deleted. */
  rows: number;
}

/** Counts of what a removal found and removed. */
export type Removed = Omit<CleanSummary, 'scenario'>;

const none = (): Removed => ({ netns: 0, links: 0, daemons: 0, rows: 0 });
const add = (a: Removed, b: Removed): Removed => ({ netns: a.netns + b.netns, links: a.links + b.links, daemons: a.daemons + b.daemons, rows: a.rows + b.rows });

/** Daemons stopped at once by a clean. */
const DAEMON_STOPS = 8;

/**
 * Removes the objects and returns counts of what existed: daemons first (a process inside a
 * namespace keeps it alive, and a running ovn-controller would register its chassis again), then
 * the scenario's OVN rows, links, namespaces newest first, and last the folders the daemons used.
 */
export async function removeObjects(runner: CommandRunner, scenario: string, objects: readonly OwnedObject[]): Promise<Removed> {
  let daemons = 0;
  await forEachBounded(
    objects.filter((o) => o.kind === 'daemon'),
    DAEMON_STOPS,
    async (o) => {
      if (await stopDaemon(o.pidfile)) daemons++;
    },
  );
  let rows = 0;
  const chassisBySocket = new Map<string, string[]>();
  for (const o of objects) if (o.kind === 'ovn-chassis') chassisBySocket.set(o.socket, [...(chassisBySocket.get(o.socket) ?? []), o.name]);
  for (const [socket, names] of chassisBySocket) rows += await removeChassisRows(runner, socket, names);
  for (const o of objects) if (o.kind === 'ovn-nb') rows += await removeScenarioNbRows(runner, o.socket, scenario);
  const r = await removeKernelObjects(runner, objects);
  for (const o of objects) if (o.kind === 'dir') await fs.rm(o.path, { recursive: true, force: true });
  return { ...r, daemons, rows };
}

async function removeKernelObjects(runner: CommandRunner, objects: readonly OwnedObject[]): Promise<{ netns: number; links: number }> {
  // Nothing to look up for a writer without namespaces or links (a `none` node): the listings
  // below read every namespace on the machine, once per deleted node.
  if (!objects.some((o) => o.kind === 'netns' || o.kind === 'link')) return { netns: 0, links: 0 };
  const present = await listNetns();
  const mounted = await listMountedNetns();
  const doomedNs = new Set(objects.filter((o) => o.kind === 'netns').map((o) => o.name));
  let links = 0;
  const byNs = new Map<string, string[]>();
  for (const o of objects) {
    if (o.kind !== 'link') continue;
    // A link inside a namespace about to be deleted goes with it.
    if (o.netns !== SELF_NETNS && (doomedNs.has(o.netns) || !mounted.has(o.netns))) continue;
    byNs.set(o.netns, [...(byNs.get(o.netns) ?? []), o.name]);
  }
  for (const [ns, names] of byNs) {
    const netns = ns === SELF_NETNS ? undefined : ns;
    const have = new Set((await listLinks(runner, netns)).map((l) => l.ifname));
    const lines = names.filter((n) => have.has(n)).map((n) => `link del ${n}`);
    if (lines.length) await runBatch(runner, lines, { netns });
    links += lines.length;
  }
  const nsLines = objects
    .flatMap((o) => (o.kind === 'netns' && present.has(o.name) ? [o.name] : []))
    .reverse()
    .map((name) => `netns del ${name}`);
  if (nsLines.length) await runBatch(runner, nsLines);
  return { netns: nsLines.length, links };
}

/** How long a clean waits for the kernel's asynchronous namespace teardown. */
export const TEARDOWN_WAIT_MS = 30_000;

/**
 * Namespace deletion completes asynchronously in the kernel; the node ends of the deleted VMs'
 * veths vanish only then. In pod mode they live in the agent's own namespace: wait until none
 * of this scenario's (tag-exclusive) node ends is left there, so a clean returns when it is done.
 */
async function waitForTeardown(runner: CommandRunner, tag: string | undefined): Promise<void> {
  if (!tag) return;
  const prefix = hostVethPrefix(tag);
  const deadline = Date.now() + TEARDOWN_WAIT_MS;
  while ((await listLinks(runner)).some((l) => l.ifname.startsWith(prefix)) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Removes one writer's objects (a node, or the local cloud) and records their removal. */
export async function cleanWriter(deps: CleanDeps, scenario: string, writer: string): Promise<Removed> {
  const objects = await deps.records.liveOf(scenario, writer);
  const r = await removeObjects(deps.runner, scenario, objects);
  await deps.records.forget(scenario, writer, objects);
  if (r.netns > 0) await waitForTeardown(deps.runner, await findTag(deps.records.stateDir, scenario));
  return r;
}

/** Removes the objects of every writer, nodes before the local cloud's fabric. */
async function removeAll(runner: CommandRunner, scenario: string, live: Map<string, OwnedObject[]>): Promise<Removed> {
  const writers = [...live.keys()].sort((a, b) => Number(a === LOCAL_WRITER) - Number(b === LOCAL_WRITER));
  let total = none();
  for (const w of writers) total = add(total, await removeObjects(runner, scenario, live.get(w)!));
  return total;
}

/** Rounds of take-and-remove per clean, for agents still writing while it runs (bounded). */
const CLEAN_ROUNDS = 5;

/**
 * Removes everything a scenario's records name, then the records and the tag. The records are
 * moved aside atomically first, so an agent still creating objects meanwhile records them in a
 * fresh directory, which the next round (or the next clean) sees: nothing escapes its record.
 */
export async function cleanScenario(deps: CleanDeps, scenario: string): Promise<CleanSummary> {
  let total = none();
  for (let round = 0; round < CLEAN_ROUNDS; round++) {
    const taken = await deps.records.take(scenario);
    if (!taken) break;
    total = add(total, await removeAll(deps.runner, scenario, taken.live));
    await taken.dispose();
  }
  if (total.netns > 0) await waitForTeardown(deps.runner, await findTag(deps.records.stateDir, scenario));
  // The tag is freed only when no record of the scenario is left: names still in use keep it.
  if ((await deps.records.live(scenario)).size === 0) await releaseTag(deps.records.stateDir, scenario);
  await restoreLimitsIfIdle();
  return { scenario, ...total };
}

/** No local cloud (fabric namespace) left on the machine: the kernel limits it raised go back to what they were (src/dataplane/kernel-limits.ts). */
async function restoreLimitsIfIdle(): Promise<void> {
  if ([...(await listNetns())].some(isFabricNetns)) return;
  const restored = await restoreLocalLimits();
  for (const c of restored.changed) process.stderr.write(`merak: ${c.name} restored to ${c.after} (no local scenario left)\n`);
  for (const f of restored.failed) process.stderr.write(`merak: could not restore ${f.name}: ${f.error}\n`);
}

/** Cleans every scenario that has records in the state directory, and cleans interrupted by a crash. */
export async function cleanAll(deps: CleanDeps): Promise<CleanSummary[]> {
  const out: CleanSummary[] = [];
  for (const { scenario, taken } of await deps.records.unfinished()) {
    const r = await removeAll(deps.runner, scenario, taken.live);
    await taken.dispose();
    out.push({ scenario, ...r });
  }
  const scenarios = new Set([...(await deps.records.scenarios()), ...(await tagOwners(deps.records.stateDir))]);
  for (const s of [...scenarios].sort()) out.push(await cleanScenario(deps, s));
  // Then the provider control planes (OVN centrals) recorded in the same state directory: after
  // the scenarios, whose clean may still delete rows in their databases.
  if (deps.records instanceof FileOwnerRecords && deps.records.folder !== PROVIDER_RECORDS) {
    const providers = new FileOwnerRecords(deps.records.stateDir, PROVIDER_RECORDS);
    for (const { scenario, taken } of await providers.unfinished()) {
      out.push({ scenario, ...(await removeAll(deps.runner, scenario, taken.live)) });
      await taken.dispose();
    }
    for (const owner of await providers.scenarios()) out.push(await cleanScenario({ runner: deps.runner, records: providers }, owner));
  }
  // Also when there was nothing to clean here: the scenario that raised it may have kept its
  // records in another state directory that is gone now. The same for machine-wide tag claims.
  await pruneTagClaims();
  await restoreLimitsIfIdle();
  return out;
}
