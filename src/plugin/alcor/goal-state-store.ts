/**
 * The goal states a node's host agent has received from Alcor, kept in memory and in files so a
 * restarted agent, and the node agent that builds endpoints, see the same thing:
 *
 *   <dir>/vpc|subnet|port|neighbor|router/<id>.json   the latest configuration of each resource
 *                                                     (a DELETE removes the file)
 *   <dir>/ready/<port id>.json                         a port of this node whose VPC is built: how
 *                                                     to build its endpoint (PortPlan + times)
 *   <dir>/events.jsonl                                 one line per resource received: time, kind,
 *                                                     id, operation (for time-to-reachable)
 *   <dir>/agent.json                                   the host agent's pid and address
 *
 * Ids are URL-encoded in file names (Alcor's neighbor ids hold '/': "L3/<port id>").
 * Files are written through a temporary file and a rename.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { readJsonFile as readJson, writeJsonFile as writeJson } from '../../dataplane/json-file';
import type { GsNeighbor, GsPort, GsRouter, GsSubnet, GsVpc, NodeGoalStates, PortPlan } from '../../model/alcor-dataplane';
import type { GoalStateV2__Output } from './goal-state-proto';

export const RESOURCE_KINDS = ['vpc', 'subnet', 'port', 'neighbor', 'router'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

/** One resource of a received message, with what Alcor asked for it. */
export interface ReceivedResource {
  kind: ResourceKind | 'other';
  /** Alcor's ResourceType name (VPC, SUBNET, PORT, NEIGHBOR, ROUTER, DHCP, SECURITYGROUP, GATEWAY). */
  type: string;
  id: string;
  operation: string;
  /** VPC the resource belongs to, when it says. */
  vpcId?: string;
}

/** A ready port as the node agent reads it. */
export interface ReadyPort extends PortPlan {
  /** ms since the epoch: the PortState arrived, the VPC was built for it. */
  receivedAt: number;
  programmedAt: number;
}

export interface AgentInfo {
  pid: number;
  listen: string;
  startedAt: number;
}



const fileOf = (dir: string, kind: string, id: string): string => path.join(dir, kind, `${encodeURIComponent(id)}.json`);

/** Where a node's goal states live under the state directory. */
export function goalStateDir(stateDir: string, scenario: string, node: string): string {
  return path.join(stateDir, 'scenarios', scenario, `${node}.alcor`);
}

/** Reads the ready record of a port, or undefined while its endpoint cannot be built yet. */
export function readReadyPort(dir: string, portId: string): Promise<ReadyPort | undefined> {
  return readJson<ReadyPort>(fileOf(dir, 'ready', portId));
}

export function readAgentInfo(dir: string): Promise<AgentInfo | undefined> {
  return readJson<AgentInfo>(path.join(dir, 'agent.json'));
}

export function writeAgentInfo(dir: string, info: AgentInfo): Promise<void> {
  return writeJson(path.join(dir, 'agent.json'), info);
}

/** Picks the fields Merak reads out of a decoded configuration (the rest stays in Alcor). */
function pick(kind: ResourceKind, c: Record<string, unknown>): unknown {
  const s = (k: string): string => (typeof c[k] === 'string' ? (c[k] as string) : '');
  const n = (k: string): number => (typeof c[k] === 'number' ? (c[k] as number) : 0);
  const ips = (): Array<{ subnet_id: string; ip_address: string }> =>
    ((c.fixed_ips as Array<{ subnet_id?: string; ip_address?: string }> | undefined) ?? []).map((f) => ({ subnet_id: f.subnet_id ?? '', ip_address: f.ip_address ?? '' }));
  switch (kind) {
    case 'vpc':
      return { id: s('id'), tunnel_id: n('tunnel_id'), cidr: s('cidr') } satisfies GsVpc;
    case 'subnet': {
      const g = c.gateway as { ip_address?: string; mac_address?: string } | null | undefined;
      return { id: s('id'), vpc_id: s('vpc_id'), cidr: s('cidr'), tunnel_id: n('tunnel_id'), gateway: g ? { ip_address: g.ip_address ?? '', mac_address: g.mac_address ?? '' } : null } satisfies GsSubnet;
    }
    case 'port':
      return { id: s('id'), vpc_id: s('vpc_id'), mac_address: s('mac_address'), fixed_ips: ips() } satisfies GsPort;
    case 'neighbor':
      return { id: s('id'), vpc_id: s('vpc_id'), mac_address: s('mac_address'), host_ip_address: s('host_ip_address'), fixed_ips: ips() } satisfies GsNeighbor;
    case 'router':
      return {
        id: s('id'),
        subnet_routing_tables: ((c.subnet_routing_tables as Array<{ subnet_id?: string }> | undefined) ?? []).map((t) => ({ subnet_id: t.subnet_id ?? '' })),
      } satisfies GsRouter;
  }
}

type Maps = { [K in ResourceKind]: Record<string, unknown> };

export class GoalStateStore {
  private readonly maps: Maps = { vpc: {}, subnet: {}, port: {}, neighbor: {}, router: {} };

  constructor(readonly dir: string) {}

  /** Loads what an earlier run of the agent stored. */
  async load(): Promise<void> {
    for (const kind of RESOURCE_KINDS) {
      let names: string[] = [];
      try {
        names = await fs.readdir(path.join(this.dir, kind));
      } catch {
        continue;
      }
      for (const name of names) {
        if (!name.endsWith('.json')) continue;
        const value = await readJson<Record<string, unknown>>(path.join(this.dir, kind, name));
        if (value) this.maps[kind][decodeURIComponent(name.slice(0, -5))] = value;
      }
    }
  }

  snapshot(): NodeGoalStates {
    return {
      vpcs: this.maps.vpc as Record<string, GsVpc>,
      subnets: this.maps.subnet as Record<string, GsSubnet>,
      ports: this.maps.port as Record<string, GsPort>,
      neighbors: this.maps.neighbor as Record<string, GsNeighbor>,
      routers: this.maps.router as Record<string, GsRouter>,
    };
  }

  /**
   * Stores one message: CREATE, UPDATE and INFO replace a resource, DELETE removes it, GET is a
   * no-op (Alcor's proto: "a NoOps for Control Agents when the operation type is INFO or GET",
   * but DPM sends the current VPC, subnet and router as INFO with every port, so INFO is stored).
   * Returns every resource of the message and the stored values that DELETEs removed.
   */
  async apply(gs: GoalStateV2__Output, receivedAt: number): Promise<{ resources: ReceivedResource[]; removed: Array<{ kind: ResourceKind; value: unknown }> }> {
    const resources: ReceivedResource[] = [];
    const removed: Array<{ kind: ResourceKind; value: unknown }> = [];
    const sections: Array<[ResourceKind | 'other', string, Record<string, { operation_type: string; configuration: unknown }>]> = [
      ['vpc', 'VPC', gs.vpc_states],
      ['subnet', 'SUBNET', gs.subnet_states],
      ['port', 'PORT', gs.port_states],
      ['neighbor', 'NEIGHBOR', gs.neighbor_states],
      ['router', 'ROUTER', gs.router_states],
      ['other', 'DHCP', gs.dhcp_states],
      ['other', 'SECURITYGROUP', gs.security_group_states],
      ['other', 'GATEWAY', gs.gateway_states],
    ] as never;
    const events: string[] = [];
    for (const [kind, type, states] of sections) {
      for (const [key, state] of Object.entries(states ?? {})) {
        const config = (state.configuration ?? {}) as Record<string, unknown>;
        // Router states arrive keyed "<host ip>/<router id>"; the configuration carries the id.
        const id = typeof config.id === 'string' && config.id !== '' ? config.id : key;
        const vpcId = typeof config.vpc_id === 'string' && config.vpc_id !== '' ? config.vpc_id : undefined;
        resources.push({ kind, type, id, operation: state.operation_type, ...(vpcId ? { vpcId } : {}) });
        events.push(JSON.stringify({ t: receivedAt, type, id, op: state.operation_type }));
        if (kind === 'other' || state.operation_type === 'GET') continue;
        if (state.operation_type === 'DELETE') {
          const old = this.maps[kind][id];
          if (old !== undefined) removed.push({ kind, value: old });
          delete this.maps[kind][id];
          await fs.rm(fileOf(this.dir, kind, id), { force: true });
          if (kind === 'port') await fs.rm(fileOf(this.dir, 'ready', id), { force: true });
          continue;
        }
        let value = pick(kind, config);
        if (kind === 'router') {
          // Each push lists the routing tables of the subnets it is about, not all of the
          // router's: the router's subnets are the union of what was pushed (a router DELETE
          // removes them all).
          const old = this.maps.router[id] as GsRouter | undefined;
          const tables = [...(old?.subnet_routing_tables ?? []), ...(value as GsRouter).subnet_routing_tables];
          value = { ...(value as GsRouter), subnet_routing_tables: [...new Map(tables.map((t) => [t.subnet_id, t])).values()] };
        }
        this.maps[kind][id] = value;
        await writeJson(fileOf(this.dir, kind, id), value);
      }
    }
    if (events.length) {
      await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
      await fs.appendFile(path.join(this.dir, 'events.jsonl'), `${events.join('\n')}\n`);
    }
    return { resources, removed };
  }

  /** Records that a port's endpoint can be built, and how. */
  async markReady(port: ReadyPort): Promise<void> {
    await writeJson(fileOf(this.dir, 'ready', port.portId), port);
  }
}
