import { scenarioListRow, scenarioListTable, scenarioVms, statusCounts } from '../../src/cli/status-output';
import type { ScenarioStatus } from '../../src/model/status';

function status(over: Partial<ScenarioStatus> = {}): ScenarioStatus {
  return {
    name: 'demo',
    phase: 'ready',
    built: [],
    nodes: [
      { name: 'node-a', desiredVms: 10, vms: 10, endpoints: 10, phase: 'ready' },
      { name: 'node-b', desiredVms: 10, vms: 10, endpoints: 10, phase: 'ready' },
    ],
    // The last reconcile was a scale of node-b from 6 to 10 VMs: 4 VMs, not the scenario's 20.
    progress: { done: 4, total: 4, unit: 'VMs' },
    cleanupErrors: [],
    generation: 0,
    ...over,
  };
}

describe('merak status: the counts say what they count', () => {
  it("shows the scenario's VMs and, apart, the last operation's", () => {
    expect(statusCounts(status())).toEqual([
      ['VMs', '20 of 20 in the spec, on 2 nodes'],
      ['last operation', '4/4 VMs created or deleted'],
    ]);
  });

  it.each(['building', 'scaling', 'applying'] as const)('calls the counter the current operation while %s', (phase) => {
    const s = status({ phase, progress: { done: 1, total: 8, unit: 'VMs' }, nodes: [{ name: 'n', desiredVms: 8, vms: 1, endpoints: 1, phase: 'reconciling' }] });
    expect(statusCounts(s)).toEqual([
      ['VMs', '1 of 8 in the spec, on 1 node'],
      ['current operation', '1/8 VMs created or deleted'],
    ]);
  });

  it.each(['ready', 'testing', 'tearing-down', 'deleted', 'failed'] as const)('calls it the last operation when %s', (phase) => {
    expect(statusCounts(status({ phase }))[1]![0]).toBe('last operation');
  });

  it('says when the operation had no VM to change (an apply of plugin objects only)', () => {
    expect(statusCounts(status({ progress: { done: 0, total: 0, unit: 'VMs' } }))[1]).toEqual(['last operation', 'no VM to create or delete']);
  });

  it('sums existing and desired VMs over the nodes, whatever the operation counted', () => {
    const nodes = [
      { name: 'a', desiredVms: 3, vms: 5, endpoints: 10, phase: 'reconciling' as const },
      { name: 'b', desiredVms: 7, vms: 0, endpoints: 0, phase: 'pending' as const },
    ];
    expect(scenarioVms({ nodes })).toEqual({ vms: 5, desired: 10 });
    expect(scenarioVms({ nodes: [] })).toEqual({ vms: 0, desired: 0 });
  });
});

describe('merak status without a name: the list of scenarios', () => {
  it('makes a row from an answered status: name, phase, nodes, VMs of desired', () => {
    expect(scenarioListRow('merak-demo', 'RUNNING', status({ phase: 'scaling', nodes: [{ name: 'a', desiredVms: 4, vms: 2, endpoints: 2, phase: 'reconciling' }] }))).toEqual({
      name: 'demo',
      phase: 'scaling',
      nodes: 1,
      vms: 2,
      desiredVms: 4,
    });
  });

  it('makes a row from the execution status when the scenario cannot be asked', () => {
    expect(scenarioListRow('merak-old', 'COMPLETED', undefined)).toEqual({ name: 'old', phase: 'completed' });
    expect(scenarioListRow('merak-stuck', 'RUNNING', undefined, 'did not answer')).toEqual({ name: 'stuck', phase: 'running', note: 'did not answer' });
  });

  it('prints one line per scenario, with dashes for what is unknown', () => {
    const text = scenarioListTable([scenarioListRow('merak-demo', 'RUNNING', status()), scenarioListRow('merak-old', 'TERMINATED', undefined)], false);
    const lines = text.split('\n').filter((l) => /demo|old/.test(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/demo\s*│\s*ready\s*│\s*2\s*│\s*20\/20\s*│/);
    expect(lines[1]).toMatch(/old\s*│\s*terminated\s*│\s*-\s*│\s*-\s*│/);
    expect(text).toMatch(/scenario.*phase.*nodes.*VMs/);
    // Not on a terminal: no colour escapes.
    expect(text).not.toContain('\u001b[');
  });

  it('says how to start one when there is none', () => {
    expect(scenarioListTable([], false)).toBe('no scenarios: start one with `merak up -f FILE`\n');
  });
});
