/**
 * The kernel backend: every endpoint plugin with kernel devices (reference, cni, executables).
 * A VM is a network namespace with loopback up, an endpoint a veth from the VM to the node,
 * configured inside the VM by the namespace helper and wired on the node side by the plugin.
 *
 * Local mode: the node is namespace mk-<tag>-<node>, made by ensureNode; the agent runs in the
 * root namespace and only ever acts inside namespaces it made. Pod mode: the node is the
 * agent's own namespace; the same code runs without `-n`. Every object is recorded against its
 * scenario and node before it is made.
 */
import { runChecked } from '../../dataplane/command';
import { InvalidInputError, PreconditionError } from '../../dataplane/errors';
import { runBatch } from '../../dataplane/ip-batch';
import { applyNsConfig, type NsRequest } from '../../dataplane/ns-helper';
import { listLinks, listMountedNetns, listNetns, netnsPath } from '../../dataplane/netns';
import { hostVethPrefix, nodeNetns, parseVmNetns, routerPortPrefix, underlayNodeEnd, vmNetns } from '../../dataplane/names';
import { ensureNodeNs } from '../../dataplane/node-ns';
import { DEFAULT_UNDERLAY_CIDR, underlayAddress } from '../../dataplane/underlay';
import { DEFAULT_UNDERLAY_MTU, endpointMtu } from '../../model/limits';
import { EndpointPluginError, type Endpoint, type EndpointPlugin, type PluginContext, type VmRef } from '../../endpoint-plugins/types';
import { phaseOf, type AgentBackend, type AgentDeps, type Counts, type Resume } from './backend';
import { expandBatch } from './expand';
import { beat, resumePoint } from './heartbeat';
import type { NodeStateFiles } from './node-state';
import { runChunkPipeline } from './pipeline';
import type { EndpointBatch, VmBatch } from './types';

/** Raised when the node namespace does not exist yet in local mode. */
export class NodeNotReadyError extends PreconditionError {
  override readonly name = 'NodeNotReadyError';
  constructor(readonly scenario: string, readonly node: string) {
    super(`node ${node} of scenario ${scenario} has no namespace yet; run ensureNode (merak local up) first`);
  }
}

/**
 * Device group used only to delete many node-side veths in one call. Only links Merak is about
 * to delete are ever put in it, within the node's namespace.
 */
export const DELETE_GROUP = 0x6d6b0001;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface KernelBackendDeps {
  deps: AgentDeps;
  files: NodeStateFiles;
  /** The scenario's tag, claimed on first use. */
  tagOf(scenario: string): Promise<string>;
  /** VMs per kernel batch and heartbeat. */
  chunkSize: number;
  clock: () => number;
}

export function createKernelBackend({ deps, files, tagOf, chunkSize, clock }: KernelBackendDeps): AgentBackend {
  const underlays = new Map<string, { address: string; device: string; mtu: number }>();

  /** The node namespace name in local mode (must exist), undefined in pod mode. */
  async function nodeNs(scenario: string, node: string, tag: string): Promise<string | undefined> {
    if (deps.mode === 'pod') return undefined;
    const ns = nodeNetns(tag, node);
    if (!(await listMountedNetns()).has(ns)) throw new NodeNotReadyError(scenario, node);
    return ns;
  }

  /** The node namespace name in local mode if it exists (teardown: a node gone is no error), undefined otherwise. */
  async function nodeNsIfAny(tag: string, node: string): Promise<string | undefined> {
    if (deps.mode === 'pod') return undefined;
    const name = nodeNetns(tag, node);
    return (await listMountedNetns()).has(name) ? name : undefined;
  }

  /** MTU of `device` in namespace `ns` (the agent's own when undefined), bytes. */
  async function deviceMtu(device: string, ns: string | undefined): Promise<number> {
    const r = await runChecked(deps.runner, ns ? ['ip', '-n', ns, '-j', 'link', 'show', 'dev', device] : ['ip', '-j', 'link', 'show', 'dev', device]);
    const mtu = (JSON.parse(r.stdout || '[]') as Array<{ mtu?: number }>)[0]?.mtu;
    if (mtu === undefined) throw new PreconditionError(`underlay device ${device} has no MTU (ip -j link show dev ${device}${ns ? ` in ${ns}` : ''})`);
    return mtu;
  }

  async function podUnderlay(): Promise<{ address: string; device: string; mtu: number }> {
    const r = await runChecked(deps.runner, ['ip', '-j', '-4', 'route', 'show', 'default']);
    const dev = (JSON.parse(r.stdout || '[]') as Array<{ dev?: string }>)[0]?.dev;
    if (!dev) throw new PreconditionError(`pod mode: the agent's network namespace has no IPv4 default route (ip route show default); the pod network is the underlay, so the pod needs one`);
    const a = await runChecked(deps.runner, ['ip', '-j', '-4', 'addr', 'show', 'dev', dev]);
    const local = (JSON.parse(a.stdout) as Array<{ addr_info: Array<{ local: string }> }>)[0]?.addr_info[0]?.local;
    if (!local) throw new PreconditionError(`pod mode: device ${dev} of the default route has no IPv4 address (ip addr show dev ${dev}); the pod network is the underlay, so the pod needs one`);
    return { address: local, device: dev, mtu: await deviceMtu(dev, undefined) };
  }

  function pluginContext(scenario: string, node: string, tag: string, ns: string | undefined, slot?: number, underlayCidr?: string, underlayIp?: string): PluginContext {
    return {
      scenario,
      node,
      tag,
      nodeNetns: ns,
      nodeNetnsPath: ns ? netnsPath(ns) : '',
      runner: deps.runner,
      stateDir: deps.records.stateDir,
      record: (objects) => deps.records.intend(scenario, node, objects),
      underlay: async () => {
        const key = `${scenario}/${node}`;
        let u = underlays.get(key);
        if (!u) {
          const meta = await files.readMeta(scenario, node);
          let found: { address: string; device: string; mtu?: number };
          if (meta) found = meta.underlay;
          else if (deps.mode === 'local' && slot !== undefined) {
            found = { address: underlayAddress(underlayCidr ?? DEFAULT_UNDERLAY_CIDR, slot, underlayIp).address, device: underlayNodeEnd(tag) };
          } else found = await podUnderlay();
          u = { ...found, mtu: found.mtu ?? (await deviceMtu(found.device, ns)) };
          underlays.set(key, u);
        }
        return u;
      },
      providerConfig: async () => (await files.readMeta(scenario, node))?.providerConfig ?? {},
      peers: async (vni, explicit) => {
        if (explicit) return explicit;
        if (deps.peerSource) return deps.peerSource({ scenario, node, vni });
        if (deps.mode === 'pod') return [];
        return (await files.allMeta(scenario)).filter((m) => m.node !== node).map((m) => m.underlay.address);
      },
    };
  }

  function vmRefs(tag: string, node: string, from: number, count: number): VmRef[] {
    return Array.from({ length: count }, (_, k) => {
      const name = vmNetns(tag, node, from + k);
      return { vmIndex: from + k, name, netnsPath: netnsPath(name) };
    });
  }

  /** Host-side veths still present in the node namespace for VMs in [from, from+count). */
  async function hostVethsOf(tag: string, ns: string | undefined, from: number, count: number): Promise<number> {
    const prefix = hostVethPrefix(tag);
    let n = 0;
    for (const l of await listLinks(deps.runner, ns)) {
      if (!l.ifname.startsWith(prefix)) continue;
      const vm = parseInt(l.ifname.slice(prefix.length).split('e')[0], 36);
      if (vm >= from && vm < from + count) n++;
    }
    return n;
  }

  /** VM-side configuration of agent-made veths: up, address, default route via endpoint 0. */
  function vmSideConfig(eps: readonly Endpoint[]): NsRequest[] {
    const byVm = new Map<string, NsRequest>();
    for (const ep of eps) {
      let q = byVm.get(ep.vm.netnsPath);
      if (!q) {
        q = { ns: ep.vm.netnsPath, ops: [] };
        byVm.set(ep.vm.netnsPath, q);
      }
      // The veth was made down: it comes up without an IPv6 link-local address (see the helper).
      q.ops.push({ op: 'no-ipv6-addrgen', ifname: ep.ifname }, { op: 'up', ifname: ep.ifname }, { op: 'addr', ifname: ep.ifname, cidr: ep.ip });
      if (ep.endpoint === 0) q.ops.push({ op: 'route', ifname: ep.ifname, gateway: ep.gateway });
    }
    return [...byVm.values()];
  }

  /** Where a resumable batch starts: after what the last heartbeat of its phase reported done. */
  const startOf = (resume: Resume): number => (resume ? resumePoint(phaseOf(resume)) : 0);

  async function deleteVms(b: VmBatch, p: EndpointPlugin, resume: Resume): Promise<Counts> {
    const tag = await tagOf(b.scenario);
    const ns = await nodeNsIfAny(tag, b.node);
    const ctx = pluginContext(b.scenario, b.node, tag, ns);
    let changed = 0;
    let done = Math.min(startOf(resume), b.count);
    while (done < b.count) {
      const n = Math.min(chunkSize, b.count - done);
      const vms = vmRefs(tag, b.node, b.from + done, n);
      const present = await listNetns();
      const existing = vms.filter((v) => present.has(v.name));
      await deps.collectors?.unwatchVms({ scenario: b.scenario, node: b.node, tag }, existing.map((v) => v.name));
      if (existing.length) await p.vmDel(ctx, existing);
      await runBatch(deps.runner, existing.map((v) => `netns del ${v.name}`));
      await deps.records.forget(b.scenario, b.node, vms.map((v) => ({ kind: 'netns', name: v.name })));
      changed += existing.length;
      done += n;
      if (resume) beat(done);
    }
    // Namespace teardown is asynchronous in the kernel; the batch is done when the node ends of
    // its veths are gone (a dead namespace takes its veth pairs with it).
    if (changed > 0 && (deps.mode === 'pod' || ns)) {
      const deadline = clock() + (deps.cleanupWaitMs ?? 30_000);
      while ((await hostVethsOf(tag, ns, b.from, b.count)) > 0 && clock() < deadline) await sleep(10);
    }
    return { requested: b.count, changed };
  }

  async function deleteEndpoints(b: EndpointBatch, p: EndpointPlugin, resume: Resume): Promise<Counts> {
    const tag = await tagOf(b.scenario);
    const ns = await nodeNsIfAny(tag, b.node);
    if (deps.mode === 'local' && !ns) return { requested: 0, changed: 0 }; // node gone: endpoints with it
    const ctx = pluginContext(b.scenario, b.node, tag, ns, b.nodeSlot, b.underlayCidr, b.underlayIp);
    let requested = 0;
    let changed = 0;
    let done = Math.min(startOf(resume), b.count);
    while (done < b.count) {
      const n = Math.min(chunkSize, b.count - done);
      const present = await listMountedNetns();
      const eps = [...expandBatch(b, tag, b.from + done, n)].filter((ep) => present.has(ep.vm.name));
      requested += eps.length;
      await p.epDel(ctx, eps);
      if (!p.createsInterface) {
        const have = new Set((await listLinks(deps.runner, ns)).map((l) => l.ifname));
        const doomed = eps.filter((ep) => have.has(ep.hostIfname));
        // One RTM_DELLINK per veth waits for an RCU grace period each (~10 ms); marking them with a
        // device group and deleting the group tears them all down in one kernel call.
        const lines = doomed.map((ep) => `link set ${ep.hostIfname} group ${DELETE_GROUP}`);
        if (lines.length) lines.push(`link del group ${DELETE_GROUP}`);
        await runBatch(deps.runner, lines, { netns: ns });
        changed += doomed.length;
      } else changed += eps.length;
      done += n;
      if (resume) beat(done);
    }
    return { requested, changed };
  }

  return {
    async ensureNode(req, p, tag) {
      if (deps.mode === 'pod') {
        const u = await podUnderlay();
        // The workflow tells the other nodes' VXLAN devices this address: it must be this pod's.
        if (req.underlayIp !== undefined && req.underlayIp !== u.address) {
          throw new InvalidInputError('node.underlayIp', req.underlayIp, `is not this pod's address ${u.address}: the scenario must give a pod node its pod IP (or none)`);
        }
        await files.writeMeta(req.scenario, { node: req.node, nodeSlot: req.nodeSlot, mode: 'pod', underlay: u, plugin: p.name });
        await deps.collectors?.nodeUp({ scenario: req.scenario, node: req.node, tag });
        return { created: false, underlay: u.address };
      }
      const r = await ensureNodeNs(deps, {
        scenario: req.scenario,
        tag,
        node: req.node,
        nodeSlot: req.nodeSlot,
        underlayCidr: req.underlayCidr ?? DEFAULT_UNDERLAY_CIDR,
        ...(req.underlayIp !== undefined ? { underlayIp: req.underlayIp } : {}),
        ...(req.underlayMtu !== undefined ? { underlayMtu: req.underlayMtu } : {}),
        ...(p.nodeSetup ? { addressOnVeth: p.nodeSetup.addressOnVeth } : {}),
      });
      // A re-ensure without the provider config (createBatch's) keeps the one given first.
      const providerConfig = req.providerConfig ?? (await files.readMeta(req.scenario, req.node))?.providerConfig;
      await files.writeMeta(req.scenario, {
        node: req.node,
        nodeSlot: req.nodeSlot,
        mode: 'local',
        underlay: { address: r.underlay, device: underlayNodeEnd(tag), mtu: req.underlayMtu ?? DEFAULT_UNDERLAY_MTU },
        plugin: p.name,
        ...(providerConfig ? { providerConfig } : {}),
      });
      if (p.nodeSetup) {
        const ns = nodeNetns(tag, req.node);
        await p.nodeSetup.ensure(pluginContext(req.scenario, req.node, tag, ns, req.nodeSlot, req.underlayCidr, req.underlayIp), {
          underlay: r.underlay,
          prefix: r.prefix,
          underlayCidr: req.underlayCidr ?? DEFAULT_UNDERLAY_CIDR,
          providerConfig: providerConfig ?? {},
          records: deps.records,
        });
      }
      await deps.collectors?.nodeUp({ scenario: req.scenario, node: req.node, tag });
      return { created: r.created, underlay: r.underlay };
    },

    async nodeInfo(ref, p) {
      const tag = await tagOf(ref.scenario);
      const all = await listMountedNetns();
      const ns = deps.mode === 'local' ? nodeNetns(tag, ref.node) : undefined;
      const present = ns === undefined || all.has(ns);
      let vms = 0;
      for (const name of all) if (parseVmNetns(tag, ref.node, name) !== undefined) vms++;
      let endpoints = 0;
      if (present) {
        // An endpoint is a veth on the node whose peer lives in another namespace (the VM);
        // the underlay veth and the VPC routers' ports are the such links that are not endpoints.
        const links = (await listLinks(deps.runner, ns)) as Array<{ ifname: string; link_netnsid?: number; link_type?: string }>;
        const ul = underlayNodeEnd(tag);
        const rp = routerPortPrefix(tag);
        endpoints = links.filter((l) => l.link_netnsid !== undefined && l.ifname !== ul && !l.ifname.startsWith(rp) && (deps.mode === 'local' || l.ifname.startsWith(hostVethPrefix(tag)))).length;
      }
      return { scenario: ref.scenario, node: ref.node, present, vms, endpoints, plugin: p.name };
    },

    async syncPeers(q, p) {
      if (!p.syncPeers) return 0;
      const tag = await tagOf(q.scenario);
      const ns = await nodeNs(q.scenario, q.node, tag);
      return p.syncPeers(pluginContext(q.scenario, q.node, tag, ns, q.nodeSlot, q.underlayCidr, q.underlayIp), q.vnis);
    },

    async createVms(b, p, resume, onChunk) {
      const tag = await tagOf(b.scenario);
      const ns = await nodeNs(b.scenario, b.node, tag);
      const ctx = pluginContext(b.scenario, b.node, tag, ns);
      const phase = phaseOf(resume);
      let changed = 0;
      try {
        await runChunkPipeline({
          count: b.count,
          start: startOf(resume),
          chunkSize,
          finished: (done) => {
            if (resume) beat(done, phase);
            onChunk?.(done);
          },
          // Stage one makes the chunk's namespaces with loopback up, in one namespace helper
          // process (it is inside each new namespace right after making it, and skips the
          // recursive remount of /run/netns that `ip netns add` does per namespace, a walk over
          // every namespace on the machine); stage two lets the plugin see the VMs.
          first: async (offset, n) => {
            const vms = vmRefs(tag, b.node, b.from + offset, n);
            const mounted = await listMountedNetns();
            const missing = vms.filter((v) => !mounted.has(v.name));
            await deps.records.intend(b.scenario, b.node, missing.map((v) => ({ kind: 'netns', name: v.name })));
            await applyNsConfig(deps.runner, vms.map((v): NsRequest => ({ ns: v.netnsPath, create: !mounted.has(v.name), ops: [{ op: 'up', ifname: 'lo' }] })));
            await deps.collectors?.watchVms({ scenario: b.scenario, node: b.node, tag }, vms);
            changed += missing.length;
            return () => p.vmAdd(ctx, vms);
          },
        });
      } catch (e) {
        if (e instanceof EndpointPluginError) await deleteVms(b, p, false).catch(() => undefined);
        throw e;
      }
      return { requested: b.count, changed };
    },

    async updateVms(b, p) {
      const tag = await tagOf(b.scenario);
      const ns = await nodeNs(b.scenario, b.node, tag);
      await p.vmUpdate(pluginContext(b.scenario, b.node, tag, ns), vmRefs(tag, b.node, b.from, b.count));
      return { requested: b.count, changed: b.count };
    },

    deleteVms,

    async createEndpoints(b, p, resume, onChunk) {
      const tag = await tagOf(b.scenario);
      const ns = await nodeNs(b.scenario, b.node, tag);
      const ctx = pluginContext(b.scenario, b.node, tag, ns, b.nodeSlot, b.underlayCidr, b.underlayIp);
      // What fits in one underlay frame after the plugin's encapsulation, or the scenario's own:
      // a VM sending more than that would lose full-size frames between nodes without a word.
      const mtu = b.mtu ?? (p.createsInterface ? undefined : endpointMtu((await ctx.underlay()).mtu, p.encapOverhead ?? 0));
      const phase = phaseOf(resume);
      let requested = 0;
      let changed = 0;
      // The node's links are listed once per call, then kept up to date with what this call makes:
      // listing per chunk would cost O(links) per chunk, growing with the node.
      const have = p.createsInterface ? new Set<string>() : new Set((await listLinks(deps.runner, ns)).map((l) => l.ifname));
      ctx.knownLinks = p.createsInterface ? undefined : have;
      try {
        await runChunkPipeline({
          count: b.count,
          start: startOf(resume),
          chunkSize,
          finished: (done) => {
            if (resume) beat(done, phase);
            onChunk?.(done);
          },
          // Stage one makes the chunk's veths; stage two configures their VM side and lets the
          // plugin wire the node side. A plugin that makes the interface itself has only stage two.
          first: async (offset, n) => {
            const eps = [...expandBatch(b, tag, b.from + offset, n)].map((ep) => ({ ...ep, mtu }));
            requested += eps.length;
            if (p.createsInterface || eps.length === 0) {
              if (p.createsInterface) changed += eps.length;
              return () => p.epAdd(ctx, eps);
            }
            const vmNs = await listMountedNetns();
            const missingVm = eps.find((ep) => !vmNs.has(ep.vm.name));
            if (missingVm) throw new PreconditionError(`VM ${missingVm.vmIndex} (${missingVm.vm.name}) of node ${b.node} does not exist; create the VMs (createVms) before their endpoints`);
            const todo = eps.filter((ep) => !have.has(ep.hostIfname));
            const peerNs = ns ? ` netns ${ns}` : '';
            const mtuOpt = mtu !== undefined ? ` mtu ${mtu}` : '';
            // Both ends are created directly in their target namespaces: nothing is moved, nothing
            // ever appears in the namespace the agent runs in (local mode).
            await runBatch(
              deps.runner,
              todo.map((ep) => `link add ${ep.ifname} netns ${ep.vm.name} address ${ep.mac}${mtuOpt} type veth peer name ${ep.hostIfname}${peerNs}${mtuOpt}`),
            );
            for (const ep of todo) have.add(ep.hostIfname);
            changed += todo.length;
            return async () => {
              if (!p.bringsHostEndUp) await runBatch(deps.runner, eps.map((ep) => `link set ${ep.hostIfname} up`), { netns: ns });
              // The VM side (inside the VM namespaces) and the node side (plugin, in the node
              // namespace) are independent: do them at once.
              await Promise.all([applyNsConfig(deps.runner, vmSideConfig(eps)), p.epAdd(ctx, eps)]);
            };
          },
        });
      } catch (e) {
        if (e instanceof EndpointPluginError) await deleteEndpoints(b, p, false).catch(() => undefined);
        throw e;
      }
      return { requested, changed };
    },

    async updateEndpoint(b, p) {
      const tag = await tagOf(b.scenario);
      const ns = await nodeNs(b.scenario, b.node, tag);
      const ctx = pluginContext(b.scenario, b.node, tag, ns, b.nodeSlot, b.underlayCidr, b.underlayIp);
      const eps = [...expandBatch(b, tag)];
      if (!p.createsInterface) {
        for (const ep of eps) {
          // Updates are rare and per endpoint: one batch inside the VM is clear and cheap enough.
          const lines = [`link set ${ep.ifname} address ${ep.mac} up`, `addr flush dev ${ep.ifname}`, `addr add ${ep.ip} dev ${ep.ifname}`];
          if (ep.endpoint === 0) lines.push(`route replace default via ${ep.gateway} dev ${ep.ifname}`);
          await runBatch(deps.runner, lines, { netns: ep.vm.name });
        }
      }
      await p.epUpdate(ctx, eps);
      return { requested: eps.length, changed: eps.length };
    },

    deleteEndpoints,

    forgetNode(scenario, node) {
      underlays.delete(`${scenario}/${node}`);
      deps.collectors?.forget(scenario, node);
    },
  };
}
