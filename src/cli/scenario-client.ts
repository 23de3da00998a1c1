import { ApplicationFailure, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { resolveTemporalOptions, connectClient, type TemporalFlagValues } from '../temporal/connection';
import type { scenarioWorkflow } from '../workflows';
import { scenarioWorkflowId } from '../model/queues';

/**
 * A Temporal client for a merak command, from its flags and the Temporal CLI's environment.
 * @throws Error naming the address when no Temporal server answers there (the cause is the SDK's error)
 */
export async function clientFor(flags: TemporalFlagValues): Promise<{ client: Client; namespace: string; address: string; close(): Promise<void> }> {
  const resolved = resolveTemporalOptions(flags, process.env);
  let connected: Awaited<ReturnType<typeof connectClient>>;
  try {
    connected = await connectClient(resolved);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(
      `no Temporal server answers at ${resolved.address} (${why}): start the local one with \`merak server start\` (merak up starts it for local scenarios), or point --address / TEMPORAL_ADDRESS at yours`,
      { cause: err },
    );
  }
  const { client, connection } = connected;
  return { client, namespace: resolved.namespace, address: resolved.address, close: () => connection.close() };
}

export function scenarioHandle(client: Client, name: string): WorkflowHandle<typeof scenarioWorkflow> {
  return client.workflow.getHandle<typeof scenarioWorkflow>(scenarioWorkflowId(name));
}

/** Link to one scenario's runs in the web UI. */
export function webUiLink(uiBase: string, namespace: string, scenario: string): string {
  return `${uiBase}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(`MerakScenario="${scenario}"`)}`;
}

/**
 * What a call on one scenario's workflow failed with, said for the user: an Update the workflow
 * refused becomes its reason (the SDK's own message is only "Workflow Update failed"); a scenario
 * with no workflow names the scenario and how to list them. Anything else is returned as it is.
 * @param name the scenario the call was for
 * @param err what the call threw
 * @returns an Error to show (the original is its `cause`), or `err` itself
 */
export function scenarioCallError(name: string, err: unknown): unknown {
  if (err instanceof WorkflowUpdateFailedError) {
    // A handler's own failure (the apply update's) says what happened; any other is the validator's refusal.
    const type = err.cause instanceof ApplicationFailure ? err.cause.type : undefined;
    if (type === 'ApplyFailed' || type === 'ApplyDropped') return new Error(`scenario ${name}: ${err.cause?.message}`, { cause: err });
    return new Error(`scenario ${name}: refused, nothing changed: ${err.cause?.message ?? err.message}`, { cause: err });
  }
  if (err instanceof WorkflowNotFoundError) {
    return new Error(`scenario ${name} not found: no workflow ${scenarioWorkflowId(name)} in this Temporal namespace; \`merak status\` lists the scenarios`, { cause: err });
  }
  return err;
}
