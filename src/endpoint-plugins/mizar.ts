/**
 * The `mizar` endpoint plugin: the node side of the Mizar provider inside the agent. Each VM
 * endpoint is registered with Mizar the way Mizar's daemon registers a pod's (an Endpoint
 * resource in `Init` with the veth's kernel MAC), the agent waits (bounded) for Mizar's operator
 * to provision it, and builds the VM end with the address, MAC, prefix and gateway Mizar wrote:
 * the code behind `merak mizar endpoint add|del` (src/plugin/mizar/endpoint.ts), called per
 * endpoint, many at once per batch. Mizar's XDP transit agent cannot run here, so the host ends
 * then join the reference dataplane's VXLAN fabric of the endpoint's VNI (Mizar's, as the
 * network plugin answered it): packets between nodes go through Merak's dataplane.
 *
 * The API server and namespace come from the agent's environment (never from the scenario spec):
 * MERAK_MIZAR_KUBECONFIG, MERAK_MIZAR_NAMESPACE, MERAK_MIZAR_TIMEOUT_MS (see {@link mizarSettingsFromEnv}).
 * @kubernetes/client-node is loaded on first use only, so agents that never run this plugin do
 * not load it. See docs/providers/mizar.md.
 */
import { InvalidInputError } from '../dataplane/errors';
import type { CommandRunner } from '../dataplane/command';
import { endpointMtu, VXLAN_IPV4_OVERHEAD } from '../model/limits';
import { classifyPluginError, PluginError } from '../plugin/errors';
import type { MizarStore } from '../plugin/mizar/kube';
import { createReferencePlugin } from './reference';
import { EndpointPluginError, type Endpoint, type EndpointPlugin, type PluginContext } from './types';
import { pluginNodeName } from '../model/identity';

/** How the agent reaches Mizar. */
export interface MizarSettings {
  /** kubeconfig file; undefined: KUBECONFIG, ~/.kube/config, or the in-cluster service account. */
  kubeconfig?: string;
  /** Namespace of Mizar's resources. @default 'default' (where Mizar's operator works) */
  namespace: string;
  /** Longest wait for Mizar's operator per endpoint (to Provisioned, or gone on delete), ms. @default 8000 */
  timeoutMs: number;
  /** Endpoints registered at once within a batch. @default 32 */
  concurrency: number;
}

/**
 * The agent's Mizar settings from its environment:
 * - `MERAK_MIZAR_KUBECONFIG`: kubeconfig file (default: KUBECONFIG, ~/.kube/config, in-cluster);
 * - `MERAK_MIZAR_NAMESPACE`: namespace of Mizar's resources (default `default`);
 * - `MERAK_MIZAR_TIMEOUT_MS`: bound of each wait for Mizar's operator, ms (default 8000);
 * - `MERAK_MIZAR_CONCURRENCY`: endpoints registered at once (1..256, default 32).
 * @throws InvalidInputError naming the variable, its value and the rule.
 */
export function mizarSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): MizarSettings {
  const int = (key: string, dflt: number, min: number, max: number): number => {
    const raw = env[key];
    if (raw === undefined || raw === '') return dflt;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new InvalidInputError(key, raw, `must be a whole number in ${min}..${max}`);
    return Number(raw);
  };
  return {
    kubeconfig: env.MERAK_MIZAR_KUBECONFIG || undefined,
    namespace: env.MERAK_MIZAR_NAMESPACE || 'default',
    timeoutMs: int('MERAK_MIZAR_TIMEOUT_MS', 8000, 1, 600_000),
    concurrency: int('MERAK_MIZAR_CONCURRENCY', 32, 1, 256),
  };
}

/** Runs `f` over `items`, at most `limit` at once; rejects with the first failure once all settled. */
async function eachLimited<T>(items: readonly T[], limit: number, f: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await f(item);
      } catch (e) {
        failure ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure !== undefined) throw failure;
}

/** The endpoint's address without its prefix length. */
const hostOf = (ep: Endpoint): string => ep.ip.split('/')[0]!;

export function createMizarPlugin(o: { runner: CommandRunner; settings?: () => MizarSettings }): EndpointPlugin {
  const reference = createReferencePlugin();
  let opened: { settings: MizarSettings; store: MizarStore; node: typeof import('../plugin/mizar/endpoint') } | undefined;

  async function open(): Promise<NonNullable<typeof opened>> {
    if (opened) return opened;
    const settings = (o.settings ?? mizarSettingsFromEnv)();
    // Loaded here, not at the top: only agents that run this plugin need the Kubernetes client.
    const kube = await import('../plugin/mizar/kube');
    const node = await import('../plugin/mizar/endpoint');
    opened = { settings, store: kube.openMizarStore({ kubeconfig: settings.kubeconfig, namespace: settings.namespace }), node };
    return opened;
  }

  /**
   * A PluginError of the shared Mizar code, named after its endpoint. One a retry cannot fix (a bad
   * name, a missing droplet, a name held by another endpoint) becomes the agent's endpoint-plugin
   * failure: final, and the agent removes the batch's endpoints. One it can (UNAVAILABLE: the
   * operator's bound, the API server) stays a PluginError, which the activity retries.
   */
  const asEndpointError = (command: string, ep: Endpoint, e: unknown): unknown => {
    if (!(e instanceof PluginError)) return e;
    const c = classifyPluginError(e);
    if (c.retryable) return new PluginError(e.code, `mizar endpoint plugin ${command} ${ep.id}: ${e.message}`);
    return new EndpointPluginError('mizar', command, c.code, `endpoint ${ep.id}: ${e.message}`);
  };

  async function add(ctx: PluginContext, eps: readonly Endpoint[]): Promise<void> {
    if (eps.length === 0) return;
    const { settings, store, node } = await open();
    // The same MTU the reference plugin's endpoints get: the fabric below is its VXLAN.
    const underlayMtu = eps.some((ep) => ep.mtu === undefined) ? (await ctx.underlay()).mtu : 0;
    await eachLimited(eps, settings.concurrency, async (ep) => {
      try {
        await node.addMizarEndpoint(store, o.runner, {
          name: ep.id,
          vpc: ep.vpc,
          subnet: ep.subnetId,
          // The node's Droplet carries the plugin's node name, <node>.<scenario> (model/identity.ts).
          droplet: pluginNodeName(ctx.scenario, ctx.node),
          nodeNetns: ctx.nodeNetns,
          vmNetns: ep.vm.name,
          ifname: ep.ifname,
          hostIfname: ep.hostIfname,
          // Mizar keeps an address it is given (NetOperator.allocate_endpoint); Merak asks for the
          // one its tests will aim at, and builds with whatever Mizar wrote back.
          ip: hostOf(ep),
          timeoutMs: settings.timeoutMs,
          mtu: ep.mtu ?? endpointMtu(underlayMtu, VXLAN_IPV4_OVERHEAD),
          // The VM end is made with Merak's MAC for it, and Mizar registers that MAC: the VPC's
          // router answers ARP only from this node's MAC prefix (reference-router.ts).
          mac: ep.mac,
        });
      } catch (e) {
        throw asEndpointError('EP_ADD', ep, e);
      }
    });
    // The host ends join the VXLAN fabric of their VNI (and the VPC's router), as the reference
    // plugin's would; no link of theirs is known to the agent, so the reference lists them.
    await reference.epAdd({ ...ctx, knownLinks: undefined }, eps);
  }

  async function del(ctx: PluginContext, eps: readonly Endpoint[]): Promise<void> {
    if (eps.length === 0) return;
    const { settings, store, node } = await open();
    await eachLimited(eps, settings.concurrency, async (ep) => {
      try {
        await node.deleteMizarEndpoint(store, o.runner, { name: ep.id, nodeNetns: ctx.nodeNetns, hostIfname: ep.hostIfname, timeoutMs: settings.timeoutMs });
      } catch (e) {
        throw asEndpointError('EP_DEL', ep, e);
      }
    });
  }

  const nothing = async (): Promise<void> => undefined;
  return {
    name: 'mizar',
    kernel: true,
    createsInterface: true,
    bringsHostEndUp: true,
    encapOverhead: VXLAN_IPV4_OVERHEAD,
    version: async () => ({ name: 'mizar', protocol: '1', builtin: true }),
    vmAdd: nothing,
    vmUpdate: nothing,
    vmDel: nothing,
    epAdd: add,
    // The resource and the veth again: add converges a held endpoint (same MAC, subnet, node).
    epUpdate: add,
    epDel: del,
    syncPeers: reference.syncPeers,
  };
}
