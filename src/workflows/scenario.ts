/**
 * scenarioWorkflow: one long-lived reconciler per emulated cloud (workflow id `merak-<name>`), an
 * entity workflow in the shape of Temporal's `message-passing/safe-message-handlers` sample: this
 * file wires the messages to the state and runs the main loop; the state and its arithmetic are
 * in src/model/scenario-state.ts (pure, unit-tested), stage 1 (plugin objects and their
 * compensation) in plugin-stage.ts, stage 2 (node workflows, peers, tests) in vm-stage.ts, and
 * the activity proxies in scenario-activities.ts.
 *
 * Build: stage 1 creates the network plugin's objects (VPCs, then subnets, then nodes); stage 2
 * starts one child nodeWorkflow per node to make its VMs and endpoints; then the connectivity
 * tests run. Any failure while building deletes the nodes' VMs, then unwinds the plugin objects
 * in reverse, and fails the workflow with the cause.
 *
 * Then it waits for messages: `scale` (signal, or update with a validator), `apply` (a whole new
 * spec, reconciled by diff), `test`, and `teardown`/cancellation, which delete everything in
 * reverse and end the workflow. It continues as new when Temporal suggests it, after running
 * handlers finish, carrying counts and ranges only (ScenarioCarryOver).
 */
import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { MERAK_SCENARIO } from '../temporal/search-attributes';
import { AddressSpaceError } from '../model/plan';
import { scenarioWorkflowId } from '../model/queues';
import { ScenarioState, type ScenarioCarryOver } from '../model/scenario-state';
import { parseSpec, SpecError, type ScenarioInput, type ScenarioSpec } from '../model/spec';
import type { ScenarioPhase, TestRequest } from '../model/status';
import { applySignal, resultsQuery, scaleSignal, scaleUpdate, statusQuery, teardownSignal, testSignal } from './messages';
import { PluginStage } from './plugin-stage';
import { VmStage } from './vm-stage';

// Kept importable from here, where they were first defined.
export { endpointPluginOf, scaleProblem, type ScenarioCarryOver } from '../model/scenario-state';

export type ScenarioWorkflowArg = ScenarioInput | { resume: ScenarioCarryOver };

export interface ScenarioOutcome {
  name: string;
  phase: ScenarioPhase;
  /** Plugin objects deleted by the teardown. */
  deleted: number;
  cleanupErrors: string[];
}

function isResume(arg: ScenarioWorkflowArg): arg is { resume: ScenarioCarryOver } {
  return typeof arg === 'object' && arg !== null && 'resume' in arg;
}

function validate(input: unknown): ScenarioSpec {
  try {
    return parseSpec(input);
  } catch (err) {
    if (err instanceof SpecError) throw ApplicationFailure.nonRetryable(err.message, 'InvalidSpec', err.issues);
    throw err;
  }
}

export async function scenarioWorkflow(arg: ScenarioWorkflowArg): Promise<ScenarioOutcome> {
  const carry = isResume(arg) ? arg.resume : ScenarioState.initial(arg);
  const state = new ScenarioState(carry, validate(carry.input));
  const name = state.name;
  const plugin = new PluginStage(state);
  const nodes = new VmStage(state);

  // ------------------------------------------------------------------ messages

  setHandler(statusQuery, () => state.status());
  setHandler(resultsQuery, () => state.results);
  setHandler(teardownSignal, () => {
    state.teardownRequested = true;
  });
  setHandler(scaleSignal, (req) => {
    const problem = state.scaleBySignal(req);
    if (problem) log.warn('scale signal refused', { scenario: name, problem });
  });
  setHandler(
    scaleUpdate,
    async (req) => {
      const result = state.applyScale(req);
      // The caller learns the outcome once the VMs exist (or are gone).
      await condition(() => state.scaleFinished(result));
      return result;
    },
    { validator: (req) => state.checkScale(req) },
  );
  setHandler(applySignal, (input) => {
    state.pendingApply = input;
  });
  setHandler(testSignal, (req?: TestRequest) => state.requestTests(req));

  const expectedId = scenarioWorkflowId(name);
  if (workflowInfo().workflowId !== expectedId) {
    throw ApplicationFailure.nonRetryable(
      `workflow id "${workflowInfo().workflowId}" does not match scenario "${name}": start it with id "${expectedId}" so a scenario can never be built twice`,
      'WrongWorkflowId',
    );
  }
  upsertSearchAttributes({ [MERAK_SCENARIO.name]: [name] });

  // ------------------------------------------------------------------ apply

  const applySpec = async (input: ScenarioInput): Promise<void> => {
    const planned = state.planApply(input);
    if (!planned) return;
    const { next, diff: d } = planned;
    state.phase = 'applying';
    if (d.layoutChanged) await nodes.removeDataplane(state.nodesWithVms().map((n) => n.name));
    const removedNodes = d.nodes.delete.map((n) => n.name);
    await nodes.removeDataplane(removedNodes.filter((n) => state.vms[n] !== undefined));
    await plugin.unwind((b) => b.kind === 'node' && removedNodes.includes(b.id));
    state.forgetNodes(removedNodes);
    await plugin.unwind((b) => b.kind === 'subnet' && d.subnets.delete.some((s) => s.id === b.id));
    await plugin.unwind((b) => b.kind === 'vpc' && d.vpcs.delete.some((v) => v.id === b.id));
    state.adopt(next, input);
    await plugin.updateVpcs(d.vpcs.update);
    await plugin.createVpcs(d.vpcs.create);
    await plugin.updateSubnets(d.subnets.update);
    await plugin.createSubnets(d.subnets.create.map((s) => ({ vpc: s.vpc, subnet: s })));
    await plugin.updateNodes(d.nodes.update);
    await plugin.createNodes(d.nodes.create);
    if (d.nodes.create.length > 0 || d.nodes.delete.length > 0) await nodes.syncPeers();
    if (d.layoutChanged) state.resetAddressBook();
    // The new spec is the desired state: its counts replace earlier scale requests.
    state.placeDesired();
    await nodes.reconcileAll();
  };

  // ------------------------------------------------------------------ life cycle

  const teardown = async (): Promise<ScenarioOutcome> => {
    state.phase = 'tearing-down';
    let deleted = 0;
    await CancellationScope.nonCancellable(async () => {
      await nodes.removeDataplane();
      deleted = await plugin.unwind();
    });
    state.phase = 'deleted';
    return { name, phase: state.phase, deleted, cleanupErrors: [...state.cleanupErrors] };
  };

  try {
    if (!isResume(arg)) {
      // Everything that can be refused is checked before the first plugin call.
      try {
        state.planBuild();
      } catch (err) {
        if (err instanceof AddressSpaceError) throw ApplicationFailure.nonRetryable(err.message, 'InvalidSpec');
        throw err;
      }
      const spec = state.spec;
      await plugin.createVpcs(spec.vpcs);
      await plugin.createSubnets(spec.vpcs.flatMap((vpc) => vpc.subnets.map((subnet) => ({ vpc: vpc.id, subnet }))));
      await plugin.createNodes(spec.nodes);
      await nodes.reconcileAll();
      if (spec.tests.kinds.length > 0) state.testsPending = spec.tests.kinds;
    }
    for (;;) {
      const kinds = state.takeTests();
      if (kinds) await nodes.runTests(kinds);
      state.phase = 'ready';
      await condition(() => state.hasWork() || workflowInfo().continueAsNewSuggested);
      if (state.teardownRequested) return await teardown();
      const input = state.takeApply();
      if (input !== undefined) {
        await applySpec(input);
        continue;
      }
      if (state.needsReconcile()) {
        state.phase = 'scaling';
        await nodes.reconcileAll();
        continue;
      }
      if (state.testsPending) continue;
      await condition(allHandlersFinished);
      return await continueAsNew<typeof scenarioWorkflow>({ resume: state.carryOver() });
    }
  } catch (err) {
    if (isCancellation(err)) {
      await teardown();
      throw err;
    }
    if (state.phase !== 'building') throw err;
    const failure = state.fail(err instanceof ChildWorkflowFailure && err.cause ? err.cause : err);
    log.error('scenario build failed; undoing what was created', { scenario: name, error: failure });
    await CancellationScope.nonCancellable(async () => {
      await nodes.removeDataplane();
      await plugin.unwind();
    });
    throw ApplicationFailure.nonRetryable(`scenario "${name}" failed while building and everything it created was deleted: ${failure}`, 'ScenarioBuildFailed', { cleanupErrors: state.cleanupErrors });
  }
}
