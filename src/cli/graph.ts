import type { ScenarioStatus } from '../model/status';

// Mermaid and DOT renderings of a live scenario: VPCs with their subnets, nodes with their VM
// counts, and which VPCs each node's VMs join. Pure: it draws the `status` query's answer.

const id = (prefix: string, raw: string) => `${prefix}_${raw.replace(/[^A-Za-z0-9_]/g, '_')}`;
const quote = (text: string) => text.replace(/"/g, "'");

export function graphMermaid(s: ScenarioStatus): string {
  const lines = ['flowchart LR', `  subgraph ${id('s', s.name)}["scenario ${quote(s.name)} (${s.phase})"]`];
  const vpcs = s.built.filter((b) => b.kind === 'vpc');
  for (const vpc of vpcs) lines.push(`    ${id('vpc', vpc.id)}(["VPC ${quote(vpc.id)}${vpc.vni ? ` vni ${vpc.vni}` : ''}"])`);
  for (const sn of s.built.filter((b) => b.kind === 'subnet')) lines.push(`    ${id('sn', sn.id)}["subnet ${quote(sn.id)}"]`);
  for (const n of s.nodes) lines.push(`    ${id('node', n.name)}[["node ${quote(n.name)}: ${n.vms} VMs"]]`);
  lines.push('  end');
  attachSubnets(s).forEach(([vpc, sn]) => lines.push(`  ${id('vpc', vpc)} --- ${id('sn', sn)}`));
  for (const n of s.nodes) if (n.vms > 0) for (const vpc of vpcs) lines.push(`  ${id('node', n.name)} -.-> ${id('vpc', vpc.id)}`);
  return `${lines.join('\n')}\n`;
}

export function graphDot(s: ScenarioStatus): string {
  const lines = [`digraph "${quote(s.name)}" {`, '  rankdir=LR;', `  label="scenario ${quote(s.name)} (${s.phase})";`];
  const vpcs = s.built.filter((b) => b.kind === 'vpc');
  for (const vpc of vpcs) lines.push(`  ${id('vpc', vpc.id)} [shape=ellipse,label="VPC ${quote(vpc.id)}${vpc.vni ? `\\nvni ${vpc.vni}` : ''}"];`);
  for (const sn of s.built.filter((b) => b.kind === 'subnet')) lines.push(`  ${id('sn', sn.id)} [shape=box,label="subnet ${quote(sn.id)}"];`);
  for (const n of s.nodes) lines.push(`  ${id('node', n.name)} [shape=box3d,label="node ${quote(n.name)}\\n${n.vms} VMs"];`);
  attachSubnets(s).forEach(([vpc, sn]) => lines.push(`  ${id('vpc', vpc)} -> ${id('sn', sn)};`));
  for (const n of s.nodes) if (n.vms > 0) for (const vpc of vpcs) lines.push(`  ${id('node', n.name)} -> ${id('vpc', vpc.id)} [style=dashed];`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

function attachSubnets(s: ScenarioStatus): [string, string][] {
  return s.built.filter((b) => b.kind === 'subnet' && b.vpc !== undefined).map((b) => [b.vpc!, b.id]);
}
