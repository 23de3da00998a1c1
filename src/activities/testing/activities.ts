/**
 * The connectivity-test activity, run by the agent of the node holding the pairs' source VMs
 * (task queue merak-agent-<node>). Real packets between the scenario's VM namespaces:
 *
 * - icmp: `ip netns exec SRC ping -c 1` to the destination address, round-trip time parsed;
 * - tcp: connect to an echo server bound to the destination address inside its namespace, send
 *   a payload, check the same bytes come back;
 * - udp: the same with one datagram (resent at most twice within the timeout);
 * - iperf: one-off iperf3 server in the destination namespace, 1 s iperf3 client in the source
 *   namespace, JSON report parsed to bits per second.
 *
 * Traffic is only sent after both ends are proven to be the scenario's VMs: the namespace names
 * come from the scenario's tag (the same resolution the agent uses) and each address must be
 * configured inside its namespace. A negative pair (different VPCs) passes when traffic fails.
 * Every check is bounded in time, the number of checks is kinds x pairs, and every process the
 * activity starts (socket helpers, iperf3 servers) is ended before it returns, even on failure
 * or cancellation.
 *
 * Timing (src/model/checks.ts): a check's own timeout counts only the network's time and is the
 * only time that can give a verdict; starting the helpers and waiting for their reports have
 * their own, far longer, supervision times, and running out of one is `not tested` with the
 * reason. The socket helpers start once per call (per node), together, before the first check.
 *
 * A destination on another node is served by that node's own agent (startTestServers and
 * stopTestServers on its queue, called by the workflow before this node's first runTests call
 * and after its last, when its pairs go in several chunks; src/model/test-servers.ts): it proves
 * the address is its VM's and opens the echo and iperf3 servers there, and each runTests call
 * is given the ports of its own pairs' destinations (`remote`). So every kind works the same
 * whether the destination's namespace is on this host (local mode) or in another pod. Without
 * `remote` (runs from before it), every destination must be on this host; one that is not is
 * `not tested`, with the reason.
 */
import { spawnRunner, type CommandRunner } from '../../dataplane/command';
import { listMountedNetns, netnsPath } from '../../dataplane/netns';
import { vmNetns } from '../../dataplane/names';
import { stateDirFromEnv } from '../../dataplane/owner-records';
import { pythonBinary } from '../../dataplane/ns-helper';
import { findTag } from '../../dataplane/tags';
import { InvalidInputError, PreconditionError } from '../../dataplane/errors';
import { withFailurePolicy } from '../failure';
import { parsePayload } from '../agent/types';
import { beat, resumeDetails, throwIfCancelled } from '../agent/heartbeat';
import { forEachBounded } from '../../model/concurrency';
import type { TestResult } from '../../model/status';
import type { TestPair } from '../../model/pairs';
import { helperDeadlineS, judge, TEST_CONCURRENCY } from '../../model/checks';
import { IperfChecker, IPERF_SECONDS, type IperfPorts } from './iperf';
import type { ProcessWatcher } from './line-process';
import type { CheckOutcome } from './outcome';
import { pingCheck } from './ping';
import { SocketHelpers } from './socket-checks';
import { ServerSession, type SessionEnd } from './servers';
import { NeighbourTableWatch, type NeighbourTableFiles } from './neighbour-table';
import { endKey, type RemoteEnd } from '../../model/test-servers';
import { DEFAULT_TIMEOUT_MS, RunTestsSchema, StartTestServersSchema, StopTestServersSchema, type RunTestsInput, type StartTestServersInput, type StopTestServersInput } from './types';

export interface TestingDeps {
  /** Runs ping, iperf3 clients and python. Default: spawnRunner. */
  runner?: CommandRunner;
  /** State directory holding the scenario tags. Default: MERAK_STATE_DIR or /var/lib/merak. */
  stateDir?: string;
  /** Checks run at once for icmp, tcp and udp (iperf3 checks always run one at a time). Default: 4. */
  concurrency?: number;
  /** Ports the iperf3 servers listen on. Default: 5201-5300. */
  iperfPorts?: IperfPorts;
  /** Told about every process started (tests use it to check none is left). Default: none. */
  watcher?: ProcessWatcher;
  /** Time a helper (socket helper, iperf3 server) gets to start, ms. Default HELPER_START_MS (60 s). */
  helperStartMs?: number;
  /** Where the kernel's neighbour-table counters are read. Default: /proc (src/activities/testing/neighbour-table.ts). */
  neighbourTable?: NeighbourTableFiles;
}

/** Heartbeat period while the activity runs, ms: a start or a check may take longer than the heartbeat timeout between two checks. */
const HEARTBEAT_EVERY_MS = 10_000;
/**
 * Shortest gap between two heartbeats sent after checks, ms. Each carries every result measured
 * so far (a retry resumes from them), so a fast run does not send one after every check; the SDK
 * would throttle what reaches the server anyway, but not the encoding.
 */
const RESULT_BEAT_MIN_MS = 250;
/** Heartbeat phase of the checks: its details carry the results measured so far. */
export const CHECKS_PHASE = 'checks';

/** A result measured by an earlier attempt: its index in the call's results (kind-major) and the result. */
type Measured = [number, TestResult];

/** The scenario has no tag in the state directory: it was never built on this host. A precondition, not retried. */
export class ScenarioNotBuiltError extends PreconditionError {
  override readonly name = 'ScenarioNotBuiltError';
  constructor(readonly scenario: string, readonly stateDir: string) {
    super(`scenario ${scenario} has no tag in ${stateDir}: build it on this host first (or set MERAK_STATE_DIR to the directory the agent uses)`);
  }
}

/**
 * The results an earlier attempt of this call reported in its last heartbeat, checked against
 * the call's size (a retry gets the same input); anything malformed is measured again.
 */
function resumedResults(size: number): Measured[] {
  const d = resumeDetails(CHECKS_PHASE);
  const list = d?.results;
  if (!Array.isArray(list)) return [];
  return list.filter(
    (m): m is Measured =>
      Array.isArray(m) && Number.isInteger(m[0]) && (m[0] as number) >= 0 && (m[0] as number) < size && typeof m[1] === 'object' && m[1] !== null && typeof (m[1] as TestResult).pass === 'boolean',
  );
}

export function createTestingActivities(deps: TestingDeps = {}) {
  const runner = deps.runner ?? spawnRunner;
  const stateDir = deps.stateDir ?? stateDirFromEnv();
  const concurrency = deps.concurrency ?? TEST_CONCURRENCY;
  const neighbours = new NeighbourTableWatch(deps.neighbourTable);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new InvalidInputError('concurrency', concurrency, 'must be an integer from 1 to 64');
  const iperfPorts = deps.iperfPorts ?? { from: 5201, count: 100 };
  const tags = new Map<string, string>();
  /** Open server sessions for other nodes' checks, by node and session id. */
  const sessions = new Map<string, ServerSession>();

  async function tagOf(scenario: string): Promise<string> {
    let t = tags.get(scenario);
    if (!t) {
      t = await findTag(stateDir, scenario);
      if (!t) throw new ScenarioNotBuiltError(scenario, stateDir);
      tags.set(scenario, t);
    }
    return t;
  }

  /**
   * Runs every kind over every pair and returns one result per (kind, pair), kinds in the order
   * asked, pairs in the order given. A check that fails is a result (pass: false), not an error;
   * one that did not get through while the kernel's neighbour table was full is `not tested`,
   * naming the limit. Heartbeats carry the results measured so far (`{ done, phase: 'checks',
   * results: [[index, result], ...] }`, at most four a second, one every 10 s and one at the end): a retried
   * call keeps those and runs only the checks still missing.
   * @throws InvalidInputError (final) when the payload breaks a rule, or a pair's source is not on `node`.
   * @throws ScenarioNotBuiltError (final) when the scenario was never built on this host.
   * @throws HelperStartError (retried) when a socket helper did not start within its start time.
   * @throws HelperTimeoutError (retried) when the helper did not answer an address check within its supervision time.
   * @throws CommandFailedError (retried) when a helper process cannot start or dies.
   */
  async function runTests(input: RunTestsInput): Promise<TestResult[]> {
    const req = parsePayload(RunTestsSchema, input, 'tests');
    req.pairs.forEach((p, i) => {
      if (p.source.node !== req.node) {
        throw new InvalidInputError(`tests.pairs.${i}.source.node`, p.source.node, `must be ${req.node}: tests run on the node of their source VM`);
      }
    });
    const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const tag = await tagOf(req.scenario);
    const kinds = [...new Set(req.kinds)];
    const pairs = req.pairs as TestPair[];
    const results: TestResult[] = new Array(kinds.length * pairs.length);
    if (pairs.length === 0) return [];

    const nsOf = (e: TestPair['source']) => vmNetns(tag, e.node, e.vmIndex);
    // Served by the destination node's agent (only when the workflow started servers there).
    const remote = req.remote ? new Map(req.remote.map((r) => [endKey(r), r as RemoteEnd])) : undefined;
    const remoteOf = (p: TestPair): RemoteEnd | undefined => (remote && p.destination.node !== req.node ? remote.get(endKey(p.destination)) : undefined);
    const isRemote = (p: TestPair): boolean => remote !== undefined && p.destination.node !== req.node;
    // Upper bound of the whole call, so the helpers end on their own if this process dies.
    const deadlineS = helperDeadlineS({ pairs: pairs.length, kinds: kinds.length, concurrency, timeoutMs, extraPerCheckMs: IPERF_SECONDS * 1000 });
    const sockets = new SocketHelpers({ python: await pythonBinary(runner), deadlineS, workers: concurrency, watcher: deps.watcher, startTimeoutMs: deps.helperStartMs });
    const iperf = new IperfChecker(runner, iperfPorts, deps.watcher, deps.helperStartMs);
    // What an earlier attempt measured (its last heartbeat): kept, not measured again.
    const measured = new Map<number, TestResult>();
    for (const [index, result] of resumedResults(results.length)) {
      measured.set(index, result);
      results[index] = result;
    }
    let done = measured.size;
    let lastBeat = 0;
    const details = () => ({ results: [...measured] satisfies Measured[] });
    const beatNow = () => {
      lastBeat = Date.now();
      beat(done, CHECKS_PHASE, details());
    };
    // Keeps the heartbeat going through a slow helper start or check; cancellation is acted on
    // after each check (so no check is left running unobserved).
    const ticker = setInterval(() => {
      try {
        beatNow();
      } catch {
        // cancelled: the next check's beat throws
      }
    }, HEARTBEAT_EVERY_MS);
    try {
      // 0. The socket helpers, once for the whole call, both at once; a helper that cannot start fails the call (retried).
      const missing = (i: number) => kinds.some((_, k) => !measured.has(k * pairs.length + i));
      // This process's echo server and prober only for the tcp/udp checks still missing whose destination it serves itself.
      const socketKindsLeft = kinds.some((kind, k) => (kind === 'tcp' || kind === 'udp') && pairs.some((p, i) => !isRemote(p) && !measured.has(k * pairs.length + i)));
      await sockets.start(socketKindsLeft);

      // 1. Both ends of every pair still to check must be this scenario's VMs, on this host, holding the address.
      const mounted = await listMountedNetns();
      const ends = new Map<string, Promise<string | undefined>>();
      const endProblem = (e: TestPair['source'], role: string): Promise<string | undefined> => {
        const ns = nsOf(e);
        const key = `${ns} ${e.ip}`;
        let p = ends.get(key);
        if (!p) {
          p = mounted.has(ns)
            ? sockets.owns(netnsPath(ns), e.ip).then((err) => (err ? `${role} address ${e.ip} is not configured in VM namespace ${ns} (${err})` : undefined))
            : Promise.resolve(`${role} VM namespace ${ns} does not exist on this host`);
          ends.set(key, p);
        }
        return p;
      };
      const problems: Array<string | undefined> = new Array(pairs.length);
      await forEachBounded(pairs, concurrency, async (p, i) => {
        if (!missing(i)) return;
        const source = await endProblem(p.source, 'source');
        if (source || !isRemote(p)) problems[i] = source ?? (await endProblem(p.destination, 'destination'));
        else {
          const r = remoteOf(p);
          problems[i] = r ? r.problem && `destination ${r.problem}` : `destination ${endKey(p.destination)} was not served by node ${p.destination.node}`;
        }
      });

      // 2. The checks still missing, kind by kind.
      for (const [k, kind] of kinds.entries()) {
        await forEachBounded(pairs, kind === 'iperf' ? 1 : concurrency, async (pair, i) => {
          const index = k * pairs.length + i;
          if (measured.has(index)) return;
          const problem = problems[i];
          let outcome: CheckOutcome;
          if (problem) outcome = { reached: false, inconclusive: true, detail: problem };
          else {
            const src = nsOf(pair.source);
            const dst = nsOf(pair.destination);
            const ip = pair.destination.ip;
            const far = remoteOf(pair);
            const farPort = kind === 'icmp' ? undefined : far?.[kind];
            const fullsBefore = await neighbours.fulls();
            if (kind === 'icmp') outcome = await pingCheck(runner, src, ip, timeoutMs);
            else if (far && farPort === undefined) outcome = { reached: false, inconclusive: true, detail: `node ${far.node} started no ${kind} server on ${ip}` };
            else if (kind === 'iperf') outcome = far ? await iperf.client(src, ip, farPort!, timeoutMs) : await iperf.check(src, dst, ip, timeoutMs);
            else outcome = far ? await sockets.probe(kind, netnsPath(src), ip, farPort!, timeoutMs) : await sockets.check(kind, netnsPath(src), netnsPath(dst), ip, timeoutMs);
            if (!outcome.reached && !outcome.inconclusive) {
              const full = await neighbours.overflowSince(fullsBefore);
              if (full) outcome = { reached: false, inconclusive: true, detail: `${full}; the check saw: ${outcome.detail ?? 'no reply'}` };
            }
          }
          const result = judge(kind, pair, outcome);
          results[index] = result;
          measured.set(index, result);
          done++;
          if (Date.now() - lastBeat >= RESULT_BEAT_MIN_MS) beatNow();
          else throwIfCancelled();
        });
      }
      beatNow();
    } catch (e) {
      // What the checks in flight measured before the failure, for the retry (best effort:
      // a cancelled call throws here, and the failure below is what counts).
      try {
        beatNow();
      } catch {
        // cancelled
      }
      throw e;
    } finally {
      clearInterval(ticker);
      await sockets.close();
    }
    return results;
  }

  const sessionKey = (node: string, session: string) => `${node} ${session}`;

  /**
   * Serves this node's VM addresses for another node's checks until stopTestServers (or the
   * deadline): proves each address is configured in its VM namespace, and opens TCP/UDP echo
   * servers (kinds tcp, udp) and an iperf3 server (kind iperf) bound to it. Idempotent per
   * session: a retried start answers what the first one served.
   * @returns one entry per end, in order: its ports, or the problem that kept it from being served.
   * @throws InvalidInputError (final) when the payload breaks a rule.
   * @throws ScenarioNotBuiltError (final) when the scenario was never built on this host.
   * @throws HelperStartError, CommandFailedError (retried) when the socket helper could not start.
   */
  async function startTestServers(input: StartTestServersInput): Promise<RemoteEnd[]> {
    const req = parsePayload(StartTestServersSchema, input, 'servers');
    const key = sessionKey(req.node, req.session);
    const open = sessions.get(key);
    if (open?.result) return open.result;
    const tag = await tagOf(req.scenario);
    const mounted = await listMountedNetns();
    const ends: SessionEnd[] = req.ends.map((e) => {
      const ns = vmNetns(tag, req.node, e.vmIndex);
      return mounted.has(ns) ? { ...e, ns, nsPath: netnsPath(ns) } : { ...e, problem: `VM namespace ${ns} does not exist on node ${req.node}` };
    });
    const sockets = new SocketHelpers({ python: await pythonBinary(runner), deadlineS: req.deadlineS, workers: concurrency, watcher: deps.watcher, startTimeoutMs: deps.helperStartMs });
    const iperf = new IperfChecker(runner, iperfPorts, deps.watcher, deps.helperStartMs);
    const session = new ServerSession(req.node, sockets, iperf, req.deadlineS, () => {
      if (sessions.get(key) === session) sessions.delete(key);
      void session.close();
    });
    sessions.set(key, session);
    session.result = session.serve(req.kinds, ends);
    try {
      return await session.result;
    } catch (err) {
      // Nothing half-started stays: a retry starts afresh.
      sessions.delete(key);
      await session.close();
      throw err;
    }
  }

  /** Ends a session's servers and waits for them. A session unknown here (never started, already stopped, expired) is nothing to do. */
  async function stopTestServers(input: StopTestServersInput): Promise<{ stopped: boolean }> {
    const req = parsePayload(StopTestServersSchema, input, 'servers');
    const key = sessionKey(req.node, req.session);
    const session = sessions.get(key);
    if (!session) return { stopped: false };
    sessions.delete(key);
    await session.close();
    return { stopped: true };
  }

  // What the activities throw is mapped once, here, to retryable or final failures (../failure.ts).
  return withFailurePolicy({ runTests, startTestServers, stopTestServers });
}

export type TestingActivities = ReturnType<typeof createTestingActivities>;
