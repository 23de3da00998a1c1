/**
 * The activities' failure policy, applied once where each activity returns: what an activity
 * threw becomes what Temporal records, retryable or not, by the rule of src/model/failures.ts.
 * The code below the boundary throws typed errors and never decides about retries itself.
 *
 * | thrown                                      | Temporal failure type       | retried |
 * |---------------------------------------------|-----------------------------|---------|
 * | InvalidInputError                           | InvalidInputError           | no      |
 * | PreconditionError (and its kinds)           | its class name              | no      |
 * | EndpointPluginError                         | EndpointPluginError         | no      |
 * | HelperProtocolError (helper of another version) | HelperProtocolError     | no      |
 * | network plugin error (PluginCallError, SDK PluginError) | `Plugin<STATUS>`  | as RETRYABLE_BY_STATUS says |
 * | a Temporal failure (ApplicationFailure, CancelledFailure) | unchanged     | as it says |
 * | anything else (CommandFailedError, NsConfigError, StateDirError, …) | its class name | yes |
 *
 * Cancellation passes through untouched, so the worker still reports a cancelled activity as
 * cancelled, not failed.
 */
import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import { InvalidInputError, PreconditionError } from '../dataplane/errors';
import { EndpointPluginError } from '../endpoint-plugins/types';
import { HelperProtocolError } from '../install/helpers';
import { pluginFailureType } from '../model/failures';
import { classifyPluginError, PluginCallError, PluginError } from '../plugin/errors';

// Every type made final here is also in NON_RETRYABLE_FAILURE_TYPES (test/unit/activity-failure.test.ts
// checks each kind), so the same error thrown past this mapping is not retried either.
function final(e: Error, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ message: e.message, type: e.name, nonRetryable: true, details: details === undefined ? undefined : [details], cause: e });
}

/**
 * A network plugin call's error as an activity failure: type `Plugin<STATUS>`, retryable as
 * classifyPluginError says, message prefixed with what was asked (e.g. "create VPC vpc-1").
 */
export function pluginCallFailure(what: string, err: unknown): ApplicationFailure {
  const c = classifyPluginError(err);
  const message = `${what}: ${c.message}`;
  const type = pluginFailureType(c.code);
  return c.retryable ? ApplicationFailure.retryable(message, type) : ApplicationFailure.nonRetryable(message, type);
}

/**
 * Maps what an activity threw to what it should fail with (see the table above). Idempotent:
 * a failure it made passes through unchanged, so nested activities (createBatch calling
 * createVms) are mapped once.
 */
export function toActivityFailure(e: unknown): unknown {
  if (e instanceof TemporalFailure) return e;
  if (e instanceof InvalidInputError) return final(e, { field: e.field, rule: e.rule });
  if (e instanceof PreconditionError) return final(e);
  if (e instanceof EndpointPluginError) return final(e, { plugin: e.plugin, command: e.command, code: e.code });
  // The agent and its Python helper come from different packages: a retry on this machine finds the same files.
  if (e instanceof HelperProtocolError) return final(e, { helper: e.helper, wanted: e.wanted, announced: e.announced });
  if (e instanceof PluginCallError || e instanceof PluginError) {
    const c = classifyPluginError(e);
    return ApplicationFailure.create({ message: c.message, type: pluginFailureType(c.code), nonRetryable: !c.retryable, cause: e });
  }
  return e;
}

/** Any activity function: Temporal passes the arguments it was scheduled with. */
type ActivityFn = (...args: never[]) => Promise<unknown>;

/**
 * The same activities, each failing by the policy: wraps every function of `activities` so
 * that what it throws goes through toActivityFailure. Keys and types are unchanged (workers
 * register activities by key; the workflows' proxies keep their types).
 */
export function withFailurePolicy<A extends Record<string, ActivityFn>>(activities: A): A {
  const out: Record<string, ActivityFn> = {};
  for (const [name, fn] of Object.entries(activities)) {
    out[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (e) {
        throw toActivityFailure(e);
      }
    };
  }
  return out as A;
}
