/**
 * Owner records on disk: which namespaces and links belong to which scenario, surviving
 * crashes of the agent. Layout under the state directory (MERAK_STATE_DIR, default /var/lib/merak):
 *
 *   tags/<tag>                        the scenario that claimed the tag (see tags.ts)
 *   scenarios/<scenario>/<writer>.rec append-only records (owner-record-format.ts), one file per
 *                                     writer (a node, or "local" for the local cloud) so concurrent
 *                                     agents never interleave within one file
 */
import { promises as fs, constants as fsc } from 'node:fs';
import * as path from 'node:path';
import { formatRecord, parseRecords, type OwnedObject } from './owner-record-format';
import { validateScenario } from './names';
import { InvalidInputError, StateDirError } from './errors';

/** Default state directory when MERAK_STATE_DIR is not set. */
export const DEFAULT_STATE_DIR = '/var/lib/merak';

export function stateDirFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env.MERAK_STATE_DIR && env.MERAK_STATE_DIR !== '' ? path.resolve(env.MERAK_STATE_DIR) : DEFAULT_STATE_DIR;
}

const WRITER_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;

export interface OwnerRecordStore {
  readonly stateDir: string;
  /** Appends intents and syncs them to disk; call before creating the objects. */
  intend(scenario: string, writer: string, objects: readonly OwnedObject[]): Promise<void>;
  /** Appends removals; call after the objects are gone. */
  forget(scenario: string, writer: string, objects: readonly OwnedObject[]): Promise<void>;
  /**
   * Objects still owned by the scenario, per writer, in creation order. Lists the scenario's
   * directory, which also holds its nodes' state files (node-state.ts): a per-node caller uses
   * {@link liveOf}.
   */
  live(scenario: string): Promise<Map<string, OwnedObject[]>>;
  /**
   * Objects one writer of the scenario still owns, in creation order ([] when it has no record).
   * Reads that writer's file only, whatever the number of other writers and node files.
   */
  liveOf(scenario: string, writer: string): Promise<OwnedObject[]>;
  /** Scenarios that have a record directory. */
  scenarios(): Promise<string[]>;
  /** Removes the scenario's record files (after everything they name is gone). */
  drop(scenario: string): Promise<void>;
  /**
   * Atomically moves the scenario's records aside for cleaning and returns what they name.
   * Intents written afterwards (an agent still working) start a fresh record directory, so
   * nothing created during a clean can lose its record. `dispose()` deletes the moved records.
   */
  take(scenario: string): Promise<TakenRecords | undefined>;
  /** Records moved aside by a clean that did not finish (a crash): scenario and handle. */
  unfinished(): Promise<Array<{ scenario: string; taken: TakenRecords }>>;
}

export interface TakenRecords {
  live: Map<string, OwnedObject[]>;
  dispose(): Promise<void>;
}

/** Suffix of record directories moved aside by a clean in progress. */
const CLEANING = '.cleaning';

/** Folder (below the state directory) of the records of provider control planes, e.g. an OVN central. */
export const PROVIDER_RECORDS = 'providers';

export class FileOwnerRecords implements OwnerRecordStore {
  /**
   * @param stateDir the state directory. @default stateDirFromEnv()
   * @param folder the folder below it holding one record directory per owner: `scenarios`, or
   *   PROVIDER_RECORDS for control planes that outlive scenarios. @default 'scenarios'
   */
  constructor(
    readonly stateDir: string = stateDirFromEnv(),
    readonly folder: string = 'scenarios',
  ) {}

  private root(): string {
    return path.join(this.stateDir, this.folder);
  }

  private dir(scenario: string): string {
    return path.join(this.root(), validateScenario(scenario));
  }

  private file(scenario: string, writer: string): string {
    if (!WRITER_RE.test(writer)) throw new InvalidInputError('writer', writer, `must match ${WRITER_RE}`);
    return path.join(this.dir(scenario), `${writer}.rec`);
  }

  private async append(scenario: string, writer: string, op: '+' | '-', objects: readonly OwnedObject[]): Promise<void> {
    if (objects.length === 0) return;
    const text = objects.map((o) => formatRecord(op, o)).join('');
    const file = this.file(scenario, writer);
    try {
      await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      const fh = await fs.open(file, fsc.O_WRONLY | fsc.O_APPEND | fsc.O_CREAT, 0o600);
      try {
        await fh.write(text);
        // Intents must be on disk before the kernel objects exist, or a crash could orphan them.
        if (op === '+') await fh.datasync();
      } finally {
        await fh.close();
      }
    } catch (e) {
      throw new StateDirError(file, (e as Error).message);
    }
  }

  intend(scenario: string, writer: string, objects: readonly OwnedObject[]): Promise<void> {
    return this.append(scenario, writer, '+', objects);
  }

  forget(scenario: string, writer: string, objects: readonly OwnedObject[]): Promise<void> {
    return this.append(scenario, writer, '-', objects);
  }

  async live(scenario: string): Promise<Map<string, OwnedObject[]>> {
    return this.readDir(this.dir(scenario));
  }

  async liveOf(scenario: string, writer: string): Promise<OwnedObject[]> {
    const file = this.file(scenario, writer);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new StateDirError(file, (e as Error).message);
    }
    return parseRecords(text, file);
  }

  private async readDir(dir: string): Promise<Map<string, OwnedObject[]>> {
    const result = new Map<string, OwnedObject[]>();
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return result;
      throw new StateDirError(dir, (e as Error).message);
    }
    for (const name of names.sort()) {
      if (!name.endsWith('.rec')) continue;
      const file = path.join(dir, name);
      let text: string;
      try {
        text = await fs.readFile(file, 'utf8');
      } catch (e) {
        // Another node's clean removed its records between the listing and the read (two
        // deleteNodes of one scenario at once): that writer holds nothing any more.
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw e;
      }
      result.set(name.slice(0, -4), parseRecords(text, file));
    }
    return result;
  }

  private taken(dir: string): Promise<TakenRecords> {
    return this.readDir(dir).then((live) => ({ live, dispose: () => fs.rm(dir, { recursive: true, force: true }) }));
  }

  async take(scenario: string): Promise<TakenRecords | undefined> {
    const from = this.dir(scenario);
    const to = path.join(this.root(), `.${scenario}.${process.pid}.${Date.now()}${CLEANING}`);
    try {
      await fs.rename(from, to);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StateDirError(from, (e as Error).message);
    }
    return this.taken(to);
  }

  async unfinished(): Promise<Array<{ scenario: string; taken: TakenRecords }>> {
    const root = this.root();
    let names: string[];
    try {
      names = await fs.readdir(root);
    } catch {
      return [];
    }
    const out: Array<{ scenario: string; taken: TakenRecords }> = [];
    for (const n of names.sort()) {
      if (!n.startsWith('.') || !n.endsWith(CLEANING)) continue;
      out.push({ scenario: n.slice(1).split('.')[0], taken: await this.taken(path.join(root, n)) });
    }
    return out;
  }

  async scenarios(): Promise<string[]> {
    try {
      return (await fs.readdir(this.root())).filter((n) => !n.startsWith('.')).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new StateDirError(this.stateDir, (e as Error).message);
    }
  }

  async drop(scenario: string): Promise<void> {
    await fs.rm(this.dir(scenario), { recursive: true, force: true });
  }
}
