/**
 * The steps of a `none` node's reconcile (src/model/node-steps.ts), checked over every small
 * current/desired/batchSize/remove combination against a model of the node's VMs, and the
 * endpoint batch and rate pause they send.
 */
import { noneEndpointBatch, noneNodeSteps, ratePauseMs, type NoneNodeJob, type NoneNodesShared } from '../../src/model/node-steps';

/** Runs steps over a set of VM indexes; returns the VMs left and whether the node was removed. */
function apply(current: number, steps: ReturnType<typeof noneNodeSteps>, batchSize: number): { vms: Set<number>; removed: boolean; ensured: boolean } {
  const vms = new Set(Array.from({ length: current }, (_, i) => i));
  let removed = false;
  let ensured = false;
  for (const s of steps) {
    expect(removed).toBe(false); // nothing after the removal
    if (s.op === 'ensure') ensured = true;
    if (s.op === 'create') {
      expect(s.count).toBeGreaterThan(0);
      expect(s.count).toBeLessThanOrEqual(batchSize);
      if (s.ensure) ensured = true;
      for (let i = s.from; i < s.from + s.count; i++) {
        expect(vms.has(i)).toBe(false); // never made twice
        vms.add(i);
      }
    }
    if (s.op === 'delete') {
      expect(s.count).toBeGreaterThan(0);
      expect(s.count).toBeLessThanOrEqual(batchSize);
      for (let i = s.from; i < s.from + s.count; i++) {
        expect(vms.has(i)).toBe(true); // only what exists
        vms.delete(i);
      }
      // Highest first: nothing above the deleted range is left.
      expect([...vms].every((v) => v < s.from)).toBe(true);
    }
    if (s.op === 'remove') {
      removed = true;
      vms.clear();
    }
  }
  return { vms, removed, ensured };
}

describe('noneNodeSteps', () => {
  test('every combination of current, desired, batch size and removal up to 7 ends at the wanted state', () => {
    let cases = 0;
    for (let current = 0; current <= 7; current++)
      for (let desired = 0; desired <= 7; desired++)
        for (let batch = 1; batch <= 7; batch++)
          for (const remove of [false, true]) {
            if (remove && desired > 0) continue; // a removal wants 0 VMs
            const steps = noneNodeSteps(current, desired, batch, remove);
            const end = apply(current, steps, batch);
            expect(end.removed).toBe(remove);
            expect([...end.vms].sort((a, b) => a - b)).toEqual(remove ? [] : Array.from({ length: desired }, (_, i) => i));
            // The node is ensured exactly when it stays: by the first create, or on its own.
            expect(end.ensured).toBe(!remove);
            expect(steps.filter((s) => s.op === 'ensure' || (s.op === 'create' && s.ensure)).length).toBe(remove ? 0 : 1);
            // A removed node's VMs go with its state files: no delete calls first.
            if (remove) expect(steps).toEqual([{ op: 'remove' }]);
            // As few calls as the batch size allows.
            const creates = steps.filter((s) => s.op === 'create').length;
            const deletes = steps.filter((s) => s.op === 'delete').length;
            expect(creates).toBe(Math.ceil(Math.max(0, desired - current) / batch));
            expect(deletes).toBe(remove ? 0 : Math.ceil(Math.max(0, current - desired) / batch));
            cases++;
          }
    expect(cases).toBe(8 * 7 * 8 + 8 * 7);
  });

  test('the order a node workflow takes: ensure first when not growing, creates upward, deletes downward', () => {
    expect(noneNodeSteps(0, 5, 2, false)).toEqual([
      { op: 'create', from: 0, count: 2, ensure: true },
      { op: 'create', from: 2, count: 2, ensure: false },
      { op: 'create', from: 4, count: 1, ensure: false },
    ]);
    expect(noneNodeSteps(5, 1, 3, false)).toEqual([
      { op: 'ensure' },
      { op: 'delete', from: 2, count: 3 },
      { op: 'delete', from: 1, count: 1 },
    ]);
    expect(noneNodeSteps(3, 3, 1, false)).toEqual([{ op: 'ensure' }]);
    expect(noneNodeSteps(0, 0, 1, true)).toEqual([{ op: 'remove' }]);
  });

  test.each([
    ['current', -1, 1, 1, /current -1 must be a whole number ≥ 0/],
    ['desired', 0, 1.5, 1, /desired 1.5 must be a whole number ≥ 0/],
    ['batchSize', 0, 3, 0, /batchSize 0 must be a whole number ≥ 1/],
    ['batchSize NaN', 0, 3, Number.NaN, /batchSize NaN must be a whole number ≥ 1/],
  ])('refuses a bad %s before any step', (_what, current, desired, batch, message) => {
    expect(() => noneNodeSteps(current, desired, batch, false)).toThrow(message);
  });
});

describe('noneEndpointBatch', () => {
  const shared: NoneNodesShared = {
    scenario: 's',
    plugin: 'none',
    underlayCidr: '10.255.0.0/16',
    underlayMtu: 1500,
    blockSize: 4,
    subnets: [{ index: 0, id: 'sn', vpc: 'v', cidr: '10.1.0.0/16', gateway: '10.1.0.1', vni: 7 }],
    batchSize: 10,
    rate: 'sequential',
  };
  const job: NoneNodeJob = { node: 'n1', slot: 3, current: 0, desired: 8, endpointsPerVm: 1, ranges: [[[10, 8]]], removeNode: false };

  test("covers exactly the batch's VMs, with no peers and no VPC subnets (no overlay, no router)", () => {
    const b = noneEndpointBatch(shared, job, 2, 5);
    expect(b).toMatchObject({ scenario: 's', node: 'n1', plugin: 'none', nodeSlot: 3, from: 2, count: 5, endpointsPerVm: 1, underlayCidr: '10.255.0.0/16', underlayMtu: 1500 });
    expect(b).not.toHaveProperty('vpcSubnets');
    expect(b).not.toHaveProperty('underlayIp');
    const covered = b.segments.flatMap((s) => Array.from({ length: s.vmCount }, (_, i) => s.vmFrom + i)).filter((v) => v >= 2 && v < 7);
    expect(new Set(covered)).toEqual(new Set([2, 3, 4, 5, 6]));
    expect(b.segments.every((s) => s.peers.length === 0 && s.subnet.id === 'sn')).toBe(true);
    expect(noneEndpointBatch(shared, { ...job, underlayIp: '10.255.0.9' }, 0, 1).underlayIp).toBe('10.255.0.9');
  });
});

describe('ratePauseMs', () => {
  test('sequential never pauses, rps pauses count/rps seconds, random up to 200 ms', () => {
    expect(ratePauseMs('sequential', 100, 0.9)).toBe(0);
    expect(ratePauseMs({ rps: 50 }, 100, 0.9)).toBe(2000);
    expect(ratePauseMs({ rps: 3 }, 1, 0)).toBe(334);
    expect(ratePauseMs('random', 1, 0)).toBe(0);
    expect(ratePauseMs('random', 1, 0.999)).toBe(199);
  });
});
