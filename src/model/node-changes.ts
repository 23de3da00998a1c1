/**
 * Node changes: what a caller that follows nodes one by one (the Kubernetes controller, one pod
 * per node) sends a scenario workflow instead of the whole scenario. A message names only the
 * nodes that changed: added (or replaced) nodes, removed node names, and new VM counts. The
 * workflow applies it to the spec it is asked to run ({@link applyNodeChanges}) and reconciles
 * by diff as for a whole `apply`; only the message is stored in the workflow's history, so the
 * bytes stored per pod change stay the same at 10 pods and at 10,000 (docs/kubernetes.md).
 *
 * Pure: no Temporal, no Node; test/unit/node-changes.test.ts.
 */
import { canonicalJson } from './diff';
import { defaultNodeName, type NodeSpec, type ScenarioInput } from './spec';

/** A node object as a scenario file's `nodes` list holds it: `{ name, ip?, mac?, vms?, endpointsPerVm?, tests?, optional? }`. */
export type NodeEntry = Exclude<Exclude<ScenarioInput['nodes'], number>[number], string>;

/** A new VM count for one node. */
export interface NodeScale {
  node: string;
  /** VMs the node should have (0 … MAX_VMS_PER_NODE; checked with the whole spec). */
  vms: number;
}

/**
 * One `nodes` message. Each node appears at most once in a message. Applied in this order:
 * `remove`, then `add`, then `scale`.
 */
export interface NodeChanges {
  /**
   * Nodes to add: node objects as in a scenario file's `nodes` list (`{ name, ip?, mac?, vms?,
   * endpointsPerVm?, tests?, optional? }`). A node of the same name is replaced in place, so
   * sending the same node twice changes nothing.
   */
  add?: NodeEntry[];
  /** Names of nodes to remove; a name the scenario does not have is ignored (already removed). */
  remove?: string[];
  /** VM counts to set on nodes the scenario has (placement `assign`, as the controller's scenarios). */
  scale?: NodeScale[];
}

/** The answer to a `nodes` update: the change is queued as the scenario's next spec. */
export interface NodeChangesResult {
  /** The number of the apply it became in this workflow run (a later one may replace it before it runs). */
  apply: number;
  /** Nodes the scenario has once it is applied. */
  nodes: number;
}

/**
 * Most node entries (added, removed and scaled together) in one message. With the controller's
 * node objects (about 90 bytes each) a full message is about 23 KB, far below Temporal's 2 MB
 * payload limit; a burst of more changes goes as several messages.
 */
export const MAX_NODE_CHANGES = 256;

/** Most bytes of one message's JSON; a burst over it goes as several messages. */
export const MAX_NODE_CHANGES_BYTES = 32 * 1024;

/** A `nodes` message that is malformed or cannot apply; names the field, the value and the rule. */
export class NodeChangesError extends Error {
  override readonly name = 'NodeChangesError';
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly rule: string,
  ) {
    super(`${field}: ${JSON.stringify(value)?.slice(0, 200) ?? String(value)} ${rule}`);
  }
}

/** How many node entries a message holds. */
export function changeCount(changes: NodeChanges): number {
  return (changes.add?.length ?? 0) + (changes.remove?.length ?? 0) + (changes.scale?.length ?? 0);
}

/** UTF-8 bytes of a value's JSON, as Temporal's JSON payload converter stores it. */
export function jsonBytes(value: unknown): number {
  const text = JSON.stringify(value) ?? '';
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4; // a surrogate pair: one 4-byte sequence
      i++;
    } else bytes += 3;
  }
  return bytes;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Checks a message's shape: an object with optional `add` (objects with a string `name`),
 * `remove` (strings) and `scale` (`{ node: string, vms: whole number ≥ 0 }`) lists, at least one
 * entry, at most {@link MAX_NODE_CHANGES} entries and {@link MAX_NODE_CHANGES_BYTES} bytes, each
 * node at most once. The node objects' fields are checked with the whole spec afterwards
 * (parseSpec), as a scenario file's are.
 * @param options.bounded false: skip the size limits (for the sender's own bookkeeping of what
 *   it sent, whose node objects may be larger than the entries it sent). Default true.
 * @throws NodeChangesError naming the first field at fault
 */
export function checkNodeChanges(value: unknown, options: { bounded?: boolean } = {}): NodeChanges {
  if (!isObject(value)) throw new NodeChangesError('(message)', value, 'must be an object { add?, remove?, scale? }');
  for (const key of Object.keys(value)) {
    if (!['add', 'remove', 'scale'].includes(key)) throw new NodeChangesError(key, value[key], 'is not a field of a nodes message (add, remove, scale)');
  }
  const seen = new Set<string>();
  const once = (field: string, name: string) => {
    if (seen.has(name)) throw new NodeChangesError(field, name, 'names a node already named in this message; send each node once');
    seen.add(name);
  };
  const list = (key: 'add' | 'remove' | 'scale'): unknown[] => {
    const v = value[key];
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw new NodeChangesError(key, v, 'must be a list');
    return v;
  };
  list('add').forEach((entry, i) => {
    if (!isObject(entry) || typeof entry.name !== 'string') throw new NodeChangesError(`add[${i}]`, entry, 'must be a node object with a string name');
    once(`add[${i}].name`, entry.name);
  });
  list('remove').forEach((name, i) => {
    if (typeof name !== 'string') throw new NodeChangesError(`remove[${i}]`, name, 'must be a node name');
    once(`remove[${i}]`, name);
  });
  list('scale').forEach((entry, i) => {
    if (!isObject(entry) || typeof entry.node !== 'string') throw new NodeChangesError(`scale[${i}]`, entry, 'must be { node, vms } with a string node name');
    if (typeof entry.vms !== 'number' || !Number.isInteger(entry.vms) || entry.vms < 0) throw new NodeChangesError(`scale[${i}].vms`, entry.vms, 'must be a whole number, 0 or more');
    once(`scale[${i}].node`, entry.node);
  });
  const changes = value as NodeChanges;
  const count = changeCount(changes);
  if (count === 0) throw new NodeChangesError('(message)', value, 'changes nothing: give at least one of add, remove, scale');
  if (options.bounded === false) return changes;
  if (count > MAX_NODE_CHANGES) throw new NodeChangesError('(message)', `${count} entries`, `has more than ${MAX_NODE_CHANGES} node entries; send them as several messages`);
  const bytes = jsonBytes(changes);
  if (bytes > MAX_NODE_CHANGES_BYTES) throw new NodeChangesError('(message)', `${bytes} bytes`, `is larger than ${MAX_NODE_CHANGES_BYTES} bytes; send it as several messages`);
  return changes;
}

/**
 * The nodes list of a scenario input as node objects: `nodes: N` becomes node-1 … node-N and a
 * bare name `{ name }`, which a spec reads the same way.
 */
function nodeObjects(nodes: ScenarioInput['nodes']): NodeEntry[] {
  if (typeof nodes === 'number') return Array.from({ length: nodes }, (_, i) => ({ name: defaultNodeName(i) }));
  return nodes.map((n) => (typeof n === 'string' ? { name: n } : n));
}

/**
 * The scenario input after a nodes message (a new object; `input` is not changed): removed nodes
 * leave the list, added ones replace the node of their name in place or are appended, scaled
 * ones get their new `vms`. Works on specs too (their nodes are node objects), which is how the
 * controller keeps what it believes the workflow holds.
 * @param options passed to {@link checkNodeChanges}
 * @throws NodeChangesError when `changes` is malformed ({@link checkNodeChanges}) or scales a
 *   node the result does not have
 */
export function applyNodeChanges<T extends { nodes: ScenarioInput['nodes'] }>(input: T, changes: NodeChanges, options: { bounded?: boolean } = {}): T {
  checkNodeChanges(changes, options);
  const removed = new Set(changes.remove ?? []);
  const nodes = nodeObjects(input.nodes).filter((n) => !removed.has(n.name));
  const index = new Map(nodes.map((n, i) => [n.name, i]));
  for (const node of changes.add ?? []) {
    const at = index.get(node.name);
    if (at === undefined) {
      index.set(node.name, nodes.length);
      nodes.push(node);
    } else nodes[at] = node;
  }
  (changes.scale ?? []).forEach(({ node, vms }, i) => {
    const at = index.get(node);
    if (at === undefined) throw new NodeChangesError(`scale[${i}].node`, node, 'is not a node of the scenario; add it first');
    nodes[at] = { ...nodes[at]!, vms };
  });
  return { ...input, nodes };
}

/**
 * What changed between two node lists, as one nodes message (possibly too large for one: see
 * {@link splitNodeChanges}); empty when nothing did. Order does not count. A node whose VM count
 * alone changed is a `scale` entry; any other change (IP, endpoints, tests …) re-adds the node.
 * @param entryOf the entry an added node is sent as (default: the node as it is); the
 *   controller sends the pod's entry as written, without the defaults a spec fills in
 */
export function diffNodes(before: readonly NodeSpec[], after: readonly NodeSpec[], entryOf: (node: NodeSpec) => NodeEntry = (n) => n): NodeChanges {
  const old = new Map(before.map((n) => [n.name, n]));
  const now = new Set(after.map((n) => n.name));
  const add: NodeEntry[] = [];
  const scale: NodeScale[] = [];
  for (const node of after) {
    const was = old.get(node.name);
    if (!was) add.push(entryOf(node));
    else if (canonicalJson({ ...was, vms: 0 }) !== canonicalJson({ ...node, vms: 0 })) add.push(entryOf(node));
    else if (was.vms !== node.vms) scale.push({ node: node.name, vms: node.vms });
  }
  const remove = before.filter((n) => !now.has(n.name)).map((n) => n.name);
  return { ...(add.length ? { add } : {}), ...(remove.length ? { remove } : {}), ...(scale.length ? { scale } : {}) };
}

/**
 * Splits changes into messages of at most `maxEntries` entries and `maxBytes` bytes of JSON
 * each, in the order remove, add, scale (a node leaves before new ones take its address), so a
 * burst of any size goes as several bounded messages. An entry too large for a message on its
 * own goes alone (the workflow refuses it, naming it).
 */
export function splitNodeChanges(changes: NodeChanges, maxEntries = MAX_NODE_CHANGES, maxBytes = MAX_NODE_CHANGES_BYTES): NodeChanges[] {
  const out: NodeChanges[] = [];
  let current: NodeChanges = {};
  // An empty message's JSON is "{}"; each list adds `"key":[]` and a comma; each entry its JSON and a comma.
  let bytes = 2;
  let count = 0;
  const push = <K extends keyof NodeChanges>(key: K, entry: NonNullable<NodeChanges[K]>[number]) => {
    const list = current[key] as unknown[] | undefined;
    const cost = jsonBytes(entry) + (list ? 1 : key.length + 5 + (count > 0 ? 1 : 0));
    if (count > 0 && (count + 1 > maxEntries || bytes + cost > maxBytes)) {
      out.push(current);
      current = {};
      bytes = 2;
      count = 0;
      push(key, entry);
      return;
    }
    if (list) list.push(entry);
    else (current as Record<string, unknown[]>)[key] = [entry];
    bytes += cost;
    count += 1;
  };
  for (const name of changes.remove ?? []) push('remove', name);
  for (const node of changes.add ?? []) push('add', node);
  for (const s of changes.scale ?? []) push('scale', s);
  if (count > 0) out.push(current);
  return out;
}

/** The nodes a message names, for reporting a refusal on the right objects. */
export function nodesNamed(changes: NodeChanges): string[] {
  return [...(changes.remove ?? []), ...(changes.add ?? []).map((n) => n.name), ...(changes.scale ?? []).map((s) => s.node)];
}

/**
 * An issue path of the spec a nodes message made, with the node's name after its index
 * (`nodes[523].ip` → `nodes[523] (node "agent-523").ip`): the sender knows names, not positions.
 */
export function nameNodeInPath(path: string, nodes: ScenarioInput['nodes']): string {
  return path.replace(/^nodes\[(\d+)\]/, (whole, i: string) => {
    const entry = typeof nodes === 'number' ? defaultNodeName(Number(i)) : nodes[Number(i)];
    const name = typeof entry === 'string' ? entry : entry?.name;
    return name === undefined ? whole : `${whole} (node ${JSON.stringify(name)})`;
  });
}
