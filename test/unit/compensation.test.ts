import { CreateAttempts, PARENT_DELETE_ROUNDS, PARENT_IN_USE_FAILURE, SETTLE_SLACK_MS, failureTypeOf, parentRetryDelayMs, settleDelayMs } from '../../src/model/compensation';
import { pluginFailureType } from '../../src/model/failures';

describe('settleDelayMs', () => {
  test('is the plugin deadline plus the slack', () => {
    expect(settleDelayMs(10_000)).toBe(10_000 + SETTLE_SLACK_MS);
    expect(settleDelayMs(1)).toBe(1 + SETTLE_SLACK_MS);
  });
  test.each([0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses deadline %p, naming the field', (d) => {
    expect(() => settleDelayMs(d)).toThrow(/deadlineMs: .* whole number/);
  });
});

describe('parentRetryDelayMs', () => {
  test('none before the first round, then doubling from 1 s', () => {
    expect(Array.from({ length: PARENT_DELETE_ROUNDS }, (_, r) => parentRetryDelayMs(r, 60_000))).toEqual([0, 1_000, 2_000].slice(0, PARENT_DELETE_ROUNDS));
  });
  test('never more than the plugin deadline', () => {
    for (let r = 0; r < PARENT_DELETE_ROUNDS; r++) expect(parentRetryDelayMs(r, 1_500)).toBeLessThanOrEqual(1_500);
    expect(parentRetryDelayMs(PARENT_DELETE_ROUNDS - 1, 1_500)).toBe(1_500);
  });
  test('the whole retry of one VPC is bounded by the rounds times the deadline', () => {
    for (const d of [1, 500, 2_000, 10_000, 600_000]) {
      const total = Array.from({ length: PARENT_DELETE_ROUNDS }, (_, r) => parentRetryDelayMs(r, d)).reduce((a, b) => a + b, 0);
      expect(total).toBeLessThanOrEqual((PARENT_DELETE_ROUNDS - 1) * d);
    }
  });
  test.each([-1, PARENT_DELETE_ROUNDS, 0.5])('refuses round %p', (r) => {
    expect(() => parentRetryDelayMs(r, 1_000)).toThrow(/round: /);
  });
  test('refuses a deadline below 1 ms', () => {
    expect(() => parentRetryDelayMs(0, 0)).toThrow(/deadlineMs: /);
  });
});

describe('failureTypeOf', () => {
  test('reads the type of the error itself', () => {
    expect(failureTypeOf({ type: 'PluginFAILED_PRECONDITION' })).toBe('PluginFAILED_PRECONDITION');
  });
  test('reads it through an ActivityFailure-shaped cause chain', () => {
    const err = { message: 'Activity task failed', cause: { message: 'DeleteVpc …', type: pluginFailureType('FAILED_PRECONDITION') } };
    expect(failureTypeOf(err)).toBe(PARENT_IN_USE_FAILURE);
  });
  test('skips empty and non-string types', () => {
    expect(failureTypeOf({ type: '', cause: { type: 7, cause: { type: 'PluginUNAVAILABLE' } } })).toBe('PluginUNAVAILABLE');
  });
  test('undefined for anything without one, and for a cycle', () => {
    expect(failureTypeOf(undefined)).toBeUndefined();
    expect(failureTypeOf('text')).toBeUndefined();
    expect(failureTypeOf(new Error('plain'))).toBeUndefined();
    const loop: { cause?: unknown } = {};
    loop.cause = loop;
    expect(failureTypeOf(loop)).toBeUndefined();
  });
  test('follows at most 8 links', () => {
    let deep: object = { type: 'Deep' };
    for (let i = 0; i < 7; i++) deep = { cause: deep };
    expect(failureTypeOf(deep)).toBe('Deep');
    expect(failureTypeOf({ cause: deep })).toBeUndefined();
  });
});

describe('CreateAttempts', () => {
  test('a Create is of unknown outcome from sent until settled', () => {
    const a = new CreateAttempts();
    expect(a.anyUnknown).toBe(false);
    a.sent({ kind: 'vpc', id: 'v1' });
    expect(a.anyUnknown).toBe(true);
    a.settle('vpc', 'v1');
    expect(a.anyUnknown).toBe(false);
    expect(a.unknownOutcomes()).toEqual([]);
  });

  test('a retried Create is unknown again, and kept once', () => {
    const a = new CreateAttempts();
    a.sent({ kind: 'node', id: 'n1' });
    a.settle('node', 'n1');
    a.sent({ kind: 'node', id: 'n1' });
    expect(a.unknownOutcomes()).toEqual([{ kind: 'node', id: 'n1' }]);
  });

  test('settling what was never sent changes nothing', () => {
    const a = new CreateAttempts();
    a.sent({ kind: 'subnet', id: 's1', vpc: 'v' });
    a.settle('subnet', 'other');
    a.settle('vpc', 's1'); // same id, other kind
    expect(a.unknownOutcomes().map((b) => b.id)).toEqual(['s1']);
  });

  test('unknown outcomes come in delete order: nodes, subnets, VPCs, newest first within a kind', () => {
    const a = new CreateAttempts();
    a.sent({ kind: 'vpc', id: 'v1' });
    a.sent({ kind: 'vpc', id: 'v2' });
    a.sent({ kind: 'subnet', id: 's1', vpc: 'v1' });
    a.sent({ kind: 'subnet', id: 's2', vpc: 'v2' });
    a.sent({ kind: 'node', id: 'n1' });
    a.sent({ kind: 'node', id: 'n2' });
    expect(a.unknownOutcomes().map((b) => `${b.kind}:${b.id}`)).toEqual(['node:n2', 'node:n1', 'subnet:s2', 'subnet:s1', 'vpc:v2', 'vpc:v1']);
    expect(a.unknownOutcomes((b) => b.kind !== 'node').map((b) => b.id)).toEqual(['s2', 's1', 'v2', 'v1']);
  });

  test('the list handed out is a copy: changing it changes nothing', () => {
    const a = new CreateAttempts();
    const obj = { kind: 'vpc' as const, id: 'v1' };
    a.sent(obj);
    obj.id = 'changed';
    a.unknownOutcomes()[0]!.id = 'also';
    expect(a.unknownOutcomes()).toEqual([{ kind: 'vpc', id: 'v1' }]);
  });

  test('subnetsOf: the VPC subnets attempted in this run and recorded before, each once', () => {
    const a = new CreateAttempts();
    a.sent({ kind: 'subnet', id: 's1', vpc: 'v1' });
    a.settle('subnet', 's1'); // settled subnets still count: their Create may be retried later
    a.sent({ kind: 'subnet', id: 's2', vpc: 'v1' });
    a.sent({ kind: 'subnet', id: 's3', vpc: 'v2' });
    a.sent({ kind: 'vpc', id: 'v1' });
    const recorded = [
      { kind: 'subnet' as const, id: 's0', vpc: 'v1' },
      { kind: 'subnet' as const, id: 's1', vpc: 'v1' },
      { kind: 'node' as const, id: 'v1' },
    ];
    expect(a.subnetsOf('v1', recorded)).toEqual(['s0', 's1', 's2']);
    expect(a.subnetsOf('v2')).toEqual(['s3']);
    expect(a.subnetsOf('none', recorded)).toEqual([]);
  });
});
