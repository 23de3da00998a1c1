/**
 * Scenario numbers (model/identity.ts), claimed on this machine: `<run>/scenario-numbers/<n>`
 * holds the name of the scenario holding number n. Claims and releases hold one lock, so two
 * scenarios started at once never get the same number. A claim whose scenario is no longer
 * running (asked through `isLive`, e.g. its workflow closed without releasing) is taken over.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { SCENARIO_NUMBERS } from '../model/identity';
import { SCENARIO_RE } from '../model/names';
import { withFileLock } from './file-lock';

const dirOf = (runDir: string) => join(runDir, 'scenario-numbers');

async function owners(runDir: string): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  let names: string[];
  try {
    names = await fs.readdir(dirOf(runDir));
  } catch {
    return out;
  }
  for (const name of names) {
    if (!/^(0|[1-9][0-9]?)$/.test(name)) continue;
    const owner = (await fs.readFile(join(dirOf(runDir), name), 'utf8').catch(() => '')).trim();
    if (owner) out.set(Number(name), owner);
  }
  return out;
}

/** Thrown when every number is held by a live scenario. */
export class NoScenarioNumberError extends Error {
  override readonly name = 'NoScenarioNumberError';
  constructor(readonly holders: string[]) {
    super(
      `no free scenario number on this machine: all ${SCENARIO_NUMBERS} are held (by ${holders.slice(0, 8).join(', ')}${holders.length > 8 ? ', …' : ''}); tear one of them down first`,
    );
  }
}

export interface ClaimOptions {
  /** Numbers not to take (found unusable at the plugin). @default none */
  exclude?: ReadonlySet<number>;
  /** Whether a scenario holding a number still runs; a claim of one that does not is taken over. @default every holder is live */
  isLive?: (scenario: string) => Promise<boolean>;
}

/** The number `scenario` holds (unless excluded), else the lowest free one, claimed for it. */
export async function claimScenarioNumber(runDir: string, scenario: string, options: ClaimOptions = {}): Promise<number> {
  if (!SCENARIO_RE.test(scenario)) throw new Error(`scenario ${JSON.stringify(scenario)} must match ${SCENARIO_RE}`);
  const exclude = options.exclude ?? new Set<number>();
  const isLive = options.isLive ?? (async () => true);
  const dir = dirOf(runDir);
  return withFileLock(join(dir, 'registry'), async () => {
    const held = await owners(runDir);
    for (const [n, owner] of held) {
      if (owner !== scenario) continue;
      if (!exclude.has(n)) return n;
      await fs.rm(join(dir, String(n)), { force: true });
      held.delete(n);
    }
    const liveness = new Map<string, boolean>();
    for (let n = 0; n < SCENARIO_NUMBERS; n++) {
      if (exclude.has(n)) continue;
      const owner = held.get(n);
      if (owner !== undefined) {
        if (!liveness.has(owner)) liveness.set(owner, await isLive(owner).catch(() => true));
        if (liveness.get(owner)) continue;
      }
      await fs.mkdir(dir, { recursive: true, mode: 0o755 });
      await fs.writeFile(join(dir, String(n)), `${scenario}\n`, { mode: 0o644 });
      return n;
    }
    throw new NoScenarioNumberError([...new Set(held.values())].sort());
  });
}

/** Frees the numbers `scenario` holds; nothing to free is fine. */
export async function releaseScenarioNumber(runDir: string, scenario: string): Promise<void> {
  const dir = dirOf(runDir);
  await withFileLock(join(dir, 'registry'), async () => {
    for (const [n, owner] of await owners(runDir)) if (owner === scenario) await fs.rm(join(dir, String(n)), { force: true });
  });
}

/** The number a scenario holds here, if any. */
export async function scenarioNumberOf(runDir: string, scenario: string): Promise<number | undefined> {
  for (const [n, owner] of await owners(runDir)) if (owner === scenario) return n;
  return undefined;
}
