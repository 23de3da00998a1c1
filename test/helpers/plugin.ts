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
