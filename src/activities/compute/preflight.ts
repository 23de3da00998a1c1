/**
 * The scenario's first step, before any plugin object exists: take a scenario number on this
 * machine (local/scenario-numbers.ts) and check what the scenario will ask the plugin for against
 * what other scenarios hold there (model/plugin-conflicts.ts, from the plugin's GetState).
 *
 * - A collision of something the user gave (VPC or subnet id, VNI, a node's IP or MAC, node
 *   addresses from a named underlay) refuses the scenario at once, naming the other scenario.
 * - A collision of something Merak derived from the number (default underlay address, node MAC)
 *   makes it try the next number.
 * A plugin without the optional state service cannot be checked; its own answers to the Creates
 * remain the check.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { classifyPluginError } from '../../plugin/errors';
import type { NetworkPluginClient } from '../../plugin/client';
import { runDirFromEnv } from '../../local/run-dir';
import { claimScenarioNumber, NoScenarioNumberError, releaseScenarioNumber } from '../../local/scenario-numbers';
import { identityUnderlay, namesUnderlay, numberedNodeMac, SCENARIO_NUMBERS, type ScenarioIdentity } from '../../model/identity';
import { findPluginConflicts, formatConflicts, type HeldObjects } from '../../model/plugin-conflicts';
import { scenarioWorkflowId } from '../../model/queues';
import { parseSpec, type ScenarioInput } from '../../model/spec';

/** Where the plugin is (the same shape as plugin-activities' PluginTarget, kept here to avoid an import cycle). */
export interface PreflightTarget {
  address: string;
  deadlineMs: number;
}
type PluginTarget = PreflightTarget;

/** Failure type of a scenario refused because another scenario holds what it asks for. */
export const SCENARIO_CONFLICT = 'ScenarioConflict';

export interface PreflightRequest {
  /** The scenario document, as the workflow holds it. */
  input: ScenarioInput;
  /** Node slots the workflow gave its nodes. */
  slots: Record<string, number>;
}

export interface PreflightDeps {
  pluginClient(target: PluginTarget): NetworkPluginClient;
  /** Machine-wide claim folder. @default runDirFromEnv() */
  runDir?: string;
  /**
   * Whether a scenario is still running, to take over the number of one that ended without
   * releasing it. @default asks Temporal (the activity's client) whether workflow merak-<name> is running
   */
  isScenarioLive?: (scenario: string) => Promise<boolean>;
}

/** Asks the Temporal server of the running activity; anything but a clear "not running" counts as running. */
async function liveInTemporal(scenario: string): Promise<boolean> {
  let client;
  try {
    client = Context.current().client;
  } catch {
    return true;
  }
  try {
    const d = await client.workflow.getHandle(scenarioWorkflowId(scenario)).describe();
    return d.status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    return true;
  }
}

async function heldAt(deps: PreflightDeps, target: PluginTarget): Promise<HeldObjects | undefined> {
  try {
    const state = await deps.pluginClient(target).getState();
    return state;
  } catch (err) {
    const c = classifyPluginError(err);
    if (c.code === 'UNIMPLEMENTED') return undefined;
    const text = `read the state of the network plugin at ${target.address}: ${c.message}`;
    if (!c.retryable) throw ApplicationFailure.nonRetryable(text, `Plugin${c.code}`);
    throw ApplicationFailure.retryable(text, `Plugin${c.code}`);
  }
}

export function createPreflightActivities(deps: PreflightDeps) {
  const runDir = () => deps.runDir ?? runDirFromEnv();
  const isLive = deps.isScenarioLive ?? liveInTemporal;
  return {
    /**
     * Takes a scenario number and checks the plugin; returns the identity the workflow builds
     * with. Fails (not retried) with type ScenarioConflict naming the other scenario.
     */
    async preflightScenario(target: PluginTarget, req: PreflightRequest): Promise<ScenarioIdentity> {
      const spec = parseSpec(req.input);
      const held = (await heldAt(deps, target)) ?? { vpcs: [], subnets: [], nodes: [] };
      const underlayGiven = namesUnderlay(req.input);
      const exclude = new Set<number>();
      for (let attempt = 0; attempt < SCENARIO_NUMBERS; attempt++) {
        let number: number;
        try {
          number = await claimScenarioNumber(runDir(), spec.name, { exclude, isLive: (s) => (s === spec.name ? Promise.resolve(true) : isLive(s)) });
        } catch (err) {
          if (err instanceof NoScenarioNumberError) throw ApplicationFailure.nonRetryable(err.message, SCENARIO_CONFLICT);
          throw err;
        }
        const underlayCidr = identityUnderlay(req.input, spec.underlay.cidr, number);
        const conflicts = findPluginConflicts(spec, { underlayCidr, underlayGiven, mac: (slot) => numberedNodeMac(number, slot), slots: req.slots }, held);
        const given = conflicts.filter((c) => !c.invented);
        if (given.length > 0) {
          await releaseScenarioNumber(runDir(), spec.name);
          const owners = [...new Set(given.map((c) => (c.holder === '' ? '(no owner)' : c.holder)))];
          throw ApplicationFailure.nonRetryable(
            `scenario "${spec.name}" collides with ${owners.length === 1 ? `scenario ${owners[0]}` : `scenarios ${owners.join(', ')}`} at the network plugin ${target.address}; nothing was built: ${formatConflicts(given)}`,
            SCENARIO_CONFLICT,
            given,
          );
        }
        if (conflicts.length === 0) return { number, underlayCidr };
        exclude.add(number);
      }
      await releaseScenarioNumber(runDir(), spec.name);
      throw ApplicationFailure.nonRetryable(`scenario "${spec.name}": every scenario number's underlay or node MACs are taken at the network plugin ${target.address}`, SCENARIO_CONFLICT);
    },

    /** Frees the scenario's number on this machine (its teardown is over). Idempotent. */
    async releaseScenarioNumber(scenario: string): Promise<void> {
      await releaseScenarioNumber(runDir(), scenario);
    },
  };
}

export type PreflightActivities = ReturnType<typeof createPreflightActivities>;
