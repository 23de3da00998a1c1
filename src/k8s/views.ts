import type { V1ConfigMap, V1Pod } from '@kubernetes/client-node';
import { ControllerOptionError } from './errors';
import type { ConfigMapView, PodView } from './mapping';

// Pure pieces of the controller: option checks and the views of API objects the mapping reads.

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Checks the namespace list and label selector before anything connects. */
export function checkControllerOptions(namespaces: readonly string[], labelSelector: string | undefined): void {
  if (namespaces.length === 0) throw new ControllerOptionError('--watch-namespace', namespaces, 'name at least one namespace to watch');
  for (const ns of namespaces) {
    if (!DNS_LABEL.test(ns)) throw new ControllerOptionError('--watch-namespace', ns, 'must be a namespace name: lowercase letters, digits and inner "-", at most 63 characters');
  }
  if (new Set(namespaces).size !== namespaces.length) throw new ControllerOptionError('--watch-namespace', namespaces, 'lists a namespace twice');
  // The API server parses selectors; refuse only what it would also refuse and what would reach the URL oddly.
  if (labelSelector !== undefined && (labelSelector.trim() === '' || /[\n\r]/.test(labelSelector))) {
    throw new ControllerOptionError('--selector', labelSelector, 'must be a non-empty label selector such as app=merak-agent');
  }
}

/** Longest watch the controller asks for, in seconds (the API server's own default upper bound is 30 minutes). */
export const MAX_WATCH_TIMEOUT_SECONDS = 1800;

/**
 * Parses `--watch-timeout` (seconds the API server keeps one watch open).
 * @throws ControllerOptionError unless a whole number of seconds from 1 to {@link MAX_WATCH_TIMEOUT_SECONDS}
 */
export function parseWatchTimeout(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < 1 || n > MAX_WATCH_TIMEOUT_SECONDS) {
    throw new ControllerOptionError('--watch-timeout', value, `must be a whole number of seconds from 1 to ${MAX_WATCH_TIMEOUT_SECONDS}`);
  }
  return n;
}

export function podView(pod: V1Pod): PodView {
  const view: PodView = {
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    uid: pod.metadata?.uid ?? `${pod.metadata?.namespace}/${pod.metadata?.name}`,
    annotations: pod.metadata?.annotations ?? {},
    deleting: pod.metadata?.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null,
  };
  if (pod.status?.phase) view.phase = pod.status.phase;
  if (pod.status?.podIP) view.podIP = pod.status.podIP;
  return view;
}

export function configMapView(cm: V1ConfigMap): ConfigMapView {
  return { namespace: cm.metadata?.namespace ?? '', name: cm.metadata?.name ?? '', data: cm.data ?? {} };
}
