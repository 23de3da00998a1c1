/**
 * The connectivity tests of one source node, with the server side of every check whose
 * destination is on another node run by that node's own agent (src/model/test-servers.ts):
 * startTestServers on each destination node's queue, then runTests on the source node's queue
 * with the ports they answered, then stopTestServers on each destination node, whatever
 * happened. A destination node that cannot serve (no agent, a failed start) makes its pairs
 * `not tested` with the reason; the other pairs still run. In local mode the destination's
 * agent is this machine's, in pod mode the one in the destination's pod: the same code either way.
 */
import { CancellationScope, log, uuid4, workflowInfo } from '@temporalio/workflow';
import { forEachBounded } from '../model/concurrency';
import { errorText } from '../model/error-text';
import type { TestPair } from '../model/pairs';
import type { ScenarioSpec, TestKind } from '../model/spec';
import type { TestResult } from '../model/status';
import { remoteDestinations, serverDeadlineS, unservedEnds, type RemoteEnd } from '../model/test-servers';
import { TESTING_ACTIVITY_TIMEOUT_MS, TEST_SERVERS_START_TIMEOUT_MS, testServerActivities, testingActivities } from './scenario-activities';

/** Destination nodes asked at once by one source node. */
const SERVER_FAN_OUT = 16;

/**
 * Runs `kinds` over `pairs` (all from `node`), serving remote destinations on their own nodes.
 * @returns one result per (kind, pair), as runTests.
 * @throws what runTests throws (the caller reports it as the node's failure); servers are stopped first.
 */
export async function testFromNode(spec: ScenarioSpec, scenario: string, node: string, kinds: TestKind[], pairs: TestPair[], timeoutMs: number): Promise<TestResult[]> {
  const groups = remoteDestinations(node, pairs);
  const run = (remote?: RemoteEnd[]) => testingActivities(spec, node).runTests({ scenario, node, kinds, pairs, timeoutMs, ...(remote ? { remote } : {}) });
  if (groups.length === 0) return run();
  const session = `${workflowInfo().workflowId}/${node}/${uuid4()}`;
  const deadlineS = serverDeadlineS(TESTING_ACTIVITY_TIMEOUT_MS, TEST_SERVERS_START_TIMEOUT_MS);
  const served: RemoteEnd[][] = new Array(groups.length);
  try {
    await forEachBounded(groups, SERVER_FAN_OUT, async (g, i) => {
      try {
        served[i] = await testServerActivities(spec, g.node, 'start').startTestServers({ scenario, node: g.node, session, kinds, ends: g.ends, deadlineS });
      } catch (err) {
        served[i] = unservedEnds(g.node, g.ends, `node ${g.node} could not serve the checks: ${errorText(err)}`);
      }
    });
    return await run(served.flat());
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
