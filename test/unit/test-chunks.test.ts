/**
 * How a node's test pairs are split into activity calls of bounded time (src/model/checks.ts),
 * and how the agent reads the kernel's neighbour-table counters (src/activities/testing/parse.ts,
 * neighbour-table.ts, on stand-in files).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  chunkPairs,
  checksWorstMs,
  HELPER_START_MS,
  SUPERVISION_MARGIN_MS,
  TEST_CALL_ATTEMPTS,
  TEST_CALL_BUDGET_MS,
  testCallTimeouts,
  testChunkPairs,
} from '../../src/model/checks';
import { TEST_KINDS, type TestKind } from '../../src/model/spec';
import { parseNeighbourStat } from '../../src/activities/testing/parse';
import { NeighbourTableWatch } from '../../src/activities/testing/neighbour-table';

describe('test calls of bounded time', () => {
  test('worst time: parallel kinds share the concurrency, iperf3 runs one at a time with its second on top', () => {
    expect(checksWorstMs({ pairs: 8, kinds: ['icmp'], timeoutMs: 2000 })).toBe(2 * 2000);
    expect(checksWorstMs({ pairs: 9, kinds: ['icmp'], timeoutMs: 2000 })).toBe(3 * 2000);
    expect(checksWorstMs({ pairs: 8, kinds: ['icmp', 'tcp', 'icmp'], timeoutMs: 1000, concurrency: 2 })).toBe(8 * 1000);
    expect(checksWorstMs({ pairs: 3, kinds: ['iperf'], timeoutMs: 2000 })).toBe(3 * 3000);
    expect(checksWorstMs({ pairs: 0, kinds: [...TEST_KINDS], timeoutMs: 2000 })).toBe(0);
  });

  test('chunk size: the most pairs whose worst time fits the budget', () => {
    expect(testChunkPairs(['icmp'], 2000)).toBe(480);
    expect(testChunkPairs([...TEST_KINDS], 2000)).toBe(53);
    expect(testChunkPairs(['iperf'], 60_000)).toBe(3);
    // Even a check longer than the budget gets a call of one pair.
    expect(testChunkPairs(['iperf'], 10 * 60_000)).toBe(1);
    for (const kinds of [['icmp'], ['tcp', 'udp'], ['iperf'], [...TEST_KINDS]] as TestKind[][]) {
      for (const t of [100, 2000, 60_000]) {
        const n = testChunkPairs(kinds, t);
        if (checksWorstMs({ pairs: 1, kinds, timeoutMs: t }) <= TEST_CALL_BUDGET_MS) {
          expect(checksWorstMs({ pairs: n, kinds, timeoutMs: t })).toBeLessThanOrEqual(TEST_CALL_BUDGET_MS);
          expect(checksWorstMs({ pairs: n + 1, kinds, timeoutMs: t })).toBeGreaterThan(TEST_CALL_BUDGET_MS);
        }
      }
    }
    expect(() => testChunkPairs([], 2000)).toThrow(/kinds must name at least one/);
    expect(() => testChunkPairs(['icmp'], 0)).toThrow(/timeoutMs 0 must be a positive number/);
  });

  test('a call of one chunk has bounded timeouts; its attempts resume, so all of them fit the schedule-to-close', () => {
    const t = testCallTimeouts({ pairs: 480, kinds: ['icmp'], timeoutMs: 2000 });
    expect(t.startToCloseMs).toBe(HELPER_START_MS + SUPERVISION_MARGIN_MS + TEST_CALL_BUDGET_MS);
    expect(t.scheduleToCloseMs).toBeGreaterThanOrEqual(TEST_CALL_ATTEMPTS * t.startToCloseMs);
    expect(t.heartbeatMs).toBeLessThan(t.startToCloseMs);
    // Whatever the test's size, one call stays under 6 minutes per attempt.
    for (const kinds of [['icmp'], [...TEST_KINDS]] as TestKind[][]) {
      const size = testChunkPairs(kinds, 2000);
      expect(testCallTimeouts({ pairs: size, kinds, timeoutMs: 2000 }).startToCloseMs).toBeLessThanOrEqual(6 * 60_000);
    }
  });

  test('chunks keep every pair once, in order', () => {
    const pairs = Array.from({ length: 1001 }, (_, i) => i);
    const chunks = chunkPairs(pairs, 480);
    expect(chunks.map((c) => c.length)).toEqual([480, 480, 41]);
    expect(chunks.flat()).toEqual(pairs);
    expect(chunkPairs([], 10)).toEqual([]);
    expect(() => chunkPairs(pairs, 0)).toThrow(/chunk size 0 must be a positive integer/);
  });
});

/** /proc/net/stat/arp_cache as kernel 6.18 printed it on a 2-CPU machine (one table_fulls on CPU 1). */
const ARP_CACHE = `entries  allocs   destroys hash_grows lookups  hits     res_failed rcv_probes_mcast rcv_probes_ucast periodic_gc_runs forced_gc_runs unresolved_discards table_fulls
00000002 0000139c 00001950 00000001   00136dfb 00001e94 0000032f   00000000         00000000         000006b9         00000000       00000000            00000000
00000002 0000165e 000010a8 00000007   00117a68 00001bd6 00000373   00000000         00000000         00000000         00000002       00000000            00000001
`;

describe('neighbour-table counters', () => {
  test('entries from the first line, table_fulls summed over CPUs, by column name', () => {
    expect(parseNeighbourStat(ARP_CACHE)).toEqual({ entries: 2, tableFulls: 1 });
    expect(parseNeighbourStat('entries table_fulls\n000003ff 0000000a\n000003ff 00000010\n')).toEqual({ entries: 1023, tableFulls: 26 });
    expect(parseNeighbourStat('entries allocs\n00000001 00000002\n')).toBeUndefined();
    expect(parseNeighbourStat('')).toBeUndefined();
  });

  test('a check during which the table refused entries is named with the limit; none, or no counters, names nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'merak-neigh-'));
    try {
      const stat = join(dir, 'arp_cache');
      const gcThresh3 = join(dir, 'gc_thresh3');
      writeFileSync(gcThresh3, '1024\n');
      writeFileSync(stat, ARP_CACHE);
      const watch = new NeighbourTableWatch({ stat, gcThresh3 });
      const before = await watch.fulls();
      expect(before).toBe(1);
      expect(await watch.overflowSince(before)).toBeUndefined();
      writeFileSync(stat, 'entries table_fulls\n00000400 00000004\n00000400 00000001\n');
      expect(await watch.overflowSince(before)).toBe(
        "the kernel's IPv4 neighbour table was full during this check (net.ipv4.neigh.default.gc_thresh3 = 1024, 1024 entries, 4 refused meanwhile; " +
          'one table for every namespace on the machine): an ARP request or reply needing a new entry was dropped',
      );
      expect(await watch.overflowSince(undefined)).toBeUndefined();
      const nowhere = new NeighbourTableWatch({ stat: join(dir, 'absent'), gcThresh3 });
      expect(await nowhere.fulls()).toBeUndefined();
      expect(await nowhere.fulls()).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
