/**
 * Exact cleanup: removes what the owner records name, and nothing else. Never derives a
 * name from a pattern; an object already gone is not an error.
 */
import type { CommandRunner } from './command';
import { runBatch } from './ip-batch';
import { listLinks, listMountedNetns, listNetns } from './netns';
import { SELF_NETNS, type OwnedObject } from './owner-record-format';
import type { OwnerRecordStore } from './owner-records';
import { releaseTag, tagOwners } from './tags';
import { LOCAL_WRITER } from './node-ns';

export interface CleanDeps {
  runner: CommandRunner;
  records: OwnerRecordStore;
}

export interface CleanSummary {
  scenario: string;
  netns: number;
  links: number;
}

/** Removes the objects (links first, then namespaces newest first) and returns counts of what existed. */
export async function removeObjects(runner: CommandRunner, objects: readonly OwnedObject[]): Promise<{ netns: number; links: number }> {
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
    .filter((o) => o.kind === 'netns' && present.has(o.name))
    .reverse()
    .map((o) => `netns del ${o.name}`);
  if (nsLines.length) await runBatch(runner, nsLines);
  return { netns: nsLines.length, links };
}

/** Removes one writer's objects (a node, or the local cloud) and records their removal. */
export async function cleanWriter(deps: CleanDeps, scenario: string, writer: string): Promise<{ netns: number; links: number }> {
  const objects = (await deps.records.live(scenario)).get(writer) ?? [];
  const r = await removeObjects(deps.runner, objects);
  await deps.records.forget(scenario, writer, objects);
  return r;
}

/** Removes everything a scenario's records name (nodes before the local cloud's fabric), then the records and the tag. */
export async function cleanScenario(deps: CleanDeps, scenario: string): Promise<CleanSummary> {
  const live = await deps.records.live(scenario);
  const writers = [...live.keys()].sort((a, b) => Number(a === LOCAL_WRITER) - Number(b === LOCAL_WRITER));
  let netns = 0;
  let links = 0;
  for (const w of writers) {
    const r = await removeObjects(deps.runner, live.get(w)!);
    netns += r.netns;
    links += r.links;
  }
  await deps.records.drop(scenario);
  await releaseTag(deps.records.stateDir, scenario);
  return { scenario, netns, links };
}

/** Cleans every scenario that has records in the state directory. */
export async function cleanAll(deps: CleanDeps): Promise<CleanSummary[]> {
  const out: CleanSummary[] = [];
  const scenarios = new Set([...(await deps.records.scenarios()), ...(await tagOwners(deps.records.stateDir))]);
  for (const s of [...scenarios].sort()) out.push(await cleanScenario(deps, s));
  return out;
}
