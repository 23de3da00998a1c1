import Table from 'cli-table3';
import type { ScenarioPhase, ScenarioStatus } from '../model/status';

/** Phases in which a reconcile (build, scale, apply) is running: its counter moves. */
const WORKING: readonly ScenarioPhase[] = ['building', 'scaling', 'applying'];

/**
 * VMs of the whole scenario: how many exist (live counts of building nodes included) and how many
 * the spec asks for, summed over its nodes.
 */
export function scenarioVms(s: Pick<ScenarioStatus, 'nodes'>): { vms: number; desired: number } {
  return s.nodes.reduce((sum, n) => ({ vms: sum.vms + n.vms, desired: sum.desired + n.desiredVms }), { vms: 0, desired: 0 });
}

/**
 * The two counts `merak status` shows, each labelled with what it counts:
 * - `VMs`: the scenario's VMs that exist, of those its spec asks for;
 * - the operation row: the status's `progress`, which counts the VMs the current reconcile
 *   (build, scale or apply) creates or deletes, not the scenario's VMs; labelled `current
 *   operation` while one runs and `last operation` once the scenario is ready or failed.
 * @returns [label, text] pairs in display order
 */
export function statusCounts(s: Pick<ScenarioStatus, 'nodes' | 'phase' | 'progress'>): [string, string][] {
  const { vms, desired } = scenarioVms(s);
  const working = WORKING.includes(s.phase);
  const op = s.progress.total === 0 ? 'no VM to create or delete' : `${s.progress.done}/${s.progress.total} ${s.progress.unit} created or deleted`;
  return [
    ['VMs', `${vms} of ${desired} in the spec, on ${s.nodes.length} node${s.nodes.length === 1 ? '' : 's'}`],
    [working ? 'current operation' : 'last operation', op],
  ];
}

/** One row of `merak status` without a name. */
export interface ScenarioListRow {
  name: string;
  /** The scenario's phase, else the workflow's execution status (it could not be asked). */
  phase: string;
  /** Absent when the scenario could not be asked (closed, or no worker answered). */
  nodes?: number;
  vms?: number;
  desiredVms?: number;
  /** Why the scenario could not be asked, if it could not. */
  note?: string;
}

/** The list row of one scenario workflow: from its status when it answered, else from the workflow's execution status. */
export function scenarioListRow(workflowId: string, executionStatus: string, status: ScenarioStatus | undefined, error?: string): ScenarioListRow {
  if (status) {
    const { vms, desired } = scenarioVms(status);
    return { name: status.name, phase: status.phase, nodes: status.nodes.length, vms, desiredVms: desired };
  }
  return { name: workflowId.replace(/^merak-/, ''), phase: executionStatus.toLowerCase(), ...(error ? { note: error } : {}) };
}

/** The table of `merak status` without a name (plain borders when not on a terminal). */
export function scenarioListTable(rows: readonly ScenarioListRow[], tty: boolean): string {
  if (rows.length === 0) return 'no scenarios: start one with `merak up -f FILE`\n';
  const style = tty ? {} : { head: [], border: [] };
  const table = new Table({ head: ['scenario', 'phase', 'nodes', 'VMs', 'note'], style });
  const dash = (v: number | undefined) => (v === undefined ? '-' : String(v));
  for (const r of rows) table.push([r.name, r.phase, dash(r.nodes), r.vms === undefined ? '-' : `${r.vms}/${r.desiredVms}`, r.note ?? '']);
  return `${table.toString()}\n`;
}
