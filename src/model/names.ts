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
