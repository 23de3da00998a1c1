import { MAX_UNREACHABLE_NAMES, MetricsRecorder, histogramBars, mergeMetrics, summarizeHistogram, type Metrics } from '../../src/model/metrics';
import { evaluateSla, isProbed, reachabilityPlan, REACHABILITY_ALL_UP_TO, REACHABILITY_DEFAULT_SAMPLE } from '../../src/model/sla';
import { checkSpec, parseSpec } from '../../src/model/spec';

const base = { name: 's', plugin: { address: '127.0.0.1:50051' }, vpcs: [{ id: 'v', vni: 1, cidr: '10.0.0.0/16', subnets: [{ id: 'a', cidr: '10.0.1.0/24' }] }], nodes: 1 };

describe('MetricsRecorder and summaries', () => {
  test('percentiles of 1..1000 ms are within HDR precision (0.1 %)', () => {
    const r = new MetricsRecorder();
    for (let i = 1; i <= 1000; i++) r.record('vm.create', i);
    const m = r.metrics();
    expect(m.ops['vm.create']).toMatchObject({ count: 1000, failed: 0 });
    const s = summarizeHistogram(m.ops['vm.create']!.histogram);
    expect(s.count).toBe(1000);
    expect(s.min).toBeCloseTo(1, 2);
    expect(Math.abs(s.p50 - 500) / 500).toBeLessThan(0.002);
    expect(Math.abs(s.p90 - 900) / 900).toBeLessThan(0.002);
    expect(Math.abs(s.p99 - 990) / 990).toBeLessThan(0.002);
    expect(Math.abs(s.max - 1000) / 1000).toBeLessThan(0.002);
  });

  test('a million operations encode in kilobytes', () => {
    const r = new MetricsRecorder();
    let x = 7;
    for (let i = 0; i < 1_000_000; i++) {
      x = (x * 48271) % 2147483647; // a fixed pseudo-random spread of 0.1 ms .. 5 s
      r.record('endpoint.create', 0.1 + (x % 5_000_000) / 1000);
    }
    const text = r.metrics().ops['endpoint.create']!.histogram;
    expect(summarizeHistogram(text).count).toBe(1_000_000);
    expect(text.length).toBeLessThan(16 * 1024);
  });

  test('failed operations are counted and timed; time() rethrows', async () => {
    const r = new MetricsRecorder();
    let now = 0;
    const clock = () => now;
    await r.time('plugin.CreateVpc', clock, async () => {
      now += 5;
    });
    await expect(
      r.time('plugin.CreateVpc', clock, async () => {
        now += 7;
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const op = r.metrics().ops['plugin.CreateVpc']!;
    expect(op).toMatchObject({ count: 2, failed: 1 });
    expect(summarizeHistogram(op.histogram).max).toBeCloseTo(7, 1);
  });

  test('record refuses negative or non-finite latencies and bad counts', () => {
    const r = new MetricsRecorder();
    expect(() => r.record('vm.create', -1)).toThrow(RangeError);
    expect(() => r.record('vm.create', Number.NaN)).toThrow(RangeError);
    expect(() => r.record('vm.create', 1, true, 1.5)).toThrow(RangeError);
    r.record('vm.create', 1, true, 0);
    expect(r.metrics().ops).toEqual({});
  });

  test('probes: reachable ones go in the histogram, the others by name, bounded', () => {
    const r = new MetricsRecorder();
    r.probe('n/vm0/eth0', 12);
    for (let i = 0; i < MAX_UNREACHABLE_NAMES + 5; i++) r.probe(`n/vm${i + 1}/eth0`, undefined);
    const reach = r.metrics().reachability!;
    expect(reach.probed).toBe(MAX_UNREACHABLE_NAMES + 6);
    expect(reach.reachable).toBe(1);
    expect(reach.unreachable).toHaveLength(MAX_UNREACHABLE_NAMES);
    expect(reach.unreachable[0]).toBe('n/vm1/eth0');
    expect(summarizeHistogram(reach.histogram).p50).toBeCloseTo(12, 1);
  });
});

describe('mergeMetrics', () => {
  test('merging equals recording everything in one histogram', () => {
    const parts = [new MetricsRecorder(), new MetricsRecorder(), new MetricsRecorder()];
    const all = new MetricsRecorder();
    for (let i = 1; i <= 3000; i++) {
      const ms = (i * 37) % 1000 + 0.5;
      parts[i % 3]!.record('vm.create', ms, i % 100 !== 0);
      all.record('vm.create', ms, i % 100 !== 0);
      if (i % 10 === 0) {
        parts[i % 3]!.probe(`x${i}`, i % 20 === 0 ? ms : undefined);
        all.probe(`x${i}`, i % 20 === 0 ? ms : undefined);
      }
    }
    const merged = mergeMetrics(...parts.map((p) => p.metrics()));
    const whole = all.metrics();
    expect(merged.ops['vm.create']!.count).toBe(3000);
    expect(merged.ops['vm.create']!.failed).toBe(30);
    expect(summarizeHistogram(merged.ops['vm.create']!.histogram)).toEqual(summarizeHistogram(whole.ops['vm.create']!.histogram));
    expect(merged.reachability!.probed).toBe(300);
    expect(merged.reachability!.reachable).toBe(150);
    expect(summarizeHistogram(merged.reachability!.histogram)).toEqual(summarizeHistogram(whole.reachability!.histogram));
  });

  test('merging parts of µs to an hour, with counts, equals recording them in one histogram, bucket by bucket', () => {
    const parts = Array.from({ length: 7 }, () => new MetricsRecorder());
    const all = new MetricsRecorder();
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2000; i++) {
      // 1 µs to one hour, spread over every power of ten: each part resizes on its own.
      const ms = 10 ** (next() * 9.56 - 3);
      const times = 1 + Math.floor(next() * 1000);
      parts[i % 7]!.record('vm.create', ms, true, times);
      all.record('vm.create', ms, true, times);
    }
    const merged = mergeMetrics(...parts.map((p) => p.metrics())).ops['vm.create']!.histogram;
    const whole = all.metrics().ops['vm.create']!.histogram;
    expect(summarizeHistogram(merged)).toEqual(summarizeHistogram(whole));
    expect(histogramBars(merged, 500)).toEqual(histogramBars(whole, 500));
  });

  test('histograms encoded before (one-hour arrays) and of another precision merge with new ones', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the library's own histogram, as the recorder made it before
    const Int32Histogram = (require('hdr-histogram-js/dist/Int32Histogram.js') as { default: new (l: number, h: number, d: number) => { autoResize: boolean; recordValueWithCount(v: number, c: number): void } }).default;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- adds encodeIntoCompressedBase64
    require('hdr-histogram-js/dist/JsHistogram.encoding.js');
    const encoded = (lowest: number, highest: number, digits: number, values: Array<[number, number]>): string => {
      const h = new Int32Histogram(lowest, highest, digits);
      h.autoResize = true;
      for (const [us, n] of values) h.recordValueWithCount(us, n);
      return (h as unknown as { encodeIntoCompressedBase64(): string }).encodeIntoCompressedBase64();
    };
    const fresh = new MetricsRecorder();
    fresh.record('k', 2.5, true, 10);
    const oneHour = encoded(1, 3_600_000_000, 3, [[1500, 4], [90_000_000, 2]]);
    const reference = new MetricsRecorder();
    reference.record('k', 2.5, true, 10);
    reference.record('k', 1.5, true, 4);
    reference.record('k', 90_000, true, 2);
    const part = (histogram: string, count: number): Metrics => ({ ops: { k: { count, failed: 0, histogram } } });
    const merged = mergeMetrics(fresh.metrics(), part(oneHour, 6)).ops.k!;
    expect(merged.count).toBe(16);
    expect(summarizeHistogram(merged.histogram)).toEqual(summarizeHistogram(reference.metrics().ops.k!.histogram));
    // Two significant digits: added whole, at its own precision (within 1 %).
    const coarse = encoded(1, 3_600_000_000, 2, [[123_456, 3]]);
    const s = summarizeHistogram(mergeMetrics(fresh.metrics(), part(coarse, 3)).ops.k!.histogram);
    expect(s.count).toBe(13);
    expect(s.max).toBeGreaterThan(123.456 * 0.99);
    expect(s.max).toBeLessThan(123.456 * 1.01);
    expect(s.min).toBeCloseTo(2.5, 2);
  });

  test('kinds only in some parts, undefined and empty parts', () => {
    const a = new MetricsRecorder();
    a.record('vm.create', 1);
    const b = new MetricsRecorder();
    b.record('endpoint.create', 2, false);
    const m = mergeMetrics(undefined, a.metrics(), { ops: {} }, b.metrics());
    expect(Object.keys(m.ops).sort()).toEqual(['endpoint.create', 'vm.create']);
    expect(m.ops['endpoint.create']).toMatchObject({ count: 1, failed: 1 });
    expect(m.reachability).toBeUndefined();
    expect(mergeMetrics()).toEqual({ ops: {} });
    expect(summarizeHistogram('')).toMatchObject({ count: 0, p99: 0 });
  });

  test('histogramBars add up to the count and span min..max', () => {
    const r = new MetricsRecorder();
    for (let i = 0; i < 500; i++) r.record('k', 10 + (i % 50));
    const bars = histogramBars(r.metrics().ops.k!.histogram, 10);
    expect(bars.reduce((s, b) => s + b.count, 0)).toBe(500);
    expect(bars[0]!.fromMs).toBeCloseTo(10, 1);
    expect(bars[bars.length - 1]!.toMs).toBeGreaterThanOrEqual(59);
    expect(histogramBars('')).toEqual([]);
  });
});

describe('reachability sampling', () => {
  test('default: all endpoints of a small scenario, a sample of a large one', () => {
    expect(reachabilityPlan(undefined, REACHABILITY_ALL_UP_TO, 0)).toMatchObject({ every: 1, offset: 0 });
    const big = reachabilityPlan(undefined, 100 * REACHABILITY_DEFAULT_SAMPLE, 3)!;
    expect(big.every).toBe(100);
    expect(big.offset).toBe(3);
  });

  test('off, all, sample N, and no endpoints', () => {
    expect(reachabilityPlan('off', 10, 0)).toBeUndefined();
    expect(reachabilityPlan('all', 0, 0)).toBeUndefined();
    expect(reachabilityPlan('all', 1_000_000, 0)!.every).toBe(1);
    expect(reachabilityPlan('sample 10', 5, 0)!.every).toBe(1);
    expect(reachabilityPlan('sample 10', 100, 0, 500)).toEqual({ every: 10, offset: 0, timeoutMs: 500 });
  });

  test('sample N probes about N endpoints spread over the nodes', () => {
    const nodes = 7;
    const perNode = 1000;
    let probed = 0;
    const perNodeProbed: number[] = [];
    for (let slot = 0; slot < nodes; slot++) {
      const plan = reachabilityPlan('sample 70', nodes * perNode, slot)!;
      let n = 0;
      for (let o = 0; o < perNode; o++) if (isProbed(plan, o)) n++;
      perNodeProbed.push(n);
      probed += n;
    }
    expect(probed).toBeGreaterThanOrEqual(70);
    expect(probed).toBeLessThanOrEqual(77);
    for (const n of perNodeProbed) expect(n).toBeGreaterThanOrEqual(9);
  });
});

describe('spec: tests.reachability and sla', () => {
  test('accepted forms', () => {
    expect(parseSpec({ ...base, tests: { kinds: ['icmp'], reachability: 'sample 20', reachabilityTimeoutMs: 3000 } }).tests).toMatchObject({ reachability: 'sample 20', reachabilityTimeoutMs: 3000 });
    expect(parseSpec({ ...base, tests: { reachability: 'off' } }).tests.reachability).toBe('off');
    expect(parseSpec({ ...base, sla: { reachableP99Ms: 2000, failedOperations: 0, operationP99Ms: { 'endpoint.create': 500 } } }).sla).toEqual({
      reachableP99Ms: 2000,
      failedOperations: 0,
      operationP99Ms: { 'endpoint.create': 500 },
    });
  });

  test.each([
    [{ tests: { reachability: 'some' } }, 'tests.reachability', 'must be "all", "off" or "sample N"'],
    [{ tests: { reachability: 'sample 0' } }, 'tests.reachability', 'must be "all", "off" or "sample N"'],
    [{ tests: { reachabilityTimeoutMs: 0 } }, 'tests.reachabilityTimeoutMs', 'must be at least 1'],
    [{ sla: { reachableP99Ms: -1 } }, 'sla.reachableP99Ms', 'must not be negative'],
    [{ sla: { failedOperations: 0.5 } }, 'sla.failedOperations', 'must be a whole number'],
    [{ sla: { reachableP98Ms: 1 } }, 'sla', 'reachableP98Ms'],
    [{ sla: { operationP99Ms: { 'vm.make': 1 } } }, 'sla.operationP99Ms.vm.make', 'is not an operation kind'],
  ])('refused: %j', (extra, path, rule) => {
    const r = checkSpec({ ...base, ...extra });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = r.issues.map((i) => `${i.path}: ${i.rule}`).join('\n');
    expect(text).toContain(path);
    expect(text).toContain(rule);
  });
});

describe('evaluateSla', () => {
  function measured(): Metrics {
    const r = new MetricsRecorder();
    for (let i = 1; i <= 100; i++) r.probe(`e${i}`, i * 10); // 10 .. 1000 ms
    r.probe('lost', undefined);
    r.record('endpoint.create', 300, true, 99);
    r.record('endpoint.create', 800, false);
    return r.metrics();
  }

  test('every gate judged, the broken ones named with limit and value', () => {
    const gates = evaluateSla(
      { reachableP99Ms: 500, reachableP50Ms: 600, unreachableEndpoints: 0, failedOperations: 0, failedTests: 0, operationP99Ms: { 'endpoint.create': 1000, 'vm.create': 5 } },
      { metrics: measured(), failedTests: 2 },
    );
    const byGate = Object.fromEntries(gates.map((g) => [g.gate, g]));
    expect(byGate.reachableP50Ms).toMatchObject({ pass: true });
    expect(byGate.reachableP99Ms).toMatchObject({ pass: false, limit: 500 });
    expect(byGate.reachableP99Ms!.actual).toBeGreaterThan(980);
    expect(byGate.reachableP99Ms!.text).toMatch(/^reachableP99Ms ≤ 500 ms: VIOLATED, measured 99\d(\.\d+)? ms$/);
    expect(byGate.unreachableEndpoints).toMatchObject({ pass: false, actual: 1 });
    expect(byGate.failedOperations).toMatchObject({ pass: false, actual: 1 });
    expect(byGate.failedTests).toMatchObject({ pass: false, actual: 2 });
    expect(byGate['operationP99Ms.endpoint.create']).toMatchObject({ pass: true });
    expect(byGate['operationP99Ms.vm.create']).toMatchObject({ pass: true });
    expect(byGate['operationP99Ms.vm.create']!.actual).toBeUndefined();
    expect(byGate['operationP99Ms.vm.create']!.text).toContain('not measured');
  });

  test('no sla, no gates; all kept', () => {
    expect(evaluateSla(undefined, { metrics: measured(), failedTests: 0 })).toEqual([]);
    expect(evaluateSla({ reachableMaxMs: 5000, failedTests: 0 }, { metrics: measured(), failedTests: 0 }).every((g) => g.pass)).toBe(true);
  });
});
