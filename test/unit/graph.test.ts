import { graphDot, graphMermaid } from '../../src/cli/graph';
import type { ScenarioStatus } from '../../src/model/status';

const status: ScenarioStatus = {
  name: 'demo',
  phase: 'ready',
  built: [
    { kind: 'vpc', id: 'vpc-blue', vni: 1001 },
    { kind: 'subnet', id: 'blue-1', vpc: 'vpc-blue', vni: 1001 },
    { kind: 'node', id: 'node-a' },
    { kind: 'node', id: 'node-b' },
  ],
  nodes: [
    { name: 'node-a', desiredVms: 2, vms: 2, endpoints: 2, phase: 'ready' },
    { name: 'node-b', desiredVms: 0, vms: 0, endpoints: 0, phase: 'ready' },
  ],
  progress: { done: 0, total: 0, unit: 'VMs' },
  cleanupErrors: [],
  generation: 0,
};

test('Mermaid: VPCs with their subnets, nodes with VM counts, edges only from nodes that have VMs', () => {
  const out = graphMermaid(status);
  expect(out.startsWith('flowchart LR\n')).toBe(true);
  expect(out).toContain('vpc_vpc_blue(["VPC vpc-blue vni 1001"])');
  expect(out).toContain('vpc_vpc_blue --- sn_blue_1');
  expect(out).toContain('node_node_a[["node node-a: 2 VMs"]]');
  expect(out).toContain('node_node_a -.-> vpc_vpc_blue');
  expect(out).not.toContain('node_node_b -.->');
});

test('DOT: the same graph, ids escaped to identifiers', () => {
  const out = graphDot(status);
  expect(out).toMatch(/^digraph "demo" \{/);
  expect(out).toContain('vpc_vpc_blue -> sn_blue_1;');
  expect(out).toContain('node_node_a -> vpc_vpc_blue [style=dashed];');
  expect(out).not.toContain('node_node_b -> vpc');
  expect(out.trimEnd().endsWith('}')).toBe(true);
});
