/**
 * Payload of the testing activity: the scenario, the node it runs on (every pair's source VM
 * lives there), the kinds and the pairs chosen by src/workflows/pairs.ts. Validated on entry:
 * bad input fails with InvalidInputError naming the field, the value and the rule.
 */
import { z } from 'zod';
import { isIpv4, parseIpv4 } from '../../model/ipv4';
import { VETH_NAME_MAX_VM_INDEX as MAX_VM_INDEX } from '../../dataplane/names';
import { NODE_RE, SCENARIO_RE } from '../../model/names';
import { UNUSABLE_RANGES, unusableAddress } from '../../model/special-ranges';
import { TEST_KINDS } from '../../model/spec';
import { MAX_HELPER_DEADLINE_S } from '../../model/checks';

/** Most pairs one call takes (the spec's maxPairs plus the negative cap). */
export const MAX_TEST_PAIRS = 200_000;
/** Bounds of the per-check timeout. */
export const MIN_TIMEOUT_MS = 100;
export const MAX_TIMEOUT_MS = 60_000;
/** Default time one check may take before it counts as failed (iperf3: on top of its 1 s run). */
export const DEFAULT_TIMEOUT_MS = 2000;

/** Addresses a VM may hold: the spec's own rule (src/model/special-ranges.ts), so a VM the spec accepted is always testable. */
function vmAddress(text: string): boolean {
  return isIpv4(text) && unusableAddress(parseIpv4(text)) === undefined;
}

const ip = z.string().refine(vmAddress, `must be a unicast IPv4 address a VM can hold (not in ${UNUSABLE_RANGES.map((r) => r.cidr).join(', ')})`);
const node = z.string().regex(NODE_RE, `must match ${NODE_RE}`);
const end = z.object({ node, vmIndex: z.number().int().min(0).max(MAX_VM_INDEX), ip });

export const TestPairSchema = z.object({ source: end, destination: end, negative: z.boolean() });

const port = z.number().int().min(1).max(65_535);

/** What the destination node's agent serves for one of its VM addresses (src/model/test-servers.ts). */
export const RemoteEndSchema = end.extend({ tcp: port.optional(), udp: port.optional(), iperf: port.optional(), problem: z.string().max(2000).optional() });

export const RunTestsSchema = z.object({
  scenario: z.string().regex(SCENARIO_RE, `must match ${SCENARIO_RE}`),
  /** The node this activity runs on; every pair's source VM must be on it. */
  node,
  kinds: z.array(z.enum(TEST_KINDS)).min(1, 'must name at least one kind').max(TEST_KINDS.length),
  pairs: z.array(TestPairSchema).max(MAX_TEST_PAIRS),
  /** Time one check may take before it counts as failed. Default 2000 ms. */
  timeoutMs: z.number().int().min(MIN_TIMEOUT_MS).max(MAX_TIMEOUT_MS).optional(),
  /**
   * Servers the destination nodes' agents started for the pairs whose destination is on another
   * node (startTestServers). When given, such a pair is checked against them and never looked
   * for on this host; when absent (runs from before cross-node servers), every destination must
   * be on this host.
   */
  remote: z.array(RemoteEndSchema).max(MAX_TEST_PAIRS).optional(),
});
export type RunTestsInput = z.input<typeof RunTestsSchema>;

/** A session id: the workflow's own, unique per source node and test run. */
const session = z.string().regex(/^[A-Za-z0-9._:/-]{1,300}$/, 'must be 1-300 letters, digits or ._:/-');

/** Payload of startTestServers: serve `ends` (VMs of `node`) for another node's checks. */
export const StartTestServersSchema = z.object({
  scenario: z.string().regex(SCENARIO_RE, `must match ${SCENARIO_RE}`),
  /** The node this activity runs on: every end is one of its VMs. */
  node,
  session,
  /** The kinds the source will check: tcp and udp open echo servers, iperf an iperf3 server; every end's address is proven in any case. */
  kinds: z.array(z.enum(TEST_KINDS)).min(1, 'must name at least one kind').max(TEST_KINDS.length),
  ends: z.array(z.object({ vmIndex: z.number().int().min(0).max(MAX_VM_INDEX), ip })).min(1, 'must name at least one end').max(MAX_TEST_PAIRS),
  /** Seconds after which the servers end on their own even if never stopped. */
  deadlineS: z.number().int().min(10).max(MAX_HELPER_DEADLINE_S),
});
export type StartTestServersInput = z.input<typeof StartTestServersSchema>;

/** Payload of stopTestServers. */
export const StopTestServersSchema = z.object({ node, session });
export type StopTestServersInput = z.input<typeof StopTestServersSchema>;
