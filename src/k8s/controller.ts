import { CoreV1Api, KubeConfig, type V1ConfigMap, type V1Pod } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import { ControllerOptionError } from './errors';
import { createKubeEventRecorder, type EventRecorder } from './events';
import { watchResource, type BackoffOptions, type ResourceWatch } from './informers';
import { createLogger, type Logger } from './log';
import type { ConfigMapView, PodView } from './mapping';
import { ScenarioReconciler } from './reconciler';
import { createTemporalDriver, type ScenarioDriver } from './scenario-driver';

// `merak controller`: watches pods (and the scenario ConfigMaps) in the configured namespaces
// and drives one scenario workflow per scenario. See docs/kubernetes.md.

export interface ControllerOptions {
  /** Kubeconfig file; default: in-cluster service account, else $KUBECONFIG, else ~/.kube/config. */
  kubeconfig?: string;
  /** Namespaces to watch (at least one: the RBAC is namespaced). */
  namespaces: string[];
  /** Only pods matching this label selector are considered. Default: all pods. */
  labelSelector?: string;
  /** Temporal client (the caller connects and closes it). */
  client: Client;
  /** Task queue of the scenario workflows. Default `merak-compute`. */
  taskQueue?: string;
  log?: Logger;
  /** Backoff of watch restarts after errors. Default 500 ms doubling to 30 s. */
  watchBackoff?: BackoffOptions;
  /** Overrides for tests; default: Temporal through `client`, Events through the API server. */
  driver?: ScenarioDriver;
  events?: EventRecorder;
}

export interface RunningController {
  reconciler: ScenarioReconciler;
  watches: ResourceWatch[];
  /** Resolves once every watch has listed and the controller acts on changes. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

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

export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}

/** Starts watching and reconciling; returns at once (await `ready` for the initial sync). */
export function startController(options: ControllerOptions): RunningController {
  checkControllerOptions(options.namespaces, options.labelSelector);
  const log = options.log ?? createLogger();
  const kc = loadKubeConfig(options.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const reconciler = new ScenarioReconciler({
    driver: options.driver ?? createTemporalDriver({ client: options.client, ...(options.taskQueue ? { taskQueue: options.taskQueue } : {}) }),
    events: options.events ?? createKubeEventRecorder(kc),
    log,
  });
  reconciler.watchedNamespaces = new Set(options.namespaces);

  const watches: ResourceWatch[] = [];
  for (const namespace of options.namespaces) {
    const labelSelector = options.labelSelector;
    watches.push(
      watchResource<V1Pod>({
        kubeConfig: kc,
        path: `/api/v1/namespaces/${namespace}/pods`,
        list: () => core.listNamespacedPod(labelSelector ? { namespace, labelSelector } : { namespace }),
        ...(labelSelector ? { labelSelector } : {}),
        onUpsert: (pod) => reconciler.upsertPod(podView(pod)),
        onDelete: (pod) => reconciler.deletePod(podView(pod)),
        log,
        ...(options.watchBackoff ? { backoff: options.watchBackoff } : {}),
      }),
      watchResource<V1ConfigMap>({
        kubeConfig: kc,
        path: `/api/v1/namespaces/${namespace}/configmaps`,
        list: () => core.listNamespacedConfigMap({ namespace }),
        onUpsert: (cm) => reconciler.upsertConfigMap(configMapView(cm)),
        onDelete: (cm) => reconciler.deleteConfigMap(configMapView(cm)),
        log,
        ...(options.watchBackoff ? { backoff: options.watchBackoff } : {}),
      }),
    );
  }
  const ready = Promise.all(watches.map((w) => w.synced)).then(async () => {
    log.info('initial list done; reconciling', { namespaces: options.namespaces.join(','), selector: options.labelSelector });
    await reconciler.activate();
  });
  return {
    reconciler,
    watches,
    ready,
    async stop() {
      reconciler.stop();
      await Promise.all(watches.map((w) => w.stop()));
    },
  };
}
