/**
 * The connectivity results of a scenario in the compact form the scenario workflow keeps and
 * hands on at continue-as-new (issue 15). A {@link TestResult} as JSON is about 130 bytes, most
 * of it the two endpoint labels repeated on every row; 20,000 of them (the 2 × 400 VMs
 * with `maxPairs: 20000`) are about 2.6 MB, above Temporal's 2 MiB limit on one payload
 * (`limit.blobSize.error`, https://docs.temporal.io/cloud/limits#per-message-grpc-limit), so the
 * continue-as-new that carried them failed and every result was lost.
 *
 * Here each endpoint label, kind and error text is stored once in a table and a result is a few
 * small numbers (about 13 bytes of JSON): the 20,000 results are about 0.3 MB. The counts per
 * kind are kept apart from the rows, so the totals, the failed count the SLA gates read
 * (src/model/sla.ts) and the report's pass/fail stay exact even when rows are trimmed: a carry-
 * over whose rows would pass {@link RESULTS_CARRY_BUDGET_BYTES} keeps every failure it can
 * before any pass, and says how many rows it left out ({@link PackedResults.dropped}), so it
 * never grows with the pair count (PAIR_LIMITS allow 100,000 pairs plus negatives, × 4 kinds).
 *
 * Pure and JSON-safe: used in the workflow sandbox (src/workflows/scenario.ts), by the CLI to
 * read the pages of the `resultsPage` query, and tested in test/unit/result-pack.test.ts.
 */
import type { TestKind } from './spec';
import type { TestResult } from './status';

/** Most bytes of JSON a carry-over's results may take: half of Temporal's 2 MiB payload limit, the rest left to the address book and records. */
export const RESULTS_CARRY_BUDGET_BYTES = 1024 * 1024;

/**
 * Most bytes of JSON a whole continue-as-new carry-over aims at: Temporal's 2 MiB payload limit
 * less room for the payload's encoding and metadata. The results get what the rest of the
 * carry-over leaves, at most {@link RESULTS_CARRY_BUDGET_BYTES} (docs/scale.md: the rest of a
 * 10,000-node scenario's is 1.77 MB).
 */
export const CARRY_OVER_TARGET_BYTES = 2 * 1024 * 1024 - 64 * 1024;

/** Most results one `resultsPage` answer holds (about 260 KB as JSON). */
export const RESULTS_PAGE_MAX = 2000;

/** Passed and failed results of one kind, over every result of the run (trimmed rows included). */
export interface KindCount {
  passed: number;
  failed: number;
}

/**
 * A test run's results, compact. Rows are columns of numbers, one entry per kept result, in the
 * order the results were given (the workflow sorts them by kind, source, destination first).
 */
export interface PackedResults {
  /** Format version (1). */
  v: 1;
  /** Kind table: `kind[i]` indexes it. */
  kinds: TestKind[];
  /** Endpoint labels (`node/vm-N (ip)`), each once: `src` and `dst` index it. */
  ends: string[];
  /** Error texts, each once: the `state` column points into it. */
  errors: string[];
  /** Per row: index into `kinds`. */
  kind: number[];
  /** Per row: index into `ends` of the source, as the difference to the previous row's (rows sorted by source mostly repeat it: 0). */
  src: number[];
  /** Per row: index into `ends` of the destination. */
  dst: number[];
  /** Per row: bit 0 = negative pair; the rest (state >> 1) = 0 when passed, else 1 + index into `errors` (a failure without error text has index of ''). */
  state: number[];
  /** Per row: latency in µs (whole), −1 when none. */
  latUs: number[];
  /** Rows with a throughput: flat pairs [row, bits per second, …]. */
  bps: number[];
  /** Per kind (by name): counts over every result, kept or not. */
  counts: Record<string, KindCount>;
  /** Rows left out to keep a carry-over within {@link RESULTS_CARRY_BUDGET_BYTES}: passes first, then failures; absent when none. */
  dropped?: { passed: number; failed: number };
}

/** One page of a scenario's results (the `resultsPage` query's answer). */
export interface ResultsPage {
  /** Rows kept (what paging walks over). */
  kept: number;
  /** Results of the last test run, kept or not. */
  total: number;
  /** Where this page starts among the kept rows. */
  offset: number;
  results: TestResult[];
  /** Per kind: passed and failed over every result. */
  counts: Record<string, KindCount>;
  /** Rows not kept (see {@link PackedResults.dropped}); absent when none. */
  dropped?: { passed: number; failed: number };
}

/** An empty pack (no test run yet). */
export function emptyPack(): PackedResults {
  return { v: 1, kinds: [], ends: [], errors: [], kind: [], src: [], dst: [], state: [], latUs: [], bps: [], counts: {} };
}

/** Bytes a number adds to a JSON array: its digits and a comma. */
function numBytes(n: number): number {
  return String(n).length + 1;
}

/** Bytes a string adds to a JSON array: quoted and escaped, and a comma. */
function strBytes(s: string): number {
  return JSON.stringify(s).length + 1;
}

/**
 * Builds a pack row by row, counting the JSON bytes the rows and tables take as it goes, so a
 * budget is kept in one pass ({@link trimPack}): adding a row costs its numbers and any label or
 * error text not in the tables yet.
 */
class Packer {
  readonly p = emptyPack();
  /** Bytes of `p` as JSON, short of the counts and `dropped` (which do not grow with the rows). */
  bytes = packedBytes(emptyPack());
  private readonly kindIndex = new Map<string, number>();
  private readonly endIndex = new Map<string, number>();
  private readonly errorIndex = new Map<string, number>();
  private prevSrc = 0;

  /** The bytes adding `r` would add. */
  cost(r: TestResult): number {
    return this.row(r, false);
  }

  /** Adds `r` as the next row (its counts are the caller's). */
  add(r: TestResult): void {
    this.bytes += this.row(r, true);
  }

  private intern(table: string[], index: Map<string, number>, s: string, write: boolean): { i: number; bytes: number } {
    const found = index.get(s);
    if (found !== undefined) return { i: found, bytes: 0 };
    const i = table.length;
    if (write) {
      table.push(s);
      index.set(s, i);
    }
    return { i, bytes: strBytes(s) };
  }

  private row(r: TestResult, write: boolean): number {
    const p = this.p;
    const k = this.intern(p.kinds, this.kindIndex, r.kind, write);
    const s = this.intern(p.ends, this.endIndex, r.source, write);
    // A new source label and a new destination label in the same row get consecutive indices.
    const dIndex = r.destination === r.source ? s.i : this.endIndex.get(r.destination) ?? (s.bytes > 0 ? s.i + 1 : p.ends.length);
    const d = this.endIndex.has(r.destination) || r.destination === r.source ? { i: dIndex, bytes: 0 } : { i: dIndex, bytes: strBytes(r.destination) };
    if (write && d.bytes > 0) {
      p.ends.push(r.destination);
      this.endIndex.set(r.destination, d.i);
    }
    const e = r.pass ? { i: -1, bytes: 0 } : this.intern(p.errors, this.errorIndex, r.error ?? '', write);
    const state = (r.negative ? 1 : 0) | (r.pass ? 0 : (1 + e.i) << 1);
    const lat = r.latencyMs !== undefined && Number.isFinite(r.latencyMs) ? Math.round(r.latencyMs * 1000) : -1;
    const row = p.kind.length;
    let bytes = k.bytes + s.bytes + d.bytes + e.bytes + numBytes(k.i) + numBytes(s.i - this.prevSrc) + numBytes(d.i) + numBytes(state) + numBytes(lat);
    if (r.throughputBps !== undefined) bytes += numBytes(row) + numBytes(r.throughputBps);
    if (write) {
      p.kind.push(k.i);
      p.src.push(s.i - this.prevSrc);
      this.prevSrc = s.i;
      p.dst.push(d.i);
      p.state.push(state);
      p.latUs.push(lat);
      if (r.throughputBps !== undefined) p.bps.push(row, r.throughputBps);
    }
    return bytes;
  }
}

/** Counts per kind of a list of results. */
function countResults(results: readonly TestResult[]): Record<string, KindCount> {
  const counts: Record<string, KindCount> = {};
  for (const r of results) {
    const c = (counts[r.kind] ??= { passed: 0, failed: 0 });
    if (r.pass) c.passed++;
    else c.failed++;
  }
  return counts;
}

/** Packs results in their given order. Latencies are kept to the µs (judge() rounds them to 0.001 ms already). */
export function packResults(results: readonly TestResult[]): PackedResults {
  const packer = new Packer();
  for (const r of results) packer.add(r);
  return { ...packer.p, counts: countResults(results) };
}

/** Rows a pack keeps. */
export function packedRows(p: PackedResults): number {
  return p.kind.length;
}

/** Results of the last run, kept or not. */
export function packedTotal(p: PackedResults): number {
  return Object.values(p.counts).reduce((n, c) => n + c.passed + c.failed, 0);
}

/**
 * The kept results from row `offset`, at most `limit` of them, as {@link TestResult}s.
 * @throws RangeError when offset or limit is not a whole number ≥ 0
 */
export function unpackResults(p: PackedResults, offset = 0, limit = Number.MAX_SAFE_INTEGER): TestResult[] {
  if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`offset: value ${offset} must be a whole number ≥ 0`);
  if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`limit: value ${limit} must be a whole number ≥ 0`);
  const rows = packedRows(p);
  const end = Math.min(rows, offset + limit);
  if (offset >= end) return [];
  // Sources are stored as differences: the page's first one is the sum of those before it.
  let src = 0;
  for (let i = 0; i < offset; i++) src += p.src[i]!;
  const bps = new Map<number, number>();
  for (let i = 0; i < p.bps.length; i += 2) if (p.bps[i]! >= offset && p.bps[i]! < end) bps.set(p.bps[i]!, p.bps[i + 1]!);
  const out: TestResult[] = [];
  for (let i = offset; i < end; i++) {
    src += p.src[i]!;
    const state = p.state[i]!;
    const err = state >> 1;
    const r: TestResult = { kind: p.kinds[p.kind[i]!]!, source: p.ends[src]!, destination: p.ends[p.dst[i]!]!, negative: (state & 1) === 1, pass: err === 0 };
    if (p.latUs[i]! >= 0) r.latencyMs = p.latUs[i]! / 1000;
    const t = bps.get(i);
    if (t !== undefined) r.throughputBps = t;
    if (err > 0 && p.errors[err - 1] !== '') r.error = p.errors[err - 1]!;
    out.push(r);
  }
  return out;
}

/**
 * A page of the kept results for the `resultsPage` query.
 * @param limit at most {@link RESULTS_PAGE_MAX}; larger values are cut to it
 * @throws RangeError when offset or limit is not a whole number ≥ 0
 */
export function resultsPage(p: PackedResults, offset: number, limit: number): ResultsPage {
  const results = unpackResults(p, offset, Math.min(limit, RESULTS_PAGE_MAX));
  return { kept: packedRows(p), total: packedTotal(p), offset, results, counts: p.counts, ...(p.dropped ? { dropped: p.dropped } : {}) };
}

/** Bytes of a pack as JSON (what it adds to a payload). */
export function packedBytes(p: PackedResults): number {
  return JSON.stringify(p).length;
}

/**
 * The pack within `maxBytes` of JSON: itself when it fits, else a repack of its failures first,
 * then its passes, each in their order, as many as fit, counts unchanged and
 * {@link PackedResults.dropped} saying how many rows of each were left out. Every failure's
 * detail is kept whenever the failures alone fit. One pass over the rows (it runs inside a
 * workflow task, which has seconds).
 */
export function trimPack(p: PackedResults, maxBytes = RESULTS_CARRY_BUDGET_BYTES): PackedResults {
  if (packedBytes(p) <= maxBytes) return p;
  const all = unpackResults(p);
  const failed = all.filter((r) => !r.pass);
  const passed = all.filter((r) => r.pass);
  // Room for the counts and the `dropped` record, which do not grow with the rows.
  const room = maxBytes - JSON.stringify({ counts: p.counts, dropped: { passed: all.length, failed: all.length } }).length;
  const packer = new Packer();
  let keptFailed = 0;
  let keptPassed = 0;
  for (const r of failed) {
    if (packer.bytes + packer.cost(r) > room) break;
    packer.add(r);
    keptFailed++;
  }
  if (keptFailed === failed.length) {
    for (const r of passed) {
      if (packer.bytes + packer.cost(r) > room) break;
      packer.add(r);
      keptPassed++;
    }
  }
  return {
    ...packer.p,
    counts: p.counts,
    dropped: { passed: (p.dropped?.passed ?? 0) + passed.length - keptPassed, failed: (p.dropped?.failed ?? 0) + failed.length - keptFailed },
  };
}

/** Whether a value from a carry-over is a {@link PackedResults} (and not a run's older `TestResult[]`). */
export function isPack(v: unknown): v is PackedResults {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (v as { v?: unknown }).v === 1 && Array.isArray((v as { kind?: unknown }).kind);
}
