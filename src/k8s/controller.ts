import { CoreV1Api, KubeConfig, type V1ConfigMap, type V1Pod } from '@kubernetes/client-node';
import { checkControllerOptions, configMapView, podView } from './views';
import type { Client } from '@temporalio/client';
import { createKubeEventRecorder, type EventRecorder } from './events';
import { watchResource, type BackoffOptions, type ResourceWatch } from './informers';
import { createLogger, type Logger } from './log';
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
  /** Seconds after which the API server ends each watch (then resumed from its resourceVersion). Default 290. */
  watchTimeoutSeconds?: number;
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
    watchedNamespaces: options.namespaces,
  });

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
        ...(options.watchTimeoutSeconds ? { watchTimeoutSeconds: options.watchTimeoutSeconds } : {}),
      }),
      watchResource<V1ConfigMap>({
        kubeConfig: kc,
        path: `/api/v1/namespaces/${namespace}/configmaps`,
        list: () => core.listNamespacedConfigMap({ namespace }),
        onUpsert: (cm) => reconciler.upsertConfigMap(configMapView(cm)),
        onDelete: (cm) => reconciler.deleteConfigMap(configMapView(cm)),
        log,
        ...(options.watchBackoff ? { backoff: options.watchBackoff } : {}),
        ...(options.watchTimeoutSeconds ? { watchTimeoutSeconds: options.watchTimeoutSeconds } : {}),
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

export { checkControllerOptions, configMapView, podView } from './views';
