/** Test results as a human table (cli-table3), one row per check, and a summary line. Pure. */
import Table from 'cli-table3';
import type { TestResult } from '../model/status';
import { measurement, summarize, summaryLine } from './summary';

export interface TableOptions {
  /** Colours and box borders (a terminal); plain columns otherwise (piped output). Default: false. */
  color?: boolean;
  /** Only failed checks. Default: false. */
  failedOnly?: boolean;
  /** Longest error text shown in a cell; the rest is cut with '…'. Default: 80. */
  maxErrorLength?: number;
}

/** Expected outcome as the table says it. */
export function expectation(r: TestResult): string {
  return r.negative ? 'blocked' : 'reach';
}

function cut(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

export function renderTable(results: readonly TestResult[], options: TableOptions = {}): string {
  const color = options.color ?? false;
  const max = options.maxErrorLength ?? 80;
  // Without colour, cli-table3 still draws borders; empty style lists keep the text free of escape codes.
  const style = color ? {} : { head: [], border: [] };
  const table = new Table({ head: ['kind', 'source', 'destination', 'expect', 'result', 'latency / throughput', 'error'], style });
  const green = (s: string) => (color ? `\u001b[32m${s}\u001b[39m` : s);
  const red = (s: string) => (color ? `\u001b[31m${s}\u001b[39m` : s);
  for (const r of results) {
    if (options.failedOnly && r.pass) continue;
    table.push([r.kind, r.source, r.destination, expectation(r), r.pass ? green('PASS') : red('FAIL'), measurement(r), r.error ? cut(r.error, max) : '']);
  }
  return `${table.toString()}\n${summaryLine(summarize(results))}\n`;
}
