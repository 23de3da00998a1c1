/**
 * The connectivity tests of one source node. Its pairs go to its agent in chunks (one runTests
 * call each, in order, each bounded in time and resuming from its last heartbeat when retried;
 * src/model/checks.ts). The server side of every check whose destination is on another node is
 * run by that node's own agent (src/model/test-servers.ts): startTestServers on each destination
 * node's queue before the first chunk, every chunk's runTests given the ports they answered for
 * its own destinations, then stopTestServers on each destination node after the last chunk,
 * whatever happened. A destination node that cannot serve (no agent, a failed start) makes its
 * pairs `not tested` with the reason; the other pairs still run. In local mode the destination's
 * agent is this machine's, in pod mode the one in the destination's pod: the same code either way.
 */
import { CancellationScope, log, uuid4, workflowInfo } from '@temporalio/workflow';
import { judge, testCallTimeouts } from '../model/checks';
import { forEachBounded } from '../model/concurrency';
import { errorText } from '../model/error-text';
import type { TestPair } from '../model/pairs';
import type { ScenarioSpec, TestKind } from '../model/spec';
import type { TestResult } from '../model/status';
import { remoteDestinations, remoteFor, serverDeadlineS, unservedEnds, type RemoteEnd } from '../model/test-servers';
import { TESTING_ACTIVITY_TIMEOUT_MS, TEST_SERVERS_START_TIMEOUT_MS, testServerActivities, testingActivities } from './scenario-activities';

/** Destination nodes asked at once by one source node. */
const SERVER_FAN_OUT = 16;

/** How one node's pairs go to its agent, as decided by the workflow's patch markers (vm-stage.ts). */
export interface NodeTestPlan {
  /** The node's pairs in the calls they go in, in order (one chunk in runs from before chunks). */
  chunks: TestPair[][];
  /** Each call gets its chunk's bounds and resuming attempts (testCallTimeouts); false: the single 5-minute call of runs from before chunks. */
  chunked: boolean;
  /** Destinations on other nodes are served by their own agents; false: runs from before cross-node servers, every destination looked for on this node's host. */
  serve: boolean;
}

/**
 * Runs `kinds` over the plan's pairs (all from `node`), chunk by chunk, serving remote
 * destinations on their own nodes when `plan.serve`. A chunk whose call failed, and the chunks
 * after it, get one `not tested` result per check, saying why; the servers are stopped in any case.
 * @returns one result per (kind, pair) of every chunk: per chunk kind-major, as runTests.
 */
export async function testFromNode(spec: ScenarioSpec, scenario: string, node: string, kinds: TestKind[], timeoutMs: number, plan: NodeTestPlan): Promise<TestResult[]> {
  const callsOf = (part: TestPair[]) => (plan.chunked ? testCallTimeouts({ pairs: part.length, kinds, timeoutMs }) : undefined);
  const groups = plan.serve ? remoteDestinations(node, plan.chunks.flat()) : [];
  if (groups.length === 0) return runChunks(spec, scenario, node, kinds, timeoutMs, plan.chunks, callsOf);
  const session = `${workflowInfo().workflowId}/${node}/${uuid4()}`;
  // The servers live through every chunk's call, retries included.
  const testsMs = plan.chunks.reduce((sum, part) => sum + (callsOf(part)?.scheduleToCloseMs ?? TESTING_ACTIVITY_TIMEOUT_MS), 0);
  const deadlineS = serverDeadlineS(testsMs, TEST_SERVERS_START_TIMEOUT_MS);
  const served: RemoteEnd[][] = new Array(groups.length);
  try {
    await forEachBounded(groups, SERVER_FAN_OUT, async (g, i) => {
      try {
        served[i] = await testServerActivities(spec, g.node, 'start').startTestServers({ scenario, node: g.node, session, kinds, ends: g.ends, deadlineS });
      } catch (err) {
        served[i] = unservedEnds(g.node, g.ends, `node ${g.node} could not serve the checks: ${errorText(err)}`);
      }
    });
    return await runChunks(spec, scenario, node, kinds, timeoutMs, plan.chunks, callsOf, served.flat());
  } finally {
    // Also after a failed start (it may have opened some servers before failing) and on cancellation.
    await CancellationScope.nonCancellable(() =>
      forEachBounded(groups, SERVER_FAN_OUT, async (g) => {
        try {
          await testServerActivities(spec, g.node, 'stop').stopTestServers({ node: g.node, session });
        } catch (err) {
          // Its servers end on their own at the deadline.
          log.warn('test servers not stopped', { scenario, node: g.node, error: errorText(err) });
        }
      }),
    );
  }
}

/**
 * The chunks' runTests calls, one after another; with `served`, each carries the servers of its
 * own remote destinations (`remote`, possibly empty).
 */
async function runChunks(
  spec: ScenarioSpec,
  scenario: string,
  node: string,
  kinds: TestKind[],
  timeoutMs: number,
  chunks: TestPair[][],
  callsOf: (part: TestPair[]) => ReturnType<typeof testCallTimeouts> | undefined,
  served?: RemoteEnd[],
): Promise<TestResult[]> {
  const out: TestResult[] = [];
  let failure: string | undefined;
  for (const part of chunks) {
    if (failure === undefined) {
      try {
        const remote = served && remoteFor(node, part, served);
        out.push(...(await testingActivities(spec, node, callsOf(part)).runTests({ scenario, node, kinds, pairs: part, timeoutMs, ...(remote ? { remote } : {}) })));
        continue;
      } catch (err) {
        failure = `tests on node ${node} could not run: ${errorText(err)}`;
      }
    }
    for (const kind of kinds) for (const pair of part) out.push(judge(kind, pair, { reached: false, inconclusive: true, detail: failure }));
  }
  return out;
}
