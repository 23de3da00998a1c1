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
 * reverse (VMs, then networks, then nodes) and end the workflow. It continues as new when Temporal suggests it, after running
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
  patched,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { MERAK_SCENARIO } from '../temporal/search-attributes';
import { errorText } from '../model/error-text';
import { AddressSpaceError } from '../model/plan';
import { scenarioWorkflowId } from '../model/queues';
import { ScenarioState, endpointPluginOf, type ApplyOutcome, type ApplyPlan, type ApplyRequest, type ScenarioCarryOver } from '../model/scenario-state';
import { parseSpec, SpecError, type ScenarioInput, type ScenarioSpec } from '../model/spec';
import type { ApplyResult, ScenarioPhase, TestRequest } from '../model/status';
import { applySignal, applyUpdate, reportQuery, resultsPageQuery, resultsQuery, scaleSignal, scaleUpdate, specQuery, statusQuery, teardownSignal, testSignal } from './messages';
import { registerNodeChanges } from './node-changes';
import { PluginStage } from './plugin-stage';
import { VmStage } from './vm-stage';

// Kept importable from here, where they were first defined.
export { endpointPluginOf, scaleProblem, type ScenarioCarryOver } from '../model/scenario-state';

/**
 * Patch marker: from here on every `apply` (signal or update) is checked whole before anything
 * changes (SpecDiff.unsafe included, and the address plan), a failure half-way is reported to its
 * caller and in cleanupErrors instead of failing the scenario, node updates resend the peer lists,
 * and the spec's tests rerun after an apply that changed something. Runs recorded before it
 * replay the old way.
 */
export const APPLY_UPDATE_PATCH = 'merak-apply-update';

export type ScenarioWorkflowArg = ScenarioInput | { resume: ScenarioCarryOver };

/**
 * Patch marker: teardown deletes the VMs first, then the network plugin's subnets and VPCs while
 * the nodes are still up, then the nodes (their dataplane, then their plugin objects): the order
 * a cloud is taken apart in. A provider may still need a node to delete a network: Alcor pushes a
 * subnet's deletion to every host that ever held one of its ports and fails the delete when one
 * of them does not answer (docs/providers/alcor.md). Not for the `none` dataplane, whose nodes
 * hold nothing (and which has thousands of them: one node workflow each instead of two).
 */
const NETWORKS_BEFORE_NODES_PATCH = 'merak-teardown-networks-before-nodes';

/**
 * Patch marker: an `apply` that adds or removes nodes of a `none` scenario pushes no peer lists
 * (one activity per node, each with every node's address, for a dataplane that uses none). Runs
 * recorded before it replay with them.
 */
const NO_PEERS_WITHOUT_OVERLAY_PATCH = 'merak-none-no-peer-sync';

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
  setHandler(resultsPageQuery, (req) => state.resultsPage(req?.offset ?? 0, req?.limit ?? 0));
  setHandler(reportQuery, () => ({
    ...state.measured.snapshot(),
    ...(state.spec.sla ? { sla: state.spec.sla } : {}),
    ...(state.spec.tests.reachability ? { reachability: state.spec.tests.reachability } : {}),
    endpointPlugin: endpointPluginOf(state.spec),
    pluginAddress: state.spec.plugin.address,
    endpoints: state.spec.nodes.reduce((s, n) => s + (state.desired[n.name] ?? n.vms) * n.endpointsPerVm, 0),
  }));
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
    state.requestApply(input);
  });
  setHandler(
    applyUpdate,
    async (input): Promise<ApplyResult> => {
      const seq = state.requestApply(input);
      let answer: ApplyOutcome | undefined;
      // Answered once the scenario is at rest again: the new state is ready and tested.
      await condition(() => (answer = state.applyAnswer(seq)) !== undefined || state.teardownRequested);
      if (!answer) throw ApplicationFailure.nonRetryable(`scenario "${name}" is being torn down: the apply was dropped`, 'ApplyDropped');
      if (answer.error !== undefined) throw ApplicationFailure.nonRetryable(answer.error, 'ApplyFailed');
      return answer.result!;
    },
    {
      validator: (input) => {
        if (state.teardownRequested) throw new Error(`scenario "${name}" is being torn down`);
        state.checkApply(input);
      },
    },
  );
  registerNodeChanges(state);
  setHandler(specQuery, () => state.latestInput());
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

  /** Reconciles to an accepted plan. @returns whether anything changed (objects or VMs) */
  const applyPlan = async (input: ScenarioInput, { next, diff: d }: ApplyPlan, checked: boolean): Promise<boolean> => {
    state.phase = 'applying';
    if (d.layoutChanged) await nodes.removeDataplane(state.nodesWithVms().map((n) => n.name));
    const removedNodes = d.nodes.delete.map((n) => n.name);
    await nodes.removeDataplane(removedNodes.filter((n) => state.vms[n] !== undefined));
    const removedSet = new Set(removedNodes);
    await plugin.unwind((b) => b.kind === 'node' && removedSet.has(b.id));
    state.forgetNodes(removedNodes);
    await plugin.unwind((b) => b.kind === 'subnet' && d.subnets.delete.some((s) => s.id === b.id));
    await plugin.unwind((b) => b.kind === 'vpc' && d.vpcs.delete.some((v) => v.id === b.id));
    state.adopt(next, input);
    await plugin.updateVpcs(d.vpcs.update);
    await plugin.createVpcs(d.vpcs.create);
    await plugin.updateSubnets(d.subnets.update);
    await plugin.createSubnets(d.subnets.create.map((s) => ({ vpc: s.vpc, subnet: s })));
    await plugin.updateNodes(d.nodes.update);
    await nodes.ensureNodes(d.nodes.create);
    await plugin.createNodes(d.nodes.create);
    // An updated node may have a new underlay address: its peers must learn it.
    if (d.nodes.create.length > 0 || d.nodes.delete.length > 0 || (checked && d.nodes.update.length > 0)) {
      // The none dataplane has no overlay: a peer list to every node on every node change would
      // store O(nodes²) bytes per change in the history.
      if (!(endpointPluginOf(state.spec) === 'none' && patched(NO_PEERS_WITHOUT_OVERLAY_PATCH))) await nodes.syncPeers();
    }
    if (d.layoutChanged) state.resetAddressBook();
    // The new spec is the desired state: its counts replace earlier scale requests.
    state.placeDesired();
    await nodes.reconcileAll();
    const objects = [d.vpcs, d.subnets, d.nodes].some((o) => o.create.length + o.update.length + o.delete.length > 0);
    return objects || d.layoutChanged || state.progress.total > 0;
  };

  /** The apply of scenario runs from before APPLY_UPDATE_PATCH: a refusal only lands in cleanupErrors, a failure fails the scenario. */
  const applyUnchecked = async (input: ScenarioInput): Promise<void> => {
    const planned = state.planApply(input);
    if (planned) await applyPlan(input, planned, false);
  };

  /** An apply since APPLY_UPDATE_PATCH: checked whole first; its outcome answers the update that sent it. */
  const applyChecked = async ({ input, seq }: ApplyRequest): Promise<void> => {
    let planned: ApplyPlan;
    try {
      planned = state.checkApply(input);
    } catch (err) {
      const reason = errorText(err);
      state.cleanupErrors.push(`apply refused: ${reason}`);
      state.finishApply(seq, { error: `apply refused, nothing changed: ${reason}` });
      return;
    }
    try {
      const changed = await applyPlan(input, planned, true);
      state.finishApply(seq, { result: state.applyResult(planned.diff) });
      // The results must describe the new state.
      if (changed && state.spec.tests.kinds.length > 0) state.requestTests();
    } catch (err) {
      if (isCancellation(err)) throw err;
      // The scenario keeps what was done (all of it recorded, so `down` removes it) and waits.
      const reason = errorText(err instanceof ChildWorkflowFailure && err.cause ? err.cause : err);
      log.error('apply failed half-way', { scenario: name, error: reason });
      state.cleanupErrors.push(`apply failed: ${reason}`);
      state.keepCurrentCounts();
      state.finishApply(seq, { error: `apply failed half-way (the scenario keeps what was done; apply again or tear it down): ${reason}` });
    }
  };

  // ------------------------------------------------------------------ life cycle

  const teardown = async (): Promise<ScenarioOutcome> => {
    state.phase = 'tearing-down';
    state.startTeardown();
    let deleted = 0;
    await CancellationScope.nonCancellable(async () => {
      if (endpointPluginOf(state.spec) !== 'none' && patched(NETWORKS_BEFORE_NODES_PATCH)) {
        // The order a cloud is taken apart in: VMs, then networks while the nodes still answer.
        await nodes.emptyNodes();
        deleted += await plugin.unwind((b) => b.kind !== 'node');
      }
      await nodes.removeDataplane();
      deleted += await plugin.unwind();
      await plugin.releaseNumber();
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
      await plugin.prepare();
      await plugin.createVpcs(spec.vpcs);
      await plugin.createSubnets(spec.vpcs.flatMap((vpc) => vpc.subnets.map((subnet) => ({ vpc: vpc.id, subnet }))));
      // A provider with a node side confirms in CreateNode what ensureNode started.
      await nodes.ensureNodes(spec.nodes);
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
      const req = state.takeApply();
      if (req !== undefined) {
        if (patched(APPLY_UPDATE_PATCH)) await applyChecked(req);
        else await applyUnchecked(req.input);
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
      await plugin.releaseNumber();
    });
    throw ApplicationFailure.nonRetryable(`scenario "${name}" failed while building and everything it created was deleted: ${failure}`, 'ScenarioBuildFailed', { cleanupErrors: state.cleanupErrors });
  }
}
