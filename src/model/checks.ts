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
