/**
 * Runs the network plugin conformance suite (the rules and judgements of
 * src/model/plugin-conformance.ts) against a plugin: sends each call, hands the outcome to its
 * judge, and deletes everything the suite asked for at the end, also when a rule failed or a
 * call threw. Used by `merak plugin conformance` and by tests.
 */
import type { NetworkPluginClient } from './client';
import { statusName } from './errors';
import {
  cleanupCalls,
  CONFORMANCE_STEPS,
  createdKeys,
  heldValuesOf,
  judgeStateServed,
  planConformance,
  startContext,
  stateProblems,
  summarizeConformance,
  type ConformanceCall,
  type ConformanceMethod,
  type ConformanceOutcome,
  type ConformanceReport,
  type ConformanceStepRecord,
  type ConformanceVerdict,
} from '../model/plugin-conformance';
import { seededRandom } from '../model/random';

/** Sends one call; resolves with the answer, rejects with an error carrying a gRPC `code` (and `details`). */
export type ConformanceInvoke = (method: ConformanceMethod, request: Record<string, unknown>) => Promise<Record<string, unknown>>;

/** The suite's node, as handed to `prepareNode`. */
export interface ConformanceNode {
  readonly name: string;
  readonly ip: string;
  readonly mac: string;
  readonly scenario: string;
}

/** Options of `runConformance`. */
export interface ConformanceRunOptions {
  /** HOST:PORT of the plugin, for the report. */
  address: string;
  /** Starts every key the suite makes; lower-case letters, digits, inner dashes, ≤ 40. */
  prefix: string;
  /** Seed of the values drawn (VNIs, CIDR, node IP and MAC). @default derived from the prefix */
  seed?: number;
  /**
   * Run once before the suite's first CreateNode of its node, for providers whose nodes must
   * exist on their side first (OVN: the node's chassis). A throw fails the rule, naming it.
   * @default none
   */
  prepareNode?: (node: ConformanceNode) => Promise<void>;
  /** Told about each judged call (progress). @default silent */
  onCall?: (rule: string, record: NonNullable<ConformanceStepRecord['record']>) => void;
}

/** The client's methods by RPC name. */
export function invokeThroughClient(client: NetworkPluginClient): ConformanceInvoke {
  const methods: Record<ConformanceMethod, (r: Record<string, unknown>) => Promise<unknown>> = {
    CreateVpc: (r) => client.createVpc(r),
    UpdateVpc: (r) => client.updateVpc(r),
    DeleteVpc: (r) => client.deleteVpc(r),
    CreateSubnet: (r) => client.createSubnet(r),
    UpdateSubnet: (r) => client.updateSubnet(r),
    DeleteSubnet: (r) => client.deleteSubnet(r),
    CreateNode: (r) => client.createNode(r),
    UpdateNode: (r) => client.updateNode(r),
    DeleteNode: (r) => client.deleteNode(r),
    GetState: () => client.getState(),
  };
  return async (method, request) => (await methods[method](request)) as Record<string, unknown>;
}

/** An outcome from what a call resolved or rejected with. */
export async function outcomeOf(call: Promise<Record<string, unknown>>): Promise<ConformanceOutcome> {
  try {
    return { ok: true, answer: await call };
  } catch (err) {
    const e = err as { code?: unknown; details?: unknown; message?: unknown };
    const code = typeof e?.code === 'number' ? statusName(e.code) : 'UNKNOWN';
    const details = typeof e?.details === 'string' && e.details !== '' ? e.details : typeof e?.message === 'string' ? e.message : String(err);
    return { ok: false, code, details };
  }
}

/** FNV-1a of the prefix: a repeatable default seed. */
function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * Runs every rule against the plugin and deletes what the suite made.
 * @returns the report: one result per rule (pass, fail or skip), the failing request and answer.
 * @throws Error, before anything is created, when the plugin does not answer (UNAVAILABLE or
 * DEADLINE_EXCEEDED on the first call) or already holds keys with the suite's prefix.
 */
export async function runConformance(invoke: ConformanceInvoke, options: ConformanceRunOptions): Promise<ConformanceReport> {
  const records: ConformanceStepRecord[] = [];
  const note = (rule: string, method: ConformanceMethod, request: Record<string, unknown>, outcome: ConformanceOutcome, verdict: ConformanceVerdict): void => {
    const record = { method, request, outcome, verdict };
    records.push({ rule, record });
    options.onCall?.(rule, record);
  };

  const first = await outcomeOf(invoke('GetState', {}));
  if (!first.ok && (first.code === 'UNAVAILABLE' || first.code === 'DEADLINE_EXCEEDED')) {
    throw new Error(`the plugin at ${options.address} does not answer (GetState: ${first.code}: ${first.details}); start it first`);
  }
  const fixture = planConformance(options.prefix, seededRandom(options.seed ?? seedOf(options.prefix)), first.ok ? heldValuesOf(first.answer) : undefined);
  const ctx = startContext(fixture, first);
  note('state.served', 'GetState', {}, first, judgeStateServed(first));

  const created = { vpcs: new Set<string>(), subnets: new Set<string>(), nodes: new Set<string>() };
  const prepared = new Set<string>();
  const send = async (call: ConformanceCall): Promise<ConformanceOutcome> => {
    const outcome = await outcomeOf(invoke(call.method, call.request));
    const keys = createdKeys(call, outcome);
    if (keys !== undefined) for (const k of keys.keys) created[keys.kind].add(k);
    return outcome;
  };

  try {
    for (const step of CONFORMANCE_STEPS) {
      const call = step.call(ctx);
      if ('skip' in call) {
        records.push({ rule: step.rule, skip: call.skip });
        continue;
      }
      if (call.prepareNode !== undefined && options.prepareNode !== undefined && !prepared.has(call.prepareNode.name)) {
        prepared.add(call.prepareNode.name);
        try {
          await options.prepareNode(call.prepareNode);
        } catch (err) {
          const outcome: ConformanceOutcome = { ok: false, code: 'NOT_SENT', details: 'the node hook failed; the call was not sent' };
          note(step.rule, call.method, call.request, outcome, { status: 'fail', reason: `the node hook failed before CreateNode: ${err instanceof Error ? err.message : String(err)}` });
          continue;
        }
      }
      const outcome = await send(call);
      note(step.rule, call.method, call.request, outcome, step.judge(outcome, ctx));
    }
  } finally {
    // Everything asked for is deleted again, whatever happened above: a failed rule must not
    // leave the suite's objects at the provider.
    const deletes = cleanupCalls(created, fixture.scenario);
    if (deletes.length === 0 && !ctx.stateServed) records.push({ rule: 'cleanup', skip: 'the plugin accepted no Create, so there is nothing to delete' });
    for (const call of deletes) {
      const outcome = await outcomeOf(invoke(call.method, call.request));
      // NOT_FOUND breaks the delete rules (reported there) but means "not there": enough here.
      const gone = outcome.ok || outcome.code === 'NOT_FOUND';
      note('cleanup', call.method, call.request, outcome, gone ? { status: 'pass' } : { status: 'fail', reason: `answered ${outcome.code}; the suite could not delete what it asked for` });
    }
    if (ctx.stateServed) {
      const outcome = await outcomeOf(invoke('GetState', {}));
      const problems = outcome.ok ? stateProblems(outcome.answer, ctx, 'clean') : [`GetState answered ${outcome.code}`];
      note('cleanup', 'GetState', {}, outcome, problems.length === 0 ? { status: 'pass' } : { status: 'fail', reason: `after the cleanup: ${problems.join('; ')}` });
    }
  }
  return summarizeConformance(options.address, options.prefix, records);
}
