import { canonicalJson } from '../model/diff';
import { diffNodes, splitNodeChanges, type NodeChanges } from '../model/node-changes';
import type { ScenarioInput, ScenarioSpec } from '../model/spec';

// What the controller asks of a scenario workflow when the pods change. Pure: it compares what
// this controller last made the workflow hold with what the pods say now. Pod changes go as
// `nodes` messages naming only the nodes that changed (src/model/node-changes.ts), so what a
// change stores in the workflow's history does not grow with the number of pods.

export type ScenarioAction =
  /** No workflow known: start `merak-<scenario>` (already running counts as success, then apply). */
  | { kind: 'start'; input: ScenarioInput }
  /** The network (the ConfigMap's part) changed: hand over the whole spec; the workflow reconciles by diff. */
  | { kind: 'apply'; input: ScenarioInput }
  /** Nodes added, removed, changed or scaled: one bounded message (a burst is several). */
  | { kind: 'nodes'; changes: NodeChanges }
  /** No node left. */
  | { kind: 'teardown' };

// Kept importable from here, where it was first defined.
export { canonicalJson };

function withoutNodes(spec: ScenarioSpec): unknown {
  return { ...spec, nodes: [] };
}

/**
 * @param sent the spec this controller last made the workflow hold; undefined when it knows
 *   none (never started, torn down, or the controller just started).
 * @param desired what the pods and ConfigMap say now; undefined when the scenario has no node.
 * @param limits entries and bytes per nodes message (default MAX_NODE_CHANGES, MAX_NODE_CHANGES_BYTES)
 */
export function planScenario(
  sent: ScenarioSpec | undefined,
  desired: { input: ScenarioInput; spec: ScenarioSpec } | undefined,
  limits: { maxEntries?: number; maxBytes?: number } = {},
): ScenarioAction[] {
  if (!desired) return sent ? [{ kind: 'teardown' }] : [];
  if (!sent) return [{ kind: 'start', input: desired.input }];
  if (canonicalJson(withoutNodes(sent)) !== canonicalJson(withoutNodes(desired.spec))) return [{ kind: 'apply', input: desired.input }];
  // Added nodes go as the pods' entries (only what their annotations set), not with the defaults the spec fills in.
  const entries = new Map(typeof desired.input.nodes === 'number' ? [] : desired.input.nodes.flatMap((n) => (typeof n === 'string' ? [] : [[n.name, n] as const])));
  return splitNodeChanges(diffNodes(sent.nodes, desired.spec.nodes, (n) => entries.get(n.name) ?? n), limits.maxEntries, limits.maxBytes).map((changes) => ({ kind: 'nodes' as const, changes }));
}
