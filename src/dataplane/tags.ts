/**
 * Per-scenario tags: four characters every kernel name of the scenario carries (names.ts).
 * A tag is claimed by atomically creating tags/<tag> in the state directory (link(2) of a
 * fully written temporary file, which fails if the tag exists), so two scenarios can never
 * hold the same tag and concurrent claimers for one scenario converge on the same tag.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { tagCandidate, validateScenario } from './names';
import { StateDirError } from './errors';

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

/** The scenario's tag, claiming one if it has none. */
export async function claimTag(stateDir: string, scenario: string): Promise<string> {
  const existing = await findTag(stateDir, scenario);
  if (existing) return existing;
  const dir = path.join(stateDir, 'tags');
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new StateDirError(dir, (e as Error).message);
  }
  const tmp = path.join(dir, `.claim-${process.pid}-${randomBytes(6).toString('hex')}`);
  await fs.writeFile(tmp, `${scenario}\n`, { mode: 0o600 });
  try {
    for (let k = 0; k < TAG_ATTEMPTS; k++) {
      const tag = tagCandidate(scenario, k);
      try {
        await fs.link(tmp, path.join(dir, tag));
        return tag;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new StateDirError(dir, (e as Error).message);
        if ((await readOwner(path.join(dir, tag))) === scenario) return tag;
      }
    }
  } finally {
    await fs.rm(tmp, { force: true });
  }
  throw new StateDirError(dir, `no free tag for scenario ${scenario} after ${TAG_ATTEMPTS} attempts; run merak clean for finished scenarios`);
}

/** Frees the scenario's tag (after its records are dropped). */
export async function releaseTag(stateDir: string, scenario: string): Promise<void> {
  const tag = await findTag(stateDir, scenario);
  if (tag) await fs.rm(path.join(stateDir, 'tags', tag), { force: true });
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
