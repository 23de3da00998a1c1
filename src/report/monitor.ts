/**
 * `merak monitor`'s terminal view of one interval (pure): a line per node (collector state,
 * packet and byte rates of its endpoints, drops per second by reason) and the busiest endpoints
 * (by packets per second, then by drops), cut to the rows the terminal has.
 */
import type { DropsByReason, MonitorDocument, Rates } from '../model/counters';
import { vmName } from '../model/names';

export interface MonitorViewOptions {
  /** Terminal rows available; endpoints beyond them are summarised in one line. @default 40 */
  rows?: number;
  /** Longest line; longer ones are cut. @default 160 */
  columns?: number;
  /** What the header says about where the counters came from (e.g. "2 agents"). */
  source?: string;
}

/** 1234 → "1.2k", 5e6 → "5.0M"; `unit` appended. */
export function humanRate(n: number, unit = ''): string {
  const abs = Math.abs(n);
  const [v, suffix] = abs >= 1e9 ? [n / 1e9, 'G'] : abs >= 1e6 ? [n / 1e6, 'M'] : abs >= 1e3 ? [n / 1e3, 'k'] : [n, ''];
  const text = suffix === '' && Number.isInteger(v) ? String(v) : v.toFixed(1);
  return `${text}${suffix}${unit}`;
}

/** "NETFILTER_DROP 5.0/s, CPU_BACKLOG 1.0/s", largest first; "-" when none. */
export function dropsText(drops: Record<string, number>, perSecond: boolean, max = 3): string {
  const entries = Object.entries(drops).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  if (entries.length === 0) return '-';
  const shown = entries.slice(0, max).map(([r, n]) => `${r} ${perSecond ? `${humanRate(n)}/s` : humanRate(n)}`);
  if (entries.length > max) shown.push(`+${entries.length - max} more`);
  return shown.join(', ');
}

const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const padLeft = (s: string, n: number): string => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

function rateCells(r: Rates): string[] {
  return [humanRate(r.rxPps), humanRate(r.txPps), humanRate(r.rxBps, 'B'), humanRate(r.txBps, 'B')];
}

const total = (d: DropsByReason): number => Object.values(d).reduce((s, n) => s + n, 0);

/** The view of one interval as lines of text (no escape codes; the caller clears the screen). */
export function renderMonitor(doc: MonitorDocument, o: MonitorViewOptions = {}): string {
  const rows = Math.max(10, o.rows ?? 40);
  const columns = Math.max(40, o.columns ?? 160);
  const lines: string[] = [];
  const interval = doc.intervalMs > 0 ? `rates over ${(doc.intervalMs / 1000).toFixed(1)} s` : 'first reading: rates from the next one';
  lines.push(`merak monitor ${doc.scenario}  ${doc.time}  ${interval}${o.source ? `  (${o.source})` : ''}`);
  lines.push('');
  const nodeHead = [pad('NODE', 16), padLeft('RX pps', 8), padLeft('TX pps', 8), padLeft('RX B/s', 9), padLeft('TX B/s', 9), padLeft('EPs', 5), '  DROPS/s (by reason)', '  collector'];
  lines.push(nodeHead.join(' '));
  for (const n of doc.nodes) {
    const c = n.collector;
    const state = c.running ? `pid ${c.pid}, ${c.watchedNamespaces} ns, cpu ${(c.cpuSeconds ?? 0).toFixed(2)} s${c.lost && (c.lost.traffic || c.lost.drops) ? `, LOST ${c.lost.traffic + c.lost.drops}` : ''}` : `DOWN: ${c.error ?? 'not running'}`;
    const [rx, tx, rxb, txb] = rateCells(n.rates);
    lines.push([pad(n.node, 16), padLeft(rx!, 8), padLeft(tx!, 8), padLeft(rxb!, 9), padLeft(txb!, 9), padLeft(String(n.endpoints.length), 5), `  ${dropsText(n.rates.drops, true)}`, `  ${state}`].join(' '));
  }
  const dropTotals: DropsByReason = {};
  for (const n of doc.nodes) for (const [r, c] of Object.entries(n.totals.drops)) dropTotals[r] = (dropTotals[r] ?? 0) + c;
  lines.push(`drops since the collectors started: ${dropsText(dropTotals, false, 6)}`);
  lines.push('');

  const endpoints = doc.nodes.flatMap((n) => n.endpoints.map((e) => ({ node: n.node, e })));
  endpoints.sort(
    (a, b) =>
      b.e.rates.rxPps + b.e.rates.txPps - (a.e.rates.rxPps + a.e.rates.txPps) ||
      b.e.rates.dropsPerSecond - a.e.rates.dropsPerSecond ||
      total(b.e.drops) - total(a.e.drops) ||
      (a.node < b.node ? -1 : a.node > b.node ? 1 : 0) ||
      (a.e.vm ?? 0) - (b.e.vm ?? 0),
  );
  const room = Math.max(1, rows - lines.length - 3);
  lines.push([pad('ENDPOINT', 24), padLeft('RX pps', 8), padLeft('TX pps', 8), padLeft('RX B/s', 9), padLeft('TX B/s', 9), '  DROPS/s', '  drops total'].join(' '));
  for (const { node, e } of endpoints.slice(0, room)) {
    const [rx, tx, rxb, txb] = rateCells(e.rates);
    lines.push([pad(`${e.vm === null ? node : vmName(node, e.vm)} ${e.interface}`, 24), padLeft(rx!, 8), padLeft(tx!, 8), padLeft(rxb!, 9), padLeft(txb!, 9), `  ${dropsText(e.rates.drops, true, 2)}`, `  ${dropsText(e.drops, false, 2)}`].join(' '));
  }
  if (endpoints.length > room) lines.push(`… ${endpoints.length - room} more endpoints (quiet ones last; -o json has all)`);
  if (endpoints.length === 0) lines.push('(no endpoint counted yet)');
  return `${lines.map((l) => (l.length > columns ? `${l.slice(0, columns - 1)}…` : l)).join('\n')}\n`;
}
