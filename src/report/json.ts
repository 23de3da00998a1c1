/** Test results for machines: `{ summary, results }`, stable key order. Pure. */
import type { TestResult } from '../model/status';
import { summarize, type ResultSummary } from './summary';

export interface ResultDocument {
  summary: ResultSummary;
  results: TestResult[];
}

export function resultDocument(results: readonly TestResult[]): ResultDocument {
  return {
    summary: summarize(results),
    results: results.map((r) => {
      const out: TestResult = { kind: r.kind, source: r.source, destination: r.destination, negative: r.negative, pass: r.pass };
      if (r.latencyMs !== undefined) out.latencyMs = r.latencyMs;
      if (r.throughputBps !== undefined) out.throughputBps = r.throughputBps;
      if (r.error !== undefined) out.error = r.error;
      return out;
    }),
  };
}

export function renderJson(results: readonly TestResult[]): string {
  return `${JSON.stringify(resultDocument(results), null, 2)}\n`;
}
