import { cidrFrom, cidrsOverlap, formatCidr } from '../../model/ipv4';
import { PluginError, Status } from '../errors';
import { show } from '../reference/validate';
import { serveNetworkPlugin, type NetworkPluginHandlers, type RunningNetworkPlugin } from '../sdk';
import type * as T from '../types';
import { MizarConflict, openMizarStore, provisioned, waitFor, type MizarStore } from './kube';
import {
  checkName,
  checkNodeAsk,
  checkSubnetAsk,
  checkSubnetInVpc,
  checkVpcAsk,
  cidrOf,
  differences,
  dropletResource,
  isManaged,
  MizarShapeError,
  nodeFromResource,
  OPTIONAL_ANNOTATION,
  PLURAL,
  statusOf,
  STATUS_INIT,
  subnetFromResource,
  subnetResource,
  vpcFromResource,
  vpcResource,
  type MizarKind,
  type MizarResource,
} from './mapping';

/**
 * The `mizar` network plugin: Merak takes the role Kubernetes users and Mizar's own daemons play
 * for Mizar. CreateVpc, CreateSubnet and CreateNode write Mizar's Vpc, Subnet and Droplet custom
 * resources with `spec.status: Init`, wait (bounded) until Mizar's operator has moved them to
 * `Provisioned`, and answer what the operator wrote: the VNI Merak builds with is the one Mizar
 * allocated, never the one asked for. Updates and deletes go the same way. Every field is
 * checked before anything is written. See docs/providers/mizar.md.
 */

/** Options of {@link startMizarPlugin}. */
export interface MizarPluginOptions {
  /** Address to listen on. @default '127.0.0.1' */
  host?: string;
  /** TCP port; 0 = any free port. */
  port: number;
  /** kubeconfig file of the cluster running Mizar. @default KUBECONFIG, ~/.kube/config or in-cluster */
  kubeconfig?: string;
  /** Namespace of the resources. @default 'default' (where Mizar's operator works) */
  namespace?: string;
  /**
   * Longest wait, in ms, for the operator to provision (or finish deleting) one resource; on
   * expiry the call answers UNAVAILABLE (Merak retries, and Create is idempotent). Keep it below
   * the scenario's `plugin.deadlineMs`. @default 8000
   */
  provisionTimeoutMs?: number;
  /** One line per accepted change or refused call. @default silent */
  log?: (line: string) => void;
  /** How long close() lets calls in flight finish. @default 5000 */
  shutdownGraceMs?: number;
  /** A store to use instead of one opened from kubeconfig/namespace (tests of the rules). */
  store?: MizarStore;
}

/** A running Mizar plugin. */
export interface RunningMizarPlugin extends RunningNetworkPlugin {
  readonly namespace: string;
}

/** Default of {@link MizarPluginOptions.provisionTimeoutMs}. */
export const DEFAULT_PROVISION_TIMEOUT_MS = 8000;

/** The handlers over a store; exported for tests. */
export function mizarHandlers(store: MizarStore, timeoutMs: number, log: (line: string) => void = () => undefined): NetworkPluginHandlers & {
  getState(): Promise<T.GetStateResponse>;
} {
  const ns = store.namespace;
  const ref = (kind: MizarKind, name: string) => `${kind} ${ns}/${name}`;

  /** Reads a resource Merak may act on: absent, or written by Merak. */
  const getOwn = async (kind: MizarKind, name: string, field: string): Promise<MizarResource | undefined> => {
    const held = await store.get(kind, name);
    if (held !== undefined && !isManaged(held)) {
      throw PluginError.alreadyExists(`${field}: ${show(name)}: ${ref(kind, name)} exists and was not written by Merak (no app.kubernetes.io/managed-by=merak label); Merak leaves it alone`);
    }
    return held;
  };

  const shape = <R>(read: () => R): R => {
    try {
      return read();
    } catch (err) {
      if (err instanceof MizarShapeError) throw new PluginError(Status.INTERNAL, `Mizar holds a resource Merak cannot read: ${err.message}`);
      throw err;
    }
  };

  /** Waits until the operator provisioned the resource; UNAVAILABLE with the reason when it does not within the bound. */
  const untilProvisioned = async (kind: MizarKind, name: string): Promise<MizarResource> => {
    const { resource, ok } = await waitFor(store, kind, name, (r) => r === undefined || provisioned(r), { timeoutMs });
    if (resource === undefined) throw PluginError.unavailable(`${ref(kind, name)} was deleted while waiting for Mizar's operator to provision it; retry`);
    if (ok) return resource;
    let why = `is the operator running and watching namespace ${ns}?`;
    if (kind === 'Vpc' || kind === 'Subnet') {
      const droplets = (await store.list('Droplet')).items.filter((d) => provisioned(d));
      if (droplets.length === 0) why = `no Droplet in namespace ${ns} is Provisioned, and Mizar's operator provisions VPCs and subnets only once a droplet (a host running Mizar's daemon) is registered`;
    }
    throw PluginError.unavailable(
      `${ref(kind, name)}: Mizar's operator did not move spec.status from ${show(STATUS_INIT)} to "Provisioned" within ${timeoutMs} ms (it is ${show(statusOf(resource))}): ${why}`,
    );
  };

  const untilGone = async (kind: MizarKind, name: string): Promise<void> => {
    const { ok } = await waitFor(store, kind, name, (r) => r === undefined, { timeoutMs });
    if (!ok) throw PluginError.unavailable(`${ref(kind, name)} is still there ${timeoutMs} ms after its deletion (Mizar's operator holds it with a finalizer until it has cleaned up); retry`);
  };

  /** Creates a resource, or takes the identical one held; one re-read when another writer raced. */
  const createOrSame = async (
    kind: MizarKind,
    name: string,
    field: string,
    body: MizarResource,
    compare: (held: MizarResource) => string[],
  ): Promise<MizarResource> => {
    for (let attempt = 0; ; attempt++) {
      const held = await getOwn(kind, name, field);
      if (held !== undefined) {
        if (held.metadata.deletionTimestamp) throw PluginError.unavailable(`${ref(kind, name)} is being deleted; retry once it is gone`);
        const diff = compare(held);
        if (diff.length > 0) {
          throw PluginError.alreadyExists(`${field}: ${show(name)} already exists in Mizar with other fields (${diff.join('; ')}); delete it first or ask for the same fields`);
        }
        return untilProvisioned(kind, name);
      }
      try {
        await store.create(kind, body);
        return await untilProvisioned(kind, name);
      } catch (err) {
        if (err instanceof MizarConflict && attempt === 0) continue;
        throw err;
      }
    }
  };

  const optionalOf = (r: MizarResource): Record<string, string> => {
    try {
      return JSON.parse(r.metadata.annotations?.[OPTIONAL_ANNOTATION] ?? '{}') as Record<string, string>;
    } catch {
      return {};
    }
  };

  /** Writes the optional map (an annotation) when it changed; Mizar's operator does not look at it. */
  const setOptional = async (kind: MizarKind, held: MizarResource, optional: Record<string, string>): Promise<MizarResource> => {
    if (differences({ o: optionalOf(held) }, { o: optional }).length === 0) return held;
    const body: MizarResource = { ...held, metadata: { ...held.metadata, annotations: { ...held.metadata.annotations, [OPTIONAL_ANNOTATION]: JSON.stringify(optional) } } };
    try {
      return await store.replace(kind, body);
    } catch (err) {
      if (err instanceof MizarConflict) throw PluginError.unavailable(`${ref(kind, held.metadata.name)} changed while Merak updated it; retry`);
      throw err;
    }
  };

  const logged = async <R>(method: string, run: () => Promise<R>, describe: (r: R) => string): Promise<R> => {
    try {
      const r = await run();
      log(`${method} ${describe(r)}`);
      return r;
    } catch (err) {
      log(`${method} refused: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  };

  const subnetsOfVpc = async (vpc: string): Promise<MizarResource[]> => (await store.list('Subnet')).items.filter((s) => s.spec?.vpc === vpc);

  return {
    createVpc: ({ vpc }) =>
      logged('CreateVpc', async () => {
        const ask = checkVpcAsk(vpc as Record<string, unknown> | null);
        const held = await createOrSame('Vpc', ask.id, 'vpc.id', vpcResource(ask), (h) =>
          differences({ ...cidrOf(h), optional: optionalOf(h) }, { ip: vpcResource(ask).spec!.ip, prefix: ask.cidr.prefix, optional: ask.optional }),
        );
        return { vpc: shape(() => vpcFromResource(held)) };
      }, (r) => `${r.vpc.id} vni=${r.vpc.vni} (Mizar's) ${r.vpc.ip}/${r.vpc.prefix}`),

    updateVpc: ({ vpc }) =>
      logged('UpdateVpc', async () => {
        const ask = checkVpcAsk(vpc as Record<string, unknown> | null);
        const held = await getOwn('Vpc', ask.id, 'vpc.id');
        if (held === undefined) throw PluginError.notFound(`vpc.id: ${show(ask.id)} names no VPC in Mizar (namespace ${ns}); create it first`);
        const diff = differences(cidrOf(held), { ip: vpcResource(ask).spec!.ip, prefix: ask.cidr.prefix });
        if (diff.length > 0) {
          throw PluginError.failedPrecondition(
            `vpc.ip/vpc.prefix: Mizar does not change a provisioned VPC's CIDR (${diff.join('; ')}): its operator acts on Init objects only, and provisioning again allocates a new VNI; delete the VPC and create it`,
          );
        }
        await setOptional('Vpc', held, ask.optional);
        const now = await untilProvisioned('Vpc', ask.id);
        return { vpc: shape(() => vpcFromResource(now)) };
      }, (r) => `${r.vpc.id} vni=${r.vpc.vni}`),

    deleteVpc: ({ id }) =>
      logged('DeleteVpc', async () => {
        const name = checkName('id', id);
        const held = await store.get('Vpc', name);
        if (held === undefined) return {};
        if (!isManaged(held)) throw PluginError.failedPrecondition(`id: ${show(name)}: ${ref('Vpc', name)} was not written by Merak; Merak leaves it alone`);
        const subnets = await subnetsOfVpc(name);
        if (subnets.length > 0) {
          // Mizar's VpcDelete spins until the VPC has no subnet left; refuse instead of hanging it.
          throw PluginError.failedPrecondition(`id: VPC ${show(name)} still has subnets (${subnets.map((s) => s.metadata.name).join(', ')}); delete them first`);
        }
        await store.delete('Vpc', name);
        await untilGone('Vpc', name);
        return {};
      }, () => String(id)),

    createSubnet: ({ subnet }) =>
      logged('CreateSubnet', async () => {
        const ask = checkSubnetAsk(subnet as Record<string, unknown> | null);
        const vpc = await store.get('Vpc', ask.vpc);
        if (vpc === undefined) throw PluginError.failedPrecondition(`subnet.vpc: ${show(ask.vpc)} names no VPC in Mizar (namespace ${ns}); create the VPC first`);
        const vpcCidr = shape(() => cidrOf(vpc));
        checkSubnetInVpc(ask, ask.vpc, cidrFrom(vpcCidr.ip, vpcCidr.prefix));
        const held = await store.get('Subnet', ask.id);
        if (held === undefined) {
          for (const other of await subnetsOfVpc(ask.vpc)) {
            const c = shape(() => cidrOf(other));
            if (cidrsOverlap(cidrFrom(c.ip, c.prefix), ask.cidr)) {
              throw PluginError.alreadyExists(`subnet.ip/subnet.prefix: ${formatCidr(ask.cidr)} overlaps subnet ${show(other.metadata.name)} (${c.ip}/${c.prefix}) of VPC ${show(ask.vpc)}; subnets of a VPC must not overlap`);
            }
          }
        }
        const vni = String(vpc.spec?.vni ?? '');
        const body = subnetResource(ask, vni);
        const stored = await createOrSame('Subnet', ask.id, 'subnet.id', body, (h) =>
          differences({ ...cidrOf(h), vpc: h.spec?.vpc, optional: optionalOf(h) }, { ip: body.spec!.ip, prefix: ask.cidr.prefix, vpc: ask.vpc, optional: ask.optional }),
        );
        return { subnet: shape(() => subnetFromResource(stored)) };
      }, (r) => `${r.subnet.id} vpc=${r.subnet.vpc} vni=${r.subnet.vni} (Mizar's) ${r.subnet.ip}/${r.subnet.prefix}`),

    updateSubnet: ({ subnet }) =>
      logged('UpdateSubnet', async () => {
        const ask = checkSubnetAsk(subnet as Record<string, unknown> | null);
        const held = await getOwn('Subnet', ask.id, 'subnet.id');
        if (held === undefined) throw PluginError.notFound(`subnet.id: ${show(ask.id)} names no subnet in Mizar (namespace ${ns}); create it first`);
        if (held.spec?.vpc !== ask.vpc) {
          throw PluginError.invalidArgument(`subnet.vpc: ${show(ask.vpc)} differs from the subnet's VPC ${show(held.spec?.vpc)}; a subnet cannot move between VPCs, delete it and create it in the other VPC`);
        }
        const diff = differences(cidrOf(held), { ip: subnetResource(ask, '').spec!.ip, prefix: ask.cidr.prefix });
        if (diff.length > 0) throw PluginError.failedPrecondition(`subnet.ip/subnet.prefix: Mizar does not change a provisioned subnet's CIDR (${diff.join('; ')}); delete the subnet and create it`);
        await setOptional('Subnet', held, ask.optional);
        const now = await untilProvisioned('Subnet', ask.id);
        return { subnet: shape(() => subnetFromResource(now)) };
      }, (r) => `${r.subnet.id} vni=${r.subnet.vni}`),

    deleteSubnet: ({ id }) =>
      logged('DeleteSubnet', async () => {
        const name = checkName('id', id);
        const held = await store.get('Subnet', name);
        if (held === undefined) return {};
        if (!isManaged(held)) throw PluginError.failedPrecondition(`id: ${show(name)}: ${ref('Subnet', name)} was not written by Merak; Merak leaves it alone`);
        const eps = (await store.list('Endpoint')).items.filter((e) => e.spec?.net === name && e.spec?.type !== 'gateway');
        if (eps.length > 0) {
          // Mizar's NetDelete spins until the subnet has no endpoint left; refuse instead.
          throw PluginError.failedPrecondition(`id: subnet ${show(name)} still has endpoints (${eps.slice(0, 5).map((e) => e.metadata.name).join(', ')}${eps.length > 5 ? ` and ${eps.length - 5} more` : ''}); delete them first`);
        }
        await store.delete('Subnet', name);
        await untilGone('Subnet', name);
        return {};
      }, () => String(id)),

    createNode: ({ node }) =>
      logged('CreateNode', async () => {
        const ask = checkNodeAsk(node as Record<string, unknown> | null);
        const held = await store.get('Droplet', ask.name);
        if (held === undefined) await checkDropletUnique(store, ask.name, ask.ip, ask.mac);
        const stored = await createOrSame('Droplet', ask.name, 'node.name', dropletResource(ask), (h) =>
          differences({ ip: h.spec?.ip, mac: String(h.spec?.mac ?? '').toLowerCase(), optional: optionalOf(h) }, { ip: ask.ip, mac: ask.mac, optional: ask.optional }),
        );
        return { node: shape(() => nodeFromResource(stored)) };
      }, (r) => `${r.node.name} ip=${r.node.ip} mac=${r.node.mac}`),

    updateNode: ({ node }) =>
      logged('UpdateNode', async () => {
        const ask = checkNodeAsk(node as Record<string, unknown> | null);
        let held = await getOwn('Droplet', ask.name, 'node.name');
        if (held === undefined) throw PluginError.notFound(`node.name: ${show(ask.name)} names no droplet in Mizar (namespace ${ns}); create it first`);
        const diff = differences({ ip: held.spec?.ip, mac: String(held.spec?.mac ?? '').toLowerCase() }, { ip: ask.ip, mac: ask.mac });
        if (diff.length > 0) {
          await checkDropletUnique(store, ask.name, ask.ip, ask.mac);
          // Back to Init: Mizar's operator provisions a droplet again on an update in Init.
          const spec = { ...held.spec, ...dropletResource(ask).spec };
          try {
            held = await store.replace('Droplet', { ...held, spec });
          } catch (err) {
            if (err instanceof MizarConflict) throw PluginError.unavailable(`${ref('Droplet', ask.name)} changed while Merak updated it; retry`);
            throw err;
          }
        }
        await setOptional('Droplet', held, ask.optional);
        const now = await untilProvisioned('Droplet', ask.name);
        return { node: shape(() => nodeFromResource(now)) };
      }, (r) => `${r.node.name} ip=${r.node.ip} mac=${r.node.mac}`),

    deleteNode: ({ name }) =>
      logged('DeleteNode', async () => {
        const key = checkName('name', name);
        const held = await store.get('Droplet', key);
        if (held === undefined) return {};
        if (!isManaged(held)) throw PluginError.failedPrecondition(`name: ${show(key)}: ${ref('Droplet', key)} was not written by Merak; Merak leaves it alone`);
        await store.delete('Droplet', key);
        await untilGone('Droplet', key);
        return {};
      }, () => String(name)),

    async getState() {
      const [vpcs, subnets, droplets] = await Promise.all((['Vpc', 'Subnet', 'Droplet'] as const).map((k) => store.list(k)));
      const mine = (l: { items: MizarResource[] }) => l.items.filter((r) => isManaged(r) && provisioned(r)).sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
      const revision = Math.max(...[vpcs!, subnets!, droplets!].map((l) => Number(l.resourceVersion) || 0));
      return {
        vpcs: shape(() => mine(vpcs!).map(vpcFromResource)),
        subnets: shape(() => mine(subnets!).map(subnetFromResource)),
        nodes: shape(() => mine(droplets!).map(nodeFromResource)),
        revision,
      };
    },
  };
}

/** A droplet's IP and MAC are unique among the namespace's droplets. */
async function checkDropletUnique(store: MizarStore, name: string, ip: string, mac: string): Promise<void> {
  for (const d of (await store.list('Droplet')).items) {
    if (d.metadata.name === name) continue;
    if (d.spec?.ip === ip) throw PluginError.alreadyExists(`node.ip: ${show(ip)} is already the address of droplet ${show(d.metadata.name)}; node addresses are unique`);
    if (String(d.spec?.mac ?? '').toLowerCase() === mac) throw PluginError.alreadyExists(`node.mac: ${show(mac)} is already the MAC of droplet ${show(d.metadata.name)}; node MACs are unique`);
  }
}

/**
 * Starts the Mizar plugin: checks that the API server serves Mizar's resources in the namespace
 * (refusing to start otherwise, with the reason), then serves NetworkPluginService and
 * NetworkPluginStateService.
 * @throws Error when the CRDs are missing, the API server cannot be reached, or the port cannot be bound.
 */
export async function startMizarPlugin(options: MizarPluginOptions): Promise<RunningMizarPlugin> {
  const namespace = options.namespace ?? 'default';
  checkName('--namespace', namespace);
  const timeoutMs = options.provisionTimeoutMs ?? DEFAULT_PROVISION_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new RangeError(`provisionTimeoutMs: ${timeoutMs} is not a whole number of milliseconds above 0`);
  const store = options.store ?? openMizarStore({ kubeconfig: options.kubeconfig, namespace });
  const log = options.log ?? (() => undefined);
  for (const kind of ['Vpc', 'Subnet', 'Droplet', 'Endpoint'] as const) {
    try {
      await store.list(kind);
    } catch (err) {
      throw new Error(`mizar plugin: cannot read ${PLURAL[kind]}.mizar.com in namespace ${namespace} at ${store.server}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const handlers = mizarHandlers(store, timeoutMs, log);
  const running = await serveNetworkPlugin(handlers, {
    host: options.host,
    port: options.port,
    shutdownGraceMs: options.shutdownGraceMs,
    stateHandler: { getState: () => handlers.getState() },
    onInternalError: (method, err) => log(`${method} failed unexpectedly: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
  });
  return { ...running, namespace };
}
