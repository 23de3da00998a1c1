/**
 * The `alcor` network plugin: Merak's VPCs, subnets and nodes as Alcor's VPCs (networks),
 * subnets and nodes, through Alcor's REST API — the role OpenStack Neutron plays for Alcor.
 *
 * | Merak | Alcor |
 * | --- | --- |
 * | VPC {id, ip/prefix} | `POST /project/{p}/vpcs` network {id, cidr, provider:network_type vxlan}, plus one Neutron router `merak-router-<vpc id>` (`POST /project/{p}/routers`) |
 * | subnet {id, vpc, ip/prefix} | `POST /project/{p}/subnets` {id, network_id, cidr}, then `PUT /project/{p}/routers/{r}/add_router_interface` {subnet_id} |
 * | node {name, ip, mac} | `POST /nodes` host_info {node_id = node_name = name, local_ip = ip, mac_address = mac} |
 *
 * The router is how Neutron (and so Alcor) routes between the subnets of one network: Merak's
 * VPCs route between their subnets, so every subnet of a VPC is an interface of the VPC's router,
 * and Alcor then pushes router states and L3 neighbors to the nodes (docs/providers/alcor.md).
 *
 * Every Create and Update answers what Alcor holds, exactly as GetState lists it: the VNI is
 * Alcor's `provider:segmentation_id` (Alcor overwrites the one asked for; the asked one is still
 * checked against the proto's range), and `optional` carries only what Alcor holds (`alcor.*`
 * keys): Alcor has no field for a caller's map on nodes, and Merak keeps no state outside the
 * provider, so a caller's optional keys are checked and not held. `revision` grows with every
 * change Alcor accepted from this plugin (Alcor keeps no counter of its own). Alcor's rough edges
 * (../shared/providers/alcor/README.md) and what this plugin does about each:
 * - a POST with an existing id silently overwrites (a VPC even gets a new VNI): every Create
 *   reads first; the same fields are an idempotent success, other fields ALREADY_EXISTS;
 * - a VPC DELETE does not check for subnets (it orphans them): refused here with
 *   FAILED_PRECONDITION while the VPC has subnets;
 * - a subnet PUT without `gateway_ip` clears the gateway: every subnet update resends it;
 * - a VPC PUT writes every boolean it is not sent as false: every VPC update resends them;
 * - nearly every refusal is an HTTP 500 told apart by its message: classify.ts maps them.
 */
import { PluginError, Status } from '../errors';
import type { NetworkPluginHandlers, NetworkPluginStateHandler } from '../sdk';
import type * as T from '../types';
import { checkCidr, checkIpv4, checkKey, checkMac, checkOptional, checkSubnetVni, checkVni, show } from '../reference/validate';
import { formatIpv4 } from '../../model/ipv4';
import { classifyAlcorFailure } from './classify';
import { AlcorHttpError, AlcorUnreachableError, type AlcorRest, type AlcorService } from './rest';

export interface AlcorPluginOptions {
  rest: AlcorRest;
  /** Alcor project (tenant) every VPC and subnet belongs to. */
  project: string;
  /** Told about every accepted change and refusal. @default nothing */
  log?: (line: string) => void;
}

/** Keys Alcor's ids travel in: URL path segments. */
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function checkId(field: string, value: unknown): string {
  const id = checkKey(field, value);
  if (!ID_RE.test(id)) throw PluginError.invalidArgument(`${field}: ${show(id)} must match ${ID_RE} (Alcor takes it in URL paths)`);
  return id;
}

/** The Neutron router that routes between the subnets of one VPC. */
export const routerIdOf = (vpcId: string): string => `merak-router-${vpcId}`;

/** Alcor's VPC (network) as its API returns it; only the fields Merak reads. */
export interface AlcorVpc {
  id: string;
  name?: string;
  cidr?: string;
  'provider:network_type'?: string;
  'provider:segmentation_id'?: number;
  admin_state_up?: boolean;
  port_security_enabled?: boolean;
  shared?: boolean;
  'router:external'?: boolean;
  is_default?: boolean;
  mtu?: number;
}

export interface AlcorSubnet {
  id: string;
  name?: string;
  network_id?: string;
  cidr?: string;
  gateway_ip?: string | null;
  gatewayPortId?: string;
  gateway_port_detail?: { gateway_macAddress?: string; gateway_port_id?: string };
}

export interface AlcorNode {
  node_id: string;
  node_name?: string;
  local_ip?: string;
  mac_address?: string;
  'data-path-ip'?: string | null;
}

/** The cidr Alcor stores as "a.b.c.d/n", split into Merak's two fields. */
function splitCidr(cidr: string | undefined, fallback: { ip: string; prefix: number }): { ip: string; prefix: number } {
  const m = cidr ? /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr) : null;
  return m ? { ip: m[1]!, prefix: Number(m[2]) } : fallback;
}

/** The `optional` of a VPC: what Alcor holds for it (the same in every answer and in GetState). */
export function vpcOptional(vpc: AlcorVpc): Record<string, string> {
  const seg = vpc['provider:segmentation_id'];
  return {
    ...(typeof seg === 'number' ? { 'alcor.segmentation_id': String(seg) } : {}),
    'alcor.network_type': vpc['provider:network_type'] ?? 'vxlan',
    'alcor.router_id': routerIdOf(vpc.id),
  };
}

/** The `optional` of a subnet: the gateway Alcor chose for it. */
export function subnetOptional(s: AlcorSubnet): Record<string, string> {
  const optional: Record<string, string> = {};
  if (s.gateway_ip) optional['alcor.gateway_ip'] = s.gateway_ip;
  const gwMac = s.gateway_port_detail?.gateway_macAddress;
  if (gwMac) optional['alcor.gateway_mac'] = gwMac;
  const gwPort = s.gateway_port_detail?.gateway_port_id ?? s.gatewayPortId;
  if (gwPort) optional['alcor.gateway_port_id'] = gwPort;
  return optional;
}

/**
 * Alcor's NodeInfo for a Merak node. `local_ip` is where Alcor's network configuration manager
 * pushes the node's goal states; `data-path-ip` is the node's tunnel endpoint, which Alcor's
 * data-plane manager puts into the neighbor states it builds (without it DPM fails on a null
 * setter and pushes no neighbor state at all: NeighborService.buildNeighborState). Both are the
 * node's underlay address here. `server_port` is the port Alcor's agent listens on (50001).
 */
function nodeInfo(name: string, ip: string, mac: string): Record<string, unknown> {
  return { node_id: name, node_name: name, local_ip: ip, 'data-path-ip': ip, mac_address: mac, veth: 'eth0', server_port: 50001, host_dvr_mac: mac };
}

/**
 * Runs one change to Alcor at a time. Alcor's services wrap Ignite's thin-client transactions in
 * one object per cache whose `clientTransaction` field every thread overwrites
 * (lib/.../db/ignite/IgniteClientTransaction.java): two changes at once can commit each other's
 * transaction and leave the other one's pessimistic lock held for good. Seen here: two node
 * deletes at once hung until the node manager stopped, and two subnet deletes at once left an
 * interface on the VPC's router. Reads do not take those locks and run at once.
 */
export function createSerial(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const next = tail.then(fn, fn);
    tail = next.catch(() => undefined);
    return next;
  };
}

/** Creates the handlers; `stateHandler` lists what Alcor holds for the project. */
export function createAlcorPlugin(o: AlcorPluginOptions): { handlers: NetworkPluginHandlers; stateHandler: NetworkPluginStateHandler } {
  const p = encodeURIComponent(o.project);
  const log = o.log ?? (() => undefined);
  const serial = createSerial();
  /**
   * GetState's revision: 0 until this process changed Alcor, then raised on every change Alcor
   * accepted, to at least the wall clock in ms, so a restarted plugin does not report less than
   * a reader saw before (unless the clock goes back). A hash of the state would not grow.
   */
  let revision = 0;
  const changed = (): void => {
    revision = Math.max(revision + 1, Date.now());
  };

  /** One Alcor call, its failure turned into the plugin's status with Alcor's own words. */
  const call = async (
    what: string,
    kind: 'create' | 'update' | 'delete' | 'read',
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    service: AlcorService,
    path: string,
    body?: unknown,
  ): Promise<unknown> => {
    try {
      const run = () => o.rest.call(method, service, path, body);
      if (method === 'GET') return (await run()).body;
      const answer = (await serial(run)).body;
      changed();
      return answer;
    } catch (err) {
      if (err instanceof AlcorUnreachableError) throw PluginError.unavailable(`${what}: ${err.message}`);
      if (!(err instanceof AlcorHttpError)) throw err;
      const c = classifyAlcorFailure(err.status, err.alcorMessage);
      // Gone already: what a delete wanted (a retry after an answer that was lost, for one).
      if (kind === 'delete' && c.code === 'NOT_FOUND') return undefined;
      // A missing object is NOT_FOUND only for an Update; for a Create it is a missing parent.
      const code = c.code === 'NOT_FOUND' && kind !== 'update' ? Status.FAILED_PRECONDITION : c.grpcCode;
      throw new PluginError(code, `${what}: Alcor answered ${err.status} "${err.alcorMessage}" (${c.why})`);
    }
  };

  const getVpc = async (id: string): Promise<AlcorVpc | undefined> =>
    ((await call(`read vpc ${id}`, 'read', 'GET', 'vpc', `/project/${p}/vpcs/${encodeURIComponent(id)}`)) as { network?: AlcorVpc | null }).network ?? undefined;
  const getSubnet = async (id: string): Promise<AlcorSubnet | undefined> =>
    ((await call(`read subnet ${id}`, 'read', 'GET', 'subnet', `/project/${p}/subnets/${encodeURIComponent(id)}`)) as { subnet?: AlcorSubnet | null }).subnet ?? undefined;
  const getNode = async (id: string): Promise<AlcorNode | undefined> =>
    ((await call(`read node ${id}`, 'read', 'GET', 'node', `/nodes/${encodeURIComponent(id)}`)) as { host_info?: AlcorNode | null }).host_info ?? undefined;
  const subnetsOf = async (vpcId: string): Promise<AlcorSubnet[]> =>
    ((await call(`list subnets of vpc ${vpcId}`, 'read', 'GET', 'subnet', `/project/${p}/subnets?network_id=${encodeURIComponent(vpcId)}&project_id=${p}`)) as { subnets?: AlcorSubnet[] }).subnets ?? [];
  const getRouter = async (id: string): Promise<{ id: string; gateway_ports?: string[] } | undefined> => {
    const body = (await call(`read router ${id}`, 'read', 'GET', 'route', `/project/${p}/routers/${encodeURIComponent(id)}`)) as { router?: { id?: string } | null };
    return body.router?.id ? (body.router as { id: string }) : undefined;
  };

  const vpcAnswer = (vpc: AlcorVpc, asked: { ip: string; prefix: number }): T.Vpc => {
    const seg = vpc['provider:segmentation_id'];
    if (typeof seg !== 'number' || !Number.isInteger(seg) || seg < 1) {
      throw PluginError.failedPrecondition(`vpc ${vpc.id}: Alcor holds no segmentation id for it (provider:segmentation_id ${show(seg)}); it cannot carry VXLAN traffic`);
    }
    return {
      id: vpc.id,
      vni: seg,
      ...splitCidr(vpc.cidr, asked),
      optional: vpcOptional(vpc),
    };
  };

  const ensureRouter = async (vpcId: string): Promise<void> => {
    const id = routerIdOf(vpcId);
    if (await getRouter(id)) return;
    await call(`create router ${id} of vpc ${vpcId}`, 'create', 'POST', 'route', `/project/${p}/routers`, {
      router: { id, name: id, project_id: o.project, tenant_id: o.project, admin_state_up: true, description: `Merak: routes between the subnets of VPC ${vpcId}` },
    });
  };

  const subnetAnswer = (s: AlcorSubnet, vpc: AlcorVpc, asked: { ip: string; prefix: number }): T.Subnet => ({
    id: s.id,
    vpc: s.network_id ?? vpc.id,
    vni: vpcAnswer(vpc, asked).vni,
    ...splitCidr(s.cidr, asked),
    optional: subnetOptional(s),
  });

  /** The fields every VPC or subnet request carries, checked (INVALID_ARGUMENT naming the field). */
  const parseNetwork = <R extends { id: string; vni: number; ip: string; prefix: number; optional: Record<string, string> }>(kind: 'vpc' | 'subnet', r: R | null | undefined) => {
    if (!r) throw PluginError.invalidArgument(`${kind}: is missing`);
    const id = checkId(`${kind}.id`, r.id);
    // Alcor assigns its own segmentation id, but the asked VNI is a field of the request all the
    // same: out of the proto's range it is a bad request (as at every provider), not a wish.
    if (kind === 'vpc') checkVni('vpc.vni', r.vni);
    else checkSubnetVni('subnet.vni', r.vni);
    const cidr = checkCidr(kind, r.ip, r.prefix);
    // Checked, not held (the header says why).
    checkOptional(`${kind}.optional`, r.optional);
    return { req: r, id, cidr, text: `${formatIpv4(cidr.network)}/${cidr.prefix}` };
  };

  /** The fields of a node request, checked. */
  const parseNode = (n: { name: string; ip: string; mac: string; optional: Record<string, string> } | null | undefined) => {
    if (!n) throw PluginError.invalidArgument('node: is missing');
    // The optional map is checked, not held: Alcor's NodeInfo has no field for it.
    checkOptional('node.optional', n.optional);
    return { name: checkId('node.name', n.name), ip: checkIpv4('node.ip', n.ip), mac: checkMac('node.mac', n.mac) };
  };

  const handlers: NetworkPluginHandlers = {
    async createVpc({ vpc }) {
      const { req, id, cidr, text } = parseNetwork('vpc', vpc);
      const asked = { ip: formatIpv4(cidr.network), prefix: cidr.prefix };
      let held = await getVpc(id);
      if (held) {
        if (held.cidr !== text) throw PluginError.alreadyExists(`vpc.id: ${show(id)} exists in Alcor with cidr ${show(held.cidr)}, not ${text}`);
      } else {
        const body = (await call(`create vpc ${id}`, 'create', 'POST', 'vpc', `/project/${p}/vpcs`, {
          network: { id, name: id, cidr: text, project_id: o.project, tenant_id: o.project, admin_state_up: true, 'provider:network_type': 'vxlan' },
        })) as { network?: AlcorVpc };
        held = body.network ?? (await getVpc(id));
        if (!held) throw PluginError.unavailable(`create vpc ${id}: Alcor answered without the VPC and does not hold it`);
        log(`vpc ${id} ${text}: asked VNI ${req.vni}, Alcor assigned segmentation id ${held['provider:segmentation_id']}`);
      }
      await ensureRouter(id);
      return { vpc: vpcAnswer(held, asked) };
    },

    async updateVpc({ vpc }) {
      const { id, cidr, text } = parseNetwork('vpc', vpc);
      const held = await getVpc(id);
      if (!held) throw PluginError.notFound(`vpc.id: ${show(id)} does not exist in Alcor`);
      let now = held;
      if (held.cidr !== text) {
        // Alcor's request DTO holds its booleans as primitives: one left out is written as false.
        const body = (await call(`update vpc ${id}`, 'update', 'PUT', 'vpc', `/project/${p}/vpcs/${encodeURIComponent(id)}`, {
          network: {
            name: held.name ?? id,
            cidr: text,
            admin_state_up: held.admin_state_up ?? true,
            port_security_enabled: held.port_security_enabled ?? false,
            shared: held.shared ?? false,
            'router:external': held['router:external'] ?? false,
            is_default: held.is_default ?? false,
          },
        })) as { network?: AlcorVpc };
        now = body.network ?? (await getVpc(id)) ?? held;
        log(`vpc ${id}: cidr ${held.cidr} -> ${text}`);
      }
      return { vpc: vpcAnswer(now, { ip: formatIpv4(cidr.network), prefix: cidr.prefix }) };
    },

    async deleteVpc({ id }) {
      const vpcId = checkId('id', id);
      if (!(await getVpc(vpcId))) {
        // Its router may be left from a delete cut half-way.
        await deleteRouter(vpcId);
        return {};
      }
      const subnets = await subnetsOf(vpcId);
      if (subnets.length > 0) {
        // Alcor would delete it and leave the subnets (and their ports) orphaned.
        throw PluginError.failedPrecondition(`vpc ${vpcId} still has ${subnets.length} subnet(s) in Alcor (${subnets.map((s) => s.id).slice(0, 5).join(', ')}); delete them first`);
      }
      await deleteRouter(vpcId);
      await call(`delete vpc ${vpcId}`, 'delete', 'DELETE', 'vpc', `/project/${p}/vpcs/${encodeURIComponent(vpcId)}`);
      log(`vpc ${vpcId} deleted`);
      return {};
    },

    async createSubnet({ subnet }) {
      const { req, id, cidr, text } = parseNetwork('subnet', subnet);
      const vpcId = checkId('subnet.vpc', req.vpc);
      const asked = { ip: formatIpv4(cidr.network), prefix: cidr.prefix };
      const vpc = await getVpc(vpcId);
      if (!vpc) throw PluginError.failedPrecondition(`subnet.vpc: ${show(vpcId)} does not exist in Alcor; create the VPC first`);
      let held = await getSubnet(id);
      if (held) {
        if (held.network_id !== vpcId || held.cidr !== text) {
          throw PluginError.alreadyExists(`subnet.id: ${show(id)} exists in Alcor in vpc ${show(held.network_id)} with cidr ${show(held.cidr)}, not ${vpcId} ${text}`);
        }
      } else {
        const body = (await call(`create subnet ${id}`, 'create', 'POST', 'subnet', `/project/${p}/subnets`, {
          subnet: { id, name: id, network_id: vpcId, cidr: text, ip_version: 4, project_id: o.project, tenant_id: o.project },
        })) as { subnet?: AlcorSubnet };
        held = body.subnet ?? (await getSubnet(id));
        if (!held) throw PluginError.unavailable(`create subnet ${id}: Alcor answered without the subnet and does not hold it`);
        log(`subnet ${id} ${text} in vpc ${vpcId}: gateway ${held.gateway_ip ?? '(none)'}`);
      }
      await ensureRouter(vpcId);
      await attach(vpcId, id);
      return { subnet: subnetAnswer((await getSubnet(id)) ?? held, vpc, asked) };
    },

    async updateSubnet({ subnet }) {
      const { req, id, cidr, text } = parseNetwork('subnet', subnet);
      const vpcId = checkId('subnet.vpc', req.vpc);
      const held = await getSubnet(id);
      if (!held) throw PluginError.notFound(`subnet.id: ${show(id)} does not exist in Alcor`);
      if (held.network_id !== vpcId) throw PluginError.failedPrecondition(`subnet.vpc: ${id} belongs to ${show(held.network_id)}; a subnet cannot move to another VPC`);
      const vpc = await getVpc(vpcId);
      if (!vpc) throw PluginError.failedPrecondition(`subnet.vpc: ${show(vpcId)} does not exist in Alcor`);
      let now = held;
      if (held.cidr !== text) {
        // A PUT without gateway_ip clears the gateway and deletes the gateway port: resend it.
        const body = (await call(`update subnet ${id}`, 'update', 'PUT', 'subnet', `/project/${p}/subnets/${encodeURIComponent(id)}`, {
          subnet: { name: held.name ?? id, cidr: text, gateway_ip: held.gateway_ip },
        })) as { subnet?: AlcorSubnet };
        now = body.subnet ?? (await getSubnet(id)) ?? held;
        log(`subnet ${id}: cidr ${held.cidr} -> ${text}`);
      }
      return { subnet: subnetAnswer(now, vpc, { ip: formatIpv4(cidr.network), prefix: cidr.prefix }) };
    },

    async deleteSubnet({ id }) {
      const subnetId = checkId('id', id);
      const held = await getSubnet(subnetId);
      if (!held) return {};
      if (held.network_id) await detach(held.network_id, subnetId);
      await call(`delete subnet ${subnetId}`, 'delete', 'DELETE', 'subnet', `/project/${p}/subnets/${encodeURIComponent(subnetId)}`);
      log(`subnet ${subnetId} deleted`);
      return {};
    },

    async createNode({ node }) {
      const { name, ip, mac } = parseNode(node);
      const held = await getNode(name);
      if (held) {
        if (held.local_ip !== ip || (held.mac_address ?? '').toLowerCase() !== mac) {
          throw PluginError.alreadyExists(`node.name: ${show(name)} exists in Alcor with ip ${show(held.local_ip)} mac ${show(held.mac_address)}, not ${ip} ${mac}`);
        }
        if (held['data-path-ip'] !== ip) {
          // Registered without its tunnel endpoint (by hand, or an older Merak): DPM would push no neighbor state for its ports.
          await call(`update node ${name}`, 'update', 'PUT', 'node', `/nodes/${encodeURIComponent(name)}`, { host_info: nodeInfo(name, ip, mac) });
          log(`node ${name}: data-path-ip ${show(held['data-path-ip'])} -> ${ip}`);
        }
        return { node: { name, ip, mac, optional: {} } };
      }
      // Alcor keeps any number of nodes with one address; its data plane could not tell them apart.
      const sameIp = ((await call(`list nodes at ${ip}`, 'read', 'GET', 'node', `/nodes?local_ip=${encodeURIComponent(ip)}`)) as { nodeInfos?: AlcorNode[] }).nodeInfos ?? [];
      const other = sameIp.find((n) => n.node_id !== name);
      if (other) throw PluginError.alreadyExists(`node.ip: ${ip} is the address of Alcor node ${show(other.node_id)}`);
      await call(`create node ${name}`, 'create', 'POST', 'node', '/nodes', {
        host_info: nodeInfo(name, ip, mac),
      });
      log(`node ${name} ${ip} ${mac}`);
      return { node: { name, ip, mac, optional: {} } };
    },

    async updateNode({ node }) {
      const { name, ip, mac } = parseNode(node);
      const held = await getNode(name);
      if (!held) throw PluginError.notFound(`node.name: ${show(name)} does not exist in Alcor`);
      if (held.local_ip !== ip || (held.mac_address ?? '').toLowerCase() !== mac || held['data-path-ip'] !== ip) {
        await call(`update node ${name}`, 'update', 'PUT', 'node', `/nodes/${encodeURIComponent(name)}`, {
          host_info: nodeInfo(name, ip, mac),
        });
        log(`node ${name}: ${held.local_ip} ${held.mac_address} -> ${ip} ${mac}`);
      }
      return { node: { name, ip, mac, optional: {} } };
    },

    async deleteNode({ name }) {
      const nodeName = checkId('name', name);
      if (!(await getNode(nodeName))) return {};
      await call(`delete node ${nodeName}`, 'delete', 'DELETE', 'node', `/nodes/${encodeURIComponent(nodeName)}`);
      log(`node ${nodeName} deleted`);
      return {};
    },
  };

  async function attach(vpcId: string, subnetId: string): Promise<void> {
    const rid = routerIdOf(vpcId);
    const router = (await call(`read router ${rid}`, 'read', 'GET', 'route', `/project/${p}/routers/${encodeURIComponent(rid)}`)) as { router?: { ports?: string[]; gateway_ports?: string[] } | null };
    const subnet = await getSubnet(subnetId);
    const gwPort = subnet?.gateway_port_detail?.gateway_port_id ?? subnet?.gatewayPortId;
    const ports = [...(router.router?.ports ?? []), ...(router.router?.gateway_ports ?? [])];
    if (gwPort && ports.includes(gwPort)) return;
    await call(`attach subnet ${subnetId} to router ${rid}`, 'create', 'PUT', 'route', `/project/${p}/routers/${encodeURIComponent(rid)}/add_router_interface`, { subnet_id: subnetId });
  }

  async function detach(vpcId: string, subnetId: string): Promise<void> {
    const rid = routerIdOf(vpcId);
    if (!(await getRouter(rid))) return;
    try {
      await serial(() => o.rest.call('PUT', 'route', `/project/${p}/routers/${encodeURIComponent(rid)}/remove_router_interface`, { subnet_id: subnetId }));
      changed();
    } catch (err) {
      // Not attached (any more): nothing to undo. Anything else is a real failure.
      if (err instanceof AlcorHttpError && classifyAlcorFailure(err.status, err.alcorMessage).code === 'NOT_FOUND') return;
      if (err instanceof AlcorUnreachableError) throw PluginError.unavailable(`detach subnet ${subnetId}: ${err.message}`);
      throw err;
    }
  }

  async function deleteRouter(vpcId: string): Promise<void> {
    const rid = routerIdOf(vpcId);
    if (!(await getRouter(rid))) return;
    await call(`delete router ${rid}`, 'delete', 'DELETE', 'route', `/project/${p}/routers/${encodeURIComponent(rid)}`);
  }

  const stateHandler: NetworkPluginStateHandler = {
    async getState() {
      // Alcor's list endpoints return every project's objects unless asked for one.
      const vpcs = ((await call('list vpcs', 'read', 'GET', 'vpc', `/project/${p}/vpcs?project_id=${p}`)) as { vpcs?: AlcorVpc[] }).vpcs ?? [];
      const subnets = ((await call('list subnets', 'read', 'GET', 'subnet', `/project/${p}/subnets?project_id=${p}`)) as { subnets?: AlcorSubnet[] }).subnets ?? [];
      const nodes = ((await call('list nodes', 'read', 'GET', 'node', '/nodes')) as { nodeInfos?: AlcorNode[] }).nodeInfos ?? [];
      const byId = new Map(vpcs.map((v) => [v.id, v]));
      const none = { ip: '0.0.0.0', prefix: 0 };
      return {
        vpcs: vpcs
          .map((v) => ({ id: v.id, vni: v['provider:segmentation_id'] ?? 0, ...splitCidr(v.cidr, none), optional: vpcOptional(v) }))
          .sort((a, b) => a.id.localeCompare(b.id)),
        subnets: subnets
          .map((s) => ({ id: s.id, vpc: s.network_id ?? '', vni: byId.get(s.network_id ?? '')?.['provider:segmentation_id'] ?? 0, ...splitCidr(s.cidr, none), optional: subnetOptional(s) }))
          .sort((a, b) => a.id.localeCompare(b.id)),
        nodes: nodes
          .map((n) => ({ name: n.node_id, ip: n.local_ip ?? '', mac: n.mac_address ?? '', optional: {} }))
          .sort((a, b) => a.name.localeCompare(b.name)),
        revision,
      };
    },
  };

  return { handlers, stateHandler };
}
