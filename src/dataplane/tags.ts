/**
 * Per-scenario tags: four characters every kernel name of the scenario carries (names.ts).
 * A tag is claimed twice, under one machine-wide lock: in the state directory (tags/<tag>, the
 * scenario's name; what clean and the agents look up) and for the whole machine
 * (<run>/tags/<tag>, the scenario and the state directories using it), so two scenarios can
 * never hold the same tag on one kernel, whatever state directories their agents use, and
 * concurrent claimers for one scenario converge on the same tag. A candidate whose names the
 * kernel already has (namespaces mk-<tag>-…) is skipped as well.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tagCandidate, validateScenario } from './names';
import { StateDirError } from './errors';
import { listNetns } from './netns';
import { withFileLock } from '../local/file-lock';
import { runDirFromEnv } from '../local/run-dir';

/** How many candidate tags are tried before giving up (bounded loop). */
export const TAG_ATTEMPTS = 64;

async function readOwner(file: string): Promise<string | undefined> {
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** The tag the scenario already holds, or undefined. Scans every candidate: tags freed by others leave gaps. */
export async function findTag(stateDir: string, scenario: string): Promise<string | undefined> {
  validateScenario(scenario);
  for (let k = 0; k < TAG_ATTEMPTS; k++) {
    const tag = tagCandidate(scenario, k);
    if ((await readOwner(path.join(stateDir, 'tags', tag))) === scenario) return tag;
  }
  return undefined;
}

/** A machine-wide tag claim: the scenario and the state directories whose records use the tag. */
interface MachineClaim {
  scenario: string;
  holders: string[];
}

const machineDir = (runDir: string) => path.join(runDir, 'tags');

async function readClaim(runDir: string, tag: string): Promise<MachineClaim | undefined> {
  try {
    const c = JSON.parse(await fs.readFile(path.join(machineDir(runDir), tag), 'utf8')) as MachineClaim;
    return typeof c.scenario === 'string' && Array.isArray(c.holders) ? c : undefined;
  } catch {
    return undefined;
  }
}

async function writeClaim(runDir: string, tag: string, claim: MachineClaim): Promise<void> {
  const file = path.join(machineDir(runDir), tag);
  if (claim.holders.length === 0) {
    await fs.rm(file, { force: true });
    return;
  }
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, `${JSON.stringify(claim)}\n`, { mode: 0o644 });
  await fs.rename(tmp, file);
}

/** Holders of a claim that still record the tag for its scenario in their state directory. */
async function liveHolders(claim: MachineClaim, tag: string): Promise<string[]> {
  const out: string[] = [];
  for (const dir of claim.holders) if ((await readOwner(path.join(dir, 'tags', tag))) === claim.scenario) out.push(dir);
  return out;
}

/** Whether the kernel holds a namespace carrying the tag (made under a claim this machine no longer has). */
async function kernelUses(tag: string): Promise<boolean> {
  for (const ns of await listNetns()) if (ns.startsWith(`mk-${tag}-`) || ns.startsWith(`mk-${tag}_`)) return true;
  return false;
}

/**
 * Records the state directory as a holder of the machine-wide claim of `tag` for `scenario`, or
 * says why not: another scenario holds the tag on this machine, or the kernel already has its names.
 */
async function holdOnMachine(runDir: string, stateDir: string, scenario: string, tag: string): Promise<boolean> {
  const claim = await readClaim(runDir, tag);
  if (claim && claim.scenario !== scenario) {
    // Another scenario's claim counts while a state directory still records it.
    if ((await liveHolders(claim, tag)).length > 0 || (await kernelUses(tag))) return false;
  } else if (!claim && (await kernelUses(tag))) return false;
  const holders = new Set(claim && claim.scenario === scenario ? claim.holders : []);
  holders.add(stateDir);
  await writeClaim(runDir, tag, { scenario, holders: [...holders].sort() });
  return true;
}

/**
 * The scenario's tag, claiming one if it has none. A tag is unique on the machine, not only in
 * the state directory: it is also claimed in `<runDir>/tags/<tag>`, naming the scenario and the
 * state directories using it (agents of one scenario with several state directories share it,
 * as the two "machines" of a test on one kernel do).
 * @param runDir machine-wide claim folder. @default runDirFromEnv() (/run/merak)
 */
export async function claimTag(stateDir: string, scenario: string, runDir: string = runDirFromEnv()): Promise<string> {
  const existing = await findTag(stateDir, scenario);
  const home = path.resolve(stateDir);
  const dir = path.join(stateDir, 'tags');
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    await fs.mkdir(machineDir(runDir), { recursive: true, mode: 0o755 });
  } catch (e) {
    throw new StateDirError(dir, (e as Error).message);
  }
  return withFileLock(path.join(machineDir(runDir), 'registry'), async () => {
    if (existing) {
      // Names made under it may exist already: keep it, and hold it machine-wide from now on.
      await holdOnMachine(runDir, home, scenario, existing);
      return existing;
    }
    // The scenario's agents in another state directory on this kernel hold a tag: share it.
    const candidates = Array.from({ length: TAG_ATTEMPTS }, (_, k) => tagCandidate(scenario, k));
    const machineTag = (await Promise.all(candidates.map(async (t) => ((await readClaim(runDir, t))?.scenario === scenario ? t : undefined)))).find(Boolean);
    const tmp = path.join(dir, `.claim-${process.pid}-${randomBytes(6).toString('hex')}`);
    await fs.writeFile(tmp, `${scenario}\n`, { mode: 0o600 });
    try {
      for (const tag of machineTag ? [machineTag, ...candidates] : candidates) {
        const owner = await readOwner(path.join(dir, tag));
        if (owner !== undefined && owner !== scenario) continue;
        if (!(await holdOnMachine(runDir, home, scenario, tag))) continue;
        try {
          await fs.link(tmp, path.join(dir, tag));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new StateDirError(dir, (e as Error).message);
        }
        return tag;
      }
    } finally {
      await fs.rm(tmp, { force: true });
    }
    throw new StateDirError(dir, `no free tag for scenario ${scenario} after ${TAG_ATTEMPTS} attempts; run merak clean for finished scenarios`);
  });
}

/** Frees the scenario's tag in the state directory (after its records are dropped), and this directory's hold on the machine-wide claim. */
export async function releaseTag(stateDir: string, scenario: string, runDir: string = runDirFromEnv()): Promise<void> {
  const tag = await findTag(stateDir, scenario);
  if (!tag) return;
  await fs.rm(path.join(stateDir, 'tags', tag), { force: true });
  if (!existsSync(machineDir(runDir))) return;
  await withFileLock(path.join(machineDir(runDir), 'registry'), async () => {
    const claim = await readClaim(runDir, tag);
    if (!claim || claim.scenario !== scenario) return;
    await writeClaim(runDir, tag, { ...claim, holders: claim.holders.filter((h) => h !== path.resolve(stateDir)) });
  });
}

/**
 * Removes machine-wide claims no state directory records any more and whose names the kernel
 * does not have (a state directory deleted without a clean); returns the tags freed.
 */
export async function pruneTagClaims(runDir: string = runDirFromEnv()): Promise<string[]> {
  if (!existsSync(machineDir(runDir))) return [];
  return withFileLock(path.join(machineDir(runDir), 'registry'), async () => {
    const freed: string[] = [];
    for (const tag of await fs.readdir(machineDir(runDir))) {
      const claim = await readClaim(runDir, tag);
      if (!claim || (await liveHolders(claim, tag)).length > 0 || (await kernelUses(tag))) continue;
      await fs.rm(path.join(machineDir(runDir), tag), { force: true });
      freed.push(tag);
    }
    return freed;
  });
}

/** Scenarios holding a tag (including ones whose records are already gone). */
export async function tagOwners(stateDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(path.join(stateDir, 'tags'));
  } catch {
    return [];
  }
  const owners = new Set<string>();
  for (const n of names) {
    if (n.startsWith('.')) continue;
    const o = await readOwner(path.join(stateDir, 'tags', n));
    if (o) owners.add(o);
  }
  return [...owners].sort();
}
