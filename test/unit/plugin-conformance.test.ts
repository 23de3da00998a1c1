/**
 * The conformance suite's rules (src/model/plugin-conformance.ts) and runner
 * (src/plugin/conformance.ts), run in process against SDK handlers: the reference plugin's rules
 * pass every rule; the example provider passes with the rules it opts out of skipped; each
 * deliberately broken plugin fails exactly the rules it breaks; judges and the plan alone.
 */
import {
  canonicalJson,
  cleanupCalls,
  CONFORMANCE_RULES,
  CONFORMANCE_STEPS,
  createdKeys,
  heldValuesOf,
  judgeInvalid,
  judgeStateServed,
  nodeProblems,
  planConformance,
  prefixProblem,
  renderConformanceText,
  subnetProblems,
  summarizeConformance,
  vpcProblems,
  type ConformanceReport,
} from '../../src/model/plugin-conformance';
import { seededRandom } from '../../src/model/random';
import { runConformance, type ConformanceInvoke } from '../../src/plugin/conformance';
import { createMyProviderHandlers } from '../../examples/plugin/my-provider';
import { inProcess, referenceHandlers, type Break } from '../helpers/conformance-plugins';

const run = (invoke: ConformanceInvoke, prefix = 'mkc-test') => runConformance(invoke, { address: 'in-process', prefix });
const failed = (r: ConformanceReport) => r.results.filter((x) => x.status === 'fail').map((x) => x.rule.id);
const skipped = (r: ConformanceReport) => r.results.filter((x) => x.status === 'skip').map((x) => x.rule.id);

describe('the rules and steps', () => {
  test('every step checks a known rule, and every rule but cleanup has a step', () => {
    const ids = new Set(CONFORMANCE_RULES.map((r) => r.id));
    expect(ids.size).toBe(CONFORMANCE_RULES.length);
    for (const s of CONFORMANCE_STEPS) expect(ids).toContain(s.rule);
    const stepped = new Set([...CONFORMANCE_STEPS.map((s) => s.rule), 'state.served', 'cleanup']);
    expect(CONFORMANCE_RULES.map((r) => r.id).filter((id) => !stepped.has(id))).toEqual([]);
  });
});

describe('the reference plugin', () => {
  test('passes every rule, and leaves nothing behind', async () => {
    const { handlers, stateHandler, state } = referenceHandlers();
    const report = await run(inProcess(handlers, stateHandler));
    expect(failed(report)).toEqual([]);
    expect(skipped(report)).toEqual([]);
    expect(report.passed).toBe(true);
    expect(report.counts).toEqual({ pass: CONFORMANCE_RULES.length, fail: 0, skip: 0 });
    const s = state.snapshot();
    expect([s.vpcs, s.subnets, s.nodes]).toEqual([[], [], []]);
  });

  test("never touches another scenario's objects, and draws VNIs, node IPs and MACs the plugin does not hold", async () => {
    const { handlers, stateHandler, state } = referenceHandlers();
    const invoke = inProcess(handlers, stateHandler);
    const probe = planConformance('mkc-test', seededRandom(1), undefined);
    // Another scenario holds what an unlucky draw could give: the suite must avoid it.
    state.createVpc({ id: 'theirs', vni: probe.vpcA.vni, ip: '10.0.0.0', prefix: 8, scenario: 'theirs' });
    state.createNode({ name: 'their-node', ip: '100.64.0.1', mac: '02:00:00:00:00:01', scenario: 'theirs' });
    const before = canonicalJson(state.snapshot());
    const report = await runConformance(invoke, { address: 'x', prefix: 'mkc-test', seed: 1 });
    expect(failed(report)).toEqual([]);
    const after = state.snapshot();
    expect(canonicalJson({ ...after, revision: 0 })).toBe(canonicalJson({ ...JSON.parse(before), revision: 0 }));
    const vpcA = report.results.find((r) => r.rule.id === 'vpc.create.answer')!.calls[0]!.request.vpc as { vni: number };
    expect(vpcA.vni).not.toBe(probe.vpcA.vni);
  });

  test('refuses a prefix whose keys the plugin holds, before creating anything', async () => {
    const { handlers, stateHandler, state } = referenceHandlers();
    state.createVpc({ id: 'mkc-test-vpc-a', vni: 5, ip: '10.0.0.0', prefix: 8 });
    await expect(run(inProcess(handlers, stateHandler))).rejects.toThrow(/already holds mkc-test-vpc-a: prefix "mkc-test" is in use; choose another --prefix/);
    expect(state.snapshot().vpcs.map((v) => v.id)).toEqual(['mkc-test-vpc-a']);
  });

  test('a plugin that does not answer is an error before anything is sent but GetState', async () => {
    const calls: string[] = [];
    const down: ConformanceInvoke = async (method) => {
      calls.push(method);
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 14, details: 'No connection established' });
    };
    await expect(run(down)).rejects.toThrow(/does not answer \(GetState: UNAVAILABLE: No connection established\); start it first/);
    expect(calls).toEqual(['GetState']);
  });
});

describe('the example provider (examples/plugin/my-provider.ts)', () => {
  test('passes; skips the state rules (no state service), the asked-VNI rules (it allocates its own) and the owner rules (it keeps none)', async () => {
    const report = await run(inProcess(createMyProviderHandlers()));
    expect(failed(report)).toEqual([]);
    expect(skipped(report)).toEqual(['state.served', 'vpc.create.conflict-vni', 'vpc.create.vni-in-use', 'owner.create', 'owner.update', 'owner.delete', 'state.matches', 'state.after-delete']);
    const conflictVni = report.results.find((r) => r.rule.id === 'vpc.create.conflict-vni')!;
    expect(conflictVni.reason).toMatch(/chooses the VNI itself \(asked \d+, answered 10000\)/);
  });
});

describe('a deliberately broken plugin fails exactly the rules it breaks', () => {
  const cases: Array<[Break, string[], string[]]> = [
    ['node-create-not-idempotent', ['node.create.idempotent'], []],
    ['subnet-conflict-ok', ['subnet.create.conflict'], []],
    // Deleting twice is part of "removes … and deleting it again succeeds".
    ['vpc-delete-missing-fails', ['vpc.delete.missing', 'vpc.delete.removes'], []],
    ['vpc-vni-zero-accepted', ['vpc.create.invalid.vni-zero'], []],
    // After the delete, the NOT_FOUND check of "removes" upserts again: that rule breaks too.
    ['node-update-upserts', ['node.update.not-found', 'node.delete.removes'], []],
    // Without a well-formed subnet, the rules that need it cannot run: skipped, saying why.
    [
      'subnet-answer-vni-zero',
      ['subnet.create.answer'],
      ['subnet.create.idempotent', 'subnet.create.conflict', 'subnet.create.overlap', 'subnet.update.applies', 'subnet.update.no-move', 'vpc.delete.has-subnets', 'owner.delete'],
    ],
  ];
  test.each(cases)('%s', async (brk, fails, skips) => {
    const { handlers, stateHandler, state } = referenceHandlers([brk]);
    const report = await run(inProcess(handlers, stateHandler));
    expect(failed(report)).toEqual(fails);
    expect(skipped(report)).toEqual(skips);
    expect(report.passed).toBe(false);
    for (const id of fails) {
      const r = report.results.find((x) => x.rule.id === id)!;
      expect(r.reason).toBeTruthy();
      expect(r.failed?.method).toMatch(/^(Create|Update|Delete)(Vpc|Subnet|Node)$/);
    }
    // Cleaned up even so.
    const s = state.snapshot();
    expect([s.vpcs, s.subnets, s.nodes]).toEqual([[], [], []]);
    const text = renderConformanceText(report);
    for (const id of fails) expect(text).toMatch(new RegExp(`^FAIL  ${id.replace(/\./g, '\\.')} .*\\n      why: .*\\n      request:  \\w+ \\{.*\\}\\n      answer:   .*\\n      rule: `, 'm'));
  });

  test('a handler that throws mid-run still gets everything deleted, and the throw is the answer INTERNAL', async () => {
    const { handlers, stateHandler, state } = referenceHandlers();
    const crashing = { ...handlers, updateSubnet: async () => Promise.reject(new Error('boom')) };
    const report = await run(inProcess(crashing, stateHandler));
    expect(failed(report)).toEqual(['subnet.update.not-found', 'subnet.update.applies', 'subnet.update.no-move', 'subnet.delete.removes']);
    expect(report.results.find((r) => r.rule.id === 'subnet.update.applies')!.reason).toMatch(/answered INTERNAL/);
    expect(state.snapshot().vpcs).toEqual([]);
    expect(report.results.find((r) => r.rule.id === 'cleanup')!.status).toBe('pass');
  });

  test('an invoke that rejects without a status is UNKNOWN, and the run goes on', async () => {
    const { handlers, stateHandler } = referenceHandlers();
    const base = inProcess(handlers, stateHandler);
    const flaky: ConformanceInvoke = (m, r) => (m === 'UpdateNode' ? Promise.reject(new Error('socket hang up')) : base(m, r));
    const report = await run(flaky);
    const r = report.results.find((x) => x.rule.id === 'node.update.not-found')!;
    expect(r.failed?.outcome).toEqual({ ok: false, code: 'UNKNOWN', details: 'socket hang up' });
  });

  test('a node hook runs once, before the first CreateNode of the suite\'s node; a failing hook fails that rule and the call is not sent', async () => {
    const { handlers, stateHandler } = referenceHandlers();
    const base = inProcess(handlers, stateHandler);
    const sent: string[] = [];
    const invoke: ConformanceInvoke = (m, r) => {
      sent.push(m);
      return base(m, r);
    };
    const seen: string[] = [];
    const ok = await runConformance(invoke, { address: 'x', prefix: 'mkc-hook', prepareNode: async (n) => void seen.push(`${n.name} ${n.ip} ${n.mac} ${n.scenario}`) });
    expect(failed(ok)).toEqual([]);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/^mkc-hook-node-1 100\.\d+\.\d+\.\d+ 02(:[0-9a-f]{2}){5} mkc-hook$/);
    const bad = await runConformance(base, { address: 'x', prefix: 'mkc-hook', prepareNode: () => Promise.reject(new Error('chassis-add failed')) });
    const r = bad.results.find((x) => x.rule.id === 'node.create.answer')!;
    expect(r.status).toBe('fail');
    expect(r.reason).toMatch(/the node hook failed before CreateNode: chassis-add failed/);
    expect(r.failed?.outcome).toMatchObject({ ok: false, code: 'NOT_SENT' });
  });
});

describe('judges', () => {
  test('INVALID_ARGUMENT must name the field as a word', () => {
    expect(judgeInvalid({ ok: false, code: 'INVALID_ARGUMENT', details: 'vpc.vni: 0 is outside 1..16777215' }, ['vni'])).toEqual({ status: 'pass' });
    expect(judgeInvalid({ ok: false, code: 'INVALID_ARGUMENT', details: 'bad request' }, ['vni'])).toMatchObject({ status: 'fail', reason: expect.stringMatching(/names none of "vni"/) });
    expect(judgeInvalid({ ok: false, code: 'INVALID_ARGUMENT', details: 'vnis are bad' }, ['vni'])).toMatchObject({ status: 'fail' });
    expect(judgeInvalid({ ok: false, code: 'FAILED_PRECONDITION', details: 'vni' }, ['vni'])).toEqual({ status: 'fail', reason: 'answered FAILED_PRECONDITION; expected INVALID_ARGUMENT' });
    expect(judgeInvalid({ ok: true, answer: {} }, ['vni'])).toEqual({ status: 'fail', reason: 'answered OK; expected INVALID_ARGUMENT' });
  });

  test('GetState: served passes, UNIMPLEMENTED skips, anything else fails', () => {
    expect(judgeStateServed({ ok: true, answer: {} }).status).toBe('pass');
    expect(judgeStateServed({ ok: false, code: 'UNIMPLEMENTED', details: '' }).status).toBe('skip');
    expect(judgeStateServed({ ok: false, code: 'INTERNAL', details: 'x' }).status).toBe('fail');
  });

  test('objects as answered', () => {
    expect(vpcProblems({ id: 'a', vni: 1, ip: '10.0.0.0', prefix: 16 })).toEqual([]);
    expect(vpcProblems(null)).toEqual(['the answer carries no vpc']);
    expect(vpcProblems({ id: '', vni: 0, ip: '10.0.0.1', prefix: 16 })).toEqual([
      'vpc.id: "" is no key',
      'vpc.vni: 0 is outside 1..16777215',
      expect.stringMatching(/^vpc\.ip\/vpc\.prefix: "10\.0\.0\.1\/16" is not a network address: host bits/),
    ]);
    expect(vpcProblems({ id: 'a', vni: 16_777_216, ip: '10.0.0.0', prefix: 16 })).toHaveLength(1);
    const vpc = { id: 'a', vni: 1, ip: '10.0.0.0', prefix: 16, optional: {}, scenario: '' };
    expect(subnetProblems({ id: 's', vpc: 'a', vni: 7, ip: '10.0.1.0', prefix: 24 }, vpc)).toEqual([]);
    expect(subnetProblems({ id: 's', vpc: 'b', vni: 0, ip: '10.1.1.0', prefix: 24 }, vpc)).toEqual([
      'subnet.vpc: "b" is not the VPC\'s key "a"',
      'subnet.vni: 0 is outside 1..16777215 (asked 0, the answer carries the VNI in force)',
      'subnet.ip/subnet.prefix: 10.1.1.0/24 is not inside 10.0.0.0/16',
    ]);
    expect(nodeProblems({ name: 'n', ip: '100.64.0.1', mac: '02:00:00:00:00:01' })).toEqual([]);
    expect(nodeProblems({ name: 'n', ip: '100.64.0.1', mac: '03:00:00:00:00:01' })).toEqual(['node.mac: 03:00:00:00:00:01 is a multicast MAC']);
    expect(nodeProblems({ name: '', ip: 'x', mac: '02:00' })).toHaveLength(3);
  });
});

describe('plan, keys and cleanup', () => {
  test('prefix rule', () => {
    expect(prefixProblem('mkc-a1b2c3')).toBeUndefined();
    for (const bad of ['', 'Mkc', '1abc', 'a-', 'a--b', 'a_b', 'a'.repeat(41)]) expect(prefixProblem(bad)).toMatch(/--prefix/);
  });

  test('the plan is repeatable per seed, every key carries the prefix and fits a DNS label, values are well formed', () => {
    const a = planConformance('mkc-x', seededRandom(7));
    expect(planConformance('mkc-x', seededRandom(7))).toEqual(a);
    const long = planConformance('a'.repeat(40), seededRandom(7));
    const keys = [long.vpcA.id, long.vpcB.id, long.subnet.id, long.node.name, long.missingKey, ...Object.values(long.refusedKeys), ...Object.values(long.invalidKeys)];
    for (const k of keys) {
      expect(k.startsWith(`${'a'.repeat(40)}-`)).toBe(true);
      expect(k.length).toBeLessThanOrEqual(63);
    }
    expect(new Set(keys).size).toBe(keys.length);
    expect(vpcProblems(a.vpcA)).toEqual([]);
    expect(a.vpcB.vni).not.toBe(a.vpcA.vni);
    expect([a.vpcA.vni, a.vpcB.vni]).not.toContain(a.spareVni);
    expect(subnetProblems({ ...a.subnet, vni: 1 }, a.vpcA)).toEqual([]);
    expect(nodeProblems(a.node)).toEqual([]);
    expect(a.spareNodeIp).not.toBe(a.node.ip);
    expect(a.spareNodeMac).not.toBe(a.node.mac);
  });

  test('held values are avoided; a space with no free value is a clear error, not a hang', () => {
    const held = heldValuesOf({ vpcs: [{ id: 'v', vni: 5 }], subnets: [{ id: 's', vni: 6 }], nodes: [{ name: 'n', ip: '100.64.0.1', mac: '02:AA:00:00:00:01' }] });
    expect([...held.vnis]).toEqual([5, 6]);
    expect([...held.nodeMacs]).toEqual(['02:aa:00:00:00:01']);
    expect([...held.keys]).toEqual(['v', 's', 'n']);
    const first = planConformance('p', seededRandom(3));
    expect(planConformance('p', seededRandom(3), { ...held, vnis: new Set([first.vpcA.vni]) }).vpcA.vni).not.toBe(first.vpcA.vni);
    // Drawing the same value every time: the second VNI never comes free.
    expect(() => planConformance('p', () => 0)).toThrow(/cannot find a free VNI at the plugin after 10000 draws/);
  });

  test('created keys come from requests and answers of Create and Update; the cleanup deletes subnets, then VPCs, then nodes, as the suite\'s scenario', () => {
    expect(createdKeys({ method: 'CreateVpc', request: { vpc: { id: 'a' } } }, { ok: true, answer: { vpc: { id: 'a2' } } })).toEqual({ kind: 'vpcs', keys: ['a', 'a2'] });
    expect(createdKeys({ method: 'UpdateNode', request: { node: { name: 'n' } } }, { ok: false, code: 'NOT_FOUND', details: '' })).toEqual({ kind: 'nodes', keys: ['n'] });
    expect(createdKeys({ method: 'CreateSubnet', request: {} }, { ok: false, code: 'INVALID_ARGUMENT', details: '' })).toEqual({ kind: 'subnets', keys: [] });
    expect(createdKeys({ method: 'DeleteVpc', request: { id: 'a' } }, { ok: true, answer: {} })).toBeUndefined();
    expect(cleanupCalls({ vpcs: ['b', 'a', 'a', ''], subnets: ['s'], nodes: ['n'] }, 'p')).toEqual([
      { method: 'DeleteSubnet', request: { id: 's', scenario: 'p' } },
      { method: 'DeleteVpc', request: { id: 'a', scenario: 'p' } },
      { method: 'DeleteVpc', request: { id: 'b', scenario: 'p' } },
      { method: 'DeleteNode', request: { name: 'n', scenario: 'p' } },
    ]);
  });

  test('summary: fail beats pass, pass beats skip, a rule without calls is skipped; the text ends with the plain count line', () => {
    const pass = { method: 'GetState' as const, request: {}, outcome: { ok: true as const, answer: {} }, verdict: { status: 'pass' as const } };
    const bad = { ...pass, verdict: { status: 'fail' as const, reason: 'nope' } };
    const r = summarizeConformance('a:1', 'p', [
      { rule: 'state.served', record: pass },
      { rule: 'vpc.create.answer', record: pass },
      { rule: 'vpc.create.answer', record: bad },
      { rule: 'vpc.create.idempotent', skip: 'needs x' },
    ]);
    const by = (id: string) => r.results.find((x) => x.rule.id === id)!;
    expect(by('state.served').status).toBe('pass');
    expect(by('vpc.create.answer')).toMatchObject({ status: 'fail', reason: 'nope' });
    expect(by('vpc.create.idempotent')).toMatchObject({ status: 'skip', reason: 'needs x' });
    expect(by('cleanup')).toMatchObject({ status: 'skip', reason: 'no call was made for this rule' });
    expect(r.passed).toBe(false);
    expect(renderConformanceText(r).trimEnd().split('\n').pop()).toBe(`1 passed, 1 failed, ${CONFORMANCE_RULES.length - 2} skipped`);
  });
});

describe('JUnit XML', () => {
  test('one testcase per rule; a failure carries the reason, the request and the answer; a skip says why; any bytes stay well-formed XML', async () => {
    const { renderConformanceJUnit } = await import('../../src/report/conformance-junit');
    const { XMLParser, XMLValidator } = await import('fast-xml-parser');
    const { handlers, stateHandler } = referenceHandlers(['vpc-delete-missing-fails']);
    const base = inProcess(handlers, stateHandler);
    // A provider message with a terminal colour escape and a NUL: XML 1.0 cannot carry them.
    const invoke: ConformanceInvoke = async (m, r) => {
      if (m === 'DeleteVpc' && String(r.id).endsWith('-missing')) throw Object.assign(new Error('x'), { code: 5, details: 'no \u001b[31mVPC\u001b[0m <here> \u0000 & gone' });
      return base(m, r);
    };
    const report = await run(invoke);
    const xml = renderConformanceJUnit(report, '2026-01-01T00:00:00.000Z');
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false }).parse(xml) as {
      testsuites: { testsuite: { '@_tests': string; '@_failures': string; '@_skipped': string; '@_timestamp': string; testcase: Array<Record<string, unknown>> } };
    };
    const suite = doc.testsuites.testsuite;
    expect(suite['@_tests']).toBe(String(CONFORMANCE_RULES.length));
    expect(suite['@_failures']).toBe('2');
    expect(suite['@_timestamp']).toBe('2026-01-01T00:00:00.000Z');
    const missing = suite.testcase.find((t) => String(t['@_name']).startsWith('vpc.delete.missing:'))!;
    expect(missing['@_classname']).toBe('conformance.vpc');
    const failure = missing.failure as Record<string, string>;
    expect(failure['@_message']).toBe('answered NOT_FOUND; expected OK');
    expect(failure['@_type']).toBe('rule-broken');
    expect(failure['#text']).toContain('request: DeleteVpc {"id":"mkc-test-missing","scenario":"mkc-test"}');
    expect(failure['#text']).toContain('answer: NOT_FOUND: no \uFFFD[31mVPC\uFFFD[0m <here> \uFFFD & gone');

    const skippedReport = await run(inProcess(createMyProviderHandlers()));
    const skippedDoc = new XMLParser({ ignoreAttributes: false }).parse(renderConformanceJUnit(skippedReport)) as typeof doc;
    expect(skippedDoc.testsuites.testsuite['@_skipped']).toBe('8');
    const served = skippedDoc.testsuites.testsuite.testcase.find((t) => String(t['@_name']).startsWith('state.served:'))!;
    expect(served['system-out']).toMatch(/^skipped: the plugin does not serve NetworkPluginStateService/);
  });
});
