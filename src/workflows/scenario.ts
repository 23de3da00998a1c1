/**
 * scenarioWorkflow: one long-lived reconciler per emulated cloud (workflow id `merak-<name>`).
 *
 * Stage 1 builds the network plugin's objects: VPCs, then subnets, then nodes. Every object is
 * recorded in `built` *before* its Create is sent, so a Create that timed out after the plugin
 * acted is still undone (the plugin's Delete of a missing object succeeds). Any failure while
 * building unwinds `built` in reverse and fails the workflow with the cause; `teardown` and
 * cancellation unwind it the same way and end the workflow.
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  allHandlersFinished,
  workflowInfo,
} from '@temporalio/workflow';
import type { ComputeActivities, PluginTarget } from '../activities/compute';
import { MERAK_SCENARIO } from '../temporal/search-attributes';
import { forEachBounded } from './concurrency';
import { nodeMac } from './mac';
import { underlayAddress } from './ipam';
import { parseCidr, formatIpv4 } from '../net/ipv4';
import {
  scenarioWorkflowId,
  statusQuery,
  teardownSignal,
  COMPUTE_TASK_QUEUE,
  type BuiltObject,
  type ScenarioPhase,
  type ScenarioStatus,
} from './messages';
import { parseSpec, SpecError, type ScenarioInput, type ScenarioSpec } from './spec';

/** Plugin calls in flight at once per stage. */
const PLUGIN_FAN_OUT = 16;

/** What a run hands to the next one when it continues as new. */
export interface ScenarioCarryOver {
  input: ScenarioInput;
  built: BuiltObject[];
  generation: number;
  cleanupErrors: string[];
}

export type ScenarioWorkflowArg = ScenarioInput | { resume: ScenarioCarryOver };

export interface ScenarioOutcome {
  name: string;
  phase: ScenarioPhase;
  /** Objects deleted by the teardown. */
  deleted: number;
  cleanupErrors: string[];
}

function isResume(arg: ScenarioWorkflowArg): arg is { resume: ScenarioCarryOver } {
  return typeof arg === 'object' && arg !== null && 'resume' in arg;
}

function validate(input: ScenarioInput): ScenarioSpec {
  try {
    return parseSpec(input);
  } catch (err) {
    if (err instanceof SpecError) throw ApplicationFailure.nonRetryable(err.message, 'InvalidSpec', err.issues);
    throw err;
  }
}

function pluginActivities(spec: ScenarioSpec) {
  return proxyActivities<ComputeActivities>({
    taskQueue: COMPUTE_TASK_QUEUE,
    startToCloseTimeout: spec.plugin.deadlineMs + 5_000,
    scheduleToCloseTimeout: spec.plugin.retryWindowMs,
    retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s' },
  });
}

function errorText(err: unknown): string {
  if (err instanceof ApplicationFailure || err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error && cause.message && !err.message.includes(cause.message) ? `${err.message}: ${cause.message}` : err.message;
  }
  return String(err);
}

export async function scenarioWorkflow(arg: ScenarioWorkflowArg): Promise<ScenarioOutcome> {
  const carry: ScenarioCarryOver = isResume(arg) ? arg.resume : { input: arg, built: [], generation: 0, cleanupErrors: [] };
  const name = typeof carry.input === 'object' && carry.input !== null && typeof carry.input.name === 'string' ? carry.input.name : '(unnamed)';
  let phase: ScenarioPhase = 'building';
  let failure: string | undefined;
  const built = carry.built;
  const cleanupErrors = carry.cleanupErrors;
  const spec = validate(carry.input);
  let teardownRequested = false;

  setHandler(statusQuery, (): ScenarioStatus => ({
    name,
    phase,
    built: [...built],
    nodes: spec.nodes.map((n) => ({
      name: n.name,
      desiredVms: n.vms,
      vms: 0,
      endpoints: 0,
      phase: built.some((b) => b.kind === 'node' && b.id === n.name) ? 'registered' : 'pending',
    })),
    progress: { done: built.length, total: spec.vpcs.length + spec.vpcs.reduce((s, v) => s + v.subnets.length, 0) + spec.nodes.length, unit: 'plugin objects' },
    error: failure,
    cleanupErrors: [...cleanupErrors],
    generation: carry.generation,
  }));
  setHandler(teardownSignal, () => {
    teardownRequested = true;
  });

  const expectedId = scenarioWorkflowId(spec.name);
  if (workflowInfo().workflowId !== expectedId) {
    throw ApplicationFailure.nonRetryable(
      `workflow id "${workflowInfo().workflowId}" does not match scenario "${spec.name}": start it with id "${expectedId}" so a scenario can never be built twice`,
      'WrongWorkflowId',
    );
  }
  upsertSearchAttributes({ [MERAK_SCENARIO.name]: [spec.name] });
  const acts = pluginActivities(spec);
  const target: PluginTarget = { address: spec.plugin.address, deadlineMs: spec.plugin.deadlineMs };

  /** Deletes everything in `built`, newest first, kind by kind; failures are logged and kept. */
  const unwind = async (): Promise<number> => {
    let deleted = 0;
    await CancellationScope.nonCancellable(async () => {
      while (built.length > 0) {
        const kind = built[built.length - 1]!.kind;
        let start = built.length - 1;
        while (start > 0 && built[start - 1]!.kind === kind) start--;
        const group = built.slice(start).reverse();
        await forEachBounded(group, PLUGIN_FAN_OUT, async (obj) => {
          try {
            if (obj.kind === 'node') await acts.deleteNode(target, obj.id);
            else if (obj.kind === 'subnet') await acts.deleteSubnet(target, obj.id);
            else await acts.deleteVpc(target, obj.id);
            deleted++;
          } catch (err) {
            const text = `delete ${obj.kind} ${obj.id}: ${errorText(err)}`;
            log.error('compensation failed', { scenario: name, object: obj, error: text });
            cleanupErrors.push(text);
          }
        });
        built.splice(start);
      }
    });
    return deleted;
  };

  const record = (obj: BuiltObject): void => {
    if (!built.some((b) => b.kind === obj.kind && b.id === obj.id)) built.push(obj);
  };

  const buildStage1 = async (s: ScenarioSpec): Promise<void> => {
    const vpcVni = new Map<string, number>();
    await forEachBounded(s.vpcs, PLUGIN_FAN_OUT, async (vpc) => {
      record({ kind: 'vpc', id: vpc.id });
      const cidr = parseCidr(vpc.cidr);
      const got = await acts.createVpc(target, { id: vpc.id, vni: vpc.vni, ip: formatIpv4(cidr.network), prefix: cidr.prefix, optional: vpc.optional });
      vpcVni.set(vpc.id, got.vni);
      built.find((b) => b.kind === 'vpc' && b.id === vpc.id)!.vni = got.vni;
    });
    const subnets = s.vpcs.flatMap((vpc) => vpc.subnets.map((subnet) => ({ vpc, subnet })));
    await forEachBounded(subnets, PLUGIN_FAN_OUT, async ({ vpc, subnet }) => {
      record({ kind: 'subnet', id: subnet.id });
      const cidr = parseCidr(subnet.cidr);
      // The provider may have assigned the VPC another VNI than asked: subnets follow the provider.
      const vni = subnet.vni ?? vpcVni.get(vpc.id) ?? vpc.vni;
      const got = await acts.createSubnet(target, { id: subnet.id, vpc: vpc.id, vni, ip: formatIpv4(cidr.network), prefix: cidr.prefix, optional: subnet.optional });
      built.find((b) => b.kind === 'subnet' && b.id === subnet.id)!.vni = got.vni;
    });
    await forEachBounded(s.nodes, PLUGIN_FAN_OUT, async (node, slot) => {
      record({ kind: 'node', id: node.name });
      await acts.createNode(target, {
        name: node.name,
        ip: node.ip ?? underlayAddress(s.underlay.cidr, slot),
        mac: node.mac ?? nodeMac(s.name, slot),
        optional: node.optional,
      });
    });
  };

  const teardown = async (): Promise<ScenarioOutcome> => {
    phase = 'tearing-down';
    const deleted = await unwind();
    phase = 'deleted';
    return { name, phase, deleted, cleanupErrors: [...cleanupErrors] };
  };

  try {
    if (!isResume(arg)) {
      phase = 'building';
      await buildStage1(spec);
    }
    phase = 'ready';
    await condition(() => teardownRequested || workflowInfo().continueAsNewSuggested);
    if (!teardownRequested) {
      await condition(allHandlersFinished);
      return await continueAsNew<typeof scenarioWorkflow>({
        resume: { input: carry.input, built, generation: carry.generation + 1, cleanupErrors },
      });
    }
    return await teardown();
  } catch (err) {
    if (isCancellation(err)) {
      await teardown();
      throw err;
    }
    if (phase !== 'building') throw err;
    failure = errorText(err);
    phase = 'failed';
    log.error('scenario build failed; undoing what was created', { scenario: name, error: failure });
    await unwind();
    throw ApplicationFailure.nonRetryable(
      `scenario "${name}" failed while building and everything it created was deleted: ${failure}`,
      'ScenarioBuildFailed',
      { cleanupErrors },
    );
  }
}
