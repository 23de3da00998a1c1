/**
 * Issue 15: the scenario workflow's test results stay within Temporal's payload limit whatever
 * the pair count (src/model/result-pack.ts), and come back exactly as they went in.
 */
import { CARRY_OVER_TARGET_BYTES, RESULTS_CARRY_BUDGET_BYTES, RESULTS_PAGE_MAX, emptyPack, isPack, packResults, packedBytes, packedTotal, resultsPage, trimPack, unpackResults } from '../../src/model/result-pack';
import { ScenarioState, type ScenarioCarryOver } from '../../src/model/scenario-state';
import { parseSpec, type ScenarioInput, type TestKind } from '../../src/model/spec';
import type { TestResult } from '../../src/model/status';

/** Temporal's default limit on one payload (`limit.blobSize.error`), bytes. */
const TEMPORAL_PAYLOAD_LIMIT = 2 * 1024 * 1024;

const label = (node: number, vm: number) => `node-${node}/vm-${vm} (10.${node}.${(vm >> 8) & 255}.${vm & 255})`;

/** `n` results of `kinds` over `nodes` × `vms` VMs as the agents give them: ordered pairs, latencies to the µs, a failure every `failEvery`. */
function results(o: { pairs: number; nodes: number; vms: number; kinds?: TestKind[]; failEvery?: number; distinctErrors?: boolean }): TestResult[] {
  const out: TestResult[] = [];
  const ends = o.nodes * o.vms;
  for (const kind of o.kinds ?? ['icmp']) {
    for (let i = 0; i < o.pairs; i++) {
      const s = i % ends;
      const d = (s + 1 + Math.floor(i / ends)) % ends;
      const fail = o.failEvery !== undefined && i % o.failEvery === 0;
      const r: TestResult = { kind, source: label(s % o.nodes, Math.floor(s / o.nodes)), destination: label(d % o.nodes, Math.floor(d / o.nodes)), negative: i % 97 === 0, pass: !fail };
      if (!fail) r.latencyMs = Math.round((0.05 + ((i * 7919) % 3000) / 1000) * 1000) / 1000;
      if (kind === 'iperf' && !fail) r.throughputBps = 1_000_000_000 + i;
      if (fail) r.error = o.distinctErrors ? `not tested: tests on node node-${s % o.nodes} could not run: attempt ${i} timed out` : 'no reply';
      out.push(r);
    }
  }
  return out;
}

function spec(): ScenarioInput {
  return {
    name: 'big',
    plugin: { address: 'localhost:1' },
    vpcs: [{ id: 'v1', vni: 101, cidr: '10.0.0.0/8', subnets: [{ id: 's1', cidr: '10.0.0.0/12' }] }],
    nodes: [{ name: 'node-0' }, { name: 'node-1' }],
    vmsPerNode: 400,
  } as unknown as ScenarioInput;
}

describe('the issue\'s case: 2 × 400 VMs, 20,000 icmp pairs', () => {
  const list = results({ pairs: 20_000, nodes: 2, vms: 400, failEvery: 500 });

  test('as a list, the results alone are above Temporal\'s payload limit: the fault', () => {
    expect(JSON.stringify(list).length).toBeGreaterThan(TEMPORAL_PAYLOAD_LIMIT);
  });

  test('the continue-as-new carry-over holding them is far below the limit and gives every result back', () => {
    const s = new ScenarioState(ScenarioState.initial(spec()), parseSpec(spec()));
    s.setResults([...list]);
    const carry = s.carryOver();
    const bytes = JSON.stringify(carry).length;
    expect(bytes).toBeLessThan(RESULTS_CARRY_BUDGET_BYTES);
    expect(bytes).toBeLessThan(TEMPORAL_PAYLOAD_LIMIT / 4);
    const next = new ScenarioState(JSON.parse(JSON.stringify(carry)) as ScenarioCarryOver, parseSpec(spec()));
    const sorted = [...list].sort((a, b) => a.kind.localeCompare(b.kind) || a.source.localeCompare(b.source) || a.destination.localeCompare(b.destination));
    expect(next.results).toEqual(sorted);
    expect(next.resultsPage(0, 1).dropped).toBeUndefined();
  });

  test('paging gives every result once, in order, each page within RESULTS_PAGE_MAX and small', () => {
    const p = packResults(list);
    const seen: TestResult[] = [];
    for (let off = 0; off < p.kind.length; ) {
      const page = resultsPage(p, off, 1_000_000);
      expect(page.results.length).toBeLessThanOrEqual(RESULTS_PAGE_MAX);
      expect(JSON.stringify(page).length).toBeLessThan(TEMPORAL_PAYLOAD_LIMIT / 4);
      expect(page.kept).toBe(20_000);
      expect(page.total).toBe(20_000);
      expect(page.counts).toEqual({ icmp: { passed: 19_960, failed: 40 } });
      seen.push(...page.results);
      off += page.results.length;
    }
    expect(seen).toEqual(list);
    expect(resultsPage(p, 20_000, 10).results).toEqual([]);
  });
});

describe('bounded whatever the pair count', () => {
  test('the largest test the spec allows (100,050 pairs × 4 kinds over 20,000 VMs, all failing with distinct errors) carries within the budget, failures first, counts exact', () => {
    const list = results({ pairs: 100_050, nodes: 50, vms: 400, kinds: ['icmp', 'tcp', 'udp', 'iperf'], failEvery: 1, distinctErrors: true });
    const trimmed = trimPack(packResults(list));
    expect(packedBytes(trimmed)).toBeLessThanOrEqual(RESULTS_CARRY_BUDGET_BYTES);
    expect(packedTotal(trimmed)).toBe(400_200);
    for (const k of ['icmp', 'tcp', 'udp', 'iperf']) expect(trimmed.counts[k]).toEqual({ passed: 0, failed: 100_050 });
    const kept = unpackResults(trimmed);
    expect(kept.length).toBeGreaterThan(1000);
    expect(trimmed.dropped).toEqual({ passed: 0, failed: 400_200 - kept.length });
    expect(kept).toEqual(list.slice(0, kept.length));
  });

  test('past the budget, every failure is kept before any pass; passes fill the rest', () => {
    const list = results({ pairs: 100_000, nodes: 10, vms: 400, kinds: ['icmp', 'tcp'], failEvery: 50 });
    const trimmed = trimPack(packResults(list), 512 * 1024);
    expect(packedBytes(trimmed)).toBeLessThanOrEqual(512 * 1024);
    const kept = unpackResults(trimmed);
    const failures = list.filter((r) => !r.pass);
    expect(kept.slice(0, failures.length)).toEqual(failures);
    const keptPasses = kept.length - failures.length;
    expect(keptPasses).toBeGreaterThan(0);
    expect(kept.slice(failures.length)).toEqual(list.filter((r) => r.pass).slice(0, keptPasses));
    expect(trimmed.dropped).toEqual({ passed: list.length - failures.length - keptPasses, failed: 0 });
    expect(trimmed.counts).toEqual(packResults(list).counts);
    // A pack that fits is kept as it is; trimming again drops nothing more.
    expect(trimPack(trimmed, 512 * 1024)).toBe(trimmed);
  });
});

test('the results get what the rest of a carry-over leaves: a large rest shrinks their share, the whole stays within the target', () => {
  const s = new ScenarioState(ScenarioState.initial(spec()), parseSpec(spec()));
  s.setResults(results({ pairs: 20_000, nodes: 2, vms: 400, failEvery: 500 }));
  const alone = packedBytes(s.carryOver().packedResults!);
  // A rest of about 1.85 MB, a little above a 10,000-node scenario's 1.77 MB (docs/scale.md).
  for (let i = 0; i < 1_850; i++) s.cleanupErrors.push(`${i} `.padEnd(1000, 'x'));
  const carry = s.carryOver();
  expect(JSON.stringify(carry).length).toBeLessThanOrEqual(CARRY_OVER_TARGET_BYTES);
  expect(packedBytes(carry.packedResults!)).toBeLessThan(alone);
  expect(carry.packedResults!.dropped!.failed).toBe(0);
  expect(carry.packedResults!.dropped!.passed).toBeGreaterThan(0);
  expect(packedTotal(carry.packedResults!)).toBe(20_000);
});

describe('packing', () => {
  test('round trip keeps every field: negatives, errors (also empty), latencies to the µs, throughput', () => {
    const list: TestResult[] = [
      { kind: 'icmp', source: 'a', destination: 'b', negative: false, pass: true, latencyMs: 0.123 },
      { kind: 'icmp', source: 'a', destination: 'c', negative: true, pass: true },
      { kind: 'tcp', source: 'b', destination: 'a', negative: false, pass: false, error: 'no reply' },
      { kind: 'tcp', source: 'b', destination: 'b', negative: true, pass: false, error: 'reached a VM of another VPC: isolation is broken' },
      { kind: 'udp', source: 'a', destination: 'c', negative: false, pass: false },
      { kind: 'iperf', source: 'c', destination: 'a', negative: false, pass: true, latencyMs: 12.5, throughputBps: 9_400_000_000 },
    ];
    const p = packResults(list);
    expect(unpackResults(JSON.parse(JSON.stringify(p)))).toEqual(list);
    expect(unpackResults(p, 2, 3)).toEqual(list.slice(2, 5));
    expect(unpackResults(p, 5)).toEqual(list.slice(5));
    expect(p.counts).toEqual({ icmp: { passed: 2, failed: 0 }, tcp: { passed: 0, failed: 2 }, udp: { passed: 0, failed: 1 }, iperf: { passed: 1, failed: 0 } });
    expect(isPack(p)).toBe(true);
    expect(isPack(list)).toBe(false);
    expect(unpackResults(emptyPack())).toEqual([]);
  });

  test('a bad page request names the field', () => {
    const p = packResults([]);
    expect(() => unpackResults(p, -1)).toThrow('offset: value -1 must be a whole number ≥ 0');
    expect(() => unpackResults(p, 0, 1.5)).toThrow('limit: value 1.5 must be a whole number ≥ 0');
  });

  test('a carry-over from before packed results (a TestResult list) loads, and the next carry-over packs it', () => {
    const old = { ...ScenarioState.initial(spec()), results: [{ kind: 'icmp' as const, source: 'a', destination: 'b', negative: false, pass: true, latencyMs: 0.2 }] };
    const s = new ScenarioState(JSON.parse(JSON.stringify(old)) as ScenarioCarryOver, parseSpec(spec()));
    expect(s.results).toEqual(old.results);
    const carry = s.carryOver();
    expect(carry.results).toEqual([]);
    expect(isPack(carry.packedResults)).toBe(true);
    expect(new ScenarioState(carry, parseSpec(spec())).results).toEqual(old.results);
  });
});
