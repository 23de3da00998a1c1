/**
 * The OVN benchmark's pure parts (bench/ovn.ts): its command line, and reading OVN's
 * `ovn-installed` marks from `ovsdb-client --format=json monitor … Interface name,external_ids`.
 */

export interface Args {
  chassis: number[];
  vms: number;
  timeoutMs: number;
  idleS: number;
  docs: boolean;
}

/** Parses the command line; a bad value is refused naming the flag, the value and the rule. */
export function parseArgs(argv: readonly string[]): Args {
  const out: Args = { chassis: [3], vms: 2, timeoutMs: 30_000, idleS: 10, docs: true };
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
    else if (flag === '--no-docs') out.docs = false;
    else throw new Error(`unknown argument ${JSON.stringify(a)} (--chassis LIST, --vms N, --timeout-ms T, --idle-s S, --no-docs)`);
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
  let t: { headings?: unknown; data?: unknown };
  try {
    t = JSON.parse(line) as typeof t;
  } catch {
    return [];
  }
  if (!Array.isArray(t.headings) || !Array.isArray(t.data)) return [];
  const iName = t.headings.indexOf('name');
  const iExt = t.headings.indexOf('external_ids');
  if (iName < 0 || iExt < 0) return [];
  const out: string[] = [];
  for (const row of t.data as unknown[]) {
    if (!Array.isArray(row)) continue;
    const name: unknown = row[iName];
    const ext: unknown = row[iExt];
    // OVSDB's JSON map: ["map", [[key, value], ...]] (RFC 7047, section 5.1).
    if (typeof name !== 'string' || !Array.isArray(ext) || ext[0] !== 'map' || !Array.isArray(ext[1])) continue;
    if ((ext[1] as unknown[]).some((kv) => Array.isArray(kv) && kv[0] === 'ovn-installed' && kv[1] === 'true')) out.push(name);
  }
  return out;
}
