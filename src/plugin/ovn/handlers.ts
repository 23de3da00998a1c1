/**
 * The OVN network plugin's handlers: Merak's plugin proto on OVN's northbound database
 * (mapping in src/model/ovn.ts and docs/providers/ovn.md). Every handler reads what OVN holds,
 * decides, and writes one transaction; nothing is kept between calls, so a restarted plugin
 * carries on from the databases. Calls that touch one VPC (its router and its subnets' ports)
 * run one at a time in this process, so two retries of one Create cannot both create a row.
 *
 * The proto's rules, as OVN answers them:
 * - Create of an existing key with the same fields returns it; other fields → ALREADY_EXISTS;
 *   a router or switch of that name that Merak did not make → ALREADY_EXISTS.
 * - The VNI asked for is checked (1..16777215, 0 = the VPC's for a subnet) and then ignored:
 *   the answer carries the tunnel key northd allocated for the datapath.
 * - Subnet outside its VPC, host bits set, too small for a gateway → INVALID_ARGUMENT; a subnet
 *   overlapping another of its VPC → ALREADY_EXISTS; a subnet of a missing VPC, deleting a VPC
 *   with subnets, moving a subnet, changing a chassis's encap address → FAILED_PRECONDITION.
 * - CreateNode waits (bounded) for the node's chassis in the southbound database: the node agent
 *   starts it when the node is ensured; not registered in time → UNAVAILABLE (Merak retries).
 * - The databases not answering → UNAVAILABLE.
 * - A Create or Update whose caller has gone (deadline passed, cancelled) changes nothing: it is
 *   checked after the VPC's or node's lock and right before the write (throwIfCallerGone), so a
 *   retry queued behind a call that NB left hanging does not write after its caller gave up.
 *   A write already handed to the ovn-nbctl daemon cannot be called back: the daemon commits it
 *   once NB answers; Merak's compensation outlasts that (docs/scenario.md, issue 11).
 */
import { PluginError } from '../errors';
import { throwIfCallerGone, type CallContext, type NetworkPluginHandlers, type NetworkPluginStateHandler } from '../sdk';
import type { Node__Output, Subnet__Output, Vpc__Output } from '../types';
import { checkCidr, checkIpv4, checkKey, checkMac, checkOptional, checkSubnetVni, checkVni, show } from '../reference/validate';
import { OvsdbCommandError, OvsdbUnreachableError } from '../../dataplane/ovn/ctl';
import { cidrContains, cidrsOverlap, formatIpv4, parseCidr } from '../../model/ipv4';
import { MAX_SUBNET_PREFIX } from '../../model/ipam';
import { looksLikeUuid } from '../../model/ovn';
import { cidrText, optionalJson, type HeldNode, type HeldSubnet, type HeldVpc, type OvnDatabases } from './northbound';

export interface OvnHandlerOptions {
  /** How long CreateNode waits for the chassis to register. @default 8000 ms (below Merak's 10 s default deadline) */
  registrationWaitMs?: number;
  /** What GetState answers as node_config (the central's addresses). */
  nodeConfig: Record<string, string>;
  /** One line per accepted or refused change. @default silent */
  log?: (line: string) => void;
}

/** Runs calls with the same key one after another. */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = before.then(() => mine);
    this.tails.set(key, tail);
    await before;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

/** The owner an object or Delete request names (proto field `scenario`, '' when absent). */
const ownerOf = (o: object | null | undefined): string => {
  const s = (o as { scenario?: unknown } | null | undefined)?.scenario;
  return typeof s === 'string' ? s : '';
};

const sameMap = (a: Record<string, string>, b: Record<string, string>): boolean => optionalJson(a) === optionalJson(b);

/** A key OVN can hold as a row name: the proto's key rule, and not UUID-shaped (ovn-nbctl would read it as a row reference). */
function checkName(field: string, value: unknown): string {
  const key = checkKey(field, value);
  if (looksLikeUuid(key)) throw PluginError.invalidArgument(`${field}: ${show(key)} has the form of a UUID, which ovn-nbctl takes for a row reference; use another name`);
  return key;
}

/** Turns a database failure into the proto's status: not answering → UNAVAILABLE. */
function dbFailure(method: string, err: unknown): never {
  if (err instanceof OvsdbUnreachableError) {
    throw PluginError.unavailable(`${method}: the OVN database did not answer (${err.detail}); retry once it is back`);
  }
  if (err instanceof OvsdbCommandError) throw new Error(`${method}: OVN refused the change: ${err.detail}`);
  throw err;
}

export function createOvnHandlers(db: OvnDatabases, o: OvnHandlerOptions): NetworkPluginHandlers & NetworkPluginStateHandler {
  const lock = new KeyedLock();
  const log = o.log ?? (() => undefined);
  const waitSec = Math.max(1, Math.ceil((o.registrationWaitMs ?? 8_000) / 1000));

  /** Runs a handler body, mapping database failures and logging the outcome. */
  const handle = async <T>(method: string, describe: string, fn: () => Promise<T>): Promise<T> => {
    try {
      const r = await fn();
      log(`${method} ${describe}`);
      return r;
    } catch (err) {
      log(`${method} ${describe} refused: ${err instanceof Error ? err.message : String(err)}`);
      if (err instanceof PluginError) throw err;
      return dbFailure(method, err);
    }
  };

  /** Merak's router of a VPC, or undefined; refuses a namesake Merak did not make. */
  const merakRouter = async (id: string, field: string): Promise<HeldVpc | undefined> => {
    const found = await db.routers(id);
    if (found.length > 1) throw PluginError.failedPrecondition(`${field}: ${found.length} logical routers are named ${show(id)} in the northbound database; remove the extra ones`);
    const r = found[0];
    if (r && !r.merak) throw PluginError.alreadyExists(`${field}: a logical router named ${show(id)} exists that Merak did not make`);
    return r;
  };

  const merakSwitch = async (id: string, field: string): Promise<HeldSubnet | undefined> => {
    const found = await db.switches(id);
    if (found.length > 1) throw PluginError.failedPrecondition(`${field}: ${found.length} logical switches are named ${show(id)} in the northbound database; remove the extra ones`);
    const s = found[0];
    if (s && !s.merak) throw PluginError.alreadyExists(`${field}: a logical switch named ${show(id)} exists that Merak did not make`);
    return s;
  };

  const vni = async (uuid: string, what: string): Promise<number> => {
    const key = await db.tunnelKey(uuid);
    if (key === undefined) throw PluginError.unavailable(`${what}: northd has not given its datapath a tunnel key yet; retry`);
    return key;
  };

  const vpcAnswer = async (v: HeldVpc): Promise<Vpc__Output> => {
    const c = parseCidr(v.cidr);
    return { id: v.id, vni: await vni(v.uuid, `vpc ${v.id}`), ip: formatIpv4(c.network), prefix: c.prefix, optional: v.optional, ...(v.scenario ? { scenario: v.scenario } : {}) } as Vpc__Output;
  };

  const subnetAnswer = async (s: HeldSubnet): Promise<Subnet__Output> => {
    const c = parseCidr(s.cidr);
    return { id: s.id, vpc: s.vpc, vni: await vni(s.uuid, `subnet ${s.id}`), ip: formatIpv4(c.network), prefix: c.prefix, optional: s.optional, ...(s.scenario ? { scenario: s.scenario } : {}) } as Subnet__Output;
  };

  const nodeAnswer = (n: HeldNode): Node__Output => ({ name: n.name, ip: n.encapIp, mac: n.mac ?? '', optional: n.optional, ...(n.scenario ? { scenario: n.scenario } : {}) }) as Node__Output;

  /** Notes Merak's fields on a chassis (unless the caller has gone) and answers the node as held now. */
  const markNode = async (held: HeldNode, n: ReturnType<typeof nodeFields>, ctx: CallContext | undefined): Promise<Node__Output> => {
    const next = { ...n, scenario: held.scenario || n.scenario };
    throwIfCallerGone(ctx);
    await db.markChassis(held.uuid, next);
    await db.sync(); // raises the revision GetState reports
    return nodeAnswer({ ...held, mac: n.mac, optional: n.optional, scenario: next.scenario, merak: true });
  };

  const checkOwner = (field: string, held: { scenario: string }, asked: string): void => {
    if (held.scenario !== '' && asked !== '' && held.scenario !== asked) throw PluginError.alreadyExists(`${field}: it belongs to scenario ${show(held.scenario)}, not ${show(asked)}`);
  };

  const vpcFields = (vpc: Vpc__Output | null) => {
    if (!vpc) throw PluginError.invalidArgument('vpc: is missing');
    const id = checkName('vpc.id', vpc.id);
    checkVni('vpc.vni', vpc.vni);
    const cidr = checkCidr('vpc', vpc.ip, vpc.prefix);
    return { id, cidr: `${formatIpv4(cidr.network)}/${cidr.prefix}`, optional: checkOptional('vpc.optional', vpc.optional), scenario: ownerOf(vpc) };
  };

  const subnetFields = (subnet: Subnet__Output | null) => {
    if (!subnet) throw PluginError.invalidArgument('subnet: is missing');
    const id = checkName('subnet.id', subnet.id);
    const vpc = checkName('subnet.vpc', subnet.vpc);
    checkSubnetVni('subnet.vni', subnet.vni);
    const cidr = checkCidr('subnet', subnet.ip, subnet.prefix);
    if (cidr.prefix > MAX_SUBNET_PREFIX) {
      throw PluginError.invalidArgument(`subnet.prefix: ${cidr.prefix} leaves no room for a gateway and a host (at most /${MAX_SUBNET_PREFIX}): the router port takes network+1`);
    }
    return { id, vpc, cidr: `${formatIpv4(cidr.network)}/${cidr.prefix}`, optional: checkOptional('subnet.optional', subnet.optional), scenario: ownerOf(subnet) };
  };

  /** The checks a subnet's CIDR must pass against its VPC and the VPC's other subnets. */
  const placeSubnet = async (s: { id: string; vpc: string; cidr: string }, router: HeldVpc): Promise<void> => {
    if (!cidrContains(parseCidr(router.cidr), parseCidr(s.cidr))) {
      throw PluginError.invalidArgument(`subnet.ip/subnet.prefix: ${s.cidr} is not inside VPC ${s.vpc} (${router.cidr})`);
    }
    for (const other of await db.subnetsOf(s.vpc)) {
      if (other.id !== s.id && cidrsOverlap(parseCidr(other.cidr), parseCidr(s.cidr))) {
        throw PluginError.alreadyExists(`subnet.ip/subnet.prefix: ${s.cidr} overlaps subnet ${other.id} (${other.cidr}) of VPC ${s.vpc}`);
      }
    }
  };

  const nodeFields = (node: Node__Output | null) => {
    if (!node) throw PluginError.invalidArgument('node: is missing');
    const name = checkKey('node.name', node.name);
    const ip = checkIpv4('node.ip', node.ip);
    const mac = checkMac('node.mac', node.mac);
    return { name, ip, mac, optional: checkOptional('node.optional', node.optional), scenario: ownerOf(node) };
  };

  return {
    createVpc: ({ vpc }, ctx) => {
      const v = vpcFields(vpc);
      return handle('CreateVpc', `${v.id} ${v.cidr}`, () =>
        lock.run(`vpc:${v.id}`, async () => {
          const held = await merakRouter(v.id, 'vpc.id');
          if (held) {
            checkOwner('vpc.id', held, v.scenario);
            if (held.cidr !== v.cidr || !sameMap(held.optional, v.optional)) {
              throw PluginError.alreadyExists(`vpc.id: VPC ${show(v.id)} exists as ${held.cidr} with optional ${optionalJson(held.optional)}, not ${v.cidr} with ${optionalJson(v.optional)}`);
            }
            return { vpc: await vpcAnswer(held) };
          }
          throwIfCallerGone(ctx);
          const uuid = await db.createRouter(v);
          return { vpc: await vpcAnswer({ uuid, ...v, merak: true }) };
        }),
      );
    },

    updateVpc: ({ vpc }, ctx) => {
      const v = vpcFields(vpc);
      return handle('UpdateVpc', `${v.id} ${v.cidr}`, () =>
        lock.run(`vpc:${v.id}`, async () => {
          const held = await merakRouter(v.id, 'vpc.id');
          if (!held) throw PluginError.notFound(`vpc.id: ${show(v.id)} names no VPC`);
          checkOwner('vpc.id', held, v.scenario);
          for (const s of await db.subnetsOf(v.id)) {
            if (!cidrContains(parseCidr(v.cidr), parseCidr(s.cidr))) {
              throw PluginError.failedPrecondition(`vpc.ip/vpc.prefix: ${v.cidr} would leave subnet ${s.id} (${s.cidr}) outside the VPC; change or delete the subnet first`);
            }
          }
          const next = { ...v, scenario: held.scenario || v.scenario };
          throwIfCallerGone(ctx);
          await db.updateRouter(held.uuid, next);
          return { vpc: await vpcAnswer({ ...held, ...next }) };
        }),
      );
    },

    deleteVpc: (req) => {
      const id = req.id;
      return handle('DeleteVpc', id, () =>
        lock.run(`vpc:${id}`, async () => {
          if (id === '') return {};
          const held = await merakRouter(id, 'id').catch((err: unknown) => {
            if (err instanceof PluginError && err.code === PluginError.alreadyExists('').code) throw PluginError.failedPrecondition(`id: the logical router ${show(id)} is not Merak's; Merak deletes only what it made`);
            throw err;
          });
          if (!held) return {};
          const asker = ownerOf(req);
          if (asker !== '' && held.scenario !== '' && held.scenario !== asker) return {}; // another scenario's: not ours to delete
          const subnets = await db.subnetsOf(id);
          if (subnets.length > 0) throw PluginError.failedPrecondition(`id: VPC ${show(id)} still has subnets ${subnets.map((s) => s.id).sort().join(', ')}; delete them first`);
          await db.deleteRouter(held.uuid);
          return {};
        }),
      );
    },

    createSubnet: ({ subnet }, ctx) => {
      const s = subnetFields(subnet);
      return handle('CreateSubnet', `${s.id} vpc=${s.vpc} ${s.cidr}`, () =>
        lock.run(`vpc:${s.vpc}`, async () => {
          const router = await merakRouter(s.vpc, 'subnet.vpc');
          if (!router) throw PluginError.failedPrecondition(`subnet.vpc: ${show(s.vpc)} names no VPC; create it first`);
          const held = await merakSwitch(s.id, 'subnet.id');
          if (held) {
            checkOwner('subnet.id', held, s.scenario);
            if (held.vpc !== s.vpc || held.cidr !== s.cidr || !sameMap(held.optional, s.optional)) {
              throw PluginError.alreadyExists(`subnet.id: subnet ${show(s.id)} exists as ${held.cidr} in VPC ${held.vpc} with optional ${optionalJson(held.optional)}, not ${s.cidr} in ${s.vpc} with ${optionalJson(s.optional)}`);
            }
            return { subnet: await subnetAnswer(held) };
          }
          await placeSubnet(s, router);
          throwIfCallerGone(ctx);
          await db.createSwitch({ ...s, routerUuid: router.uuid });
          const made = await merakSwitch(s.id, 'subnet.id');
          if (!made) throw new Error(`CreateSubnet: switch ${s.id} is not in the northbound database after its creation`);
          return { subnet: await subnetAnswer(made) };
        }),
      );
    },

    updateSubnet: ({ subnet }, ctx) => {
      const s = subnetFields(subnet);
      return handle('UpdateSubnet', `${s.id} vpc=${s.vpc} ${s.cidr}`, () =>
        lock.run(`vpc:${s.vpc}`, async () => {
          const held = await merakSwitch(s.id, 'subnet.id');
          if (!held) throw PluginError.notFound(`subnet.id: ${show(s.id)} names no subnet`);
          checkOwner('subnet.id', held, s.scenario);
          if (held.vpc !== s.vpc) throw PluginError.failedPrecondition(`subnet.vpc: subnet ${show(s.id)} belongs to VPC ${show(held.vpc)}; a subnet cannot move: delete it and create it again`);
          const router = await merakRouter(s.vpc, 'subnet.vpc');
          if (!router) throw PluginError.failedPrecondition(`subnet.vpc: ${show(s.vpc)} names no VPC`);
          await placeSubnet(s, router);
          const next = { ...s, scenario: held.scenario || s.scenario };
          throwIfCallerGone(ctx);
          await db.updateSwitch(held.uuid, next);
          return { subnet: await subnetAnswer({ ...held, ...next }) };
        }),
      );
    },

    deleteSubnet: (req) => {
      const id = req.id;
      return handle('DeleteSubnet', id, async () => {
        if (id === '') return {};
        const first = (await db.switches(id))[0];
        if (!first) return {};
        return lock.run(`vpc:${first.vpc}`, async () => {
          const held = await merakSwitch(id, 'id').catch((err: unknown) => {
            if (err instanceof PluginError && err.code === PluginError.alreadyExists('').code) throw PluginError.failedPrecondition(`id: the logical switch ${show(id)} is not Merak's; Merak deletes only what it made`);
            throw err;
          });
          if (!held) return {};
          const asker = ownerOf(req);
          if (asker !== '' && held.scenario !== '' && held.scenario !== asker) return {};
          await db.deleteSwitch(held.uuid, held.id);
          return {};
        });
      });
    },

    createNode: ({ node }, ctx) => {
      const n = nodeFields(node);
      return handle('CreateNode', `${n.name} ip=${n.ip} mac=${n.mac}`, () =>
        lock.run(`node:${n.name}`, async () => {
          try {
            await db.waitForChassis(n.name, waitSec);
          } catch (err) {
            if (err instanceof OvsdbUnreachableError) {
              throw PluginError.unavailable(
                `node.name: no chassis ${show(n.name)} registered in the OVN southbound database within ${waitSec} s (${err.detail}); its ovn-controller starts when Merak's agent ensures the node: retry`,
              );
            }
            throw err;
          }
          const held = (await db.chassis(n.name))[0];
          if (!held) throw PluginError.unavailable(`node.name: chassis ${show(n.name)} went away right after registering; retry`);
          checkOwner('node.name', held, n.scenario);
          if (held.encapIp !== n.ip) {
            throw PluginError.alreadyExists(`node.ip: chassis ${show(n.name)} registered with encap address ${held.encapIp}, not ${n.ip}; a chassis's address is its own configuration (ovn-encap-ip)`);
          }
          if (held.merak) {
            if (held.mac !== n.mac || !sameMap(held.optional, n.optional)) {
              throw PluginError.alreadyExists(`node.name: node ${show(n.name)} exists with mac ${held.mac ?? ''} and optional ${optionalJson(held.optional)}, not ${n.mac} with ${optionalJson(n.optional)}`);
            }
            return { node: nodeAnswer(held) };
          }
          return { node: await markNode(held, n, ctx) };
        }),
      );
    },

    updateNode: ({ node }, ctx) => {
      const n = nodeFields(node);
      return handle('UpdateNode', `${n.name} ip=${n.ip} mac=${n.mac}`, () =>
        lock.run(`node:${n.name}`, async () => {
          const held = (await db.chassis(n.name))[0];
          if (!held || !held.merak) throw PluginError.notFound(`node.name: ${show(n.name)} names no node`);
          checkOwner('node.name', held, n.scenario);
          if (held.encapIp !== n.ip) {
            throw PluginError.failedPrecondition(`node.ip: chassis ${show(n.name)} has encap address ${held.encapIp}; the address is the chassis's own configuration (ovn-encap-ip on the node), not the plugin's`);
          }
          return { node: await markNode(held, n, ctx) };
        }),
      );
    },

    deleteNode: (req) => {
      const name = req.name;
      return handle('DeleteNode', name, () =>
        lock.run(`node:${name}`, async () => {
          if (name === '') return {};
          const held = (await db.chassis(name))[0];
          if (!held) return {};
          const asker = ownerOf(req);
          if (asker !== '' && held.scenario !== '' && held.scenario !== asker) return {};
          await db.deleteChassis(name);
          return {};
        }),
      );
    },

    getState: async () => {
      try {
        const [routers, switches, chassis, keys, revision] = await Promise.all([db.routers(), db.switches(), db.chassis(), db.tunnelKeys(), db.revision()]);
        const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
        const vpcs = routers.filter((r) => r.merak).sort(byId).map((v) => {
          const c = parseCidr(v.cidr);
          return { id: v.id, vni: keys.get(v.uuid) ?? 0, ip: formatIpv4(c.network), prefix: c.prefix, optional: v.optional, ...(v.scenario ? { scenario: v.scenario } : {}) };
        });
        const subnets = switches.filter((s) => s.merak).sort(byId).map((s) => {
          const c = parseCidr(s.cidr);
          return { id: s.id, vpc: s.vpc, vni: keys.get(s.uuid) ?? 0, ip: formatIpv4(c.network), prefix: c.prefix, optional: s.optional, ...(s.scenario ? { scenario: s.scenario } : {}) };
        });
        const nodes = chassis.filter((n) => n.merak).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(nodeAnswer);
        return { vpcs, subnets, nodes, revision, node_config: o.nodeConfig };
      } catch (err) {
        return dbFailure('GetState', err);
      }
    },
  };
}

export { cidrText };
