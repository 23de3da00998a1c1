import { canonicalJson } from '../model/diff';
import type { ScenarioInput, ScenarioSpec } from '../model/spec';

// What the controller asks of a scenario workflow when the pods change. Pure: it compares what
// this controller last made the workflow hold with what the pods say now.

export type ScenarioAction =
  /** No workflow known: start `merak-<scenario>` (already running counts as success, then apply). */
  | { kind: 'start'; input: ScenarioInput }
  /** Anything beyond VM counts changed: hand over the whole spec; the workflow reconciles by diff. */
  | { kind: 'apply'; input: ScenarioInput }
  /** Only this node's VM count changed. */
  | { kind: 'scale'; node: string; vmsPerNode: number }
  /** No node left. */
  | { kind: 'teardown' };

// Kept importable from here, where it was first defined.
export { canonicalJson };

function withoutVms(spec: ScenarioSpec): unknown {
  return { ...spec, nodes: spec.nodes.map((n) => ({ ...n, vms: 0 })) };
}

/**
 * @param sent the spec this controller last made the workflow hold; undefined when it knows
 *   none (never started, torn down, or the controller just started).
 * @param desired what the pods and ConfigMap say now; undefined when the scenario has no node.
 */
export function planScenario(sent: ScenarioSpec | undefined, desired: { input: ScenarioInput; spec: ScenarioSpec } | undefined): ScenarioAction[] {
  if (!desired) return sent ? [{ kind: 'teardown' }] : [];
  if (!sent) return [{ kind: 'start', input: desired.input }];
  if (canonicalJson(sent) === canonicalJson(desired.spec)) return [];
  if (canonicalJson(withoutVms(sent)) === canonicalJson(withoutVms(desired.spec))) {
    // Same nodes in the same order with the same everything else: only VM counts moved.
    return desired.spec.nodes
      .filter((node, i) => sent.nodes[i]?.vms !== node.vms)
      .map((node) => ({ kind: 'scale' as const, node: node.name, vmsPerNode: node.vms }));
  }
  return [{ kind: 'apply', input: desired.input }];
}
