import { cidrContains, cidrLast, formatIpv4, parseCidr, parseIpv4 } from '../../src/model/ipv4';
import { nodeMac } from '../../src/model/mac';
import { localNodeIssues, nodeIdentities, nodeIdentityIssues, rangeIssues } from '../../src/model/address-rules';
import { UNUSABLE_RANGES, unusableAddress, unusableOverlap, type UnusableRange } from '../../src/model/special-ranges';
import { checkSpec, formatIssue, parseSpec, type SpecIssue } from '../../src/model/spec';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- bad-input cases write values of any shape
type Doc = Record<string, any>;

function baseline(): Doc {
  return {
    name: 'demo',
    plugin: { address: '127.0.0.1:50051' },
    vpcs: [{ id: 'vpc-1', vni: 100, cidr: '10.0.0.0/16', subnets: [{ id: 'sn-1', cidr: '10.0.1.0/24' }] }],
    nodes: 2,
  };
}

function issuesOf(input: Doc): SpecIssue[] {
  const r = checkSpec(input);
  return r.ok ? [] : r.issues;
}

describe('unusable ranges (IANA special-purpose registry, multicast)', () => {
  it('lists the blocks the registry marks reserved by protocol, the IETF protocol block and multicast, in address order', () => {
    expect(UNUSABLE_RANGES.map((r) => r.cidr)).toEqual(['0.0.0.0/8', '127.0.0.0/8', '169.254.0.0/16', '192.0.0.0/24', '224.0.0.0/4', '240.0.0.0/4', '255.255.255.255/32']);
    const starts = UNUSABLE_RANGES.map((r) => parseCidr(r.cidr).network);
    expect([...starts].sort((a, b) => a - b)).toEqual(starts);
  });

  // Every block: its first, an inner and its last address are refused; the addresses just
  // outside it are not (unless they belong to the next block).
  describe.each(UNUSABLE_RANGES.map((r) => [r.cidr, r] as const))('%s', (cidr, range) => {
    const c = parseCidr(cidr);
    const first = c.network;
    const last = cidrLast(c);
    // The answer is this block, or a more specific one inside it (255.255.255.255 in 240.0.0.0/4).
    const within = (hit: UnusableRange | undefined) => hit !== undefined && (hit === range || cidrContains(c, parseCidr(hit.cidr)));
    it('refuses its first, middle and last address', () => {
      for (const a of [first, Math.floor((first + last) / 2), last]) expect(within(unusableAddress(a))).toBe(true);
    });
    it('refuses any CIDR that overlaps it: itself, a part, a superset', () => {
      expect(unusableOverlap(cidr)).toBe(range);
      if (c.prefix < 32) expect(within(unusableOverlap(`${formatIpv4(last)}/32`))).toBe(true);
      const wider = Math.max(0, c.prefix - 1);
      const widerNet = (c.network & (wider === 0 ? 0 : (0xffffffff << (32 - wider)) >>> 0)) >>> 0;
      expect(unusableOverlap(`${formatIpv4(widerNet)}/${wider}`)).toBeDefined();
    });
    it('leaves the neighbours outside it alone unless they are refused themselves', () => {
      for (const a of [first - 1, last + 1]) {
        if (a < 0 || a > 0xffffffff) continue;
        const hit = unusableAddress(a);
        if (hit) expect(hit).not.toBe(range);
      }
    });
  });

  it.each([
    ['10.0.0.0/8', 'private use'],
    ['172.16.0.0/12', 'private use'],
    ['192.168.0.0/16', 'private use'],
    ['100.64.0.0/10', 'shared address space (forwardable)'],
    ['198.18.0.0/15', 'benchmarking (forwardable)'],
    ['192.31.196.0/24', 'AS112-v4 (forwardable)'],
    ['192.52.193.0/24', 'AMT (forwardable)'],
    ['192.175.48.0/24', 'AS112 direct delegation (forwardable)'],
    ['1.0.0.0/8', 'ordinary unicast just above 0/8'],
    ['126.255.255.0/24', 'just below loopback'],
    ['128.0.0.0/8', 'just above loopback'],
    ['169.253.0.0/16', 'just below link local'],
    ['169.255.0.0/16', 'just above link local'],
    ['192.0.1.0/24', 'just above the IETF protocol block'],
    ['191.255.255.0/24', 'just below the IETF protocol block'],
    ['192.0.2.0/24', 'TEST-NET-1 (documentation, RFC 5737: ordinary unicast in a namespace)'],
    ['198.51.100.0/24', 'TEST-NET-2'],
    ['203.0.113.0/24', 'TEST-NET-3'],
    ['192.88.99.0/24', 'the deprecated 6to4 relay anycast block'],
    ['223.255.255.0/24', 'just below multicast'],
    ['11.0.0.0/8', 'ordinary unicast'],
  ])('allows %s (%s)', (cidr) => {
    expect(unusableOverlap(cidr)).toBeUndefined();
  });

  it.each([
    ['vpcs[0].cidr', (s: Doc) => (s.vpcs[0] = { id: 'lo', vni: 9, cidr: '127.0.0.0/16', subnets: [{ id: 'lo-1', cidr: '127.0.1.0/24' }] }), '127.0.0.0/16', /overlaps 127\.0\.0\.0\/8 \(Loopback, RFC 1122\)/],
    ['vpcs[0].cidr', (s: Doc) => (s.vpcs[0] = { id: 'zero', vni: 9, cidr: '0.0.0.0/16', subnets: [{ id: 'z-1', cidr: '0.0.1.0/24' }] }), '0.0.0.0/16', /overlaps 0\.0\.0\.0\/8/],
    ['vpcs[0].cidr', (s: Doc) => (s.vpcs[0] = { id: 'll', vni: 9, cidr: '169.254.0.0/16', subnets: [{ id: 'll-1', cidr: '169.254.1.0/24' }] }), '169.254.0.0/16', /Link Local, RFC 3927/],
    ['vpcs[0].cidr', (s: Doc) => (s.vpcs[0] = { id: 'mc', vni: 9, cidr: '224.1.0.0/16', subnets: [{ id: 'mc-1', cidr: '224.1.1.0/24' }] }), '224.1.0.0/16', /Multicast, RFC 5771/],
    ['vpcs[0].cidr', (s: Doc) => (s.vpcs[0] = { id: 'res', vni: 9, cidr: '240.0.0.0/16', subnets: [{ id: 'r-1', cidr: '240.0.1.0/24' }] }), '240.0.0.0/16', /Reserved, RFC 1112/],
    ['vpcs[0].cidr', (s: Doc) => (s.vpcs[0] = { id: 'ietf', vni: 9, cidr: '192.0.0.0/24', subnets: [{ id: 'i-1', cidr: '192.0.0.0/25' }] }), '192.0.0.0/24', /IETF Protocol Assignments/],
    // A VPC that only contains a refused block (its subnets avoid it) is refused too: the whole range is routed.
    ['vpcs[0].cidr', (s: Doc) => (s.vpcs[0] = { id: 'big', vni: 9, cidr: '192.0.0.0/16', subnets: [{ id: 'b-1', cidr: '192.0.10.0/24' }] }), '192.0.0.0/16', /overlaps 192\.0\.0\.0\/24/],
    ['vpcs[0].subnets[0].cidr', (s: Doc) => (s.vpcs[0] = { id: 'lo', vni: 9, cidr: '127.0.0.0/16', subnets: [{ id: 'lo-1', cidr: '127.0.1.0/24' }] }), '127.0.1.0/24', /Loopback/],
    ['underlay.cidr', (s: Doc) => (s.underlay = { cidr: '169.254.0.0/24' }), '169.254.0.0/24', /Link Local/],
    ['underlay.cidr', (s: Doc) => (s.underlay = { cidr: '127.0.0.0/24' }), '127.0.0.0/24', /Loopback/],
    ['underlay.cidr', (s: Doc) => (s.underlay = { cidr: '240.0.0.0/16' }), '240.0.0.0/16', /Reserved/],
  ])('the spec refuses %s %#', (path, mutate, value, rule) => {
    const s = baseline();
    mutate(s);
    const hit = issuesOf(s).filter((i) => i.path === path);
    expect(hit).toHaveLength(1);
    expect(hit[0]!.value).toBe(value);
    expect(hit[0]!.rule).toMatch(rule);
    expect(hit[0]!.rule).toContain('an emulated cloud needs ordinary unicast addresses');
    expect(formatIssue(hit[0]!)).toBe(`${path}: value ${JSON.stringify(value)} ${hit[0]!.rule}`);
  });

  it('reports every bad CIDR of a spec at once', () => {
    const issues = rangeIssues({
      underlay: { cidr: '127.0.0.0/24' },
      vpcs: [
        { cidr: '224.0.0.0/8', subnets: [{ cidr: '224.0.1.0/24' }, { cidr: '224.0.2.0/24' }] },
        { cidr: '10.0.0.0/8', subnets: [{ cidr: '10.1.0.0/16' }] },
      ],
    });
    expect(issues.map((i) => i.path)).toEqual(['vpcs[0].cidr', 'vpcs[0].subnets[0].cidr', 'vpcs[0].subnets[1].cidr', 'underlay.cidr']);
  });

  it('accepts the forwardable special ranges as VPCs and underlay', () => {
    const s = baseline();
    s.vpcs = [
      { id: 'shared', vni: 1, cidr: '100.65.0.0/16', subnets: [{ id: 's1', cidr: '100.65.1.0/24' }] },
      { id: 'bench', vni: 2, cidr: '198.18.0.0/15', subnets: [{ id: 's2', cidr: '198.18.1.0/24' }] },
      { id: 'public', vni: 3, cidr: '8.8.0.0/16', subnets: [{ id: 's3', cidr: '8.8.8.0/24' }] },
    ];
    s.underlay = { cidr: '172.31.0.0/24' };
    expect(issuesOf(s)).toEqual([]);
  });
});

describe('node identities', () => {
  const spec = (nodes: Doc['nodes'], extra: Doc = {}) => ({ ...baseline(), nodes, ...extra });

  it('derives the address and MAC of every node that gives none, from its slot', () => {
    const ids = nodeIdentities(parseSpec(spec(['a', { name: 'b', ip: '100.64.9.9' }, { name: 'c', mac: '02:00:00:00:00:07' }])));
    expect(ids).toEqual([
      { ip: '100.64.0.1', ipGiven: false, mac: nodeMac('demo', 0), macGiven: false },
      { ip: '100.64.9.9', ipGiven: true, mac: nodeMac('demo', 1), macGiven: false },
      { ip: '100.64.0.3', ipGiven: false, mac: '02:00:00:00:00:07', macGiven: true },
    ]);
  });

  it.each([
    ['two given addresses', [{ name: 'a', ip: '100.64.1.1' }, { name: 'b', ip: '100.64.1.1' }], 'nodes[1].ip', '100.64.1.1', /is already the address of nodes\[0\] \(a\)/],
    ['three nodes, the third repeats the first', [{ name: 'a', ip: '10.9.0.1' }, { name: 'b', ip: '10.9.0.2' }, { name: 'c', ip: '10.9.0.1' }], 'nodes[2].ip', '10.9.0.1', /nodes\[0\] \(a\)/],
    ["a given address that is a later node's derived one", [{ name: 'a', ip: '100.64.0.2' }, 'b'], 'nodes[0].ip', '100.64.0.2', /is the address Merak gives nodes\[1\] \(b\) from underlay.cidr 100.64.0.0\/16 \(its slot 1\)/],
    ["a given address that is an earlier node's derived one", ['a', { name: 'b', ip: '100.64.0.1' }], 'nodes[1].ip', '100.64.0.1', /gives nodes\[0\] \(a\)/],
    ['a given address in a custom underlay', [{ name: 'a', ip: '172.20.0.2' }, 'b'], 'nodes[0].ip', '172.20.0.2', /nodes\[1\] \(b\) from underlay.cidr 172.20.0.0\/24/],
    ['the underlay network address', [{ name: 'a', ip: '100.64.0.0' }], 'nodes[0].ip', '100.64.0.0', /network address of underlay.cidr/],
    ['the underlay broadcast address', [{ name: 'a', ip: '100.64.255.255' }], 'nodes[0].ip', '100.64.255.255', /broadcast address of underlay.cidr/],
    ['a loopback address', [{ name: 'a', ip: '127.0.0.1' }], 'nodes[0].ip', '127.0.0.1', /is in 127\.0\.0\.0\/8 \(Loopback/],
    ['a link-local address', [{ name: 'a', ip: '169.254.169.254' }], 'nodes[0].ip', '169.254.169.254', /Link Local/],
    ['a multicast address', [{ name: 'a', ip: '239.1.1.1' }], 'nodes[0].ip', '239.1.1.1', /Multicast/],
    ['the limited broadcast address', [{ name: 'a', ip: '255.255.255.255' }], 'nodes[0].ip', '255.255.255.255', /is in 255\.255\.255\.255\/32 \(Limited Broadcast/],
    ['a reserved (class E) address', [{ name: 'a', ip: '250.1.2.3' }], 'nodes[0].ip', '250.1.2.3', /is in 240\.0\.0\.0\/4 \(Reserved/],
    ['0.0.0.0', [{ name: 'a', ip: '0.0.0.0' }], 'nodes[0].ip', '0.0.0.0', /"This network"/],
    ['a NAT64 discovery address', [{ name: 'a', ip: '192.0.0.170' }], 'nodes[0].ip', '192.0.0.170', /IETF Protocol Assignments/],
    ['two given MACs', [{ name: 'a', mac: '02:00:00:00:00:01' }, { name: 'b', mac: '02:00:00:00:00:01' }], 'nodes[1].mac', '02:00:00:00:00:01', /is already the MAC of nodes\[0\] \(a\)/],
    ['the all-zero MAC', [{ name: 'a', mac: '00:00:00:00:00:00' }], 'nodes[0].mac', '00:00:00:00:00:00', /all-zero MAC/],
    ['the broadcast MAC', [{ name: 'a', mac: 'ff:ff:ff:ff:ff:ff' }], 'nodes[0].mac', 'ff:ff:ff:ff:ff:ff', /broadcast MAC ff:ff:ff:ff:ff:ff/],
    ['a multicast MAC (01:00:5e…)', [{ name: 'a', mac: '01:00:5e:00:00:01' }], 'nodes[0].mac', '01:00:5e:00:00:01', /unicast MAC/],
    ['a multicast MAC (33:33…)', [{ name: 'a', mac: '33:33:00:00:00:01' }], 'nodes[0].mac', '33:33:00:00:00:01', /unicast MAC/],
    ["a given MAC that is another node's derived one", [{ name: 'a', mac: nodeMac('demo', 1) }, 'b'], 'nodes[0].mac', nodeMac('demo', 1), /is the MAC Merak derives for nodes\[1\] \(b\)/],
  ])('refuses %s', (_title, nodes, path, value, rule) => {
    const extra = (nodes as Doc[]).some((n) => typeof n === 'object' && String(n.ip).startsWith('172.20.')) ? { underlay: { cidr: '172.20.0.0/24' } } : {};
    const issues = issuesOf(spec(nodes, extra));
    const hit = issues.filter((i) => i.path === path);
    expect(hit.length).toBeGreaterThanOrEqual(1);
    expect(hit[0]!.value).toBe(value);
    expect(hit.map((h) => h.rule).join('\n')).toMatch(rule);
  });

  it.each([
    ['distinct given addresses', [{ name: 'a', ip: '100.64.1.1' }, { name: 'b', ip: '100.64.1.2' }]],
    ['a given address equal to its own derived one', [{ name: 'a', ip: '100.64.0.1' }, 'b']],
    ['given addresses outside the underlay (pod IPs)', [{ name: 'a', ip: '10.244.1.5' }, { name: 'b', ip: '10.244.2.5' }]],
    ['a given address beyond the derived ones', ['a', 'b', { name: 'c', ip: '100.64.0.200' }]],
    ['distinct given MACs', [{ name: 'a', mac: '02:00:00:00:00:01' }, { name: 'b', mac: '02:00:00:00:00:02' }]],
    ['a given MAC equal to its own derived one', [{ name: 'a', mac: nodeMac('demo', 0) }, 'b']],
    ['a globally administered unicast MAC', [{ name: 'a', mac: '00:1b:21:00:00:01' }]],
    ['documentation addresses (RFC 5737)', [{ name: 'a', ip: '192.0.2.7' }, { name: 'b', ip: '203.0.113.9' }]],
  ])('accepts %s', (_title, nodes) => {
    expect(issuesOf(spec(nodes))).toEqual([]);
  });

  it('reports a clash once, on the node that gave the value', () => {
    const issues = nodeIdentityIssues({ name: 'demo', underlay: { cidr: '100.64.0.0/16' }, vpcs: [], nodes: [{ name: 'a' }, { name: 'b', ip: '100.64.0.1', mac: nodeMac('demo', 0) }] });
    expect(issues.map((i) => i.path)).toEqual(['nodes[1].ip', 'nodes[1].mac']);
  });

  it('finds every duplicate among many nodes (property: one issue per repeated given address)', () => {
    // 200 nodes whose given addresses repeat every 7: each repeat past the first is reported.
    const nodes = Array.from({ length: 200 }, (_, i) => ({ name: `n${i}`, ip: formatIpv4(parseIpv4('10.50.0.1') + (i % 7)) }));
    const issues = nodeIdentityIssues({ name: 'demo', underlay: { cidr: '100.64.0.0/16' }, vpcs: [], nodes });
    expect(issues).toHaveLength(200 - 7);
    for (const issue of issues) {
      const n = Number(/nodes\[(\d+)\]/.exec(issue.path)![1]);
      expect(issue.rule).toContain(`nodes[${n % 7}] (n${n % 7})`);
    }
  });
});

describe('local nodes: a given address is the underlay address', () => {
  const under = { cidr: '100.64.0.0/16' };
  it.each([
    ['10.0.0.1', true],
    ['100.63.255.255', true],
    ['100.65.0.0', true],
    ['100.64.0.7', false],
    ['100.64.255.254', false],
  ])('%s outside the underlay: %p', (ip, refused) => {
    const issues = localNodeIssues({ underlay: under, nodes: [{ name: 'a', ip }, { name: 'b' }] });
    expect(issues.length).toBe(refused ? 1 : 0);
    if (refused) {
      expect(issues[0]).toEqual({ path: 'nodes[0].ip', value: ip, rule: expect.stringContaining('is outside underlay.cidr 100.64.0.0/16') });
    }
  });
  it('says nothing of nodes without an address', () => {
    expect(localNodeIssues({ underlay: under, nodes: [{ name: 'a' }, { name: 'b' }] })).toEqual([]);
  });
});
