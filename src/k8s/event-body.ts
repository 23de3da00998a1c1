import type { CoreV1Event } from '@kubernetes/client-node';

// Kubernetes Events are how the controller tells the person who wrote an annotation what is
// wrong with it: `kubectl describe pod` shows them next to the pod. core/v1 Events are used
// (not events.k8s.io/v1) because `kubectl describe` of every supported version reads them and
// the RBAC rule is one line (create on "events" in the core group). Pure: the body only.

/** The object an Event is about. */
export interface EventSubject {
  kind: 'Pod' | 'ConfigMap';
  namespace: string;
  name: string;
  uid?: string;
}

export interface EventRecord {
  subject: EventSubject;
  type: 'Normal' | 'Warning';
  /** UpperCamelCase reason, e.g. InvalidAnnotation. */
  reason: string;
  message: string;
}

export interface EventRecorder {
  record(event: EventRecord): Promise<void>;
}

/** Component name shown as the Event's source. */
export const EVENT_SOURCE = 'merak-controller';

/** Largest message the API server stores; longer ones are cut so the Event is not refused. */
const MAX_MESSAGE = 1024;

/** Builds the core/v1 Event object (pure; exported for tests). */
export function toCoreEvent(event: EventRecord, now: Date, host: string | undefined): CoreV1Event {
  const message = event.message.length > MAX_MESSAGE ? `${event.message.slice(0, MAX_MESSAGE - 3)}...` : event.message;
  const body: CoreV1Event = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { generateName: `${event.subject.name}.`, namespace: event.subject.namespace },
    involvedObject: { apiVersion: 'v1', kind: event.subject.kind, namespace: event.subject.namespace, name: event.subject.name },
    type: event.type,
    reason: event.reason,
    message,
    source: host ? { component: EVENT_SOURCE, host } : { component: EVENT_SOURCE },
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
    reportingComponent: EVENT_SOURCE,
    reportingInstance: host ?? EVENT_SOURCE,
  };
  if (event.subject.uid) body.involvedObject.uid = event.subject.uid;
  return body;
}
