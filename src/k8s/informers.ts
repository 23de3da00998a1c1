import { makeInformer, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { describeError, type Logger } from './log';

// A list+watch that never stops on its own. client-node's informer lists, then watches from the
// list's resourceVersion, and re-lists by itself on 410 Gone; on any other error (API server
// down, TLS, 5xx) it calls its error handlers and stops. A silently stalled watch is the known
// failure of raw watches, so this wrapper:
// - restarts the informer after an error with exponential backoff (reset after a good list or event);
// - asks the API server to end every watch after WATCH_TIMEOUT_SECONDS (the informer then
//   watches again from its last resourceVersion), so a half-open connection lives minutes, not hours;
// - asks for bookmarks, which keep the resourceVersion fresh on quiet namespaces so a re-watch
//   after a long quiet spell does not fall off etcd's compaction window.

/** Seconds after which the API server ends a watch (it then resumes from the last resourceVersion). */
export const WATCH_TIMEOUT_SECONDS = 290;

export interface BackoffOptions {
  /** First delay after an error. Default 500 ms. */
  initialMs?: number;
  /** Largest delay. Default 30 s. */
  maxMs?: number;
}

export interface ResourceWatchOptions<T extends KubernetesObject> {
  kubeConfig: KubeConfig;
  /** Collection path, e.g. `/api/v1/namespaces/lab/pods`. */
  path: string;
  /** Lists the collection (with the same label selector). */
  list: () => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  onUpsert: (obj: T) => void;
  onDelete: (obj: T) => void;
  log: Logger;
  backoff?: BackoffOptions;
}

export interface ResourceWatch {
  /** Resolves after the first successful list (the cache is filled). */
  readonly synced: Promise<void>;
  /** Errors seen and restarts made so far (for status and tests). */
  readonly stats: { errors: number; restarts: number; lists: number };
  stop(): Promise<void>;
}

/** Starts a self-healing list+watch over one collection. */
export function watchResource<T extends KubernetesObject>(options: ResourceWatchOptions<T>): ResourceWatch {
  const initialMs = options.backoff?.initialMs ?? 500;
  const maxMs = options.backoff?.maxMs ?? 30_000;
  const stats = { errors: 0, restarts: 0, lists: 0 };
  let delay = initialMs;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let markSynced: () => void = () => undefined;
  const synced = new Promise<void>((resolve) => (markSynced = resolve));

  const list = async (): Promise<KubernetesListObject<T>> => {
    const result = await options.list();
    stats.lists += 1;
    delay = initialMs;
    return result;
  };
  const separator = options.path.includes('?') ? '&' : '?';
  const watchPath = `${options.path}${separator}allowWatchBookmarks=true&timeoutSeconds=${WATCH_TIMEOUT_SECONDS}`;
  const informer = makeInformer<T>(options.kubeConfig, watchPath, list, options.labelSelector);

  // client-node swallows exceptions thrown by handlers (they run inside its line parser's
  // try/catch); say so in the log instead of losing them.
  const guarded = (verb: string, fn: (obj: T) => void) => (obj: T) => {
    delay = initialMs;
    try {
      fn(obj);
    } catch (err) {
      options.log.error('event handler failed; the object is skipped until its next change', { path: options.path, verb, object: obj.metadata?.name, error: describeError(err) });
    }
  };
  informer.on('add', guarded('add', options.onUpsert));
  informer.on('update', guarded('update', options.onUpsert));
  informer.on('delete', guarded('delete', options.onDelete));
  informer.on('error', (err: unknown) => {
    stats.errors += 1;
    if (stopped) return;
    const wait = delay;
    delay = Math.min(maxMs, delay * 2);
    options.log.warn('watch failed; restarting', { path: options.path, error: describeError(err), retryInMs: wait });
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (stopped) return;
      stats.restarts += 1;
      start();
    }, wait);
  });

  const start = (): void => {
    informer
      .start()
      .then(() => {
        if (stats.lists > 0) markSynced();
      })
      .catch((err: unknown) => options.log.error('informer start failed', { path: options.path, error: describeError(err) }));
  };
  start();

  return {
    synced,
    stats,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await informer.stop();
    },
  };
}
