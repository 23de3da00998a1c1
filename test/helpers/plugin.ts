import { createNetworkPluginClient, type NetworkPluginClient } from '../../src/plugin/client';
import { PluginError, serveNetworkPlugin, type NetworkPluginHandlers, type RunningNetworkPlugin } from '../../src/plugin/sdk';
import { PluginCallError } from '../../src/plugin/errors';

// A fault-injecting proxy for tests: a real gRPC plugin server that forwards every call to a real
// upstream plugin (the reference one) through Merak's real client, except the calls the test
// chooses to fail. The plugin under test stays untouched; the fault is on the wire, as a provider
// outage or refusal would be.

export type PluginMethod = keyof NetworkPluginHandlers;

/** Decides, per call, whether to fail it: return a PluginError to answer it instead of forwarding. */
export type FaultRule = (method: PluginMethod, request: unknown, callNumber: number) => PluginError | undefined;

export interface FaultProxy extends RunningNetworkPlugin {
  /** Calls received per method (including failed ones). */
  calls: Record<PluginMethod, number>;
}

const METHODS: PluginMethod[] = ['createVpc', 'updateVpc', 'deleteVpc', 'createSubnet', 'updateSubnet', 'deleteSubnet', 'createNode', 'updateNode', 'deleteNode'];

export async function startFaultProxy(upstreamAddress: string, rule: FaultRule): Promise<FaultProxy> {
  const upstream: NetworkPluginClient = createNetworkPluginClient(upstreamAddress, { deadlineMs: 5_000 });
  const calls = Object.fromEntries(METHODS.map((m) => [m, 0])) as Record<PluginMethod, number>;
  const handlers = Object.fromEntries(
    METHODS.map((method) => [
      method,
      async (request: unknown) => {
        calls[method] += 1;
        const fault = rule(method, request, calls[method]);
        if (fault) throw fault;
        try {
          return await (upstream[method] as (r: unknown) => Promise<unknown>)(request);
        } catch (err) {
          if (err instanceof PluginCallError) throw new PluginError(err.code, err.message);
          throw err;
        }
      },
    ]),
  ) as unknown as NetworkPluginHandlers;
  const server = await serveNetworkPlugin(handlers, { port: 0 });
  return {
    ...server,
    calls,
    close: async () => {
      await server.close();
      upstream.close();
    },
  };
}

/** The key a Create or Delete request names: `vpc:<id>`, `subnet:<id>` or `node:<name>`. */
function keyOfRequest(method: PluginMethod, request: unknown): string {
  const r = request as { vpc?: { id: string }; subnet?: { id: string }; node?: { name: string }; id?: string; name?: string };
  if (method === 'createVpc' || method === 'deleteVpc') return `vpc:${r.vpc?.id ?? r.id}`;
  if (method === 'createSubnet' || method === 'deleteSubnet') return `subnet:${r.subnet?.id ?? r.id}`;
  return `node:${r.node?.name ?? r.name}`;
}

export interface LateCreateProxy extends FaultProxy {
  /** Creates held and then forwarded after their object's Delete, by key (`subnet:<id>` …). */
  landedLate: Record<string, number>;
}

/**
 * A plugin that keeps working on a Create after its caller gave up, as a provider whose backend
 * commits a queued change late does (the OVN plugin's `ovn-nbctl` daemon once a frozen
 * northbound database answers again): a real gRPC plugin server in front of a real upstream
 * (the reference plugin). A Create whose key `hold` selects is not answered (the caller's
 * deadline passes and it retries, each attempt held too); when a Delete of that key comes by,
 * the Delete is forwarded first and then every held Create of the key is forwarded, so the
 * object exists again right after its Delete, the worst order for a compensation. Held calls
 * are answered (too late for their callers) once they landed. Everything else is forwarded.
 */
export async function startLateCreateProxy(upstreamAddress: string, hold: (key: string) => boolean): Promise<LateCreateProxy> {
  const upstream: NetworkPluginClient = createNetworkPluginClient(upstreamAddress, { deadlineMs: 5_000 });
  const calls = Object.fromEntries(METHODS.map((m) => [m, 0])) as Record<PluginMethod, number>;
  const held = new Map<string, Array<{ method: PluginMethod; request: unknown; done: (err?: unknown, res?: unknown) => void }>>();
  const landedLate: Record<string, number> = {};
  const forward = async (method: PluginMethod, request: unknown): Promise<unknown> => {
    try {
      return await (upstream[method] as (r: unknown) => Promise<unknown>)(request);
    } catch (err) {
      if (err instanceof PluginCallError) throw new PluginError(err.code, err.message);
      throw err;
    }
  };
  const handlers = Object.fromEntries(
    METHODS.map((method) => [
      method,
      async (request: unknown) => {
        calls[method] += 1;
        const key = keyOfRequest(method, request);
        if (method.startsWith('create') && hold(key)) {
          return new Promise((resolve, reject) => {
            const list = held.get(key) ?? [];
            list.push({ method, request, done: (err, res) => (err ? reject(err) : resolve(res)) });
            held.set(key, list);
          });
        }
        const answer = await forward(method, request);
        if (method.startsWith('delete')) {
          for (const h of held.get(key) ?? []) {
            landedLate[key] = (landedLate[key] ?? 0) + 1;
            await forward(h.method, h.request).then((res) => h.done(undefined, res), (err: unknown) => h.done(err));
          }
          held.delete(key);
        }
        return answer;
      },
    ]),
  ) as unknown as NetworkPluginHandlers;
  const server = await serveNetworkPlugin(handlers, { port: 0, shutdownGraceMs: 500 });
  return {
    ...server,
    calls,
    landedLate,
    close: async () => {
      for (const list of held.values()) for (const h of list) h.done(new PluginError(1, 'proxy closing'));
      held.clear();
      await server.close();
      upstream.close();
    },
  };
}
