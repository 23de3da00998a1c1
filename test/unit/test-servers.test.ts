/** Checks across nodes: which destinations another node serves, and how long its servers live (src/model/test-servers.ts). */
import type { TestPair } from '../../src/model/pairs';
import { MAX_HELPER_DEADLINE_S, chunkPairs } from '../../src/model/checks';
import { endKey, remoteDestinations, remoteFor, serverDeadlineS, unservedEnds, type RemoteEnd } from '../../src/model/test-servers';

const end = (node: string, vmIndex: number, ip: string) => ({ node, vmIndex, ip });
const pair = (src: ReturnType<typeof end>, dst: ReturnType<typeof end>, negative = false): TestPair => ({ source: src, destination: dst, negative });

describe('remoteDestinations', () => {
  const a0 = end('a', 0, '10.0.0.2');
  const a1 = end('a', 1, '10.0.0.3');
  const b0 = end('b', 0, '10.0.0.12');
  const b1 = end('b', 1, '10.0.0.13');
  const c0 = end('c', 0, '10.1.0.22');

  test('no pairs, or every destination on the node itself: nothing to serve elsewhere', () => {
    expect(remoteDestinations('a', [])).toEqual([]);
    expect(remoteDestinations('a', [pair(a0, a1), pair(a1, a0)])).toEqual([]);
  });

  test('groups by destination node in first-seen order, each address once, own node left out', () => {
    const pairs = [pair(a0, c0, true), pair(a0, b1), pair(a1, b0), pair(a1, b1), pair(a0, a1), pair(a1, c0, true)];
    expect(remoteDestinations('a', pairs)).toEqual([
      { node: 'c', ends: [{ vmIndex: 0, ip: '10.1.0.22' }] },
      { node: 'b', ends: [{ vmIndex: 1, ip: '10.0.0.13' }, { vmIndex: 0, ip: '10.0.0.12' }] },
    ]);
  });

  test('one VM index with two addresses (two endpoints) is two ends; the same address at two indices too', () => {
    const pairs = [pair(a0, end('b', 0, '10.0.0.12')), pair(a0, end('b', 0, '10.2.0.12')), pair(a1, end('b', 2, '10.0.0.12'))];
    expect(remoteDestinations('a', pairs)).toEqual([
      {
        node: 'b',
        ends: [
          { vmIndex: 0, ip: '10.0.0.12' },
          { vmIndex: 0, ip: '10.2.0.12' },
          { vmIndex: 2, ip: '10.0.0.12' },
        ],
      },
    ]);
  });

  test('every remote destination of the pairs is in exactly one group (random pairs)', () => {
    const nodes = ['a', 'b', 'c', 'd'];
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 50; round++) {
      const pairs: TestPair[] = Array.from({ length: next(30) }, () => {
        const dn = nodes[next(4)]!;
        const vm = next(5);
        return pair(end('a', next(5), '10.9.0.1'), end(dn, vm, `10.9.${nodes.indexOf(dn)}.${vm + 2}`), next(2) === 0);
      });
      const groups = remoteDestinations('a', pairs);
      const listed = groups.flatMap((g) => g.ends.map((e) => endKey({ node: g.node, ...e })));
      expect(new Set(listed).size).toBe(listed.length);
      const wanted = new Set(pairs.filter((p) => p.destination.node !== 'a').map((p) => endKey(p.destination)));
      expect(new Set(listed)).toEqual(wanted);
      expect(groups.every((g) => g.node !== 'a' && g.ends.length > 0)).toBe(true);
    }
  });
});

describe('remoteFor', () => {
  const a0 = end('a', 0, '10.0.0.2');
  const a1 = end('a', 1, '10.0.0.3');
  const b0 = end('b', 0, '10.0.0.12');
  const b1 = end('b', 1, '10.0.0.13');
  const c0 = end('c', 0, '10.1.0.22');
  const served: RemoteEnd[] = [
    { ...c0, tcp: 40001 },
    { ...b1, problem: 'not configured' },
    { ...b0, tcp: 40002, iperf: 5201 },
  ];

  test("only the chunk's own remote destinations, in the order served, each once", () => {
    expect(remoteFor('a', [pair(a0, b0), pair(a1, b0), pair(a0, c0, true)], served)).toEqual([served[0], served[2]]);
    expect(remoteFor('a', [pair(a0, b1)], served)).toEqual([served[1]]);
  });

  test('a chunk of local destinations only, or no pairs: nothing', () => {
    expect(remoteFor('a', [pair(a0, a1), pair(a1, a0)], served)).toEqual([]);
    expect(remoteFor('a', [], served)).toEqual([]);
  });

  test("an end served under the source node's own name is never a remote destination", () => {
    expect(remoteFor('a', [pair(a0, a1)], [{ ...a1, tcp: 1 }])).toEqual([]);
  });

  test('over any split into chunks, the chunks together ask for exactly what the node was served (random pairs)', () => {
    const nodes = ['a', 'b', 'c'];
    let seed = 11;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 30; round++) {
      const pairs: TestPair[] = Array.from({ length: 1 + next(40) }, () => {
        const dn = nodes[next(3)]!;
        const vm = next(4);
        return pair(end('a', next(4), '10.9.0.1'), end(dn, vm, `10.9.${nodes.indexOf(dn)}.${vm + 2}`));
      });
      const all = remoteDestinations('a', pairs).flatMap((g) => g.ends.map((e) => ({ node: g.node, ...e, tcp: 40000 + e.vmIndex })));
      const size = 1 + next(10);
      const asked = chunkPairs(pairs, size).map((part) => remoteFor('a', part, all));
      for (const [i, part] of chunkPairs(pairs, size).entries()) {
        const wanted = new Set(part.filter((p) => p.destination.node !== 'a').map((p) => endKey(p.destination)));
        expect(new Set(asked[i]!.map(endKey))).toEqual(wanted);
        expect(asked[i]!.length).toBe(wanted.size);
      }
      expect(new Set(asked.flat().map(endKey))).toEqual(new Set(all.map(endKey)));
    }
  });
});

test('unservedEnds: every end of the node, with the reason', () => {
  expect(unservedEnds('b', [{ vmIndex: 1, ip: '10.0.0.13' }], 'no agent')).toEqual([{ node: 'b', vmIndex: 1, ip: '10.0.0.13', problem: 'no agent' }]);
  expect(unservedEnds('b', [], 'no agent')).toEqual([]);
});

test('endKey tells node, index and address apart', () => {
  expect(new Set([endKey(end('a', 1, '10.0.0.1')), endKey(end('a', 11, '0.0.0.1')), endKey(end('a1', 1, '0.0.0.1'))]).size).toBe(3);
});

describe('serverDeadlineS', () => {
  test('the test activity and the start, in whole seconds, plus a minute', () => {
    expect(serverDeadlineS(300_000, 120_000)).toBe(480);
    expect(serverDeadlineS(1, 0)).toBe(61);
    expect(serverDeadlineS(1500, 1)).toBe(62);
  });
  test('the calls of every chunk summed may be long, but the servers never outlive a day (the payload schema accepts no more)', () => {
    expect(serverDeadlineS(3 * 86_400_000, 120_000)).toBe(MAX_HELPER_DEADLINE_S);
    expect(serverDeadlineS(86_400_000 - 60_000 - 120_000, 120_000)).toBe(MAX_HELPER_DEADLINE_S);
    expect(serverDeadlineS(86_400_000 - 60_000 - 121_000, 120_000)).toBe(MAX_HELPER_DEADLINE_S - 1);
  });
  test.each([
    [0, 0],
    [-1, 0],
    [Number.NaN, 0],
    [Number.POSITIVE_INFINITY, 0],
    [1000, -1],
    [1000, Number.NaN],
  ])('refuses testActivityMs %p, startMs %p', (t, s) => {
    expect(() => serverDeadlineS(t, s)).toThrow(RangeError);
  });
});
