import { nodesToAsk, withLiveCounts, type NodeCount } from '../../src/model/progress';
import { agentNodes, applySummary, noPollerHint, nodesWithoutAgent } from '../../src/cli/commands/up';
import type { ScenarioStatus } from '../../src/model/status';

describe('nodesToAsk', () => {
  test('all running nodes when they are no more than the limit', () => {
    expect(nodesToAsk(['a', 'b'], 7, 3)).toEqual({ nodes: ['a', 'b'], cursor: 0 });
    expect(nodesToAsk([], 0, 3)).toEqual({ nodes: [], cursor: 0 });
  });
  test('round robin over more: every node is asked within ceil(n / max) ticks, never more than max at once', () => {
    const running = ['a', 'b', 'c', 'd', 'e'];
    let cursor = 0;
    const seen: string[][] = [];
    for (let tick = 0; tick < 3; tick++) {
      const ask = nodesToAsk(running, cursor, 2);
      seen.push(ask.nodes);
      cursor = ask.cursor;
    }
    expect(seen).toEqual([
      ['a', 'b'],
      ['c', 'd'],
      ['e', 'a'],
    ]);
    // A cursor beyond a list that shrank wraps around.
    expect(nodesToAsk(['a', 'b', 'c'], 10, 2)).toEqual({ nodes: ['b', 'c'], cursor: 0 });
  });
});

describe('withLiveCounts', () => {
  const nodes: NodeCount[] = [
    { name: 'a', vms: 0, endpoints: 0, running: true },
    { name: 'b', vms: 10, endpoints: 20, running: true },
    { name: 'c', vms: 4, endpoints: 4 },
  ];
  test("a running node that answered shows its child's count (endpoints scaled when the per-VM count is known); the others keep the status's", () => {
    const live = new Map([
      ['a', 3],
      ['b', 14],
      ['c', 99],
    ]);
    expect(withLiveCounts(nodes, live)).toEqual([
      { name: 'a', vms: 3, endpoints: 0, running: true },
      { name: 'b', vms: 14, endpoints: 28, running: true },
      { name: 'c', vms: 4, endpoints: 4 },
    ]);
    expect(withLiveCounts(nodes, new Map())).toEqual(nodes);
  });
});

describe('merak up helpers', () => {
  test('nodesWithoutAgent: nodes no live agent daemon serves, from their --node arguments', () => {
    const spec = { nodes: ['a', 'b', 'c'].map((name) => ({ name, vms: 1, endpointsPerVm: 1, tests: [] })) };
    expect(nodesWithoutAgent(spec, [])).toEqual(['a', 'b', 'c']);
    expect(nodesWithoutAgent(spec, [['node', 'merak.js', 'worker', 'agent', '--node', 'a', '--node', 'b', '--address', 'x:1']])).toEqual(['c']);
    expect(nodesWithoutAgent(spec, [['worker', 'agent', '--node', 'a'], ['worker', 'agent', '--node', 'c', '--node', 'b']])).toEqual([]);
    expect(nodesWithoutAgent(spec, [['worker', 'agent', '--node']])).toEqual(['a', 'b', 'c']);
  });

  test('agentNodes: the nodes an agent daemon polls, from its recorded command line; none for a pool agent', () => {
    expect(agentNodes(['node', 'merak.js', 'worker', 'agent', '--node', 'a', '--node', 'b.x', '--address', 'x:1'])).toEqual(['a', 'b.x']);
    expect(agentNodes(['node', 'merak.js', 'worker', 'agent', '--pool', '--namespace', 'n'])).toEqual([]);
    expect(agentNodes(['worker', 'agent', '--node'])).toEqual([]);
  });

  test('applySummary: the kinds that changed, a rebuild, and the counts now', () => {
    const none = { created: 0, updated: 0, deleted: 0 };
    expect(applySummary({ vpcs: none, subnets: none, nodes: { created: 1, updated: 0, deleted: 0 }, vmsRebuilt: false, nodeCount: 3, vms: 18 })).toBe('nodes +1 ~0 -0; now 3 nodes, 18 VMs');
    expect(applySummary({ vpcs: none, subnets: { created: 1, updated: 0, deleted: 0 }, nodes: none, vmsRebuilt: true, nodeCount: 2, vms: 4 })).toBe(
      'subnets +1 ~0 -0; every VM rebuilt (the subnet layout changed); now 2 nodes, 4 VMs',
    );
    expect(applySummary({ vpcs: none, subnets: none, nodes: none, vmsRebuilt: false, nodeCount: 2, vms: 8 })).toBe('no plugin object changed; now 2 nodes, 8 VMs');
  });

  test('noPollerHint names the waiting nodes (ten at most) and what to do', () => {
    const status = (flags: (string | undefined)[]): ScenarioStatus => ({
      name: 's',
      phase: 'building',
      built: [],
      nodes: flags.map((q, i) => ({ name: `n${i}`, desiredVms: 1, vms: 0, endpoints: 0, phase: 'reconciling', ...(q ? { noPoller: q } : {}) })),
      progress: { done: 0, total: 1, unit: 'VMs' },
      cleanupErrors: [],
      generation: 0,
    });
    expect(noPollerHint(status([undefined]))).toBe('');
    expect(noPollerHint(status([undefined, 'merak-agent-n1']))).toBe(
      'no worker polls the agent queue of node n1 (merak-agent-n1): they wait for an agent; start one (merak worker agent --node NAME) or see `merak status s`',
    );
    expect(noPollerHint(status(Array.from({ length: 12 }, (_, i) => `merak-agent-n${i}`)))).toMatch(/^no worker polls the agent queue of nodes n0, n1, .*, n9 and 2 more \(merak-agent-n0, …\)/);
  });
});
