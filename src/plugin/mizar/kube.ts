import { ApiException, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { PluginError, Status } from '../errors';
import { MIZAR_GROUP, MIZAR_VERSION, PLURAL, STATUS_PROVISIONED, statusOf, type MizarKind, type MizarResource } from './mapping';

/**
 * Mizar's custom resources in one namespace, through @kubernetes/client-node. API-server failures
 * become the plugin interface's status codes (docs/network-plugin.md): 401 UNAUTHENTICATED,
 * 403 PERMISSION_DENIED, 400/422 INVALID_ARGUMENT, 429/5xx and connection errors UNAVAILABLE
 * (Merak retries those), so a handler can let them through.
 */

/** Two writers raced on one name (HTTP 409): re-read and decide again. */
export class MizarConflict extends Error {
  override readonly name = 'MizarConflict';
}

/** Options of {@link openMizarStore}. */
export interface MizarStoreOptions {
  /** kubeconfig file. @default undefined (KUBECONFIG, ~/.kube/config, or the in-cluster service account) */
  kubeconfig?: string;
  /** Namespace of the resources. Mizar's operator works in `default`. */
  namespace: string;
}

/** Reads and writes Mizar's resources of one namespace. */
export interface MizarStore {
  readonly namespace: string;
  /** The API server's URL, for messages. */
  readonly server: string;
  /** The resource, or undefined when there is none of that name. */
  get(kind: MizarKind, name: string): Promise<MizarResource | undefined>;
  /** @throws MizarConflict when the name is taken meanwhile. */
  create(kind: MizarKind, body: MizarResource): Promise<MizarResource>;
  /** Replaces a resource (optimistic: body.metadata.resourceVersion must be the held one). @throws MizarConflict */
  replace(kind: MizarKind, body: MizarResource): Promise<MizarResource>;
  /** Deletes; false when there was none. */
  delete(kind: MizarKind, name: string): Promise<boolean>;
  /** Every resource of a kind, and the list's resourceVersion (a number that grows with every change). */
  list(kind: MizarKind): Promise<{ items: MizarResource[]; resourceVersion: string }>;
}

function codeOf(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  const c = (err as { code?: unknown; statusCode?: unknown } | null)?.statusCode ?? (err as { code?: unknown } | null)?.code;
  return typeof c === 'number' ? c : undefined;
}

function bodyMessage(err: unknown): string {
  if (err instanceof ApiException) {
    const body = err.body as unknown;
    if (typeof body === 'string') {
      try {
        const parsed = JSON.parse(body) as { message?: string };
        if (parsed.message) return parsed.message;
      } catch {
        return body.slice(0, 300);
      }
    }
    if (typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string') return (body as { message: string }).message;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Maps an API-server failure to the plugin status it answers. */
export function apiFailure(what: string, err: unknown, server: string): PluginError {
  const code = codeOf(err);
  const msg = bodyMessage(err);
  if (code === 401) return new PluginError(Status.UNAUTHENTICATED, `${what}: the API server ${server} refused the credentials (401): ${msg}`);
  if (code === 403) return new PluginError(Status.PERMISSION_DENIED, `${what}: the API server ${server} forbids it (403): ${msg}; the plugin's identity needs get, list, create, update and delete on mizar.com vpcs, subnets, droplets and endpoints`);
  if (code === 400 || code === 422) return PluginError.invalidArgument(`${what}: the API server ${server} refused the resource (${code}): ${msg}`);
  return PluginError.unavailable(`${what}: the API server ${server} did not answer (${code ?? 'no HTTP status'}): ${msg}`);
}

/** Connects to the API server named by the kubeconfig. Makes no call yet. */
export function openMizarStore(options: MizarStoreOptions): MizarStore {
  const kc = new KubeConfig();
  if (options.kubeconfig) kc.loadFromFile(options.kubeconfig);
  else kc.loadFromDefault();
  const api = kc.makeApiClient(CustomObjectsApi);
  const namespace = options.namespace;
  const server = kc.getCurrentCluster()?.server ?? '(no cluster in kubeconfig)';
  const base = (kind: MizarKind) => ({ group: MIZAR_GROUP, version: MIZAR_VERSION, namespace, plural: PLURAL[kind] });
  const where = (kind: MizarKind, name?: string) => `${PLURAL[kind]}.${MIZAR_GROUP}${name ? ` ${namespace}/${name}` : ` in namespace ${namespace}`}`;

  return {
    namespace,
    server,
    async get(kind, name) {
      try {
        return (await api.getNamespacedCustomObject({ ...base(kind), name })) as MizarResource;
      } catch (err) {
        if (codeOf(err) === 404) return undefined;
        throw apiFailure(`get ${where(kind, name)}`, err, server);
      }
    },
    async create(kind, body) {
      try {
        return (await api.createNamespacedCustomObject({ ...base(kind), body })) as MizarResource;
      } catch (err) {
        if (codeOf(err) === 409) throw new MizarConflict(`${where(kind, body.metadata.name)} was created meanwhile`);
        throw apiFailure(`create ${where(kind, body.metadata.name)}`, err, server);
      }
    },
    async replace(kind, body) {
      try {
        return (await api.replaceNamespacedCustomObject({ ...base(kind), name: body.metadata.name, body })) as MizarResource;
      } catch (err) {
        if (codeOf(err) === 409) throw new MizarConflict(`${where(kind, body.metadata.name)} changed meanwhile`);
        throw apiFailure(`update ${where(kind, body.metadata.name)}`, err, server);
      }
    },
    async delete(kind, name) {
      try {
        await api.deleteNamespacedCustomObject({ ...base(kind), name });
        return true;
      } catch (err) {
        if (codeOf(err) === 404) return false;
        throw apiFailure(`delete ${where(kind, name)}`, err, server);
      }
    },
    async list(kind) {
      try {
        const res = (await api.listNamespacedCustomObject(base(kind))) as { items?: MizarResource[]; metadata?: { resourceVersion?: string } };
        return { items: res.items ?? [], resourceVersion: res.metadata?.resourceVersion ?? '0' };
      } catch (err) {
        if (codeOf(err) === 404) {
          throw PluginError.failedPrecondition(
            `list ${where(kind)}: the API server ${server} does not serve ${PLURAL[kind]}.${MIZAR_GROUP}/${MIZAR_VERSION}: Mizar's custom resource definitions are not installed (kubectl apply -f deploy/mizar/crds.yaml, or Mizar's own install)`,
          );
        }
        throw apiFailure(`list ${where(kind)}`, err, server);
      }
    },
  };
}

/** How long and how often {@link waitFor} looks. */
export interface WaitOptions {
  /** Upper bound of the wait in ms. */
  timeoutMs: number;
  /** First pause between reads in ms; grows by half each time up to 500 ms. @default 50 */
  firstPauseMs?: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Reads the resource until `done` holds for it (or for its absence), bounded by timeoutMs.
 * @returns the last resource read (undefined when gone) and whether `done` held.
 */
export async function waitFor(
  store: MizarStore,
  kind: MizarKind,
  name: string,
  done: (r: MizarResource | undefined) => boolean,
  options: WaitOptions,
): Promise<{ resource: MizarResource | undefined; ok: boolean }> {
  const deadline = Date.now() + options.timeoutMs;
  let pause = options.firstPauseMs ?? 50;
  for (;;) {
    const resource = await store.get(kind, name);
    if (done(resource)) return { resource, ok: true };
    const left = deadline - Date.now();
    if (left <= 0) return { resource, ok: false };
    await sleep(Math.min(pause, left));
    pause = Math.min(500, Math.ceil(pause * 1.5));
  }
}

/** True when Mizar's operator has provisioned the resource. */
export const provisioned = (r: MizarResource | undefined): boolean => r !== undefined && statusOf(r) === STATUS_PROVISIONED;
