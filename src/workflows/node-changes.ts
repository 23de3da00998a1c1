/**
 * The scenario workflow's `nodes` update (src/model/node-changes.ts): a message that names only
 * the nodes that changed becomes the next spec to apply, and from there it is an `apply` like any
 * other (checked whole, reconciled by diff). Kept in its own file so the scenario workflow only
 * registers it.
 *
 * The update is answered as soon as its spec is queued, not when it is built: a ramp sends many
 * of them, and the server keeps only a few updates in flight per workflow (10 by default), so
 * handlers that waited for the build would have later messages refused. The validator has
 * already checked the spec whole, as the main loop will; a failure while building lands in
 * `cleanupErrors`, as for an `apply` signal.
 *
 * Registering a handler adds no command: runs recorded before it replay unchanged.
 */
import { setHandler } from '@temporalio/workflow';
import { applyNodeChanges, nameNodeInPath, type NodeChanges, type NodeChangesResult } from '../model/node-changes';
import type { ScenarioState } from '../model/scenario-state';
import { formatIssue, SpecError, type ScenarioInput } from '../model/spec';
import { nodesUpdate } from './messages';

/**
 * The spec a nodes message makes from the one the scenario is asked to run (a pending apply
 * included), checked as the main loop will check it.
 * @throws NodeChangesError for a malformed message, Error naming the node for a spec or a change
 *   the scenario refuses (nothing changes: a rejected update is not stored in the history)
 */
function checkedInput(state: ScenarioState, changes: NodeChanges): ScenarioInput {
  if (state.teardownRequested) throw new Error(`scenario "${state.name}" is being torn down`);
  const input = applyNodeChanges(state.latestInput(), changes);
  try {
    state.checkApply(input);
  } catch (err) {
    if (err instanceof SpecError) {
      throw new Error(`the nodes message makes an invalid scenario: ${err.issues.map((i) => formatIssue({ ...i, path: nameNodeInPath(i.path, input.nodes) })).join('; ')}`);
    }
    throw err;
  }
  return input;
}

/** Sets the `nodes` update handler of a scenario workflow run. */
export function registerNodeChanges(state: ScenarioState): void {
  setHandler(
    nodesUpdate,
    (changes): NodeChangesResult => {
      const input = applyNodeChanges(state.latestInput(), changes);
      const seq = state.requestApply(input);
      return { apply: seq, nodes: typeof input.nodes === 'number' ? input.nodes : input.nodes.length };
    },
    { validator: (changes) => void checkedInput(state, changes) },
  );
}
