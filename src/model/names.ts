/**
 * The rules for names that end up in workflow ids, task queues, file names and kernel object
 * names. One definition, used by the spec (before anything is built) and by the agent (on every
 * payload it receives).
 */

/** Scenario names as the agent accepts them: also file names in the state directory. */
export const SCENARIO_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
/**
 * Longest scenario name a spec (and a Kubernetes annotation) may give: the name goes into
 * workflow ids, the search attribute and state file names. The agent accepts up to 63 characters
 * (SCENARIO_RE) so that names of older or hand-started scenarios still clean up.
 */
export const MAX_SCENARIO_NAME_LENGTH = 32;
/**
 * Longest node name: part of namespace names (`mk-<tag>-<node>_<vm>`) and of the task queue
 * `merak-agent-<node>`. On Kubernetes a node is named after its pod, so pod names above this
 * length are refused too.
 */
export const MAX_NODE_NAME_LENGTH = 40;
/** Node names: part of namespace and task-queue names; never contain `_`, so a VM namespace cannot look like a node's. */
export const NODE_RE = new RegExp(`^[a-z0-9][a-z0-9-]{0,${MAX_NODE_NAME_LENGTH - 1}}$`);
/**
 * Ids of VPCs, subnets and other provider objects: 1-63 letters, digits, '.', '_' or '-',
 * starting with a letter or digit. A VPC id is part of its router namespace's name on every node.
 */
export const OBJECT_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/**
 * How Merak names one VM in everything it prints (test results, `merak monitor`, `merak
 * capture`): `NODE/vm-INDEX`, INDEX counted from 0 on its node.
 */
export function vmName(node: string, index: number): string {
  return `${node}/vm-${index}`;
}

/** The rule {@link parseVmName} states when it refuses a VM reference. */
export const VM_NAME_RULE = 'must be NODE/vm-INDEX as the results print it (e.g. node-1/vm-3), or NODE/INDEX (node-1/3)';

/**
 * A VM as a user names it: `NODE/vm-INDEX` (the form {@link vmName} prints), optionally followed
 * by the ` (ADDRESS)` the results table puts after it, or the short `NODE/INDEX`.
 * @returns the node name (checked against NODE_RE) and the index (a safe integer ≥ 0)
 * @throws Error naming the value and the rule
 */
export function parseVmName(ref: string): { node: string; vm: number } {
  const m = /^([^/\s]+)\/(?:vm-)?(\d+)(?: \([0-9.]+\))?$/.exec(ref);
  const vm = m ? Number(m[2]) : NaN;
  if (!m || !Number.isSafeInteger(vm)) throw new Error(`VM ${JSON.stringify(ref)} ${VM_NAME_RULE}`);
  if (!NODE_RE.test(m[1]!)) throw new Error(`VM ${JSON.stringify(ref)}: node ${JSON.stringify(m[1])} must be 1-${MAX_NODE_NAME_LENGTH} lower-case letters, digits or "-", starting with a letter or digit`);
  return { node: m[1]!, vm };
}
