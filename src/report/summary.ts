/** Counting test results: overall and per kind. Pure. */
import type { TestResult } from '../model/status';

export interface Tally {
  total: number;
  passed: number;
  failed: number;
}

export interface ResultSummary extends Tally {
  /** Per test kind, in the order kinds first appear in the results. */
  byKind: Record<string, Tally>;
  /** Negative checks (different VPCs) among the total, and how many of them passed. */
  negative: Tally;
}

export function summarize(results: readonly TestResult[]): ResultSummary {
  const s: ResultSummary = { total: 0, passed: 0, failed: 0, byKind: {}, negative: { total: 0, passed: 0, failed: 0 } };
  const add = (t: Tally, pass: boolean) => {
    t.total++;
    if (pass) t.passed++;
    else t.failed++;
  };
  for (const r of results) {
    add(s, r.pass);
    add((s.byKind[r.kind] ??= { total: 0, passed: 0, failed: 0 }), r.pass);
    if (r.negative) add(s.negative, r.pass);
  }
  return s;
}

/** Bits per second in the largest unit that keeps the number at least 1: `9.41 Gbit/s`. */
export function formatBps(bps: number): string {
  const units = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s'];
  let v = bps;
  let u = 0;
  while (Math.abs(v) >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(u === 0 ? 0 : 2)} ${units[u]}`;
}

/** Milliseconds with three significant decimals at most: `0.131 ms`, `12.4 ms`. */
export function formatMs(ms: number): string {
  return `${ms < 10 ? ms.toFixed(3) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0)} ms`;
}

/** The measurement of a result as text: latency or throughput, '' when none. */
export function measurement(r: TestResult): string {
  if (r.throughputBps !== undefined) return formatBps(r.throughputBps);
  if (r.latencyMs !== undefined) return formatMs(r.latencyMs);
  return '';
}

/** One line: `12 passed, 1 failed of 13 (icmp 4/4, tcp 3/4, …)`. */
export function summaryLine(s: ResultSummary): string {
  const kinds = Object.entries(s.byKind).map(([k, t]) => `${k} ${t.passed}/${t.total}`);
  return `${s.passed} passed, ${s.failed} failed of ${s.total}${kinds.length ? ` (${kinds.join(', ')})` : ''}`;
}
