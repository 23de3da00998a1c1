import type { Client, WorkflowHandle } from '@temporalio/client';
import { resolveTemporalOptions, connectClient, type TemporalFlagValues } from '../temporal/connection';
import type { scenarioWorkflow } from '../workflows';
import { scenarioWorkflowId } from '../model/queues';

/** A Temporal client for a merak command, from its flags and the Temporal CLI's environment. */
export async function clientFor(flags: TemporalFlagValues): Promise<{ client: Client; namespace: string; address: string; close(): Promise<void> }> {
  const resolved = resolveTemporalOptions(flags, process.env);
  const { client, connection } = await connectClient(resolved);
  return { client, namespace: resolved.namespace, address: resolved.address, close: () => connection.close() };
}

export function scenarioHandle(client: Client, name: string): WorkflowHandle<typeof scenarioWorkflow> {
  return client.workflow.getHandle<typeof scenarioWorkflow>(scenarioWorkflowId(name));
}

/** Link to one scenario's runs in the web UI. */
export function webUiLink(uiBase: string, namespace: string, scenario: string): string {
  return `${uiBase}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(`MerakScenario="${scenario}"`)}`;
}
