/**
 * Merak's Alcor host agent: the role Alcor's control agent (ACA) plays on a compute host. It
 * serves `alcor.schema.GoalStateProvisioner` on the node's underlay address, port 50001 (where
 * Alcor's network configuration manager pushes each host's goal states:
 * services/network_config_manager/.../GoalStateClientImpl.java, `hostAgentPort = 50001`), keeps
 * what it receives (goal-state-store.ts) and builds the node's side of every VPC from it
 * (src/model/alcor-dataplane.ts): bridge and VXLAN device with Alcor's tunnel id, a router
 * namespace with Alcor's gateway addresses and MACs, fdb and neighbor entries from Alcor's
 * neighbor states. Then it answers the push, so Alcor's port create returns once the node is
 * programmed.
 *
 * It runs inside the node's network namespace (`nsenter --net`, started and recorded by the
 * `alcor` endpoint plugin), because the node's underlay address exists only there. It shares
 * the machine's mount namespace, so the router namespaces it makes (recorded first, in the
 * node's owner records) are visible to the agent and removed with the node.
 */
import * as grpc from '@grpc/grpc-js';
import type { CommandRunner } from '../../dataplane/command';
import { runBatch } from '../../dataplane/ip-batch';
import { applyNsConfig } from '../../dataplane/ns-helper';
import { listLinks, listMountedNetns, listNetns, netnsPath } from '../../dataplane/netns';
import type { OwnerRecordStore } from '../../dataplane/owner-records';
import { localVpcs, planPort, planVpc, GoalStateGap, type GsNeighbor, type VpcPlumbing } from '../../model/alcor-dataplane';
import { loadAlcorSchema, type GoalStateOperationReply, type GoalStateV2__Output, type NeighborRulesRequest__Output } from './goal-state-proto';
import { GoalStateStore, readReadyPort, writeAgentInfo, type ReceivedResource } from './goal-state-store';
import { RUN_ROOT } from '../../dataplane/owner-record-format';

/** Port Alcor's network configuration manager pushes goal states to on every host. */
export const ACA_PORT = 50001;

/**
 * Folder of a node's host agent pid file (recorded as a `dir`, the agent as a `daemon` of the
 * node's owner records, ../../dataplane/daemon.ts).
 */
export const hostAgentRunDir = (tag: string, node: string): string => `${RUN_ROOT}/alcor-node-${tag}-${node}`;
/** A node's host agent pid file: the agent's command line carries `--pidfile=<this>`. */
export const hostAgentPidfile = (tag: string, node: string): string => `${hostAgentRunDir(tag, node)}/host-agent.pid`;
/** UDP port of the VXLAN devices (IANA's). */
export const VXLAN_PORT = 4789;

export interface HostAgentOptions {
  /** The node's underlay address: where Alcor reaches this host (its registered local_ip). */
  listen: string;
  /** @default 50001 */
  port?: number;
  /** Folder of the node's goal states (goalStateDir()). */
  storeDir: string;
  scenario: string;
  node: string;
  /** The scenario's tag (every name Merak makes carries it). */
  tag: string;
  records: OwnerRecordStore;
  runner: CommandRunner;
  log?: (line: string) => void;
}

export interface RunningHostAgent {
  port: number;
  close(): Promise<void>;
}

/** Starts the agent; resolves once it listens (and has said so in the store's agent.json). */
export async function startHostAgent(o: HostAgentOptions): Promise<RunningHostAgent> {
  const log = o.log ?? (() => undefined);
  const store = new GoalStateStore(o.storeDir);
  await store.load();
  const applied = new Map<string, Set<string>>();
  const knownNetns = new Set<string>();

  /** Builds (idempotently) what the VPC's plan says; returns the resources that failed. */
  const converge = async (plan: VpcPlumbing): Promise<void> => {
    const links = new Set((await listLinks(o.runner)).map((l) => l.ifname));
    const node: string[] = [];
    if (!links.has(plan.bridge)) node.push(`link add ${plan.bridge} type bridge`);
    if (!links.has(plan.vxlan)) {
      // No learning, ARP proxy: remote MACs and addresses come from Alcor's neighbor states only.
      node.push(`link add ${plan.vxlan} type vxlan id ${plan.tunnelId} local ${o.listen} dstport ${VXLAN_PORT} nolearning proxy`);
      node.push(`link set ${plan.vxlan} master ${plan.bridge}`);
    }
    node.push(`link set ${plan.bridge} up`, `link set ${plan.vxlan} up`);
    await runBatch(o.runner, node);
    // A routed packet from another node carries its gateway MAC as source; learning it on the
    // VXLAN port would steal this node's own gateway MAC from its router.
    await runBatch(o.runner, [`link set dev ${plan.vxlan} learning off`], { tool: 'bridge' });

    const r = plan.routerNetns;
    if (!knownNetns.has(r)) {
      if (!(await listMountedNetns()).has(r)) {
        await o.records.intend(o.scenario, o.node, [{ kind: 'netns', name: r }]);
        const files = await listNetns();
        await runBatch(o.runner, [...(files.has(r) ? [`netns del ${r}`] : []), `netns add ${r}`]);
      }
      await applyNsConfig(o.runner, [
        {
          ns: netnsPath(r),
          ops: [
            { op: 'sysctl', key: 'net.ipv6.conf.default.disable_ipv6', value: '1' },
            { op: 'sysctl', key: 'net.ipv4.ip_forward', value: '1' },
            // Every gateway port hears every ARP request on the VPC's bridge: each answers only
            // for its own subnet's gateway (else a VM could learn another subnet's gateway MAC).
            { op: 'sysctl', key: 'net.ipv4.conf.all.arp_ignore', value: '1' },
            { op: 'sysctl', key: 'net.ipv4.conf.default.arp_ignore', value: '1' },
            { op: 'sysctl', key: 'net.ipv4.conf.all.arp_announce', value: '2' },
            { op: 'sysctl', key: 'net.ipv4.conf.default.arp_announce', value: '2' },
            { op: 'up', ifname: 'lo' },
          ],
        },
      ]);
      knownNetns.add(r);
    }
    const routerLinks = new Map((await listLinks(o.runner, r)).map((l) => [l.ifname, l]));
    const gw: string[] = [];
    const gwRouter: string[] = [];
    // Neighbors: only the lines not applied before (replace is idempotent; a restart re-applies all).
    const done = applied.get(plan.vpcId) ?? new Set<string>();
    applied.set(plan.vpcId, done);
    for (const g of plan.gateways) {
      const have = routerLinks.get(g.routerEnd);
      if (!links.has(g.bridgeEnd) || !have) {
        if (links.has(g.bridgeEnd)) gw.push(`link del ${g.bridgeEnd}`);
        gw.push(`link add ${g.bridgeEnd} type veth peer name ${g.routerEnd} address ${g.mac} netns ${r}`);
      } else if (have.address?.toLowerCase() !== g.mac) {
        // A new MAC flushes the device's neighbor entries (permanent ones too): apply them again.
        gwRouter.push(`link set ${g.routerEnd} address ${g.mac}`);
        done.clear();
      }
      gw.push(`link set ${g.bridgeEnd} master ${plan.bridge} up`);
      gwRouter.push(`addr replace ${g.ip}/${g.prefix} dev ${g.routerEnd}`, `link set ${g.routerEnd} up`);
    }
    await runBatch(o.runner, gw);
    await runBatch(o.runner, gwRouter, { netns: r });

    const devOf = new Map(plan.gateways.map((g) => [g.subnetId, g.routerEnd]));
    const fdb: string[] = [];
    const neigh: string[] = [];
    const routerNeigh: string[] = [];
    const once = (list: string[], line: string) => {
      if (done.has(line)) return;
      done.add(line);
      list.push(line);
    };
    for (const n of plan.neighbors) {
      if (n.remoteHost) {
        once(fdb, `fdb replace ${n.mac} dev ${plan.vxlan} master static`);
        once(fdb, `fdb replace ${n.mac} dev ${plan.vxlan} dst ${n.remoteHost} self permanent`);
        once(neigh, `neigh replace ${n.ip} lladdr ${n.mac} dev ${plan.vxlan} nud permanent`);
      }
      const dev = devOf.get(n.subnetId);
      if (dev) once(routerNeigh, `neigh replace ${n.ip} lladdr ${n.mac} dev ${dev} nud permanent`);
    }
    await runBatch(o.runner, fdb, { tool: 'bridge' });
    await runBatch(o.runner, neigh);
    await runBatch(o.runner, routerNeigh, { netns: r });
  };

  /** Removes what deleted neighbors had programmed (best effort: gone already is fine). */
  const unprogram = async (removed: GsNeighbor[]): Promise<void> => {
    const snapshot = store.snapshot();
    for (const n of removed) {
      const plan = planVpc(snapshot, n.vpc_id, { tag: o.tag, node: o.node, self: o.listen });
      if (!plan) continue;
      const done = applied.get(plan.vpcId);
      const devOf = new Map(plan.gateways.map((g) => [g.subnetId, g.routerEnd]));
      const stillUsed = plan.neighbors.some((x) => x.mac === n.mac_address.toLowerCase());
      const fdb: string[] = [];
      const ip: string[] = [];
      const rip: string[] = [];
      if (!stillUsed && n.host_ip_address !== o.listen) fdb.push(`fdb del ${n.mac_address} dev ${plan.vxlan} master`, `fdb del ${n.mac_address} dev ${plan.vxlan} self`);
      for (const f of n.fixed_ips) {
        if (plan.neighbors.some((x) => x.ip === f.ip_address && x.subnetId === f.subnet_id)) continue;
        if (n.host_ip_address !== o.listen) ip.push(`neigh del ${f.ip_address} dev ${plan.vxlan}`);
        const dev = devOf.get(f.subnet_id);
        if (dev) rip.push(`neigh del ${f.ip_address} dev ${dev}`);
      }
      // Forget the applied lines, so a neighbor that comes back is programmed again.
      if (done) for (const line of [...done]) if (line.includes(` ${n.mac_address.toLowerCase()} `) || n.fixed_ips.some((f) => line.includes(` ${f.ip_address} `))) done.delete(line);
      const force = async (lines: string[], opts: { tool?: 'ip' | 'bridge'; netns?: string }) => {
        if (!lines.length) return;
        await o.runner.run([opts.tool ?? 'ip', ...(opts.netns ? ['-n', opts.netns] : []), '-force', '-batch', '-'], { input: `${lines.join('\n')}\n` });
      };
      await force(fdb, { tool: 'bridge' });
      await force(ip, {});
      if ((await listMountedNetns()).has(plan.routerNetns)) await force(rip, { netns: plan.routerNetns });
    }
  };

  /** Marks this node's ports ready whose VPC is built. */
  const markReady = async (receivedAt: number, vpcIds: ReadonlySet<string>): Promise<string[]> => {
    const snapshot = store.snapshot();
    const gaps: string[] = [];
    for (const p of Object.values(snapshot.ports)) {
      if (!vpcIds.has(p.vpc_id)) continue;
      try {
        const plan = planPort(snapshot, p.id, { tag: o.tag });
        const old = await readReadyPort(o.storeDir, p.id);
        if (old && old.mac === plan.mac && old.ip === plan.ip && old.bridge === plan.bridge && old.gateway === plan.gateway) continue;
        await store.markReady({ ...plan, receivedAt, programmedAt: Date.now() });
      } catch (err) {
        if (err instanceof GoalStateGap) gaps.push(err.message);
        else throw err;
      }
    }
    return gaps;
  };

  /** One pushed message: store it, build what changed, answer per resource. */
  const handle = async (gs: GoalStateV2__Output): Promise<GoalStateOperationReply> => {
    const t0 = Date.now();
    const { resources, removed } = await store.apply(gs, t0);
    const failed = new Map<string, string>();
    if (resources.length > 0) {
      const snapshot = store.snapshot();
      const touched = new Set<string>();
      for (const res of resources) if (res.vpcId) touched.add(res.vpcId);
      for (const rem of removed) {
        const v = (rem.value as { vpc_id?: string }).vpc_id;
        if (v) touched.add(v);
      }
      // A router or subnet state without a VPC id still changes the VPCs that have ports here.
      if (resources.some((r) => !r.vpcId && r.kind !== 'other')) for (const v of localVpcs(snapshot)) touched.add(v);
      // A deleted neighbor, or a deleted port of this node (its router entry is a neighbor here too).
      const gone = removed.flatMap((r): GsNeighbor[] => {
        if (r.kind === 'neighbor') return [r.value as GsNeighbor];
        if (r.kind === 'port') return [{ ...(r.value as Omit<GsNeighbor, 'host_ip_address'>), host_ip_address: o.listen }];
        return [];
      });
      await unprogram(gone).catch((err: unknown) => log(`removing neighbors: ${(err as Error).message}`));
      const built = new Set<string>();
      for (const vpcId of [...touched].sort()) {
        if (!localVpcs(snapshot).includes(vpcId)) continue;
        const plan = planVpc(snapshot, vpcId, { tag: o.tag, node: o.node, self: o.listen });
        if (!plan) {
          failed.set(vpcId, `no tunnel id pushed for VPC ${vpcId}`);
          continue;
        }
        try {
          await converge(plan);
          built.add(vpcId);
        } catch (err) {
          failed.set(vpcId, (err as Error).message);
          log(`building VPC ${vpcId} (tunnel ${plan.tunnelId}) failed: ${(err as Error).message}`);
        }
      }
      const gaps = await markReady(t0, built);
      for (const g of gaps) log(g);
    }
    const elapsed = Date.now() - t0;
    log(`goal state: ${resources.map((r) => `${r.type} ${r.id} ${r.operation}`).join(', ') || '(empty)'} in ${elapsed} ms${failed.size ? `; failed: ${[...failed.values()].join('; ')}` : ''}`);
    return {
      format_version: gs.format_version,
      operation_statuses: resources.map((r: ReceivedResource) => ({
        resource_id: r.id,
        resource_type: r.type as never,
        operation_type: r.operation as never,
        operation_status: (r.vpcId && failed.has(r.vpcId) ? 'FAILURE' : 'SUCCESS') as never,
        dataplane_programming_time: elapsed * 1000,
      })),
      message_total_operation_time: elapsed * 1000,
    };
  };

  // Messages are handled one at a time, in arrival order, whichever stream they come on.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };

  const schema = loadAlcorSchema();
  const server = new grpc.Server();
  server.addService(schema.GoalStateProvisioner.service, {
    PushGoalStatesStream(call: grpc.ServerDuplexStream<GoalStateV2__Output, GoalStateOperationReply>) {
      let pending = 0;
      let ended = false;
      const maybeEnd = () => {
        if (ended && pending === 0) call.end();
      };
      call.on('data', (gs: GoalStateV2__Output) => {
        pending++;
        serial(() => handle(gs)).then(
          (reply) => call.write(reply),
          (err: unknown) => {
            log(`goal state failed: ${(err as Error).stack ?? String(err)}`);
            call.write({ format_version: gs.format_version, operation_statuses: [], message_total_operation_time: 0 });
          },
        ).finally(() => {
          pending--;
          maybeEnd();
        });
      });
      call.on('end', () => {
        ended = true;
        maybeEnd();
      });
      call.on('error', () => undefined);
    },
    PushGoalstates(call: grpc.ServerUnaryCall<NeighborRulesRequest__Output, GoalStateOperationReply>, callback: grpc.sendUnaryData<GoalStateOperationReply>) {
      const neighbor_states = Object.fromEntries(call.request.neigborstates.map((n) => [n.configuration?.id ?? '', n]));
      const gs = { format_version: call.request.format_version, neighbor_states } as unknown as GoalStateV2__Output;
      serial(() => handle(gs)).then(
        (reply) => callback(null, reply),
        (err: unknown) => callback({ code: grpc.status.INTERNAL, details: (err as Error).message }),
      );
    },
    PushNetworkResourceStates(_call: unknown, callback: grpc.sendUnaryData<GoalStateOperationReply>) {
      callback({ code: grpc.status.UNIMPLEMENTED, details: 'Merak\'s host agent takes goal states version 2 (PushGoalStatesStream), as Alcor\'s network configuration manager sends them' });
    },
    RequestGoalStates(_call: unknown, callback: grpc.sendUnaryData<never>) {
      callback({ code: grpc.status.UNIMPLEMENTED, details: 'RequestGoalStates is served by Alcor\'s network configuration manager, not by a host agent' });
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${o.listen}:${o.port ?? ACA_PORT}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(new Error(`host agent cannot listen on ${o.listen}:${o.port ?? ACA_PORT}: ${err.message}`)) : resolve(bound)));
  });
  // Whatever was built before a restart is built again from the stored goal states.
  const snapshot = store.snapshot();
  await serial(async () => {
    const built = new Set<string>();
    for (const vpcId of localVpcs(snapshot)) {
      const plan = planVpc(snapshot, vpcId, { tag: o.tag, node: o.node, self: o.listen });
      if (!plan) continue;
      try {
        await converge(plan);
        built.add(vpcId);
      } catch (err) {
        log(`rebuilding VPC ${vpcId} failed: ${(err as Error).message}`);
      }
    }
    await markReady(Date.now(), built);
  });
  await writeAgentInfo(o.storeDir, { pid: process.pid, listen: `${o.listen}:${port}`, startedAt: Date.now() });
  log(`listening on ${o.listen}:${port} (node ${o.node} of scenario ${o.scenario}); goal states in ${o.storeDir}`);
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2_000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
