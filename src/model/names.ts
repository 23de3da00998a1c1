/**
 * The rules for names that end up in workflow ids, task queues, file names and kernel object
 * names. One definition, used by the spec (before anything is built) and by the agent (on every
 * payload it receives).
 */

/** Scenario names as the agent accepts them: also file names in the state directory. */
export const SCENARIO_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Node names: part of namespace and task-queue names; never contain `_`, so a VM namespace cannot look like a node's. */
export const NODE_RE = /^[a-z0-9][a-z0-9-]{0,39}$/;
