/**
 * Operation latencies and time to reachable, as compact HDR histograms (hdr-histogram-js, the
 * JavaScript port of Gil Tene's HdrHistogram: https://github.com/HdrHistogram/HdrHistogramJS).
 * Values are recorded in microseconds with 3 significant digits, so a histogram of any number of
 * operations encodes (deflated, base64) in a few hundred bytes to a few kilobytes: what activities
 * return and workflows merge, instead of one entry per VM or endpoint.
 *
 * Pure: used by the agent activities (recording where the work happens), by the workflows
 * (merging the encoded results of activities and child workflows, deterministic) and by the
 * report (percentiles).
 */
import type { JsHistogram } from 'hdr-histogram-js';

type Histogram = JsHistogram;

/** The parts of hdr-histogram-js used here: the JavaScript histograms and their V2 compressed encoding. */
interface Hdr {
  Int32Histogram: new (lowestDiscernibleValue: number, highestTrackableValue: number, numberOfSignificantValueDigits: number) => Histogram;
  decompress(data: Uint8Array): Uint8Array;
  doDecode(data: Uint8Array, bitBucketSize: 32): Histogram;
  toByteArray(base64: string): Uint8Array;
  /** The library's big-endian reader and its ZigZag LEB128 words, which the V2 encoding is made of. */
  ByteBuffer: new (data: Uint8Array) => ByteReader;
  ZigZag: { decode(buffer: ByteReader): number };
}

/** What hdr-histogram-js's ByteBuffer offers for reading. */
interface ByteReader {
  position: number;
  getInt32(): number;
  getInt64(): number;
}
let hdrParts: Hdr | undefined;
/**
 * The modules are required on first use, not imported at the top: the workflow bundle evaluates
 * its modules again for every workflow run (see the same choice for zod in spec.ts), and most
 * runs merge nothing. Only the pure-JavaScript modules are required, by path: the package's
 * entry also loads its WebAssembly variant, whose module code reads `process` or `window`, which
 * the workflow sandbox has neither of. Requiring JsHistogram.encoding adds
 * `encodeIntoCompressedBase64` to every JsHistogram (zlib in Node, pako in the sandbox).
 */
/* eslint-disable @typescript-eslint/no-require-imports -- lazy on purpose, see above */
const hdr = (): Hdr =>
  (hdrParts ??= {
    Int32Histogram: (require('hdr-histogram-js/dist/Int32Histogram.js') as { default: Hdr['Int32Histogram'] }).default,
    ...(require('hdr-histogram-js/dist/JsHistogram.encoding.js') as Pick<Hdr, 'decompress' | 'doDecode'>),
    toByteArray: (require('base64-js') as Pick<Hdr, 'toByteArray'>).toByteArray,
    ByteBuffer: (require('hdr-histogram-js/dist/ByteBuffer.js') as { default: Hdr['ByteBuffer'] }).default,
    ZigZag: (require('hdr-histogram-js/dist/ZigZagEncoding.js') as { default: Hdr['ZigZag'] }).default,
  });
/* eslint-enable @typescript-eslint/no-require-imports */

/** Operation kinds a report lists, in this order. Plugin calls are `plugin.<Rpc>`, endpoint-plugin calls `endpointPlugin.<COMMAND>`. */
export const OP_KINDS = [
  'plugin.CreateVpc',
  'plugin.UpdateVpc',
  'plugin.DeleteVpc',
  'plugin.CreateSubnet',
  'plugin.UpdateSubnet',
  'plugin.DeleteSubnet',
  'plugin.CreateNode',
  'plugin.UpdateNode',
  'plugin.DeleteNode',
  'vm.create',
  'endpoint.create',
  'endpointPlugin.VM_ADD',
  'endpointPlugin.EP_ADD',
  'endpointPlugin.VM_DEL',
  'endpointPlugin.EP_DEL',
  'endpointPlugin.VM_UPDATE',
  'endpointPlugin.EP_UPDATE',
] as const;
export type OpKind = (typeof OP_KINDS)[number];

/**
 * Largest value a new histogram holds before it resizes, in microseconds (it grows on demand):
 * 65.5 ms. Its counts array is sized for it (5120 counts, 20 KB, where one hour took 23,552): a
 * build of 1000 none nodes makes and encodes two histograms per node, and the one-hour arrays
 * were most of that work and of the garbage it left.
 */
const HIGHEST_US = 65_536;
/** Precision of every histogram made here: 3 significant digits, from 1 µs. */
const LOWEST_US = 1;
const DIGITS = 3;
/** Endpoints that never became reachable kept by name, per summary; the rest are only counted. */
export const MAX_UNREACHABLE_NAMES = 200;

/** One operation kind: how many, how many failed, and the latencies (µs) of all of them, encoded. */
export interface OpMetric {
  count: number;
  failed: number;
  /** HDR histogram of the latencies in microseconds, compressed and base64 encoded ('' when empty). */
  histogram: string;
}

/** Time to reachable of the endpoints probed. */
export interface ReachabilityMetric {
  /** Endpoints probed (all, or the sample the spec asks for). */
  probed: number;
  /** Of those, the ones a peer's ping reached before the timeout. */
  reachable: number;
  /** HDR histogram (µs) of the reachable ones' time from create request to first reply. */
  histogram: string;
  /** Names (`<node>/vm<i>/eth<e> <ip>`) of endpoints never reached; at most {@link MAX_UNREACHABLE_NAMES}. */
  unreachable: string[];
}

/** What an activity, a node workflow or a scenario has measured. */
export interface Metrics {
  ops: Partial<Record<string, OpMetric>>;
  reachability?: ReachabilityMetric;
}

function newHistogram(): Histogram {
  const h = new (hdr().Int32Histogram)(LOWEST_US, HIGHEST_US, DIGITS);
  h.autoResize = true;
  return h;
}

function decode(text: string): Histogram {
  if (text === '') return newHistogram();
  const { decompress, doDecode, toByteArray } = hdr();
  const h = doDecode(decompress(toByteArray(text.trim())), 32);
  h.autoResize = true;
  return h;
}

function encode(h: Histogram): string {
  return h.totalCount === 0 ? '' : (h as Histogram & { encodeIntoCompressedBase64(): string }).encodeIntoCompressedBase64();
}

/** Milliseconds to whole microseconds, at least 1 (HDR records positive integers). */
function toMicros(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`a latency must be a finite number of ms ≥ 0, got ${ms}`);
  return Math.max(1, Math.round(ms * 1000));
}

/**
 * Collects latencies in memory (one histogram per kind) and hands them out encoded. One per
 * activity call: cheap to make, a few kilobytes at most.
 */
export class MetricsRecorder {
  private readonly ops = new Map<string, { count: number; failed: number; h: Histogram }>();
  private reach?: { probed: number; reachable: number; h: Histogram; unreachable: string[] };

  private op(kind: string) {
    let o = this.ops.get(kind);
    if (!o) {
      o = { count: 0, failed: 0, h: newHistogram() };
      this.ops.set(kind, o);
    }
    return o;
  }

  /**
   * Records `times` operations of `kind` that took `ms` each (failed ones count in `failed` and
   * in the latencies).
   * @throws RangeError when ms is negative or not finite, or times is not a whole number ≥ 0.
   */
  record(kind: string, ms: number, ok = true, times = 1): void {
    if (!Number.isInteger(times) || times < 0) throw new RangeError(`times must be a whole number ≥ 0, got ${times}`);
    const us = toMicros(ms);
    if (times === 0) return;
    const o = this.op(kind);
    o.h.recordValueWithCount(us, times);
    o.count += times;
    if (!ok) o.failed += times;
  }

  /** One failed operation whose latency is not known (counted in count and failed, not in the histogram). */
  fail(kind: string): void {
    const o = this.op(kind);
    o.count++;
    o.failed++;
  }

  /** Times `fn` as one operation of `kind` (failed when it throws, which is rethrown). */
  async time<T>(kind: string, clock: () => number, fn: () => Promise<T>): Promise<T> {
    const t0 = clock();
    try {
      const out = await fn();
      this.record(kind, clock() - t0, true);
      return out;
    } catch (e) {
      this.record(kind, clock() - t0, false);
      throw e;
    }
  }

  /** One probed endpoint: reached after `ms`, or never (`ms` undefined) with its name kept. */
  probe(name: string, ms: number | undefined): void {
    this.reach ??= { probed: 0, reachable: 0, h: newHistogram(), unreachable: [] };
    this.reach.probed++;
    if (ms === undefined) {
      if (this.reach.unreachable.length < MAX_UNREACHABLE_NAMES) this.reach.unreachable.push(name);
      return;
    }
    this.reach.reachable++;
    this.reach.h.recordValue(toMicros(ms));
  }

  /** What was recorded, encoded. */
  metrics(): Metrics {
    const ops: Metrics['ops'] = {};
    for (const [kind, o] of this.ops) ops[kind] = { count: o.count, failed: o.failed, histogram: encode(o.h) };
    const out: Metrics = { ops };
    if (this.reach) out.reachability = { probed: this.reach.probed, reachable: this.reach.reachable, histogram: encode(this.reach.h), unreachable: [...this.reach.unreachable] };
    return out;
  }
}

/** The V2 encoding's cookie (hdr-histogram-js, JsHistogram.encoding: V2EncodingCookieBase | 0x10) and its header's length in bytes. */
const V2_COOKIE = 0x1c849303 | 0x10;
const V2_HEADER_BYTES = 40;

/**
 * Adds an encoded histogram's counts to `sum` without building it as a histogram of its own: its
 * V2 payload is read word by word (a positive word is the count at the next index, a negative one
 * skips that many empty indexes) and each count is recorded at its index's value. Every
 * histogram made here has the same precision ({@link LOWEST_US}, {@link DIGITS}), so an index
 * means the same value in both; one of another precision is decoded and added whole. Decoding
 * each part into a histogram of up to 23,552 counts and adding those was most of the time a
 * pooled agent spent merging its nodes' measurements.
 */
function addEncoded(sum: Histogram, text: string): void {
  const { ByteBuffer, ZigZag, decompress, toByteArray } = hdr();
  const bytes = decompress(toByteArray(text.trim()));
  const b = new ByteBuffer(bytes);
  const cookie = b.getInt32();
  const payload = b.getInt32();
  b.getInt32(); // normalizing index offset: ignored, as the library's own decoder does
  const digits = b.getInt32();
  const lowest = b.getInt64();
  if (cookie !== V2_COOKIE || digits !== DIGITS || lowest !== LOWEST_US || V2_HEADER_BYTES + payload > bytes.length) {
    sum.add(decode(text));
    return;
  }
  b.position = V2_HEADER_BYTES;
  const end = V2_HEADER_BYTES + payload;
  for (let index = 0; b.position < end; ) {
    const word = ZigZag.decode(b);
    if (word < 0) {
      index -= word;
      continue;
    }
    if (word > 0) sum.recordValueWithCount(sum.valueFromIndex(index), word);
    index++;
  }
}

function mergeHistograms(texts: string[]): string {
  const nonEmpty = texts.filter((t) => t !== '');
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? '';
  const sum = newHistogram();
  for (const t of nonEmpty) addEncoded(sum, t);
  return encode(sum);
}

/**
 * Merges measurements (of batches, nodes or runs) into one: counts add up, histograms add
 * bucket by bucket (exact: no percentile is averaged), unreachable names are kept up to
 * {@link MAX_UNREACHABLE_NAMES}. `undefined` entries are skipped.
 */
export function mergeMetrics(...all: Array<Metrics | undefined>): Metrics {
  const list = all.filter((m): m is Metrics => m !== undefined);
  const kinds = [...new Set(list.flatMap((m) => Object.keys(m.ops)))];
  const ops: Metrics['ops'] = {};
  for (const kind of kinds) {
    const parts = list.map((m) => m.ops[kind]).filter((o): o is OpMetric => o !== undefined);
    ops[kind] = {
      count: parts.reduce((s, o) => s + o.count, 0),
      failed: parts.reduce((s, o) => s + o.failed, 0),
      histogram: mergeHistograms(parts.map((o) => o.histogram)),
    };
  }
  const out: Metrics = { ops };
  const reach = list.map((m) => m.reachability).filter((r): r is ReachabilityMetric => r !== undefined);
  if (reach.length > 0) {
    out.reachability = {
      probed: reach.reduce((s, r) => s + r.probed, 0),
      reachable: reach.reduce((s, r) => s + r.reachable, 0),
      histogram: mergeHistograms(reach.map((r) => r.histogram)),
      unreachable: reach.flatMap((r) => r.unreachable).slice(0, MAX_UNREACHABLE_NAMES),
    };
  }
  return out;
}

/** Percentiles of a latency histogram, in milliseconds (3 decimals); all 0 when it is empty. */
export interface LatencySummary {
  count: number;
  min: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

const ms = (us: number) => Math.round(us) / 1000;

/** Percentiles of an encoded histogram (HDR's own: each within 0.1 % of the true value). */
export function summarizeHistogram(text: string): LatencySummary {
  const h = decode(text);
  if (h.totalCount === 0) return { count: 0, min: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0, mean: 0 };
  return {
    count: h.totalCount,
    min: ms(h.minNonZeroValue),
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p95: ms(h.getValueAtPercentile(95)),
    p99: ms(h.getValueAtPercentile(99)),
    max: ms(h.maxValue),
    mean: Math.round(h.mean) / 1000,
  };
}

/** Bars of a histogram for a chart: `buckets` equal-width ranges from min to max (ms), with their counts. */
export function histogramBars(text: string, buckets = 20): Array<{ fromMs: number; toMs: number; count: number }> {
  const h = decode(text);
  if (h.totalCount === 0) return [];
  const lo = h.minNonZeroValue;
  const hi = h.maxValue;
  const width = Math.max(1, Math.ceil((hi - lo + 1) / buckets));
  const n = Math.floor((hi - lo) / width) + 1;
  const counts = new Array<number>(n).fill(0);
  // Every recorded value with its count, at HDR's own resolution (built without WebAssembly, so a JsHistogram).
  const it = h.recordedValuesIterator;
  it.reset();
  while (it.hasNext()) {
    const v = it.next();
    const at = Math.min(n - 1, Math.max(0, Math.floor((v.valueIteratedTo - lo) / width)));
    counts[at] += v.countAtValueIteratedTo;
  }
  return counts.map((count, i) => ({ fromMs: ms(lo + i * width), toMs: ms(Math.min(hi, lo + (i + 1) * width - 1)), count }));
}
