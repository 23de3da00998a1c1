/**
 * The scenario workflow's `nodes` update (src/model/node-changes.ts): a message that names only
 * the nodes that changed becomes the next spec to apply, and from there it is an `apply` like any
 * other (checked whole, reconciled by diff, answered once the scenario is ready again). Kept in
 * its own file so the scenario workflow only registers it.
 *
 * Registering a handler adds no command: runs recorded before it replay unchanged.
 */
import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import { applyNodeChanges, nameNodeInPath, type NodeChanges } from '../model/node-changes';
import type { ApplyOutcome, ScenarioState } from '../model/scenario-state';
import { formatIssue, SpecError, type ScenarioInput } from '../model/spec';
import type { ApplyResult } from '../model/status';
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
    async (changes): Promise<ApplyResult> => {
      const seq = state.requestApply(applyNodeChanges(state.latestInput(), changes));
      let answer: ApplyOutcome | undefined;
      await condition(() => (answer = state.applyAnswer(seq)) !== undefined || state.teardownRequested);
      if (!answer) throw ApplicationFailure.nonRetryable(`scenario "${state.name}" is being torn down: the node changes were dropped`, 'ApplyDropped');
      if (answer.error !== undefined) throw ApplicationFailure.nonRetryable(answer.error, 'ApplyFailed');
      return answer.result!;
    },
    { validator: (changes) => void checkedInput(state, changes) },
  );
}
