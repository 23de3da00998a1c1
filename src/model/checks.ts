/**
 * How a connectivity check is timed and judged, apart from the processes that run it, so the
 * rules are pure and tested on their own (test/unit/checks.test.ts).
 *
 * Two kinds of time are kept apart, so a check's outcome depends on the network and not on how
 * busy the machine is:
 *
 * - the check's own timeout (`timeoutMs`, default 2000 ms): how long the *network* may take to
 *   answer. It is counted by the program that sends the packets (ping `-w`, iperf3
 *   `--connect-timeout`, the socket helper's socket timeouts), from the moment that program
 *   sends, so it is the only time that can turn into a verdict (a blocked pair passes, a normal
 *   pair fails);
 * - supervision times: how long the agent waits for a helper to start ({@link HELPER_START_MS})
 *   or to report a check it was given ({@link supervisionMs}). They are far longer than any
 *   start or scheduling delay seen under load, and when one runs out the check is `not tested`
 *   with the reason, never a verdict.
 */
import type { TestKind } from './spec';
import type { TestResult } from './status';
import { endpointLabel, type TestPair } from './pairs';

/** What one check saw, before it is judged against the pair's expectation. */
export interface CheckOutcome {
  /** Traffic got through (a reply, an echo, a measured stream). */
  reached: boolean;
  latencyMs?: number;
  throughputBps?: number;
  /** Why it did not get through, or why the check could not be made. */
  detail?: string;
  /**
   * The check could not be made at all (a helper did not start or answer, a server did not
   * start, an end is not a scenario VM): the result fails whatever the expectation, since
   * nothing was proven.
   */
  inconclusive?: boolean;
}

/**
 * Time a helper process (the Python socket helper, an iperf3 server) gets to start and say it
 * is ready, ms. A Python helper starts in about 0.3 s on an idle 2-core machine and in 0.6-1.1 s
 * with a CPU hog on both cores and a load average near 10 (measured, issue 9); a minute is far
 * above that, so only a machine that cannot run it at all gives `not tested`.
 */
export const HELPER_START_MS = 60_000;

/**
 * Time the agent waits for a check's result beyond the check's own timeout, ms: covers a helper
 * (or the agent itself) not being scheduled for a while on a busy machine. Never part of a verdict.
 */
export const SUPERVISION_MARGIN_MS = 30_000;

/**
 * How long the agent waits for a helper to report a check bounded by `checkTimeoutMs` (0 for a
 * request with no network wait, such as an address ownership test), ms.
 * @param checkTimeoutMs - the check's own timeout, ms, ≥ 0.
 * @throws RangeError when `checkTimeoutMs` is negative or not finite.
 */
export function supervisionMs(checkTimeoutMs: number): number {
  if (!Number.isFinite(checkTimeoutMs) || checkTimeoutMs < 0) throw new RangeError(`checkTimeoutMs ${checkTimeoutMs} must be a finite number ≥ 0`);
  return checkTimeoutMs + SUPERVISION_MARGIN_MS;
}

/** Longest deadline given to a helper, s (a day). */
export const MAX_HELPER_DEADLINE_S = 86_400;

/**
 * Seconds after which the socket helpers of one activity call end on their own even if never
 * told to (they also end when the agent closes their stdin): the worst case of the call, so a
 * slow call is never cut short. Start, then one ownership test per pair end, then every check,
 * each bounded by its supervision time, `concurrency` at a time; iperf3 checks one at a time.
 * @param o.pairs - pairs of the call, ≥ 0.
 * @param o.kinds - kinds of the call, ≥ 1.
 * @param o.concurrency - checks at once, ≥ 1.
 * @param o.timeoutMs - a check's own timeout, ms.
 * @param o.extraPerCheckMs - time a check adds to its timeout (iperf3's run), ms. Default 0.
 * @returns whole seconds, at most {@link MAX_HELPER_DEADLINE_S}.
 */
export function helperDeadlineS(o: { pairs: number; kinds: number; concurrency: number; timeoutMs: number; extraPerCheckMs?: number }): number {
  const rounds = Math.ceil((o.pairs * (o.kinds + 2)) / Math.max(1, o.concurrency)) + o.pairs;
  const ms = HELPER_START_MS + rounds * supervisionMs(o.timeoutMs + (o.extraPerCheckMs ?? 0));
  return Math.min(MAX_HELPER_DEADLINE_S, Math.ceil(ms / 1000) + 60);
}

/**
 * The result of one check: a normal pair passes when traffic got through, a negative pair
 * (different VPCs) when it did not; a check that could not be made fails either way, its error
 * starting with `not tested: ` and saying why.
 */
export function judge(kind: TestKind, pair: TestPair, o: CheckOutcome): TestResult {
  const r: TestResult = {
    kind,
    source: endpointLabel(pair.source),
    destination: endpointLabel(pair.destination),
    negative: pair.negative,
    pass: o.inconclusive ? false : o.reached !== pair.negative,
  };
  if (!o.inconclusive && o.reached && o.latencyMs !== undefined && Number.isFinite(o.latencyMs)) r.latencyMs = Math.round(o.latencyMs * 1000) / 1000;
  if (!o.inconclusive && o.reached && o.throughputBps !== undefined) r.throughputBps = Math.round(o.throughputBps);
  if (!r.pass) {
    if (o.inconclusive) r.error = `not tested: ${o.detail ?? 'unknown reason'}`;
    else if (pair.negative) r.error = 'reached a VM of another VPC: isolation is broken';
    else r.error = o.detail ?? 'no reply';
  }
  return r;
}

/** Checks of one kind the agent runs at once for icmp, tcp and udp (iperf3 runs one at a time): the testing activity's default. */
export const TEST_CONCURRENCY = 4;

/** Seconds an iperf3 check sends for, on top of its timeout. */
export const IPERF_RUN_MS = 1000;

/**
 * Network time one activity call (one chunk of a node's pairs) may need at most, ms: the
 * scenario workflow splits a node's pairs into chunks of at most this much, so no call needs a
 * timeout that grows with the test's size. Four minutes keeps a call within the five minutes
 * every test call had before chunks.
 */
export const TEST_CALL_BUDGET_MS = 4 * 60_000;

/**
 * The longest one call's checks can take if every check runs to its own timeout (the network
 * answers nothing), ms: icmp, tcp and udp `concurrency` at a time, iperf3 one at a time with
 * its run on top. Starting and supervising the helpers is not in it (see {@link testCallTimeouts}).
 * @param o.pairs - pairs of the call, ≥ 0.
 * @param o.kinds - kinds of the call.
 * @param o.timeoutMs - a check's own timeout, ms.
 * @param o.concurrency - checks at once. Default {@link TEST_CONCURRENCY}.
 */
export function checksWorstMs(o: { pairs: number; kinds: readonly TestKind[]; timeoutMs: number; concurrency?: number }): number {
  const kinds = new Set(o.kinds);
  const parallel = [...kinds].filter((k) => k !== 'iperf').length;
  const c = Math.max(1, o.concurrency ?? TEST_CONCURRENCY);
  return Math.ceil((o.pairs * parallel) / c) * o.timeoutMs + (kinds.has('iperf') ? o.pairs * (IPERF_RUN_MS + o.timeoutMs) : 0);
}

/**
 * Most pairs of one activity call for these kinds: as many as fit {@link TEST_CALL_BUDGET_MS}
 * in the worst case, at least 1. icmp alone with the 2 s timeout: 480; all four kinds: 53.
 * @param kinds - the call's kinds, at least one.
 * @param timeoutMs - a check's own timeout, ms, > 0.
 * @throws RangeError when `kinds` is empty or `timeoutMs` not a positive number.
 */
export function testChunkPairs(kinds: readonly TestKind[], timeoutMs: number, concurrency = TEST_CONCURRENCY): number {
  if (kinds.length === 0) throw new RangeError('kinds must name at least one test kind');
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) throw new RangeError(`timeoutMs ${timeoutMs} must be a positive number`);
  let lo = 1;
  let hi = 1_000_000;
  // The worst time only grows with the pairs: the largest count within the budget, by bisection.
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (checksWorstMs({ pairs: mid, kinds, timeoutMs, concurrency }) <= TEST_CALL_BUDGET_MS) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Attempts of one test call: a retry resumes after the checks its last heartbeat reported. */
export const TEST_CALL_ATTEMPTS = 3;
/** Longest gap between two heartbeats of a test call before the attempt counts as lost, ms (a check beats when it ends; a ticker every 10 s in between). */
export const TEST_HEARTBEAT_TIMEOUT_MS = 60_000;

/**
 * Timeouts of one test call of `pairs` pairs: an attempt may take its helpers' start time, the
 * supervision margin and its checks' worst network time; the whole call its attempts, each
 * resuming where the last one's heartbeat left off.
 * @returns startToCloseMs (one attempt), scheduleToCloseMs (all attempts), heartbeatMs.
 */
export function testCallTimeouts(o: { pairs: number; kinds: readonly TestKind[]; timeoutMs: number; concurrency?: number }): { startToCloseMs: number; scheduleToCloseMs: number; heartbeatMs: number } {
  const startToCloseMs = HELPER_START_MS + SUPERVISION_MARGIN_MS + checksWorstMs(o);
  return { startToCloseMs, scheduleToCloseMs: TEST_CALL_ATTEMPTS * startToCloseMs + 60_000, heartbeatMs: TEST_HEARTBEAT_TIMEOUT_MS };
}

/**
 * Splits a node's pairs into the chunks its test calls take, in order, each at most `size`
 * pairs (the last may be shorter). Pure: the workflow replays the same chunks.
 * @throws RangeError when `size` is not a positive integer.
 */
export function chunkPairs<T>(pairs: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size ${size} must be a positive integer`);
  const out: T[][] = [];
  for (let i = 0; i < pairs.length; i += size) out.push(pairs.slice(i, i + size));
  return out;
}
