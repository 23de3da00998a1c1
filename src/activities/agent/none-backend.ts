/**
 * The `none` backend: no namespace, no device, nothing in the kernel and no process started.
 * A node is its state file; its VMs and endpoints are ranges in `<node>.none.json`, so adding or
 * removing a batch is one range update, counted like the kernel backend counts, and idempotent
 * the same way (a range already there changes nothing).
 */
import type { AgentBackend, Counts, NodeMode } from './backend';
import { addRange, removeRange, virtualEndpointCount, virtualVmCount, type NodeStateFiles } from './node-state';
import type { EndpointBatch } from './types';

export interface NoneBackendDeps {
  files: NodeStateFiles;
  /** Recorded in the node's state file, as the kernel backend does. */
  mode: NodeMode;
}

export function createNoneBackend({ files, mode }: NoneBackendDeps): AgentBackend {
  /** Adds or removes endpoint ranges of the batch's segments, clipped to the batch's VMs. */
  async function endpoints(b: EndpointBatch, op: 'add' | 'remove'): Promise<Counts> {
    let changed = 0;
    let requested = 0;
    await files.updateVirtual(b.scenario, b.node, (v) => {
      const next = { ...v.endpoints };
      for (const s of b.segments) {
        const from = Math.max(s.vmFrom, b.from);
        const to = Math.min(s.vmFrom + s.vmCount, b.from + b.count);
        if (to <= from) continue;
        requested += to - from;
        const before = next[s.endpoint] ?? [];
        next[s.endpoint] = op === 'add' ? addRange(before, from, to - from) : removeRange(before, from, to - from);
        changed += Math.abs(virtualVmCount({ vms: next[s.endpoint], endpoints: {} }) - virtualVmCount({ vms: before, endpoints: {} }));
      }
      return { ...v, endpoints: next };
    });
    return { requested, changed };
  }

  return {
    async ensureNode(req, p) {
      await files.writeMeta(req.scenario, { node: req.node, nodeSlot: req.nodeSlot, mode, underlay: { address: '', device: '' }, plugin: p.name });
      return { created: false, underlay: '' };
    },

    async nodeInfo(ref, p, meta) {
      const v = await files.readVirtual(ref.scenario, ref.node);
      return { scenario: ref.scenario, node: ref.node, present: meta !== undefined, vms: virtualVmCount(v), endpoints: virtualEndpointCount(v), plugin: p.name };
    },

    async syncPeers() {
      return 0;
    },

    async createVms(b) {
      // Counted from what the update read: one read of the file, not two.
      let before = 0;
      const after = virtualVmCount(
        await files.updateVirtual(b.scenario, b.node, (v) => {
          before = virtualVmCount(v);
          return { ...v, vms: addRange(v.vms, b.from, b.count) };
        }),
      );
      return { requested: b.count, changed: after - before };
    },

    async updateVms(b) {
      return { requested: b.count, changed: 0 };
    },

    async deleteVms(b) {
      let before = 0;
      const after = virtualVmCount(
        await files.updateVirtual(b.scenario, b.node, (v) => {
          before = virtualVmCount(v);
          return {
            vms: removeRange(v.vms, b.from, b.count),
            // A VM takes its endpoints with it.
            endpoints: Object.fromEntries(Object.entries(v.endpoints).map(([e, r]) => [e, removeRange(r, b.from, b.count)])),
          };
        }),
      );
      return { requested: b.count, changed: before - after };
    },

    createEndpoints: (b) => endpoints(b, 'add'),

    async updateEndpoint(b) {
      return { requested: b.count, changed: 0 };
    },

    deleteEndpoints: (b) => endpoints(b, 'remove'),

    forgetNode() {},
  };
}
