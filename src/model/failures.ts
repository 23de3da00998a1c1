/**
 * Merak's failure policy, as data: which activity failures a retry cannot fix. The activities
 * map what they throw to these types where they return (src/activities/failure.ts), and the
 * workflows list them in `retry.nonRetryableErrorTypes` of every activity proxy, so that an error
 * that escaped the mapping is not retried either. Pure (the workflows import it).
 *
 * The rule: bad input, unmet preconditions and plugin refusals are final (the same call would
 * fail the same way, so it fails at once with the reason); kernel commands, the state directory
 * and a plugin's outage or timeout are retried within the activity's retry window.
 */

/**
 * gRPC statuses of a network plugin's answer that a retry will not change; the compute
 * activities fail with type `Plugin<STATUS>`. Must agree with RETRYABLE_BY_STATUS in
 * src/plugin/errors.ts (a unit test checks it), where each status is justified.
 */
export const FINAL_PLUGIN_STATUSES = [
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'FAILED_PRECONDITION',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

/** Prefix of the failure type of a network plugin call: `Plugin` + the gRPC status name, e.g. `PluginINVALID_ARGUMENT`. */
export const PLUGIN_FAILURE_TYPE_PREFIX = 'Plugin';

/** Failure type of a network plugin call answered with gRPC status `status` (its name, e.g. "UNAVAILABLE"). */
export function pluginFailureType(status: string): string {
  return `${PLUGIN_FAILURE_TYPE_PREFIX}${status}`;
}

/**
 * Failure types (`ApplicationFailure.type`, which is the error's class name) that are never
 * retried. Put in every activity proxy's `retry.nonRetryableErrorTypes` (spread: the option
 * takes a mutable array).
 *
 * - `InvalidInputError`: a payload broke a rule (field, value, rule in the message).
 * - `PreconditionError` and its kinds `NodeNotReadyError`, `PluginNotFoundError`,
 *   `ScenarioNotBuiltError`: the request is well formed but what it needs is not there.
 * - `EndpointPluginError`: an endpoint plugin refused or failed a command.
 * - `HelperProtocolError`: a Python helper of another Merak version than the agent.
 * - `Plugin<STATUS>` for each of FINAL_PLUGIN_STATUSES: a network plugin refused the call.
 */
export const NON_RETRYABLE_FAILURE_TYPES: readonly string[] = Object.freeze([
  'InvalidInputError',
  'PreconditionError',
  'NodeNotReadyError',
  'PluginNotFoundError',
  'ScenarioNotBuiltError',
  'EndpointPluginError',
  'HelperProtocolError',
  ...FINAL_PLUGIN_STATUSES.map(pluginFailureType),
]);
