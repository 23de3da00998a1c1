/**
 * What the OVN network plugin reads and writes in OVN's databases, through `ovn-nbctl` and
 * `ovn-sbctl` (dataplane/ovn/ctl.ts). Merak keeps no state of its own: a VPC is a
 * Logical_Router, a subnet a Logical_Switch with its router port, a node a southbound Chassis,
 * each marked with `external_ids` (OVN_KEYS) so a restarted plugin reads back exactly what it
 * made. The VNI of a VPC or subnet is the tunnel key northd gave its datapath (the Geneve VNI
 * OVN puts on the wire), read from the southbound Datapath_Binding once northd has caught up.
 *
 * Northbound reads and writes go through the central's `ovn-nbctl` daemon (one connection, one
 * copy of the database). Waiting for northd (`--wait=sb`) does not: a daemon whose `--wait`
 * never completes (northd down) stays stuck in it for every later call (seen with OVN 23.03:
 * the client's `--timeout` ends only the client), so the wait runs as a process of its own
 * (`sync`), whose timeout ends it. It also raises NB_Global.nb_cfg, the revision GetState shows.
 */
import type { CommandRunner } from '../../dataplane/command';
import { asMap, asSet, ctl, kv, parseTables, q, type CtlTarget, type Row } from '../../dataplane/ovn/ctl';
import { OVN_KEYS, routerMac, routerPortName, switchRouterPortName } from '../../model/ovn';
import { formatIpv4, parseCidr } from '../../model/ipv4';
import { gateway } from '../../model/ipam';

/** A VPC as the northbound database holds it. */
export interface HeldVpc {
  uuid: string;
  id: string;
  cidr: string;
  optional: Record<string, string>;
  scenario: string;
  /** Whether Merak made it (a router without Merak's mark is someone else's). */
  merak: boolean;
}

/** A subnet as the northbound database holds it. */
export interface HeldSubnet {
  uuid: string;
  id: string;
  vpc: string;
  cidr: string;
  optional: Record<string, string>;
  scenario: string;
  merak: boolean;
}

/** A node: the southbound Chassis and what Merak noted on it. */
export interface HeldNode {
  uuid: string;
  name: string;
  /** The Geneve encap address the chassis registered. */
  encapIp: string;
  /** The MAC Merak noted (OVN has no node MAC); undefined before CreateNode. */
  mac?: string;
  optional: Record<string, string>;
  scenario: string;
  /** Whether a CreateNode noted it. */
  merak: boolean;
}

const parseOptional = (ids: Record<string, string>): Record<string, string> => {
  const raw = ids[OVN_KEYS.optional];
  if (raw === undefined) return {};
  try {
    const v = JSON.parse(raw) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, String(x)])) : {};
  } catch {
    return {};
  }
};

/** Stable JSON of a string map (sorted keys), as kept in `merak-optional`. */
export const optionalJson = (o: Record<string, string>): string => JSON.stringify(Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));

function vpcOf(r: Row): HeldVpc {
  const ids = asMap(r.external_ids);
  return {
    uuid: String(r._uuid),
    id: String(r.name),
    cidr: ids[OVN_KEYS.cidr] ?? '',
    optional: parseOptional(ids),
    scenario: ids[OVN_KEYS.scenario] ?? '',
    merak: ids[OVN_KEYS.kind] === 'vpc',
  };
}

function subnetOf(r: Row): HeldSubnet {
  const ids = asMap(r.external_ids);
  return {
    uuid: String(r._uuid),
    id: String(r.name),
    vpc: ids[OVN_KEYS.vpc] ?? '',
    cidr: ids[OVN_KEYS.cidr] ?? '',
    optional: parseOptional(ids),
    scenario: ids[OVN_KEYS.scenario] ?? '',
    merak: ids[OVN_KEYS.kind] === 'subnet',
  };
}

/** The ovn-nbctl/ovn-sbctl commands of the plugin, against one central. */
export class OvnDatabases {
  /**
   * @param nb the northbound database; with `daemonSocket` set, every call but `sync` goes
   *   through that ovn-nbctl daemon
   * @param sb the southbound database (one ovn-sbctl process per call)
   */
  constructor(
    readonly runner: CommandRunner,
    readonly nb: CtlTarget,
    readonly sb: CtlTarget,
  ) {}

  /** One northbound transaction, then the wait for northd (sync). */
  private async nbWrite(commands: string[][]): Promise<string> {
    const out = await ctl(this.runner, this.nb, commands);
    await this.sync();
    return out;
  }

  private async nbTables(commands: string[][]): Promise<Row[][]> {
    return parseTables(await ctl(this.runner, this.nb, commands, { json: true }));
  }

  private async sbTables(commands: string[][]): Promise<Row[][]> {
    return parseTables(await ctl(this.runner, this.sb, commands, { json: true }));
  }

  /** Routers named `id` (more than one only if someone else made a namesake). */
  async routers(id?: string): Promise<HeldVpc[]> {
    const cmd = id === undefined ? ['--columns=_uuid,name,external_ids', 'list', 'Logical_Router'] : ['--columns=_uuid,name,external_ids', 'find', 'Logical_Router', `name=${q(id)}`];
    const [rows] = await this.nbTables([cmd]);
    return (rows ?? []).map(vpcOf);
  }

  /** Switches named `id`, or all of them. */
  async switches(id?: string): Promise<HeldSubnet[]> {
    const cmd = id === undefined ? ['--columns=_uuid,name,external_ids', 'list', 'Logical_Switch'] : ['--columns=_uuid,name,external_ids', 'find', 'Logical_Switch', `name=${q(id)}`];
    const [rows] = await this.nbTables([cmd]);
    return (rows ?? []).map(subnetOf);
  }

  /** Merak's subnets of one VPC. */
  async subnetsOf(vpc: string): Promise<HeldSubnet[]> {
    const [rows] = await this.nbTables([['--columns=_uuid,name,external_ids', 'find', 'Logical_Switch', kv('external_ids', OVN_KEYS.vpc, vpc), kv('external_ids', OVN_KEYS.kind, 'subnet')]]);
    return (rows ?? []).map(subnetOf);
  }

  /** Waits until northd has applied every change made so far to the southbound database. */
  async sync(): Promise<void> {
    await ctl(this.runner, { ...this.nb, daemonSocket: undefined }, [['sync']], { wait: 'sb' });
  }

  /**
   * Tunnel keys northd gave the datapaths of the given routers and switches (by NB uuid).
   * A datapath northd has not made yet is missing from the answer.
   */
  async tunnelKeys(): Promise<Map<string, number>> {
    const [rows] = await this.sbTables([['--columns=tunnel_key,external_ids', 'list', 'Datapath_Binding']]);
    const out = new Map<string, number>();
    for (const r of rows ?? []) {
      const ids = asMap(r.external_ids);
      const nb = ids['logical-router'] ?? ids['logical-switch'];
      if (nb) out.set(nb, Number(r.tunnel_key));
    }
    return out;
  }

  /** The tunnel key of one datapath, waiting for northd first when it is not there yet. */
  async tunnelKey(nbUuid: string): Promise<number | undefined> {
    let key = (await this.tunnelKeys()).get(nbUuid);
    if (key === undefined) {
      await this.sync();
      key = (await this.tunnelKeys()).get(nbUuid);
    }
    return key;
  }

  private marks(kind: string, id: string, scenario: string, cidr: string, optional: Record<string, string>, extra: Record<string, string> = {}): string[] {
    const ids: Record<string, string> = { [OVN_KEYS.kind]: kind, [OVN_KEYS.id]: id, [OVN_KEYS.cidr]: cidr, [OVN_KEYS.optional]: optionalJson(optional), ...extra };
    if (scenario !== '') ids[OVN_KEYS.scenario] = scenario;
    return Object.entries(ids).map(([k, v]) => kv('external_ids', k, v));
  }

  /** Creates a VPC's router and waits for northd; returns its uuid. */
  async createRouter(v: { id: string; cidr: string; optional: Record<string, string>; scenario: string }): Promise<string> {
    const out = await this.nbWrite([['create', 'Logical_Router', `name=${q(v.id)}`, ...this.marks('vpc', v.id, v.scenario, v.cidr, v.optional)]]);
    return out.trim().split('\n').pop()!;
  }

  /** Rewrites a router's CIDR and extras. */
  async updateRouter(uuid: string, v: { id: string; cidr: string; optional: Record<string, string>; scenario: string }): Promise<void> {
    await this.nbWrite([['set', 'Logical_Router', uuid, ...this.marks('vpc', v.id, v.scenario, v.cidr, v.optional)]]);
  }

  async deleteRouter(uuid: string): Promise<void> {
    await this.nbWrite([['--if-exists', 'lr-del', uuid]]);
  }

  /**
   * Creates a subnet in one transaction: its switch, the router port on its VPC's router with the
   * subnet's gateway address, and the switch's peer port of type router. Waits for northd.
   */
  async createSwitch(s: { id: string; vpc: string; routerUuid: string; cidr: string; optional: Record<string, string>; scenario: string }): Promise<void> {
    const gw = gateway(s.cidr);
    const prefix = parseCidr(s.cidr).prefix;
    const lrp = routerPortName(s.id);
    const lsp = switchRouterPortName(s.id);
    await this.nbWrite(
      [
        ['ls-add', s.id],
        ['set', 'Logical_Switch', s.id, ...this.marks('subnet', s.id, s.scenario, s.cidr, s.optional, { [OVN_KEYS.vpc]: s.vpc })],
        ['lrp-add', s.routerUuid, lrp, routerMac(gw), `${gw}/${prefix}`],
        ['set', 'Logical_Router_Port', lrp, ...this.marks('subnet', s.id, s.scenario, s.cidr, {})],
        ['lsp-add', s.id, lsp],
        ['lsp-set-type', lsp, 'router'],
        ['lsp-set-addresses', lsp, 'router'],
        ['lsp-set-options', lsp, `router-port=${lrp}`],
      ],
    );
  }

  /** Rewrites a subnet's CIDR (the router port's gateway address and MAC follow) and extras. */
  async updateSwitch(uuid: string, s: { id: string; vpc: string; cidr: string; optional: Record<string, string>; scenario: string }): Promise<void> {
    const gw = gateway(s.cidr);
    const prefix = parseCidr(s.cidr).prefix;
    await this.nbWrite(
      [
        ['set', 'Logical_Switch', uuid, ...this.marks('subnet', s.id, s.scenario, s.cidr, s.optional, { [OVN_KEYS.vpc]: s.vpc })],
        ['set', 'Logical_Router_Port', routerPortName(s.id), `mac=${q(routerMac(gw))}`, `networks=${q(`${gw}/${prefix}`)}`],
      ],
    );
  }

  /** Deletes a subnet's switch (with every port on it) and its router port. */
  async deleteSwitch(uuid: string, id: string): Promise<void> {
    await this.nbWrite([['--if-exists', 'ls-del', uuid], ['--if-exists', 'lrp-del', routerPortName(id)]]);
  }

  /** The chassis named `name` with its encap address, or undefined. */
  async chassis(name?: string): Promise<HeldNode[]> {
    const chassisCmd = name === undefined ? ['--columns=_uuid,name,encaps,external_ids', 'list', 'Chassis'] : ['--columns=_uuid,name,encaps,external_ids', 'find', 'Chassis', `name=${q(name)}`];
    const [rows, encaps] = await this.sbTables([chassisCmd, ['--columns=_uuid,ip', 'list', 'Encap']]);
    const ipOf = new Map((encaps ?? []).map((e) => [String(e._uuid), String(e.ip)]));
    return (rows ?? []).map((r) => {
      const ids = asMap(r.external_ids);
      return {
        uuid: String(r._uuid),
        name: String(r.name),
        encapIp: asSet(r.encaps).map((u) => ipOf.get(String(u)) ?? '').find((ip) => ip !== '') ?? '',
        mac: ids[OVN_KEYS.mac],
        optional: parseOptional(ids),
        scenario: ids[OVN_KEYS.scenario] ?? '',
        merak: ids[OVN_KEYS.kind] === 'node',
      };
    });
  }

  /**
   * Waits up to `timeoutSec` for chassis `name` to register.
   * @throws OvsdbUnreachableError when it did not (or the southbound database did not answer).
   */
  async waitForChassis(name: string, timeoutSec: number): Promise<void> {
    await ctl(this.runner, { ...this.sb, timeoutSec }, [['wait-until', 'Chassis', name]]);
  }

  /** Notes Merak's node fields on a chassis. */
  async markChassis(uuid: string, n: { name: string; mac: string; optional: Record<string, string>; scenario: string }): Promise<void> {
    const ids: Record<string, string> = { [OVN_KEYS.kind]: 'node', [OVN_KEYS.id]: n.name, [OVN_KEYS.mac]: n.mac, [OVN_KEYS.optional]: optionalJson(n.optional) };
    if (n.scenario !== '') ids[OVN_KEYS.scenario] = n.scenario;
    await ctl(this.runner, this.sb, [['set', 'Chassis', uuid, ...Object.entries(ids).map(([k, v]) => kv('external_ids', k, v))]]);
  }

  /** Deletes a chassis with its encaps and its Chassis_Private row. */
  async deleteChassis(name: string): Promise<void> {
    // Two transactions: with both in one, ovn-sbctl 23.03 aborts (ovsdb-idl assertion
    // row->new_datum != NULL) when the chassis has a Chassis_Private row, as a live chassis has.
    await ctl(this.runner, this.sb, [['--if-exists', 'chassis-del', name]]);
    const [priv] = await this.sbTables([['--columns=_uuid', 'find', 'Chassis_Private', `name=${q(name)}`]]);
    if (priv && priv.length > 0) await ctl(this.runner, this.sb, priv.map((r) => ['--if-exists', 'destroy', 'Chassis_Private', String(r._uuid)]));
  }

  /** The northbound change counter (every `--wait` transaction raises it). */
  async revision(): Promise<number> {
    const [rows] = await this.nbTables([['--columns=nb_cfg', 'list', 'NB_Global']]);
    return Number(rows?.[0]?.nb_cfg ?? 0);
  }
}

/** `a.b.c.d/p` of the proto's two fields. */
export const cidrText = (ip: string, prefix: number): string => `${formatIpv4(parseCidr(`${ip}/${prefix}`).network)}/${prefix}`;
