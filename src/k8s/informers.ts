import { ListWatch, Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
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

/**
 * A Watch that tells when the API server answered "410 Gone" (the watch's resourceVersion is
 * older than etcd's compaction, or than the watch cache holds): as an ERROR event in the stream
 * (code 410) or as the HTTP status. client-node's ListWatch then re-lists by itself; this only
 * reports it, so the log shows why a re-list happened.
 */
class GoneReportingWatch extends Watch {
  constructor(
    config: KubeConfig,
    private readonly onGone: () => void,
  ) {
    super(config);
  }

  override watch(path: string, queryParams: Record<string, string | number | boolean | undefined>, callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void, done: (err: unknown) => void): Promise<AbortController> {
    return super.watch(
      path,
      queryParams,
      (phase, obj, raw) => {
        if (phase === 'ERROR' && (obj as { code?: unknown } | undefined)?.code === 410) this.onGone();
        callback(phase, obj, raw);
      },
      (err) => {
        if ((err as { statusCode?: unknown } | null)?.statusCode === 410) this.onGone();
        done(err);
      },
    );
  }
}

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
  /** Seconds after which the API server ends each watch. Default {@link WATCH_TIMEOUT_SECONDS}. */
  watchTimeoutSeconds?: number;
}

export interface ResourceWatch {
  /** Resolves after the first successful list (the cache is filled). */
  readonly synced: Promise<void>;
  /** Errors seen, restarts made, lists done and 410 Gone answers so far (for status and tests). */
  readonly stats: { errors: number; restarts: number; lists: number; gone: number };
  stop(): Promise<void>;
}

/** Starts a self-healing list+watch over one collection. */
export function watchResource<T extends KubernetesObject>(options: ResourceWatchOptions<T>): ResourceWatch {
  const initialMs = options.backoff?.initialMs ?? 500;
  const maxMs = options.backoff?.maxMs ?? 30_000;
  const stats = { errors: 0, restarts: 0, lists: 0, gone: 0 };
  let delay = initialMs;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let markSynced: () => void = () => undefined;
  const synced = new Promise<void>((resolve) => (markSynced = resolve));

  const list = async (): Promise<KubernetesListObject<T>> => {
    const result = await options.list();
    stats.lists += 1;
    delay = initialMs;
    // The first list fills the cache; any later one follows a 410 Gone or a restart after an error.
    if (stats.lists > 1) options.log.info('re-listed', { path: options.path, items: result.items.length, resourceVersion: result.metadata?.resourceVersion, lists: stats.lists, gone: stats.gone });
    return result;
  };
  const separator = options.path.includes('?') ? '&' : '?';
  const watchPath = `${options.path}${separator}allowWatchBookmarks=true&timeoutSeconds=${options.watchTimeoutSeconds ?? WATCH_TIMEOUT_SECONDS}`;
  const onGone = () => {
    stats.gone += 1;
    options.log.warn('watch resourceVersion too old (410 Gone); re-listing', { path: options.path, gone: stats.gone });
  };
  const informer = new ListWatch<T>(watchPath, new GoneReportingWatch(options.kubeConfig, onGone), list, false, options.labelSelector);

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
