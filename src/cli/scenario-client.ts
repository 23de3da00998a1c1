import type { Client, WorkflowHandle } from '@temporalio/client';
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
