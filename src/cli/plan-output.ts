import Table from 'cli-table3';
import { formatIssue, type SpecIssue } from '../model/spec';
import type { CheckedScenarioFile } from './spec-file';
import type { PlanNode } from '../model/preview';

/** What the tables show for a value the build assigns (from the scenario number it claims). */
export const ASSIGNED = '(assigned at build)';
const ASSIGNED_NOTE =
  `${ASSIGNED}: the build first claims a scenario number n (the lowest of 0-63 not used on this machine or at the plugin); a node's MAC the spec does not give is then ` +
  '(4n+2):SS:SS:ff:ff:ff (SS:SS its slot), and its underlay address, when the spec names neither underlay.cidr nor a node ip, is 100.(64+n).0.0/16 network + 1 + slot. ' +
  '-o json shows the values for n = 0 and lists these fields in assignedAtBuild; name underlay.cidr, or give a node ip / mac, to fix them.';

/** Rows shown per table on a terminal; `-o json` always has everything. */
export const TABLE_ROWS = 50;

/** The JSON document `merak validate -o json` prints for a valid file. */
export function planJson(file: string, checked: CheckedScenarioFile): unknown {
  return { file, valid: true, inputBytes: checked.inputBytes, limitBytes: checked.limitBytes, plan: checked.plan };
}

/** The JSON document `merak validate -o json` prints for a refused file: every issue with its field, value and rule. */
export function issuesJson(file: string, issues: readonly SpecIssue[]): unknown {
  return { file, valid: false, issues: issues.map((i) => ({ path: i.path, value: i.value, rule: i.rule, message: formatIssue(i) })) };
}

function capped<T>(rows: readonly T[], what: string, push: (row: T) => void): string {
  rows.slice(0, TABLE_ROWS).forEach(push);
  return rows.length > TABLE_ROWS ? `… and ${rows.length - TABLE_ROWS} more ${what} (all of them with -o json)\n` : '';
}

/** The plan as tables for a person: summary, nodes, addresses per subnet, plugin requests. */
export function planText(file: string, checked: CheckedScenarioFile): string {
  const p = checked.plan;
  // Plain borders when piped: escape codes belong on a terminal only.
  const style = process.stdout.isTTY ? {} : { head: [], border: [] };
  let out = `${file}: scenario ${p.name} is valid; nothing was started.\n`;
  out += `${p.totals.nodes} nodes, ${p.totals.vms} VMs, ${p.totals.endpoints} endpoints in ${p.totals.vpcs} VPCs and ${p.totals.subnets} subnets; `;
  const underlay = p.underlayAssignedAtBuild ? `100.(64+n).0.0/16 ${ASSIGNED}: n is the scenario number` : p.underlay;
  out += `network plugin ${p.pluginAddress}, endpoint plugin ${p.endpointPlugin}, underlay ${underlay}, blocks of ${p.blockSize} VM${p.blockSize === 1 ? '' : 's'} per subnet; `;
  out += `workflow input ${checked.inputBytes} bytes (Temporal's limit ${checked.limitBytes}).\n\n`;

  // A value the build assigns is not shown as if it were known: the table says so instead.
  const ip = (n: PlanNode) => (n.assignedAtBuild.includes('ip') ? ASSIGNED : n.ip);
  const mac = (n: PlanNode) => (n.assignedAtBuild.includes('mac') ? ASSIGNED : n.mac);
  const nodes = new Table({ head: ['node', 'slot', 'underlay IP', 'MAC', 'VMs', 'endpoints', 'tests', 'task queue'], style });
  const moreNodes = capped(p.nodes, 'nodes', (n) => nodes.push([n.name, n.slot, ip(n), mac(n), n.vms, n.endpoints, n.tests.join(',') || '-', n.taskQueue]));
  out += `Nodes\n${nodes.toString()}\n${moreNodes}`;
  if (p.nodes.some((n) => n.assignedAtBuild.length > 0)) out += `${ASSIGNED_NOTE}\n`;
  out += '\n';

  const subnets = new Table({ head: ['subnet', 'VPC', 'CIDR', 'gateway', 'VNI', 'node', 'addresses', 'ranges'], style });
  const rows = p.subnets.flatMap((s) =>
    s.nodes.length === 0
      ? [[s.id, s.vpc, s.cidr, s.gateway, s.vni, '-', `0 of ${s.capacity}`, '-']]
      : s.nodes.map((n, i) => [
          i === 0 ? s.id : '',
          i === 0 ? s.vpc : '',
          i === 0 ? s.cidr : '',
          i === 0 ? s.gateway : '',
          i === 0 ? s.vni : '',
          n.node,
          n.addresses,
          n.runs.map((r) => (r.count === 1 ? r.first : `${r.first}-${r.last}`)).join(', '),
        ]),
  );
  const moreSubnets = capped(rows, 'rows', (r) => subnets.push(r));
  out += `Addresses each subnet gives out (reserved in blocks; reserved/capacity: ${p.subnets.map((s) => `${s.id} ${s.reserved}/${s.capacity}`).join(', ')})\n${subnets.toString()}\n${moreSubnets}\n`;

  // The VNI column is what is asked: a provider that assigns its own VNIs may answer with others.
  const plugin = new Table({ head: ['create', 'id / name', 'VPC', 'VNI asked', 'CIDR / IP', 'MAC'], style });
  const requests: (string | number)[][] = [
    ...p.plugin.vpcs.map((v) => ['VPC', v.id, '', v.vni, `${v.ip}/${v.prefix}`, '']),
    ...p.plugin.subnets.map((s) => ['subnet', s.id, s.vpc, s.vni, `${s.ip}/${s.prefix}`, '']),
    ...p.plugin.nodes.map((n, i) => ['node', n.name, '', '', ip(p.nodes[i]!), mac(p.nodes[i]!)]),
  ];
  const moreRequests = capped(requests, 'requests', (r) => plugin.push(r));
  out += `What the network plugin is asked for (in this order)\n${plugin.toString()}\n${moreRequests}`;
  return out;
}

/** The issues as lines for stderr. */
export function issuesText(file: string, issues: readonly SpecIssue[]): string {
  return `merak: ${file} is not a valid scenario (${issues.length} ${issues.length === 1 ? 'issue' : 'issues'}):\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}\n`;
}
