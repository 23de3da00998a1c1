/**
 * How checks are timed and judged (src/model/checks.ts), and the agent's side of the timing
 * with real child processes (src/activities/testing/line-process.ts): a slow start is not a
 * slow answer, a reply that arrived while the agent was not running is still taken, and only a
 * helper that really stays silent times out. ping and iperf3 killed by their supervision time
 * give `not tested`, never a verdict (stand-in runner that reports the kill as spawnRunner does).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HELPER_START_MS, helperDeadlineS, judge, MAX_HELPER_DEADLINE_S, SUPERVISION_MARGIN_MS, supervisionMs, type CheckOutcome } from '../../src/model/checks';
import type { TestPair } from '../../src/model/pairs';
import { TEST_KINDS } from '../../src/model/spec';
import { afterPendingInput, HelperStartError, HelperTimeoutError, LineProcess } from '../../src/activities/testing/line-process';
import { pingCheck } from '../../src/activities/testing/ping';
import { IPERF_SECONDS } from '../../src/activities/testing/iperf';
import type { CommandRunner, RunOptions, RunResult } from '../../src/dataplane/command';

const A = { node: 'n1', vmIndex: 0, ip: '10.0.0.2' };
const B = { node: 'n2', vmIndex: 3, ip: '10.0.0.5' };
const pair = (negative: boolean): TestPair => ({ source: A, destination: B, negative });

/**
 * Keeps this thread busy for `ms` and until `marker` exists (the child made it after writing its
 * reply, so the reply is in the pipe however slowly the machine ran the child), as a descheduled
 * or busy agent would be: no timer, no I/O runs meanwhile.
 */
function stall(ms: number, marker?: string): void {
  const end = Date.now() + ms;
  const limit = Date.now() + 20_000;
  while (Date.now() < end || (marker !== undefined && !existsSync(marker))) {
    if (Date.now() > limit) throw new Error(`the child did not answer within 20 s (no ${marker})`);
  }
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'merak-checks-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A child that echoes each request line as its reply after `delayS`, then creates file `marker`. */
function echoChild(marker: string, delayS = 0): string[] {
  return ['sh', '-c', `while read l; do sleep ${delayS}; echo "$l"; : > "$0"; done`, marker];
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('judge', () => {
  const outcomes: Array<[string, CheckOutcome]> = [
    ['reached', { reached: true, latencyMs: 0.1234567 }],
    ['refused', { reached: false, detail: 'connection refused' }],
    ['silent', { reached: false }],
    ['not tested', { reached: false, inconclusive: true, detail: 'helper did not start' }],
    ['not tested (no reason)', { reached: false, inconclusive: true }],
    ['not tested though reached', { reached: true, inconclusive: true, latencyMs: 1, detail: 'x' }],
  ];

  it.each(TEST_KINDS.flatMap((k) => outcomes.flatMap(([name, o]) => [false, true].map((neg) => [k, name, o, neg] as const))))('%s, %s, negative %s', (kind, _name, o, negative) => {
    const r = judge(kind, pair(negative), o);
    expect(r).toMatchObject({ kind, source: 'n1/vm-0 (10.0.0.2)', destination: 'n2/vm-3 (10.0.0.5)', negative });
    if (o.inconclusive) {
      // Nothing was proven: fails whatever the expectation, says why, carries no measurement.
      expect(r.pass).toBe(false);
      expect(r.error).toBe(`not tested: ${o.detail ?? 'unknown reason'}`);
      expect(r.latencyMs).toBeUndefined();
    } else if (negative) {
      expect(r.pass).toBe(!o.reached);
      expect(r.error).toBe(o.reached ? 'reached a VM of another VPC: isolation is broken' : undefined);
    } else {
      expect(r.pass).toBe(o.reached);
      expect(r.error).toBe(o.reached ? undefined : (o.detail ?? 'no reply'));
    }
    if (!o.inconclusive && o.reached && o.latencyMs !== undefined) expect(r.latencyMs).toBe(0.123);
  });

  it('rounds throughput to whole bit/s and drops non-finite latencies', () => {
    expect(judge('iperf', pair(false), { reached: true, throughputBps: 1234.6 }).throughputBps).toBe(1235);
    expect(judge('icmp', pair(false), { reached: true, latencyMs: Number.NaN }).latencyMs).toBeUndefined();
  });
});

describe('timing rules', () => {
  it('supervision is the check timeout plus a margin far above any start or scheduling delay', () => {
    expect(SUPERVISION_MARGIN_MS).toBeGreaterThanOrEqual(10 * 1000);
    for (const t of [0, 100, 2000, 60_000]) expect(supervisionMs(t)).toBe(t + SUPERVISION_MARGIN_MS);
    expect(() => supervisionMs(-1)).toThrow(/checkTimeoutMs -1 must be a finite number ≥ 0/);
    expect(() => supervisionMs(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    // Starting takes ~0.3 s idle and ~1 s under a CPU hog (measured): a minute is far above.
    expect(HELPER_START_MS).toBeGreaterThanOrEqual(30_000);
  });

  it('the helpers outlive the worst case of their call, capped at a day', () => {
    const one = helperDeadlineS({ pairs: 1, kinds: 4, concurrency: 4, timeoutMs: 2000, extraPerCheckMs: IPERF_SECONDS * 1000 });
    // Start, 2 address checks, 4 kinds, iperf alone: each bounded by its supervision time.
    expect(one * 1000).toBeGreaterThanOrEqual(HELPER_START_MS + 3 * supervisionMs(3000));
    for (const pairs of [0, 1, 7, 200, 5000]) {
      for (const concurrency of [1, 4, 64]) {
        const s = helperDeadlineS({ pairs, kinds: 4, concurrency, timeoutMs: 2000 });
        const worst = HELPER_START_MS + Math.ceil((pairs * 6) / concurrency) * supervisionMs(2000) + pairs * supervisionMs(2000);
        expect(Number.isInteger(s)).toBe(true);
        expect(s).toBeLessThanOrEqual(MAX_HELPER_DEADLINE_S);
        expect(s * 1000 >= worst || s === MAX_HELPER_DEADLINE_S).toBe(true);
      }
    }
    expect(helperDeadlineS({ pairs: 200_000, kinds: 4, concurrency: 1, timeoutMs: 60_000 })).toBe(MAX_HELPER_DEADLINE_S);
  });
});

describe('afterPendingInput', () => {
  it('runs after the input that arrived during a stall, where a plain timer runs before it', async () => {
    const order: string[] = [];
    const marker = join(dir, 'a');
    const child = new LineProcess(echoChild(marker));
    try {
      await child.ready();
      const got = child.request({ x: 1 }, 60_000).then(() => order.push('reply'));
      setTimeout(() => order.push('plain timer'), 300);
      afterPendingInput(300, () => order.push('afterPendingInput'));
      setImmediate(() => stall(800, marker)); // the reply comes in while this thread is busy
      await got;
      await new Promise((r) => setTimeout(r, 50));
      expect(order).toEqual(['plain timer', 'reply', 'afterPendingInput']);
    } finally {
      await child.close();
    }
  });
});

describe('LineProcess timing', () => {
  it('counts a request timeout from the child\'s start, not from its spawn: a slow start is no slow answer', async () => {
    // Announces itself after 1.5 s (a helper on a busy machine), then echoes each request line as its reply.
    const p = new LineProcess(['sh', '-c', 'sleep 1.5; echo ready; exec cat'], undefined, (line) => expect(line).toBe('ready'));
    try {
      const t0 = Date.now();
      const reply = await p.request({ op: 'x' }, 1000);
      expect(reply).toEqual({ op: 'x', id: 1 });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);
    } finally {
      await p.close();
    }
  });

  it('takes a reply that arrived while the agent was not running, even when the stall outlasted the timeout', async () => {
    const marker = join(dir, 'b');
    const p = new LineProcess(echoChild(marker, 0.1));
    try {
      await p.ready();
      const reply = p.request({ op: 'y' }, 500);
      // The reply comes 0.1 s after the send; this thread is busy for 1 s (a CPU-starved agent).
      setImmediate(() => stall(1000, marker));
      await expect(reply).resolves.toEqual({ op: 'y', id: 1 });
    } finally {
      await p.close();
    }
  });

  it('times out a started helper that stays silent, naming it and the time', async () => {
    const p = new LineProcess(['sh', '-c', 'exec sleep 30']);
    try {
      await p.ready();
      const e = await p.request({ op: 'z' }, 200).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(HelperTimeoutError);
      expect((e as Error).message).toBe(`sh (pid ${p.pid}) did not answer within 200 ms`);
    } finally {
      await p.close(200);
    }
    expect(alive(p.pid)).toBe(false);
  });

  it('gives up on a helper that does not start within its start time: HelperStartError, child killed', async () => {
    const p = new LineProcess(['sh', '-c', 'exec sleep 30'], undefined, () => undefined, 300);
    try {
      await expect(p.ready()).rejects.toBeInstanceOf(HelperStartError);
      await expect(p.request({ op: 'w' }, 10_000)).rejects.toThrow('sh did not start within 300 ms (the machine did not run it in that time)');
    } finally {
      await p.close();
    }
    expect(alive(p.pid)).toBe(false);
  });

  it('fails requests at once when the child ends before starting', async () => {
    const p = new LineProcess(['sh', '-c', 'echo broken >&2; exit 4'], undefined, () => undefined);
    await expect(p.request({}, 10_000)).rejects.toThrow(/broken/);
    await p.close();
  });
});

describe('ping under supervision', () => {
  /** Stand-in for spawnRunner (src/dataplane/command.ts): reports what it is given, records the limit it was asked for. */
  function runner(result: Partial<RunResult>): CommandRunner & { limits: number[] } {
    const limits: number[] = [];
    return {
      limits,
      run: async (_argv: readonly string[], o?: RunOptions) => {
        limits.push(o?.timeoutMs ?? -1);
        return { code: null, signal: null, stdout: '', stderr: '', ...result };
      },
    };
  }

  it('a ping killed by its supervision time is not tested, not a verdict', async () => {
    const r = runner({ code: null, signal: 'SIGKILL' });
    const o = await pingCheck(r, 'ns', '10.0.0.5', 2000);
    expect(o).toMatchObject({ reached: false, inconclusive: true });
    expect(o.detail).toMatch(/ping killed by SIGKILL after 32000 ms, although its deadline is 2 s/);
    expect(r.limits).toEqual([supervisionMs(2000)]);
    // So a negative pair does not pass on it either.
    expect(judge('icmp', pair(true), o).pass).toBe(false);
  });

  it('a ping that got no reply within its own deadline is a verdict', async () => {
    const o = await pingCheck(runner({ code: 1, stdout: '1 packets transmitted, 0 received, 100% packet loss' }), 'ns', '10.0.0.5', 2000);
    expect(o.inconclusive).toBeUndefined();
    expect(judge('icmp', pair(true), o).pass).toBe(true);
    expect(judge('icmp', pair(false), o).pass).toBe(false);
  });
});
