import {
  addressInVpc,
  addressNeeds,
  apportion,
  chooseBlockSize,
  endpointAddress,
  hostIndexOf,
  placeVms,
  reserveAddresses,
  reserveAddressesInto,
  segmentsFor,
  subnetOf,
  AddressSpaceError,
  type AddressBook,
  type PlanSubnet,
} from '../../src/model/plan';
import { seededRandom as prng } from '../../src/model/random';

function subnets(cidrs: string[]): PlanSubnet[] {
  return cidrs.map((cidr, index) => ({ index, id: `s${index}`, vpc: index % 2 ? 'b' : 'a', cidr, gateway: '', vni: 100 + (index % 2) }));
}

describe('address plan', () => {
  const cases: [number, number, number, number][] = [];
  const rnd = prng(7);
  for (let k = 0; k < 60; k++) cases.push([1 + Math.floor(rnd() * 5), 1 + Math.floor(rnd() * 4), 1 + Math.floor(rnd() * 3), 1 + Math.floor(rnd() * 40)]);

  test.each(cases)('%i subnets, %i nodes, %i endpoints/VM, up to %i VMs: every endpoint gets a distinct reserved address, stable when nodes grow', (S, N, E, maxVms) => {
    const subs = subnets(Array.from({ length: S }, (_, i) => `10.${i}.0.0/16`));
    const block = chooseBlockSize(maxVms, S);
    let book: AddressBook = { blockSize: block, next: subs.map(() => 0), nodes: {} };
    const counts = Array.from({ length: N }, (_, n) => 1 + ((n * 7 + maxVms) % maxVms));
    counts.forEach((vms, n) => (book = reserveAddresses(book, subs, `n${n}`, n, vms, E)));
    const before = new Map<string, number>();
    const seen = subs.map(() => new Set<number>());
    counts.forEach((vms, n) => {
      for (let vm = 0; vm < vms; vm++) {
        for (let e = 0; e < E; e++) {
          const s = subnetOf(n, vm, e, block, S);
          const idx = hostIndexOf(book.nodes[`n${n}`]!, n, vm, e, E, block);
          expect(idx).toBeLessThan(book.next[s]!);
          expect(seen[s]!.has(idx)).toBe(false);
          seen[s]!.add(idx);
          before.set(`${n}/${vm}/${e}`, idx);
        }
      }
      // Reservations match the needs exactly.
      const needs = addressNeeds(n, vms, E, block, S);
      book.nodes[`n${n}`]!.forEach((r, s) => expect(r.reduce((a, [, c]) => a + c, 0)).toBe(needs[s]));
    });
    // Grow node 0 after everyone else: its old VMs keep their addresses.
    book = reserveAddresses(book, subs, 'n0', 0, counts[0]! + 2 * block + 1, E);
    for (let vm = 0; vm < counts[0]!; vm++) {
      for (let e = 0; e < E; e++) expect(hostIndexOf(book.nodes.n0!, 0, vm, e, E, block)).toBe(before.get(`0/${vm}/${e}`));
    }
    // Segments cover exactly the batch, in order, with the same addresses.
    const from = Math.floor(counts[0]! / 3);
    const count = counts[0]! + 2 * block + 1 - from;
    const segs = segmentsFor(subs, book.nodes.n0!, 0, from, count, E, block);
    for (let e = 0; e < E; e++) {
      const mine = segs.filter((s) => s.endpoint === e);
      expect(mine.reduce((a, s) => a + s.vmCount, 0)).toBe(count);
      for (const seg of mine) {
        for (let k = 0; k < seg.vmCount; k++) {
          expect(hostIndexOf(book.nodes.n0!, 0, seg.vmFrom + k, e, E, block)).toBe(seg.ipIndexFrom + k);
          expect(subnetOf(0, seg.vmFrom + k, e, block, S)).toBe(seg.subnet.index);
        }
      }
    }
  });

  test('a full subnet is refused with its id, the node and the numbers', () => {
    const subs = subnets(['10.0.0.0/29']);
    const book: AddressBook = { blockSize: 1, next: [0], nodes: {} };
    expect(() => reserveAddresses(book, subs, 'big', 0, 6, 1)).toThrow(AddressSpaceError);
    expect(() => reserveAddresses(book, subs, 'big', 0, 6, 1)).toThrow('subnet s0 (10.0.0.0/29) has no room for node big: it needs 6 more addresses, 5 of 5 are left');
    expect(reserveAddresses(book, subs, 'ok', 0, 5, 1).next).toEqual([5]);
  });

  test('endpoint addresses: gateway is .1, first host .2, MAC per endpoint', () => {
    const subs = subnets(['10.1.1.0/24', '10.2.1.0/24']);
    const book = reserveAddresses({ blockSize: 1, next: [0, 0], nodes: {} }, subs, 'n', 0, 4, 1);
    const a = endpointAddress('demo', subs, book.nodes.n!, 0, 0, 0, 1, 1);
    const b = endpointAddress('demo', subs, book.nodes.n!, 0, 1, 0, 1, 1);
    const c = endpointAddress('demo', subs, book.nodes.n!, 0, 2, 0, 1, 1);
    expect([a.ip, a.subnet.id, b.ip, b.subnet.id, c.ip, c.subnet.id]).toEqual(['10.1.1.2', 's0', '10.2.1.2', 's1', '10.1.1.3', 's0']);
    expect(a.prefix).toBe(24);
    expect(new Set([a.mac, b.mac, c.mac]).size).toBe(3);
  });
});

describe('addresses that answer inside a VPC (negative pairs of overlapping VPCs)', () => {
  test('gateways and reserved host addresses of the VPC, nothing of another VPC, nothing unreserved', () => {
    // a: s0 10.0.0.0/24 and s2 10.0.2.0/24; b: s1 10.0.0.0/24 (a's s0 again) and s3 10.0.3.0/24.
    const subs = subnets(['10.0.0.0/24', '10.0.0.0/24', '10.0.2.0/24', '10.0.3.0/24']).map((s) => ({ ...s, gateway: s.cidr.replace('0/24', '1') }));
    let book: AddressBook = { blockSize: 2, next: subs.map(() => 0), nodes: {} };
    book = reserveAddresses(book, subs, 'n0', 0, 8, 1); // 2 addresses in each subnet
    book = reserveAddresses(book, subs, 'n1', 1, 2, 1); // 2 more in s1
    const inVpc = addressInVpc(subs, book);
    expect(book.nodes.n1![1]).toEqual([[2, 2]]);
    expect(inVpc('a', '10.0.0.1')).toBe(true); // gateway of s0
    expect(inVpc('a', '10.0.2.1')).toBe(true); // gateway of s2
    expect(inVpc('a', '10.0.0.2')).toBe(true); // host 0 of s0
    expect(inVpc('a', '10.0.0.3')).toBe(true);
    expect(inVpc('a', '10.0.0.4')).toBe(false); // host 2 of s0: reserved only in b's s1
    expect(inVpc('b', '10.0.0.5')).toBe(true);
    expect(inVpc('b', '10.0.0.6')).toBe(false);
    expect(inVpc('a', '10.0.3.2')).toBe(false); // b's s3 only
    expect(inVpc('b', '10.0.3.2')).toBe(true);
    expect(inVpc('a', '10.0.0.0')).toBe(false); // network address
    expect(inVpc('c', '10.0.0.2')).toBe(false);
    expect(inVpc('a', 'nope')).toBe(false);
  });
});

describe('placement', () => {
  test('apportion keeps the exact total', () => {
    const next = prng(3);
    for (let k = 0; k < 200; k++) {
      const n = 1 + Math.floor(next() * 50);
      const total = Math.floor(next() * 100_000);
      const out = apportion(total, Array.from({ length: n }, () => next()));
      expect(out.reduce((a, b) => a + b, 0)).toBe(total);
      expect(out.every((x) => Number.isInteger(x) && x >= 0)).toBe(true);
    }
  });
  test('uniform, assign, skew, random', () => {
    const nodes = [{ vms: 1 }, { vms: 5 }, { vms: 0 }, { vms: 2 }];
    expect(placeVms('uniform', nodes, 3, 1)).toEqual([3, 3, 3, 3]);
    expect(placeVms('assign', nodes, 3, 1)).toEqual([1, 5, 0, 2]);
    const skew = placeVms('skew', nodes, 25, 1);
    expect(skew.reduce((a, b) => a + b, 0)).toBe(100);
    expect(skew).toEqual([...skew].sort((a, b) => b - a));
    expect(skew[0]).toBeGreaterThan(skew[3]! * 3);
    const r1 = placeVms('random', nodes, 25, 9);
    expect(r1.reduce((a, b) => a + b, 0)).toBe(100);
    expect(placeVms('random', nodes, 25, 9)).toEqual(r1);
    expect(placeVms('random', nodes, 25, 10)).not.toEqual(r1);
  });
});

describe('reserveAddressesInto', () => {
  const subs = subnets(['10.0.0.0/28', '10.1.0.0/28']);
  test('gives the same book as reserveAddresses, in place, without changing the lists a copy shares', () => {
    let copied: AddressBook = { blockSize: 2, next: [0, 0], nodes: {} };
    const inPlace: AddressBook = { blockSize: 2, next: [0, 0], nodes: {} };
    for (const [n, vms] of [['a', 4], ['b', 3], ['a', 8]] as const) {
      copied = reserveAddresses(copied, subs, n, n === 'a' ? 0 : 1, vms, 1);
      const trial: AddressBook = { blockSize: 2, next: [...inPlace.next], nodes: { ...inPlace.nodes } };
      const before = JSON.stringify(inPlace);
      reserveAddressesInto(trial, subs, n, n === 'a' ? 0 : 1, vms, 1);
      expect(JSON.stringify(inPlace)).toBe(before);
      reserveAddressesInto(inPlace, subs, n, n === 'a' ? 0 : 1, vms, 1);
      expect(inPlace).toEqual(copied);
      expect(trial).toEqual(copied);
    }
  });

  test('changes nothing when a subnet has no room', () => {
    const book: AddressBook = { blockSize: 1, next: [0, 10], nodes: {} };
    const before = JSON.stringify(book);
    // The first subnet has room; the second (4 of 14 left) does not: neither is touched.
    expect(() => reserveAddressesInto(book, subs, 'n', 0, 12, 1)).toThrow('subnet s1 (10.1.0.0/28) has no room for node n');
    expect(JSON.stringify(book)).toBe(before);
  });
});
