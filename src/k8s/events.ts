import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { toCoreEvent, type EventRecord } from './event-body';

export type { EventRecord, EventRecorder, EventSubject } from './event-body';

/** Writes Events through the API server. */
export function createKubeEventRecorder(kubeConfig: KubeConfig, host: string | undefined = process.env.POD_NAME): { record(event: EventRecord): Promise<void> } {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  return {
    async record(event) {
      await core.createNamespacedEvent({ namespace: event.subject.namespace, body: toCoreEvent(event, new Date(), host) });
    },
  };
}
