/**
 * The `alcor` endpoint plugin: a Merak endpoint is an Alcor port bound to the node
 * (`binding:host_id` = the node's registered name), built from what Alcor pushes for it.
 *
 * EP_ADD, per batch:
 * 1. (local mode) joins Alcor's namespace to the scenario's fabric, so Alcor reaches the node;
 * 2. makes sure the node's host agent runs (src/plugin/alcor/host-agent.ts: Alcor's goal-state
 *    interface on the node's underlay address, started inside the node's namespace, recorded as
 *    a `daemon` in the node's owner records so it is stopped with the node);
 * 3. creates each endpoint's port in Alcor (read first: an existing port with the same fields is
 *    reused, with other fields it is an error, since Alcor would silently overwrite it), asking
 *    for the endpoint's planned address and leaving the MAC to Alcor;
 * 4. waits (bounded) until the host agent has received the port's goal state and built its VPC
 *    (bridge and VXLAN device with Alcor's tunnel id, router namespace, neighbors);
 * 5. makes the veth with the MAC, address and gateway of the pushed PortState and SubnetState,
 *    and puts its node end on the VPC's bridge.
 * EP_DEL deletes the ports in Alcor (Alcor then pushes the deletes to every node) and the veths.
 *
 * Built in, so it takes whole batches; it creates the VM's interface itself (createsInterface).
 * Local mode only: in a pod the node's address is the pod's, and Alcor would need a route to it
 * (docs/providers/alcor.md says how a real deployment is wired).
 */
import { mkdirSync, promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { runBatch } from '../dataplane/ip-batch';
import { applyNsConfig, type NsRequest } from '../dataplane/ns-helper';
import { listLinks, listMountedNetns } from '../dataplane/netns';
import { daemonPid, pidfileArg, spawnDaemon, stopDaemon } from '../dataplane/daemon';
import { stateDirFromEnv } from '../dataplane/owner-records';
import { merakBin } from '../local/daemons';
import { attachAlcorToFabric } from '../local/alcor-fabric';
import { alcorNetns } from '../local/alcor-control-plane';
import { forEachBounded } from '../model/concurrency';
import { pluginNodeName } from '../model/identity';
import { ACA_PORT, hostAgentPidfile, hostAgentRunDir } from '../plugin/alcor/host-agent';
import { createSerial } from '../plugin/alcor/plugin';
import { goalStateDir, readAgentInfo, readReadyPort, type ReadyPort } from '../plugin/alcor/goal-state-store';
import { AlcorHttpError, AlcorUnreachableError, alcorEndpointsAt, createAlcorRest, withEndpointOverrides, type AlcorEndpoints, type AlcorRest } from '../plugin/alcor/rest';
import { PLUGIN_PROTOCOL_VERSION, EndpointPluginError, type Endpoint, type EndpointPlugin, type PluginContext } from './types';

export interface AlcorEndpointOptions {
  /** Alcor's REST services (the port manager is the one used here). */
  endpoints: AlcorEndpoints;
  /** Alcor project the ports belong to: the one the network plugin serves. @default 'merak' */
  project?: string;
  /**
   * Namespace of a local Alcor control plane to join to the scenario's fabric. @default
   * `mk-alcor-default` when it exists; none otherwise (Alcor is assumed to reach the nodes).
   */
  controlPlaneNetns?: string;
  /** How long EP_ADD waits for a port's goal state. @default 60000 ms */
  goalStateTimeoutMs?: number;
  /**
   * Ports created or deleted at once by this process. Alcor builds a new port's neighbors from
   * what its caches hold when the create arrives: two ports created at once on two nodes may
   * never learn of each other (no neighbor state pushed; seen here as one-way pings), and its
   * services' shared transaction objects break under concurrent changes (plugin.ts,
   * createSerial). @default 1
   */
  concurrency?: number;
  /** The `merak` entry point that runs the host agent. @default this installation's bin/merak.js */
  merakBin?: string;
}

/**
 * Options from the agent's environment: MERAK_ALCOR_URL (base URL of an Alcor whose services
 * keep their default ports, default http://127.0.0.1), MERAK_ALCOR_ENDPOINTS (comma-separated
 * SERVICE=URL overrides), MERAK_ALCOR_PROJECT, MERAK_ALCOR_NETNS, MERAK_ALCOR_WAIT_MS.
 */
export function alcorEndpointOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): AlcorEndpointOptions {
  const base = (env.MERAK_ALCOR_URL ?? 'http://127.0.0.1').replace(/\/+$/, '');
  const m = /^(https?):\/\/([^/:]+|\[[^\]]+\])$/.exec(base);
  if (!m) throw new Error(`MERAK_ALCOR_URL=${base}: must be http(s)://HOST (the services' default ports are added); use MERAK_ALCOR_ENDPOINTS for other ports`);
  const overrides = (env.MERAK_ALCOR_ENDPOINTS ?? '').split(',').filter((e) => e !== '');
  const wait = env.MERAK_ALCOR_WAIT_MS;
  if (wait !== undefined && !/^[1-9]\d{0,6}$/.test(wait)) throw new Error(`MERAK_ALCOR_WAIT_MS=${wait}: must be a whole number of milliseconds`);
  return {
    endpoints: withEndpointOverrides(alcorEndpointsAt(m[2]!.replace(/^\[|\]$/g, ''), m[1] as 'http' | 'https'), overrides),
    project: env.MERAK_ALCOR_PROJECT || 'merak',
    controlPlaneNetns: env.MERAK_ALCOR_NETNS || undefined,
    goalStateTimeoutMs: wait ? Number(wait) : undefined,
  };
}

/** One endpoint's times (ms since the epoch), appended to `<goal states>/endpoints.jsonl`. */
export interface EndpointTiming {
  port: string;
  endpoint: string;
  /** Port create sent to Alcor. */
  created: number;
  /** Alcor answered the create (it returns once its data plane manager has pushed). */
  answered: number;
  /** The host agent received the PortState. */
  received: number;
  /** The host agent had built the port's VPC. */
  programmed: number;
  /** The veth was up with the pushed MAC and address. */
  wired: number;
}

interface AlcorPort {
  id: string;
  network_id?: string;
  mac_address?: string;
  fixed_ips?: Array<{ subnet_id?: string; ip_address?: string }>;
  'binding:host_id'?: string;
}

const addressOf = (ip: string): string => ip.split('/')[0]!;

/** Port changes of every node this process serves go to Alcor one at a time (see `concurrency`). */
const portChanges = createSerial();

export function createAlcorPlugin(opts: () => AlcorEndpointOptions): EndpointPlugin {
  let resolved: { o: AlcorEndpointOptions; rest: AlcorRest } | undefined;
  const config = () => {
    if (!resolved) {
      const o = opts();
      resolved = { o, rest: createAlcorRest({ endpoints: o.endpoints }) };
    }
    return resolved;
  };
  const agents = new Map<string, Promise<void>>();

  const fail = (command: string, code: string, detail: string): EndpointPluginError => new EndpointPluginError('alcor', command, code, detail);

  const requireLocal = (ctx: PluginContext, command: string): string => {
    if (!ctx.nodeNetns) throw fail(command, 'POD_MODE', 'the alcor endpoint plugin runs in local mode only (each node a namespace on the fabric Alcor is joined to); see docs/providers/alcor.md');
    return ctx.nodeNetns;
  };

  const storeOf = (ctx: PluginContext): string => goalStateDir(ctx.stateDir ?? stateDirFromEnv(), ctx.scenario, ctx.node);

  /**
   * Starts the node's host agent unless it runs and answers on this underlay address; waits
   * until it listens. It is a `daemon` of the node's owner records (its pid file and folder
   * recorded before the start), so the node's removal stops it like any other daemon.
   */
  const ensureAgent = (ctx: PluginContext, nodeNs: string, underlay: string): Promise<void> => {
    const store = storeOf(ctx);
    const running = agents.get(store);
    if (running) return running;
    const work = (async () => {
      const pidfile = hostAgentPidfile(ctx.tag, ctx.node);
      const info = await readAgentInfo(store);
      const pid = await daemonPid(pidfile);
      if (pid !== undefined && info?.pid === pid && info.listen === `${underlay}:${ACA_PORT}`) return;
      // One that runs with another address (the node was rebuilt) makes way.
      if (pid !== undefined) await stopDaemon(pidfile);
      await ctx.record([
        { kind: 'dir', path: hostAgentRunDir(ctx.tag, ctx.node) },
        { kind: 'daemon', netns: nodeNs, pidfile },
      ]);
      mkdirSync(store, { recursive: true, mode: 0o700 });
      const logFile = path.join(store, 'host-agent.log');
      const bin = config().o.merakBin ?? merakBin();
      const argv = [process.execPath, bin, 'alcor', 'host-agent', '--listen', underlay, '--store', store, '--scenario', ctx.scenario, '--node', ctx.node, '--tag', ctx.tag, '--state-dir', ctx.stateDir ?? stateDirFromEnv(), pidfileArg(pidfile)];
      // nsenter --net, not `ip netns exec`: the agent makes router namespaces, which must be
      // visible outside it, and `ip netns exec` gives its command a private mount namespace.
      const started = await spawnDaemon({ role: 'alcor-host-agent', netns: nodeNs, pidfile, argv, log: logFile, enter: 'nsenter' });
      const deadline = Date.now() + 60_000;
      for (;;) {
        const now = await readAgentInfo(store);
        if (now && now.pid === started) return;
        if ((await daemonPid(pidfile)) !== started) {
          let tail = '';
          try {
            tail = readFileSync(logFile, 'utf8').split('\n').slice(-12).join('\n');
          } catch {
            // no log yet
          }
          throw fail('EP_ADD', 'HOST_AGENT', `the host agent of node ${ctx.node} exited while starting; last lines of ${logFile}:\n${tail}`);
        }
        if (Date.now() > deadline) throw fail('EP_ADD', 'HOST_AGENT', `the host agent of node ${ctx.node} did not listen within 60 s; see ${logFile}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    })().finally(() => agents.delete(store));
    agents.set(store, work);
    return work;
  };

  const portPath = (id: string) => `/project/${encodeURIComponent(config().o.project ?? 'merak')}/ports/${encodeURIComponent(id)}`;

  const alcorCall = async (command: string, method: 'GET' | 'POST' | 'DELETE', p: string, body?: unknown): Promise<unknown> => {
    try {
      return (await config().rest.call(method, 'port', p, body)).body;
    } catch (err) {
      if (err instanceof AlcorUnreachableError) throw fail(command, 'ALCOR_UNAVAILABLE', err.message);
      throw err;
    }
  };

  /** The port in Alcor, or undefined (its GET answers 404 for an unknown id). */
  const readPort = async (command: string, id: string): Promise<AlcorPort | undefined> => {
    try {
      return ((await alcorCall(command, 'GET', portPath(id))) as { port?: AlcorPort }).port;
    } catch (err) {
      if (err instanceof AlcorHttpError && err.status === 404) return undefined;
      if (err instanceof AlcorHttpError) throw fail(command, `ALCOR_${err.status}`, err.message);
      throw err;
    }
  };

  /** Creates the endpoint's port unless Alcor holds it already with the same fields. */
  const ensurePort = async (ctx: PluginContext, ep: Endpoint): Promise<{ created: number; answered: number }> => {
    const created = Date.now();
    const ip = addressOf(ep.ip);
    const held = await readPort('EP_ADD', ep.id);
    if (held) {
      const same = held.network_id === ep.vpc && held['binding:host_id'] === pluginNodeName(ctx.scenario, ctx.node) && held.fixed_ips?.some((f) => f.ip_address === ip && f.subnet_id === ep.subnetId);
      if (!same) {
        throw fail('EP_ADD', 'ALREADY_EXISTS', `Alcor holds port ${ep.id} with other fields (network ${held.network_id}, host ${held['binding:host_id']}, ips ${JSON.stringify(held.fixed_ips)}), not ${ep.vpc} ${ctx.node} ${ip} in ${ep.subnetId}; Alcor would overwrite it silently`);
      }
      return { created, answered: Date.now() };
    }
    try {
      await alcorCall('EP_ADD', 'POST', `/project/${encodeURIComponent(config().o.project ?? 'merak')}/ports`, {
        port: {
          id: ep.id,
          name: ep.id,
          network_id: ep.vpc,
          fixed_ips: [{ subnet_id: ep.subnetId, ip_address: ip }],
          device_id: `${ctx.scenario}/${ep.vm.name}`,
          device_owner: 'compute:merak',
          'binding:host_id': pluginNodeName(ctx.scenario, ctx.node),
          admin_state_up: true,
        },
      });
    } catch (err) {
      if (err instanceof AlcorHttpError) throw fail('EP_ADD', `ALCOR_${err.status}`, `creating port ${ep.id}: ${err.message}`);
      throw err;
    }
    return { created, answered: Date.now() };
  };

  const waitReady = async (store: string, eps: readonly Endpoint[], timeoutMs: number): Promise<Map<string, ReadyPort>> => {
    const out = new Map<string, ReadyPort>();
    const deadline = Date.now() + timeoutMs;
    let delay = 10;
    for (;;) {
      for (const ep of eps) {
        if (out.has(ep.id)) continue;
        const r = await readReadyPort(store, ep.id);
        if (r) out.set(ep.id, r);
      }
      if (out.size === eps.length) return out;
      if (Date.now() > deadline) {
        const missing = eps.filter((ep) => !out.has(ep.id)).map((ep) => ep.id);
        throw fail(
          'EP_ADD',
          'NO_GOAL_STATE',
          `no goal state built for ${missing.length} port(s) within ${timeoutMs} ms (${missing.slice(0, 5).join(', ')}): Alcor did not push them to this node's host agent; see ${path.join(store, 'host-agent.log')} and Alcor's data-plane and network-configuration manager logs`,
        );
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 200);
    }
  };

  return {
    name: 'alcor',
    kernel: true,
    createsInterface: true,
    bringsHostEndUp: true,
    async version() {
      return { name: 'alcor', protocol: PLUGIN_PROTOCOL_VERSION, commands: ['VM_ADD', 'VM_UPDATE', 'VM_DEL', 'EP_ADD', 'EP_UPDATE', 'EP_DEL', 'VERSION'] };
    },
    async vmAdd() {},
    async vmUpdate() {},
    async vmDel() {},

    async epAdd(ctx, eps) {
      if (eps.length === 0) return;
      const nodeNs = requireLocal(ctx, 'EP_ADD');
      const { o } = config();
      const store = storeOf(ctx);
      const underlay = (await ctx.underlay()).address;
      const cp = o.controlPlaneNetns ?? ((await listMountedNetns()).has(alcorNetns('default')) ? alcorNetns('default') : undefined);
      if (cp) {
        try {
          await attachAlcorToFabric(ctx.runner, { alcorNetns: cp, tag: ctx.tag, nodeNetns: nodeNs });
        } catch (err) {
          throw fail('EP_ADD', 'FABRIC', (err as Error).message);
        }
      }
      await ensureAgent(ctx, nodeNs, underlay);
      const times = new Map<string, { created: number; answered: number }>();
      await forEachBounded(eps, o.concurrency ?? 1, async (ep) => {
        times.set(ep.id, await ((o.concurrency ?? 1) === 1 ? portChanges(() => ensurePort(ctx, ep)) : ensurePort(ctx, ep)));
      });
      const ready = await waitReady(store, eps, o.goalStateTimeoutMs ?? 60_000);

      // The endpoints, from what Alcor pushed: MAC, address, gateway, the VPC's bridge.
      const have = new Set((await listLinks(ctx.runner, nodeNs)).map((l) => l.ifname));
      const vms = await listMountedNetns();
      const missingVm = eps.find((ep) => !vms.has(ep.vm.name));
      if (missingVm) throw fail('EP_ADD', 'NO_VM', `VM ${missingVm.vmIndex} (${missingVm.vm.name}) does not exist`);
      const add: string[] = [];
      const attach: string[] = [];
      const vmSide = new Map<string, NsRequest>();
      for (const ep of eps) {
        const r = ready.get(ep.id)!;
        if (r.ip !== addressOf(ep.ip)) process.stderr.write(`alcor: port ${ep.id}: Alcor pushed address ${r.ip}, the plan has ${addressOf(ep.ip)}; building with Alcor's\n`);
        if (!have.has(ep.hostIfname)) add.push(`link add ${ep.ifname} netns ${ep.vm.name} address ${r.mac} type veth peer name ${ep.hostIfname} netns ${nodeNs}`);
        attach.push(`link set ${ep.hostIfname} master ${r.bridge} up`);
        let q = vmSide.get(ep.vm.netnsPath);
        if (!q) {
          q = { ns: ep.vm.netnsPath, ops: [] };
          vmSide.set(ep.vm.netnsPath, q);
        }
        q.ops.push({ op: 'no-ipv6-addrgen', ifname: ep.ifname }, { op: 'up', ifname: ep.ifname }, { op: 'addr', ifname: ep.ifname, cidr: `${r.ip}/${r.prefix}` });
        if (ep.endpoint === 0) q.ops.push({ op: 'route', ifname: ep.ifname, gateway: r.gateway });
      }
      await runBatch(ctx.runner, add);
      await runBatch(ctx.runner, attach, { netns: nodeNs });
      await applyNsConfig(ctx.runner, [...vmSide.values()]);
      const wired = Date.now();
      const lines = eps.map((ep) => {
        const r = ready.get(ep.id)!;
        const t = times.get(ep.id)!;
        const timing: EndpointTiming = { port: ep.id, endpoint: `${ep.vm.name}/${ep.ifname}`, created: t.created, answered: t.answered, received: r.receivedAt, programmed: r.programmedAt, wired };
        return JSON.stringify(timing);
      });
      await fs.appendFile(path.join(store, 'endpoints.jsonl'), `${lines.join('\n')}\n`);
    },

    async epUpdate(ctx, eps) {
      // Alcor keeps the port; the endpoint is rebuilt from what it holds (EP_ADD is idempotent).
      await this.epAdd(ctx, eps);
    },

    async epDel(ctx, eps) {
      if (eps.length === 0) return;
      const nodeNs = requireLocal(ctx, 'EP_DEL');
      const { o } = config();
      await forEachBounded(eps, o.concurrency ?? 1, async (ep) => {
        try {
          await ((o.concurrency ?? 1) === 1 ? portChanges(() => alcorCall('EP_DEL', 'DELETE', portPath(ep.id))) : alcorCall('EP_DEL', 'DELETE', portPath(ep.id)));
        } catch (err) {
          if (err instanceof AlcorHttpError && err.status === 404) return;
          if (err instanceof AlcorHttpError) throw fail('EP_DEL', `ALCOR_${err.status}`, `deleting port ${ep.id}: ${err.message}`);
          throw err;
        }
      });
      const have = new Set((await listLinks(ctx.runner, nodeNs)).map((l) => l.ifname));
      const lines = eps.filter((ep) => have.has(ep.hostIfname)).map((ep) => `link del ${ep.hostIfname}`);
      await runBatch(ctx.runner, lines, { netns: nodeNs });
    },
  };
}
