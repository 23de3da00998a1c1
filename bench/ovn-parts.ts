/**
 * The OVN benchmark's pure parts (bench/ovn.ts): its command line, and reading OVN's
 * `ovn-installed` marks from `ovsdb-client --format=json monitor … Interface name,external_ids`.
 */

export interface Args {
  chassis: number[];
  vms: number;
  timeoutMs: number;
  idleS: number;
  /** Seconds the tunnel mesh may take after the first chassis started. */
  meshTimeoutS: number;
  /** Seconds an anchor may take to answer the anchor of the chassis before it. */
  anchorTimeoutS: number;
  docs: boolean;
  /** Only rewrite the docs section from bench/results/ovn.json; run nothing. */
  docsOnly: boolean;
}

/** Parses the command line; a bad value is refused naming the flag, the value and the rule. */
export function parseArgs(argv: readonly string[]): Args {
  const out: Args = { chassis: [3], vms: 2, timeoutMs: 30_000, idleS: 10, meshTimeoutS: 600, anchorTimeoutS: 180, docs: true, docsOnly: false };
  const whole = (flag: string, v: string | undefined, min: number, max: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min || n > max) throw new Error(`${flag} ${JSON.stringify(v ?? '')}: must be a whole number from ${min} to ${max}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    if (flag === '--chassis') {
      const v = value();
      out.chassis = (v ?? '').split(',').map((c) => whole('--chassis', c, 2, 300));
    } else if (flag === '--vms') out.vms = whole('--vms', value(), 1, 200);
    else if (flag === '--timeout-ms') out.timeoutMs = whole('--timeout-ms', value(), 1000, 600_000);
    else if (flag === '--idle-s') out.idleS = whole('--idle-s', value(), 1, 600);
    else if (flag === '--mesh-timeout-s') out.meshTimeoutS = whole('--mesh-timeout-s', value(), 10, 3600);
    else if (flag === '--anchor-timeout-s') out.anchorTimeoutS = whole('--anchor-timeout-s', value(), 5, 3600);
    else if (flag === '--no-docs') out.docs = false;
    else if (flag === '--docs-only') out.docsOnly = true;
    else throw new Error(`unknown argument ${JSON.stringify(a)} (--chassis LIST, --vms N, --timeout-ms T, --idle-s S, --mesh-timeout-s S, --anchor-timeout-s S, --no-docs, --docs-only)`);
  }
  return out;
}

/** One OVS Interface row of a monitor line (a "new", "initial", "insert" or "delete" row; "old" rows are skipped). */
export interface InterfaceRow {
  name: string;
  action: string;
  /** The `type` column when monitored ("" for a system port, "geneve" for a tunnel). */
  type?: string;
  /** The `ofport` column when monitored and set (-1 = failed; OVSDB's empty set = not yet). */
  ofport?: number;
  installed: boolean;
}

/**
 * The Interface rows of one line of `ovsdb-client --format=json monitor … Interface
 * name[,type,ofport],external_ids`: every row but the "old" half of an update (which carries only
 * the changed columns). Lines that are not such a table give none.
 */
export function interfaceRows(line: string): InterfaceRow[] {
  let t: { headings?: unknown; data?: unknown };
  try {
    t = JSON.parse(line) as typeof t;
  } catch {
    return [];
  }
  if (!Array.isArray(t.headings) || !Array.isArray(t.data)) return [];
  const iName = t.headings.indexOf('name');
  const iExt = t.headings.indexOf('external_ids');
  const iAction = t.headings.indexOf('action');
  const iType = t.headings.indexOf('type');
  const iOfport = t.headings.indexOf('ofport');
  if (iName < 0 || iExt < 0) return [];
  const out: InterfaceRow[] = [];
  for (const row of t.data as unknown[]) {
    if (!Array.isArray(row)) continue;
    const action: unknown = iAction < 0 ? 'initial' : row[iAction];
    if (action === 'old') continue;
    const name: unknown = row[iName];
    const ext: unknown = row[iExt];
    // OVSDB's JSON map: ["map", [[key, value], ...]] (RFC 7047, section 5.1).
    if (typeof name !== 'string' || !Array.isArray(ext) || ext[0] !== 'map' || !Array.isArray(ext[1])) continue;
    const r: InterfaceRow = { name, action: typeof action === 'string' ? action : '', installed: (ext[1] as unknown[]).some((kv) => Array.isArray(kv) && kv[0] === 'ovn-installed' && kv[1] === 'true') };
    if (iType >= 0 && typeof row[iType] === 'string') r.type = row[iType] as string;
    // An integer column with no value is the empty set ["set",[]].
    if (iOfport >= 0 && typeof row[iOfport] === 'number') r.ofport = row[iOfport] as number;
    out.push(r);
  }
  return out;
}

/**
 * Names of the interfaces whose external_ids carry ovn-installed=true in one line of
 * `ovsdb-client --format=json monitor` (a table of rows with `name` and `external_ids` columns;
 * an update prints the row's "old" and "new" values, the "old" one without unchanged columns).
 * Lines that are not such a table give none.
 */
export function installedInterfaces(line: string): string[] {
  return interfaceRows(line)
    .filter((r) => r.installed && r.action !== 'delete')
    .map((r) => r.name);
}

/**
 * Kinds of OVS/OVN log lines that say a daemon was too slow or lost a connection, with the
 * patterns OVS 3.1 / OVN 23.03 print them (lib/rconn.c, lib/jsonrpc.c, lib/timeval.c,
 * lib/reconnect.c, lib/poll-loop.c).
 */
const LOG_SIGNALS: Array<[string, RegExp]> = [
  ['inactivity probe', /no response to inactivity probe/],
  ['connection dropped', /connection dropped|connection closed by peer|disconnecting|Broken pipe/],
  ['unreasonably long poll', /Unreasonably long \d+ms poll interval/],
  ['cpu usage', /\(\d+% CPU usage\)/],
  ['warn', /\|WARN\|/],
  ['err', /\|(ERR|EMER)\|/],
];

/**
 * Counts of LOG_SIGNALS kinds in a log's text (a line may count for several kinds). With
 * `samples`, the first `maxSamples` lines of each kind but "warn" are added to it (kept across calls).
 */
export function logSignals(text: string, samples?: Record<string, string[]>, maxSamples = 2): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(LOG_SIGNALS.map(([k]) => [k, 0]));
  for (const line of text.split('\n')) {
    for (const [k, re] of LOG_SIGNALS) {
      if (!re.test(line)) continue;
      out[k]! += 1;
      if (samples && k !== 'warn') {
        const list = (samples[k] ??= []);
        if (list.length < maxSamples) list.push(line);
      }
    }
  }
  return out;
}

/** What mergeRuns needs of a run. */
export interface SizedRun {
  chassis: number;
  vmsPerChassis: number;
}

/**
 * The runs bench/results/ovn.json keeps: this invocation's runs, and the earlier file's runs of
 * other sizes (chassis × VMs), so the sizes can be measured in separate, shorter runs; ordered by
 * chassis, then VMs. A size measured again replaces its earlier run.
 */
export function mergeRuns<R extends SizedRun>(earlier: readonly R[], fresh: readonly R[]): R[] {
  const key = (r: SizedRun): string => `${r.chassis}x${r.vmsPerChassis}`;
  const now = new Set(fresh.map(key));
  return [...earlier.filter((r) => !now.has(key(r))), ...fresh].sort((x, y) => x.chassis - y.chassis || x.vmsPerChassis - y.vmsPerChassis);
}
