/**
 * Running OVN's and OVS's own database tools (`ovn-nbctl`, `ovn-sbctl`, `ovs-vsctl`): one process
 * per call, any number of commands in it (`-- cmd1 -- cmd2`), which OVSDB applies as one
 * transaction. Output in `--format=json` is parsed into rows; values are quoted for the tools'
 * OVSDB syntax (JSON strings), so no spec string can change a command's meaning.
 *
 * No maintained OVSDB client library is on npm; the tools are OVN's supported interface
 * (ovn-nbctl(8), ovn-sbctl(8), ovs-vsctl(8)) and are what ovn-kubernetes and Neutron's ovsdbapp
 * fall back to for debugging, so a failure here reads exactly like one an OVN operator knows.
 */
import type { CommandRunner } from '../command';

/** The tools this module drives. */
export type OvsdbTool = 'ovn-nbctl' | 'ovn-sbctl' | 'ovs-vsctl';

/** Which database a call goes to, and how long it may take. */
export interface CtlTarget {
  tool: OvsdbTool;
  /** OVSDB remote, e.g. `unix:/run/merak/ovn/central-x/nb.sock`. */
  db: string;
  /** Seconds before the tool gives up (its own `--timeout`, ending with SIGALRM). @default 10 */
  timeoutSec?: number;
  /**
   * `ovn-nbctl` daemon mode: the control socket of a running `ovn-nbctl --detach` that holds one
   * database connection for all calls (OVN_NB_DAEMON). @default undefined (each call connects)
   */
  daemonSocket?: string;
}

/** The database did not answer (down, not listening yet, or the call timed out). Worth a retry. */
export class OvsdbUnreachableError extends Error {
  override readonly name = 'OvsdbUnreachableError';
  constructor(readonly tool: OvsdbTool, readonly db: string, readonly detail: string) {
    super(`${tool} could not reach the database at ${db}: ${detail}`);
  }
}

/** The tool ran and refused the commands (a constraint, a missing row, a bad argument). */
export class OvsdbCommandError extends Error {
  override readonly name = 'OvsdbCommandError';
  constructor(readonly tool: OvsdbTool, readonly commands: readonly (readonly string[])[], readonly detail: string) {
    super(`${tool} ${commands.map((c) => c.join(' ')).join(' -- ')} failed: ${detail}`);
  }
}

/** stderr lines that mean the database was not reached, as OVS 3.1 / OVN 23.03 print them. */
const UNREACHABLE = [/database connection failed/i, /connection refused/i, /no such file or directory/i, /timeout/i, /connection reset/i, /broken pipe/i];

/** Quotes a value for the tools' OVSDB syntax (a JSON string, which OVSDB's parser reads as such). */
export const q = (value: string): string => JSON.stringify(value);

/** `column:key=value` with key and value quoted. */
export const kv = (column: string, key: string, value: string): string => `${column}:${q(key)}=${q(value)}`;

export interface CtlOptions {
  /** `ovn-nbctl --wait=sb|hv`: return once northd (and the chassis) caught up. */
  wait?: 'sb' | 'hv';
  /** Ask for `--format=json` output. @default false */
  json?: boolean;
  /** `ovs-vsctl --no-wait`: do not wait for ovs-vswitchd to apply the change (it may not run yet). @default false */
  noWait?: boolean;
}

/**
 * Runs commands in one transaction and returns stdout.
 * @throws OvsdbUnreachableError when the database did not answer in time.
 * @throws OvsdbCommandError when the tool refused the commands.
 */
export async function ctl(runner: CommandRunner, target: CtlTarget, commands: readonly (readonly string[])[], options: CtlOptions = {}): Promise<string> {
  if (commands.length === 0) return '';
  const timeoutSec = target.timeoutSec ?? 10;
  const argv: string[] = [target.tool];
  const env: Record<string, string> = {};
  if (target.daemonSocket) env.OVN_NB_DAEMON = target.daemonSocket;
  else argv.push(`--db=${target.db}`);
  argv.push(`--timeout=${timeoutSec}`);
  if (options.wait) argv.push(`--wait=${options.wait}`);
  if (options.json) argv.push('--format=json');
  if (options.noWait) argv.push('--no-wait');
  for (const c of commands) argv.push('--', ...c);
  const r = await runner.run(argv, { timeoutMs: (timeoutSec + 5) * 1000, env });
  if (r.code === 0) return r.stdout;
  const detail = (r.stderr.trim() || (r.signal ? `killed by ${r.signal}` : `exit ${r.code}`)).slice(0, 800);
  // --timeout ends the tool with SIGALRM (ovs-vsctl(8)).
  if (r.signal === 'SIGALRM' || r.signal === 'SIGKILL' || UNREACHABLE.some((re) => re.test(detail))) throw new OvsdbUnreachableError(target.tool, target.db, detail);
  throw new OvsdbCommandError(target.tool, commands, detail);
}

/** One OVSDB value as `--format=json` prints it, decoded: atoms, sets as arrays, maps as records. */
export type OvsdbValue = string | number | boolean | OvsdbValue[] | { [key: string]: OvsdbValue };

function decode(v: unknown): OvsdbValue {
  if (Array.isArray(v)) {
    const [tag, inner] = v as [string, unknown];
    if (tag === 'uuid' || tag === 'named-uuid') return String(inner);
    if (tag === 'set') return (inner as unknown[]).map(decode);
    if (tag === 'map') return Object.fromEntries((inner as Array<[unknown, unknown]>).map(([k, val]) => [String(decode(k)), decode(val)]));
  }
  return v as OvsdbValue;
}

/** A row keyed by column heading. */
export type Row = Record<string, OvsdbValue>;

/**
 * Parses the tables `--format=json` prints, one JSON document per command that prints one
 * (`list`, `find`), in command order. Pure.
 */
export function parseTables(stdout: string): Row[][] {
  const tables: Row[][] = [];
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    const doc = JSON.parse(line) as { headings: string[]; data: unknown[][] };
    tables.push(doc.data.map((cells) => Object.fromEntries(doc.headings.map((h, i) => [h, decode(cells[i])]))));
  }
  return tables;
}

/** A set column as an array (OVSDB prints a one-element set as the bare atom). */
export function asSet(v: OvsdbValue | undefined): OvsdbValue[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** A map column as a record of strings. */
export function asMap(v: OvsdbValue | undefined): Record<string, string> {
  if (v === undefined || typeof v !== 'object' || Array.isArray(v)) return {};
  return Object.fromEntries(Object.entries(v).map(([k, val]) => [k, String(val)]));
}

/** An optional column (a set of 0 or 1) as its atom or undefined. */
export function asOptional(v: OvsdbValue | undefined): OvsdbValue | undefined {
  const s = asSet(v);
  return s.length === 0 ? undefined : s[0];
}
