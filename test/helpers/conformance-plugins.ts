/**
 * Plugins for the conformance suite's tests: the reference plugin's rules as SDK handlers, the
 * same with chosen rules deliberately broken, and a way to call handlers in process (decoded as
 * the SDK decodes requests, answers checked as the client checks them) for the unit tests.
 */
import { ReferencePluginState } from '../../src/plugin/reference/state';
import { PluginError, Status, type NetworkPluginHandlers, type NetworkPluginStateHandler } from '../../src/plugin/sdk';
import type { ConformanceInvoke } from '../../src/plugin/conformance';
import type { ConformanceMethod } from '../../src/model/plugin-conformance';

/** The ways the broken plugin can break the proto's rules. */
export type Break =
  /** CreateNode of an existing node answers ALREADY_EXISTS even with the same fields. */
  | 'node-create-not-idempotent'
  /** CreateSubnet of an existing id with other fields answers OK with the held subnet. */
  | 'subnet-conflict-ok'
  /** DeleteVpc of a missing VPC answers NOT_FOUND. */
  | 'vpc-delete-missing-fails'
  /** CreateVpc accepts VNI 0. */
  | 'vpc-vni-zero-accepted'
  /** UpdateNode of a missing node creates it (an upsert). */
  | 'node-update-upserts'
  /** CreateSubnet answers the asked VNI 0 instead of the VNI in force. */
  | 'subnet-answer-vni-zero';

/** The reference plugin's rules (src/plugin/reference/state.ts) as handlers, with `breaks` broken. */
export function referenceHandlers(breaks: readonly Break[] = []): { handlers: NetworkPluginHandlers; stateHandler: NetworkPluginStateHandler; state: ReferencePluginState } {
  const state = new ReferencePluginState();
  const broken = new Set(breaks);
  const handlers: NetworkPluginHandlers = {
    createVpc: async ({ vpc }) => {
      // Accepts VNI 0 by giving such a VPC a VNI of its own instead of refusing it.
      if (broken.has('vpc-vni-zero-accepted') && vpc?.vni === 0) return { vpc: state.createVpc({ ...vpc, vni: 4_000_000 + state.snapshot().vpcs.length }) };
      return { vpc: state.createVpc(vpc) };
    },
    updateVpc: async ({ vpc }) => ({ vpc: state.updateVpc(vpc) }),
    deleteVpc: async ({ id, scenario }) => {
      if (broken.has('vpc-delete-missing-fails') && state.ownerOf('vpc', id) === undefined) throw PluginError.notFound(`id: ${id} names no VPC`);
      state.deleteVpc(id, scenario);
      return {};
    },
    createSubnet: async ({ subnet }) => {
      if (broken.has('subnet-conflict-ok') && subnet) {
        const held = state.snapshot().subnets.find((s) => s.id === subnet.id);
        if (held) return { subnet: held };
      }
      const made = state.createSubnet(subnet);
      if (broken.has('subnet-answer-vni-zero') && subnet?.vni === 0) return { subnet: { ...made, vni: 0 } };
      return { subnet: made };
    },
    updateSubnet: async ({ subnet }) => ({ subnet: state.updateSubnet(subnet) }),
    deleteSubnet: async ({ id, scenario }) => {
      state.deleteSubnet(id, scenario);
      return {};
    },
    createNode: async ({ node }) => {
      if (broken.has('node-create-not-idempotent') && node && state.ownerOf('node', node.name) !== undefined) throw PluginError.alreadyExists(`node ${node.name} exists`);
      return { node: state.createNode(node) };
    },
    updateNode: async ({ node }) => {
      if (broken.has('node-update-upserts') && node && state.ownerOf('node', node.name) === undefined) return { node: state.createNode(node) };
      return { node: state.updateNode(node) };
    },
    deleteNode: async ({ name, scenario }) => {
      state.deleteNode(name, scenario);
      return {};
    },
  };
  const stateHandler: NetworkPluginStateHandler = {
    getState: async () => {
      const s = state.snapshot();
      return { vpcs: s.vpcs, subnets: s.subnets, nodes: s.nodes, revision: s.revision };
    },
  };
  return { handlers, stateHandler, state };
}

const OBJECT_DEFAULTS = {
  vpc: { vni: 0, id: '', ip: '', prefix: 0, optional: {}, scenario: '' },
  subnet: { vni: 0, id: '', vpc: '', ip: '', prefix: 0, optional: {}, scenario: '' },
  node: { name: '', ip: '', mac: '', optional: {}, scenario: '' },
} as const;

const OBJECT_OF: Partial<Record<ConformanceMethod, keyof typeof OBJECT_DEFAULTS>> = {
  CreateVpc: 'vpc',
  UpdateVpc: 'vpc',
  CreateSubnet: 'subnet',
  UpdateSubnet: 'subnet',
  CreateNode: 'node',
  UpdateNode: 'node',
};

/**
 * Calls handlers in process the way the SDK and the client would over gRPC: the request decoded
 * with proto3 defaults (a missing message field is null), a throw answered as its status
 * (INTERNAL for anything but a PluginError), an answer without its object refused as INTERNAL,
 * and objects in the answer given their defaults.
 */
export function inProcess(handlers: NetworkPluginHandlers, stateHandler?: NetworkPluginStateHandler): ConformanceInvoke {
  return async (method, request) => {
    const field = OBJECT_OF[method];
    const fail = (code: Status, details: string) => Object.assign(new Error(details), { code, details });
    if (method === 'GetState') {
      if (stateHandler === undefined) throw fail(Status.UNIMPLEMENTED, 'GetState is not implemented');
      const s = (await stateHandler.getState({})) as Record<string, unknown>;
      const fill = (kind: keyof typeof OBJECT_DEFAULTS, list: unknown) => ((list as object[] | undefined) ?? []).map((o) => ({ ...OBJECT_DEFAULTS[kind], ...o }));
      return { vpcs: fill('vpc', s.vpcs), subnets: fill('subnet', s.subnets), nodes: fill('node', s.nodes), revision: Number(s.revision ?? 0), node_config: s.node_config ?? {} };
    }
    const decoded: Record<string, unknown> =
      field === undefined ? { id: '', name: '', scenario: '', ...request } : { [field]: request[field] == null ? null : { ...OBJECT_DEFAULTS[field], ...(request[field] as object) } };
    const name = (method[0]!.toLowerCase() + method.slice(1)) as keyof NetworkPluginHandlers;
    let answer: Record<string, unknown>;
    try {
      answer = (await (handlers[name] as (r: unknown) => Promise<unknown>)(decoded)) as Record<string, unknown>;
    } catch (err) {
      if (err instanceof PluginError) throw fail(err.code, err.message);
      throw fail(Status.INTERNAL, `${method}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (field !== undefined) {
      if (answer?.[field] == null) throw fail(Status.INTERNAL, `the plugin answered without "${field}"`);
      return { [field]: { ...OBJECT_DEFAULTS[field], ...(answer[field] as object) } };
    }
    return answer ?? {};
  };
}
