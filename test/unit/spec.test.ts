import { parse as parseYaml } from 'yaml';
import { capacity } from '../../src/model/ipam';
import { seededRandom } from '../../src/model/random';
import {
  checkSpec,
  DEFAULT_UNDERLAY_CIDR,
  formatIssue,
  MAX_NODES,
  MAX_VNI,
  nodeAddressesOf,
  parseSpec,
  SpecError,
  totalEndpoints,
  pluginObjectCount,
  type SpecIssue,
} from '../../src/model/spec';

/** A spec document as the tests poke at it: bad-input cases write values of any shape anywhere. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the point is to write ill-typed input
type Doc = Record<string, any>;

/** A small valid spec; every bad-input case below breaks exactly one thing in a fresh copy. */
function baseline(): Doc {
  return {
    name: 'demo',
    plugin: { address: '127.0.0.1:50051' },
    vpcs: [
      {
        id: 'vpc-1',
        vni: 100,
        cidr: '10.0.0.0/16',
        subnets: [
          { id: 'sn-1', cidr: '10.0.1.0/24' },
          { id: 'sn-2', cidr: '10.0.2.0/24' },
        ],
      },
      { id: 'vpc-2', vni: 200, cidr: '10.1.0.0/16', subnets: [{ id: 'sn-3', cidr: '10.1.1.0/24' }] },
    ],
    nodes: 2,
  };
}

function issuesOf(input: unknown): SpecIssue[] {
  const result = checkSpec(input);
  if (result.ok) throw new Error(`expected the spec to be refused, it was accepted: ${JSON.stringify(input)}`);
  return result.issues;
}

describe('parseSpec: valid input', () => {
  it('accepts the baseline and fills every default', () => {
    const spec = parseSpec(baseline());
    expect(spec).toEqual({
      name: 'demo',
      plugin: { address: '127.0.0.1:50051', deadlineMs: 10_000, retryWindowMs: 120_000 },
      dataplane: 'reference',
      agentPool: false,
      underlay: { cidr: DEFAULT_UNDERLAY_CIDR, mtu: 1500 },
      vpcs: baseline().vpcs,
      nodes: [
        { name: 'node-1', vms: 1, endpointsPerVm: 1, tests: [] },
        { name: 'node-2', vms: 1, endpointsPerVm: 1, tests: [] },
      ],
      vmsPerNode: 1,
      endpointsPerVm: 1,
      placement: 'uniform',
      seed: 1,
      rate: 'sequential',
      batchSize: 500,
      tests: { kinds: [], pairs: 'ring', perVm: 1, maxPairs: 200, negative: true },
    });
    expect(DEFAULT_UNDERLAY_CIDR).toBe('100.64.0.0/16');
  });

  it('normalizes a list of test kinds into the tests object and hands the kinds to every node', () => {
    const spec = parseSpec({ ...baseline(), tests: ['icmp', 'tcp'] });
    expect(spec.tests).toEqual({ kinds: ['icmp', 'tcp'], pairs: 'ring', perVm: 1, maxPairs: 200, negative: true });
    expect(spec.nodes.map((n) => n.tests)).toEqual([
      ['icmp', 'tcp'],
      ['icmp', 'tcp'],
    ]);
  });

  it('fills the tests object defaults (all kinds when kinds is left out)', () => {
    expect(parseSpec({ ...baseline(), tests: {} }).tests).toEqual({
      kinds: ['icmp', 'tcp', 'udp', 'iperf'],
      pairs: 'ring',
      perVm: 1,
      maxPairs: 200,
      negative: true,
    });
    expect(parseSpec({ ...baseline(), tests: { kinds: ['udp'], pairs: 'random', perVm: 3, maxPairs: 10, negative: false } }).tests).toEqual({
      kinds: ['udp'],
      pairs: 'random',
      perVm: 3,
      maxPairs: 10,
      negative: false,
    });
  });

  it('takes nodes as a count, as names and as objects', () => {
    expect(parseSpec({ ...baseline(), nodes: 3 }).nodes.map((n) => n.name)).toEqual(['node-1', 'node-2', 'node-3']);
    expect(parseSpec({ ...baseline(), nodes: ['alpha', 'beta-zone-1'] }).nodes).toEqual([
      { name: 'alpha', vms: 1, endpointsPerVm: 1, tests: [] },
      { name: 'beta-zone-1', vms: 1, endpointsPerVm: 1, tests: [] },
    ]);
    const spec = parseSpec({
      ...baseline(),
      vmsPerNode: 4,
      endpointsPerVm: 2,
      tests: ['icmp'],
      nodes: ['plain', { name: 'rich', ip: '100.64.0.9', mac: '02:00:00:00:00:01', tests: ['tcp'], optional: { zone: 'a' } }],
    });
    expect(spec.nodes).toEqual([
      { name: 'plain', vms: 4, endpointsPerVm: 2, tests: ['icmp'] },
      { name: 'rich', ip: '100.64.0.9', mac: '02:00:00:00:00:01', vms: 4, endpointsPerVm: 2, tests: ['tcp'], optional: { zone: 'a' } },
    ]);
  });

  it('uses per-node vms and endpointsPerVm with placement assign', () => {
    const spec = parseSpec({
      ...baseline(),
      placement: 'assign',
      vmsPerNode: 2,
      nodes: [{ name: 'a', vms: 5, endpointsPerVm: 3 }, { name: 'b' }, { name: 'c', vms: 0 }],
    });
    expect(spec.nodes.map((n) => [n.name, n.vms, n.endpointsPerVm])).toEqual([
      ['a', 5, 3],
      ['b', 2, 1],
      ['c', 0, 1],
    ]);
    expect(totalEndpoints(spec)).toBe(17);
  });

  it('accepts every rate form, placement and dataplane', () => {
    expect(parseSpec({ ...baseline(), rate: 'random' }).rate).toBe('random');
    expect(parseSpec({ ...baseline(), rate: { rps: 2.5 } }).rate).toEqual({ rps: 2.5 });
    for (const placement of ['uniform', 'assign', 'skew', 'random']) expect(parseSpec({ ...baseline(), placement }).placement).toBe(placement);
    for (const dataplane of ['reference', 'cni', 'none']) expect(parseSpec({ ...baseline(), dataplane }).dataplane).toBe(dataplane);
    expect(parseSpec({ ...baseline(), endpointPlugin: 'my-plugin_2' }).endpointPlugin).toBe('my-plugin_2');
    expect(parseSpec({ ...baseline(), dataplane: 'none', agentPool: true }).agentPool).toBe(true);
    expect(parseSpec({ ...baseline(), plugin: { address: '127.0.0.1:50053', provider: 'ovn' }, endpointPlugin: 'ovn' }).plugin.provider).toBe('ovn');
  });

  it('accepts the boundaries: VNI 1 and 2^24-1, a /30 subnet with one host, a 32-char name, port 65535', () => {
    const spec = baseline();
    spec.name = 'a'.repeat(31) + '1';
    spec.plugin.address = 'plugin.example:65535';
    spec.vpcs[0].vni = 1;
    spec.vpcs[1].vni = MAX_VNI;
    spec.vpcs[1].subnets[0].cidr = '10.1.1.0/30';
    spec.nodes = 3; // 3 endpoints round-robin over 3 subnets: one in the /30
    expect(checkSpec(spec)).toMatchObject({ ok: true });
  });

  it('accepts a subnet VNI of its own VPC, and a fresh one', () => {
    const spec = baseline();
    spec.vpcs[0].subnets[0].vni = 100;
    spec.vpcs[0].subnets[1].vni = 150;
    expect(parseSpec(spec).vpcs[0]!.subnets.map((s) => s.vni)).toEqual([100, 150]);
  });

  it('reads the same from YAML as from JSON', () => {
    const yamlText = `
name: demo
plugin:
  address: 127.0.0.1:50051
vpcs:
  - id: vpc-1
    vni: 100
    cidr: 10.0.0.0/16
    subnets:
      - { id: sn-1, cidr: 10.0.1.0/24 }
      - id: sn-2
        cidr: 10.0.2.0/24
  - id: vpc-2
    vni: 200
    cidr: 10.1.0.0/16
    subnets: [{ id: sn-3, cidr: 10.1.1.0/24 }]
nodes: 2
`;
    const fromYaml = parseSpec(parseYaml(yamlText));
    const fromJson = parseSpec(JSON.parse(JSON.stringify(baseline())));
    expect(fromYaml).toEqual(fromJson);
    expect(fromYaml.vpcs).toHaveLength(2);
  });

  it('reports YAML errors with the same paths as JSON ones', () => {
    const issues = issuesOf(parseYaml('name: Demo\nplugin: {address: "h:1"}\nvpcs: []\nnodes: 1\n'));
    expect(issues.map((i) => i.path)).toEqual(['name', 'vpcs']);
  });
});

type Mutation = (spec: Doc) => void;
/** [title, mutation, expected path, expected value, words the rule must contain] */
type BadCase = [string, Mutation, string, unknown, RegExp];

const subnet = (id: string, cidr: string, extra: Record<string, unknown> = {}) => ({ id, cidr, ...extra });

const badCases: BadCase[] = [
  // subnets and VPCs
  ['overlapping subnets', (s) => s.vpcs[0].subnets.push(subnet('sn-9', '10.0.1.128/25')), 'vpcs[0].subnets[2].cidr', '10.0.1.128/25', /overlaps vpcs\[0\]\.subnets\[0\]\.cidr/],
  ['subnet containing an earlier one', (s) => s.vpcs[0].subnets.push(subnet('sn-9', '10.0.0.0/23')), 'vpcs[0].subnets[2].cidr', '10.0.0.0/23', /overlaps vpcs\[0\]\.subnets\[0\]\.cidr/],
  ['identical subnets', (s) => (s.vpcs[0].subnets[1].cidr = '10.0.1.0/24'), 'vpcs[0].subnets[1].cidr', '10.0.1.0/24', /overlaps/],
  ['subnet outside its VPC', (s) => (s.vpcs[0].subnets[0].cidr = '10.1.5.0/24'), 'vpcs[0].subnets[0].cidr', '10.1.5.0/24', /not inside its VPC's CIDR 10\.0\.0\.0\/16/],
  ['subnet larger than its VPC', (s) => (s.vpcs[1].subnets[0].cidr = '10.0.0.0/8'), 'vpcs[1].subnets[0].cidr', '10.0.0.0/8', /not inside its VPC's CIDR 10\.1\.0\.0\/16/],
  ['a /31 subnet', (s) => (s.vpcs[0].subnets[1].cidr = '10.0.2.0/31'), 'vpcs[0].subnets[1].cidr', '10.0.2.0/31', /too small.*\/30/],
  ['a /32 subnet', (s) => (s.vpcs[0].subnets[1].cidr = '10.0.2.7/32'), 'vpcs[0].subnets[1].cidr', '10.0.2.7/32', /too small/],
  ['subnet CIDR with host bits', (s) => (s.vpcs[0].subnets[0].cidr = '10.0.1.1/24'), 'vpcs[0].subnets[0].cidr', '10.0.1.1/24', /host bits must be zero.*10\.0\.1\.0\/24/],
  ['VPC CIDR not a CIDR', (s) => (s.vpcs[0].cidr = '10.0.0.0'), 'vpcs[0].cidr', '10.0.0.0', /address\/prefix/],
  ['subnet CIDR with octet 256', (s) => (s.vpcs[0].subnets[0].cidr = '10.0.256.0/24'), 'vpcs[0].subnets[0].cidr', '10.0.256.0/24', /octet 256/],
  ['VNI 0', (s) => (s.vpcs[0].vni = 0), 'vpcs[0].vni', 0, /between 1 and 16777215/],
  ['VNI 2^24', (s) => (s.vpcs[0].vni = 2 ** 24), 'vpcs[0].vni', 16_777_216, /between 1 and 16777215/],
  ['VNI 1.5', (s) => (s.vpcs[0].vni = 1.5), 'vpcs[0].vni', 1.5, /whole number/],
  ['VNI "5"', (s) => (s.vpcs[0].vni = '5'), 'vpcs[0].vni', '5', /type number/],
  ['subnet VNI 2^24', (s) => (s.vpcs[0].subnets[1].vni = 2 ** 24), 'vpcs[0].subnets[1].vni', 16_777_216, /between 1 and 16777215/],
  ['duplicate VNI across VPCs', (s) => (s.vpcs[1].vni = 100), 'vpcs[1].vni', 100, /already the VNI of vpcs\[0\] \(vpc-1\)/],
  ['subnet VNI of another VPC', (s) => (s.vpcs[1].subnets[0].vni = 100), 'vpcs[1].subnets[0].vni', 100, /already the VNI of vpcs\[0\] \(vpc-1\).*one VPC/],
  ['subnet VNI of another VPC\'s subnet', (s) => ((s.vpcs[0].subnets[0].vni = 555), (s.vpcs[1].subnets[0].vni = 555)), 'vpcs[1].subnets[0].vni', 555, /already the VNI of vpcs\[0\]\.subnets\[0\] in another VPC/],
  ['empty VPC list', (s) => (s.vpcs = []), 'vpcs', [], /at least one VPC/],
  ['VPC without subnets', (s) => (s.vpcs[1].subnets = []), 'vpcs[1].subnets', [], /at least one subnet/],
  ['VPC without vni', (s) => delete s.vpcs[0].vni, 'vpcs[0].vni', undefined, /is required/],
  ['duplicate VPC id', (s) => (s.vpcs[1].id = 'vpc-1'), 'vpcs[1].id', 'vpc-1', /duplicates vpcs\[0\]\.id/],
  ['duplicate subnet id across VPCs', (s) => (s.vpcs[1].subnets[0].id = 'sn-1'), 'vpcs[1].subnets[0].id', 'sn-1', /duplicates vpcs\[0\]\.subnets\[0\]\.id/],
  ['empty VPC id', (s) => (s.vpcs[0].id = ''), 'vpcs[0].id', '', /1-63 letters/],
  ['VPC id with a space', (s) => (s.vpcs[0].id = 'vpc 1'), 'vpcs[0].id', 'vpc 1', /1-63 letters/],
  ['VPC id with a path separator', (s) => (s.vpcs[0].id = 'a/b'), 'vpcs[0].id', 'a/b', /1-63 letters/],
  ['VPC id climbing a directory', (s) => (s.vpcs[0].id = '../x'), 'vpcs[0].id', '../x', /starting with a letter or digit/],
  ['subnet id with a quote', (s) => (s.vpcs[0].subnets[0].id = 'a"b'), 'vpcs[0].subnets[0].id', 'a"b', /1-63 letters/],
  ['subnet id with a single quote', (s) => (s.vpcs[0].subnets[0].id = "a'b"), 'vpcs[0].subnets[0].id', "a'b", /1-63 letters/],
  ['subnet id of 64 chars', (s) => (s.vpcs[0].subnets[0].id = 'a'.repeat(64)), 'vpcs[0].subnets[0].id', 'a'.repeat(64), /1-63 letters/],
  ['unknown subnet field', (s) => (s.vpcs[0].subnets[0].gateway = '10.0.1.1'), 'vpcs[0].subnets[0].gateway', '10.0.1.1', /not a known field/],
  ['unknown VPC field', (s) => (s.vpcs[1].region = 'eu'), 'vpcs[1].region', 'eu', /not a known field/],
  ['vpcs not a list', (s) => (s.vpcs = {}), 'vpcs', {}, /type array/],
  // capacity
  ['more endpoints than a /30 holds', (s) => ((s.vpcs = [{ id: 'v', vni: 1, cidr: '10.0.0.0/16', subnets: [subnet('s', '10.0.0.0/30')] }]), (s.nodes = 2)), 'vpcs[0].subnets[0].cidr', '10.0.0.0/30', /has 1 host address.*2 endpoints/],
  ['more endpoints than a /24 holds', (s) => ((s.vpcs = [{ id: 'v', vni: 1, cidr: '10.0.0.0/16', subnets: [subnet('s', '10.0.0.0/24')] }]), (s.vmsPerNode = 127), (s.nodes = 2)), 'vpcs[0].subnets[0].cidr', '10.0.0.0/24', /has 253 host addresses.*254 endpoints/],
  [
    'capacity over several subnets: the small one overflows',
    (s) => ((s.vpcs = [{ id: 'v', vni: 1, cidr: '10.0.0.0/16', subnets: [subnet('a', '10.0.1.0/29'), subnet('b', '10.0.2.0/30')] }]), (s.nodes = 8)),
    'vpcs[0].subnets[1].cidr',
    '10.0.2.0/30',
    /has 1 host address.*4 endpoints.*8 endpoints over 2 subnets/,
  ],
  [
    'capacity over several subnets: the remainder goes to the first subnets',
    // 16 endpoints over three /29 (5 hosts each): 6, 5, 5, so only the first overflows.
    (s) => ((s.vpcs = [{ id: 'v', vni: 1, cidr: '10.0.0.0/16', subnets: [subnet('a', '10.0.1.0/29'), subnet('b', '10.0.2.0/29'), subnet('c', '10.0.3.0/29')] }]), (s.nodes = 16)),
    'vpcs[0].subnets[0].cidr',
    '10.0.1.0/29',
    /has 5 host addresses but the scenario puts 6 endpoints in it \(16 endpoints over 3 subnets\)/,
  ],
  [
    'capacity counts endpoints per VM',
    (s) => ((s.vpcs = [{ id: 'v', vni: 1, cidr: '10.0.0.0/16', subnets: [subnet('a', '10.0.1.0/29')] }]), (s.nodes = 1), (s.vmsPerNode = 3), (s.endpointsPerVm = 2)),
    'vpcs[0].subnets[0].cidr',
    '10.0.1.0/29',
    /has 5 host addresses.*6 endpoints/,
  ],
  [
    'capacity counts assigned VMs',
    (s) => ((s.vpcs = [{ id: 'v', vni: 1, cidr: '10.0.0.0/16', subnets: [subnet('a', '10.0.1.0/28')] }]), (s.placement = 'assign'), (s.nodes = [{ name: 'a', vms: 10 }, { name: 'b', vms: 4 }])),
    'vpcs[0].subnets[0].cidr',
    '10.0.1.0/28',
    /has 13 host addresses.*14 endpoints/,
  ],
  // names
  ['empty scenario name', (s) => (s.name = ''), 'name', '', /1-32 lower-case/],
  ['missing scenario name', (s) => delete s.name, 'name', undefined, /is required/],
  ['uppercase scenario name', (s) => (s.name = 'Demo'), 'name', 'Demo', /lower-case/],
  ['33-char scenario name', (s) => (s.name = 'a'.repeat(33)), 'name', 'a'.repeat(33), /1-32/],
  ['scenario name with ;', (s) => (s.name = 'a;b'), 'name', 'a;b', /1-32 lower-case/],
  ['scenario name with $()', (s) => (s.name = '$(x)'), 'name', '$(x)', /1-32 lower-case/],
  ['scenario name with backticks', (s) => (s.name = '`id`'), 'name', '`id`', /1-32 lower-case/],
  ['scenario name with a space', (s) => (s.name = 'a b'), 'name', 'a b', /1-32 lower-case/],
  ['scenario name with a slash', (s) => (s.name = 'a/b'), 'name', 'a/b', /1-32 lower-case/],
  ['scenario name climbing a directory', (s) => (s.name = '../x'), 'name', '../x', /1-32 lower-case/],
  ['scenario name ending in -', (s) => (s.name = 'demo-'), 'name', 'demo-', /inner "-"/],
  ['scenario name not a string', (s) => (s.name = 7), 'name', 7, /type string/],
  ['node name with a dot (namespace and queue names allow none)', (s) => (s.nodes = ['a.b']), 'nodes[0]', 'a.b', /lower-case letters, digits or "-"/],
  ['node name of 41 chars', (s) => (s.nodes = ['n'.repeat(41)]), 'nodes[0]', 'n'.repeat(41), /1-40/],
  ['node name with ;', (s) => (s.nodes = ['a;b']), 'nodes[0]', 'a;b', /lower-case letters, digits or "-"/],
  ['node name with $()', (s) => (s.nodes = ['ok', '$(x)']), 'nodes[1]', '$(x)', /lower-case letters, digits or "-"/],
  ['node name with backticks', (s) => (s.nodes = ['`x`']), 'nodes[0]', '`x`', /lower-case letters, digits or "-"/],
  ['node name with a space', (s) => (s.nodes = ['a b']), 'nodes[0]', 'a b', /lower-case letters, digits or "-"/],
  ['node name with a quote', (s) => (s.nodes = ['a"b']), 'nodes[0]', 'a"b', /lower-case letters, digits or "-"/],
  ['node name climbing a directory', (s) => (s.nodes = ['../x']), 'nodes[0]', '../x', /lower-case letters, digits or "-"/],
  ['node object name with a slash', (s) => (s.nodes = [{ name: 'a/b' }]), 'nodes[0].name', 'a/b', /lower-case letters, digits or "-"/],
  ['empty node name', (s) => (s.nodes = [{ name: '' }]), 'nodes[0].name', '', /lower-case letters, digits or "-"/],
  ['duplicate node names', (s) => (s.nodes = ['a', 'b', 'a']), 'nodes[2].name', 'a', /duplicates nodes\[0\]\.name/],
  ['duplicate node names, name and object', (s) => (s.nodes = ['a', { name: 'a' }]), 'nodes[1].name', 'a', /duplicates nodes\[0\]\.name/],
  ['duplicate node IPs', (s) => (s.nodes = [{ name: 'a', ip: '100.64.0.5' }, { name: 'b', ip: '100.64.0.5' }]), 'nodes[1].ip', '100.64.0.5', /is already the address of nodes\[0\] \(a\)/],
  ['node entry neither name nor object', (s) => (s.nodes = [5]), 'nodes[0]', 5, /node name or a node object/],
  ['empty node list', (s) => (s.nodes = []), 'nodes', [], /at least one node/],
  // counts
  ['negative node count', (s) => (s.nodes = -1), 'nodes', -1, /at least 1/],
  ['zero nodes', (s) => (s.nodes = 0), 'nodes', 0, /at least 1/],
  ['fractional node count', (s) => (s.nodes = 2.5), 'nodes', 2.5, /whole number/],
  ['string node count', (s) => (s.nodes = '3'), 'nodes', '3', /node count \(1\.\.10000\) or a list/],
  ['too many nodes', (s) => (s.nodes = MAX_NODES + 1), 'nodes', MAX_NODES + 1, /at most 10000/],
  ['negative vmsPerNode', (s) => (s.vmsPerNode = -1), 'vmsPerNode', -1, /must not be negative/],
  ['fractional vmsPerNode', (s) => (s.vmsPerNode = 1.5), 'vmsPerNode', 1.5, /whole number/],
  ['string vmsPerNode', (s) => (s.vmsPerNode = '2'), 'vmsPerNode', '2', /type number/],
  ['zero endpointsPerVm', (s) => (s.endpointsPerVm = 0), 'endpointsPerVm', 0, /at least 1/],
  ['17 endpointsPerVm', (s) => (s.endpointsPerVm = 17), 'endpointsPerVm', 17, /at most 16/],
  ['negative node vms', (s) => ((s.placement = 'assign'), (s.nodes = [{ name: 'a', vms: -2 }])), 'nodes[0].vms', -2, /must not be negative/],
  ['fractional node vms', (s) => ((s.placement = 'assign'), (s.nodes = [{ name: 'a', vms: 0.5 }])), 'nodes[0].vms', 0.5, /whole number/],
  ['negative seed', (s) => (s.seed = -1), 'seed', -1, /must not be negative/],
  ['zero batchSize', (s) => (s.batchSize = 0), 'batchSize', 0, /at least 1/],
  ['zero deadlineMs', (s) => (s.plugin.deadlineMs = 0), 'plugin.deadlineMs', 0, /at least 1/],
  // unknown fields and enums
  ['unknown top-level field', (s) => (s.vmPerNode = 3), 'vmPerNode', 3, /not a known field/],
  ['unknown plugin field', (s) => (s.plugin.tls = true), 'plugin.tls', true, /not a known field/],
  ['unknown node field', (s) => (s.nodes = [{ name: 'a', cpu: 2 }]), 'nodes[0].cpu', 2, /not a known field/],
  ['unknown tests field', (s) => (s.tests = { kinds: ['icmp'], timeout: 5 }), 'tests.timeout', 5, /not a known field/],
  ['unknown underlay field', (s) => (s.underlay = { cidr: '100.64.0.0/16', gateway: '100.64.0.1' }), 'underlay.gateway', '100.64.0.1', /not a known field/],
  ['bad placement', (s) => (s.placement = 'even'), 'placement', 'even', /one of "uniform", "assign", "skew", "random"/],
  ['bad rate word', (s) => (s.rate = 'fast'), 'rate', 'fast', /one of "sequential", "random"/],
  ['rps 0', (s) => (s.rate = { rps: 0 }), 'rate.rps', 0, /above 0/],
  ['negative rps', (s) => (s.rate = { rps: -5 }), 'rate.rps', -5, /above 0/],
  ['rps as string', (s) => (s.rate = { rps: '5' }), 'rate.rps', '5', /type number/],
  ['bad test kind', (s) => (s.tests = ['icmp', 'ping']), 'tests[1]', 'ping', /one of "icmp", "tcp", "udp", "iperf"/],
  ['bad test kind in the tests object', (s) => (s.tests = { kinds: ['ping'] }), 'tests.kinds[0]', 'ping', /one of "icmp"/],
  ['bad node test kind', (s) => (s.nodes = [{ name: 'a', tests: ['arp'] }]), 'nodes[0].tests[0]', 'arp', /one of "icmp"/],
  ['tests as a bare word', (s) => (s.tests = 'icmp'), 'tests', 'icmp', /list of test kinds .* or a tests object/],
  ['bad pair strategy', (s) => (s.tests = { pairs: 'mesh' }), 'tests.pairs', 'mesh', /one of "ring", "random", "all"/],
  ['bad dataplane', (s) => (s.dataplane = 'ovs'), 'dataplane', 'ovs', /one of "reference", "cni", "none"/],
  ['agentPool with the reference dataplane', (s) => (s.agentPool = true), 'agentPool', true, /only for dataplane "none" \(this spec has dataplane "reference"\)/],
  ['agentPool with an endpoint plugin', (s) => ((s.dataplane = 'none'), (s.endpointPlugin = 'mine'), (s.agentPool = true)), 'agentPool', true, /endpointPlugin "mine"/],
  ['plugin.provider ovn with the reference dataplane', (s) => (s.plugin.provider = 'ovn'), 'plugin.provider', 'ovn', /needs endpointPlugin "ovn" .*dataplane "reference"/],
  ['plugin.provider ovn with another endpoint plugin', (s) => ((s.plugin.provider = 'ovn'), (s.endpointPlugin = 'mizar')), 'plugin.provider', 'ovn', /needs endpointPlugin "ovn" .*endpointPlugin "mizar"/],
  ['plugin.provider mizar', (s) => (s.plugin.provider = 'mizar'), 'plugin.provider', 'mizar', /one of "reference", "ovn"/],
  ['agentPool not a boolean', (s) => ((s.dataplane = 'none'), (s.agentPool = 'yes')), 'agentPool', 'yes', /boolean/],
  // plugins
  ['endpointPlugin ../bin/sh', (s) => (s.endpointPlugin = '../bin/sh'), 'endpointPlugin', '../bin/sh', /never a path/],
  ['endpointPlugin /usr/bin/x', (s) => (s.endpointPlugin = '/usr/bin/x'), 'endpointPlugin', '/usr/bin/x', /never a path/],
  ['endpointPlugin with ;', (s) => (s.endpointPlugin = 'x;rm'), 'endpointPlugin', 'x;rm', /plugin name/],
  ['plugin address without port', (s) => (s.plugin.address = 'localhost'), 'plugin.address', 'localhost', /host:port/],
  ['plugin address with a shell word', (s) => (s.plugin.address = '$(id):50051'), 'plugin.address', '$(id):50051', /host:port/],
  ['plugin address with a path', (s) => (s.plugin.address = 'http://h:1/x'), 'plugin.address', 'http://h:1/x', /host:port/],
  ['plugin port 0', (s) => (s.plugin.address = 'localhost:0'), 'plugin.address', 'localhost:0', /port between 1 and 65535/],
  ['plugin port 70000', (s) => (s.plugin.address = 'localhost:70000'), 'plugin.address', 'localhost:70000', /port between 1 and 65535/],
  ['plugin missing', (s) => delete s.plugin, 'plugin', undefined, /is required/],
  // node MAC / IP
  ['multicast node MAC', (s) => (s.nodes = [{ name: 'a', mac: '03:00:00:00:00:01' }]), 'nodes[0].mac', '03:00:00:00:00:01', /unicast/],
  ['uppercase node MAC', (s) => (s.nodes = [{ name: 'a', mac: '02:AB:00:00:00:01' }]), 'nodes[0].mac', '02:AB:00:00:00:01', /lower-case hex/],
  ['short node MAC', (s) => (s.nodes = [{ name: 'a', mac: '02:00:00:00:01' }]), 'nodes[0].mac', '02:00:00:00:01', /six lower-case hex pairs/],
  ['dash-separated node MAC', (s) => (s.nodes = [{ name: 'a', mac: '02-00-00-00-00-01' }]), 'nodes[0].mac', '02-00-00-00-00-01', /separated by ":"/],
  ['short node IP', (s) => (s.nodes = [{ name: 'a', ip: '10.0.0' }]), 'nodes[0].ip', '10.0.0', /dotted-quad/],
  ['node IP with octet 300', (s) => (s.nodes = [{ name: 'a', ip: '10.0.0.300' }]), 'nodes[0].ip', '10.0.0.300', /dotted-quad/],
  ['node IP with a leading zero', (s) => (s.nodes = [{ name: 'a', ip: '10.0.0.01' }]), 'nodes[0].ip', '10.0.0.01', /dotted-quad/],
  // placement and underlay
  ['nodes.vms with placement uniform', (s) => (s.nodes = [{ name: 'a', vms: 3 }]), 'nodes[0].vms', 3, /only used with placement "assign"/],
  ['nodes.endpointsPerVm with placement skew', (s) => ((s.placement = 'skew'), (s.nodes = [{ name: 'a', endpointsPerVm: 2 }])), 'nodes[0].endpointsPerVm', 2, /only used with placement "assign"/],
  ['underlay too small for the nodes', (s) => ((s.underlay = { cidr: '100.64.0.0/30' }), (s.nodes = 3)), 'underlay.cidr', '100.64.0.0/30', /room for 2 nodes, the scenario has 3/],
  ['underlay /31', (s) => (s.underlay = { cidr: '100.64.0.0/31' }), 'underlay.cidr', '100.64.0.0/31', /room for 0 nodes/],
  ['underlay not a CIDR', (s) => (s.underlay = { cidr: 'fabric' }), 'underlay.cidr', 'fabric', /address\/prefix/],
];

describe('parseSpec: bad input', () => {
  it('has enough cases', () => {
    expect(badCases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(badCases.map(([title]) => title)).size).toBe(badCases.length);
  });

  it.each(badCases)('%s', (_title, mutate, path, value, rule) => {
    const spec = baseline();
    mutate(spec);
    const issues = issuesOf(spec);
    const hit = issues.filter((i) => i.path === path);
    expect(issues.map((i) => i.path)).toContain(path);
    expect(hit).toHaveLength(1);
    const issue = hit[0]!;
    expect(issue.value).toEqual(value);
    expect(issue.rule).toMatch(rule);
    // The text a person reads names the field, the value and the rule.
    const text = formatIssue(issue);
    expect(text.startsWith(`${path}: `)).toBe(true);
    expect(text).toContain(value === undefined ? '(missing)' : JSON.stringify(value));
    expect(text).toContain(issue.rule);
    // parseSpec throws the typed error carrying the same issues.
    let thrown: unknown;
    try {
      parseSpec(spec);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(SpecError);
    expect((thrown as SpecError).issues).toEqual(issues);
    expect((thrown as SpecError).message).toContain(text);
  });

  it('reports several problems at once, each at its own path', () => {
    const spec = baseline();
    spec.name = 'Bad Name';
    spec.vpcs[0].vni = 0;
    spec.vpcs[1].subnets[0].cidr = '10.1.1.0/31';
    spec.nodes = [{ name: 'a;b', mac: 'ff:ff:ff:ff:ff:ff' }];
    spec.rate = { rps: 0 };
    spec.extra = true;
    const paths = issuesOf(spec).map((i) => i.path);
    // The /31 subnet passes its own rule (a CIDR) and breaks a cross-field one (too small): listed too.
    expect(paths).toEqual(expect.arrayContaining(['name', 'vpcs[0].vni', 'nodes[0].name', 'nodes[0].mac', 'rate.rps', 'extra', 'vpcs[1].subnets[0].cidr']));
    expect(paths).toHaveLength(7);
  });

  it('reports several cross-field problems at once', () => {
    const spec = baseline();
    spec.vpcs[1].id = 'vpc-1';
    spec.vpcs[1].vni = 100;
    spec.vpcs[0].subnets[1].cidr = '10.0.1.0/25';
    spec.vpcs[1].subnets[0].cidr = '10.2.0.0/24';
    spec.nodes = ['a', 'a'];
    spec.underlay = { cidr: '100.64.0.0/31' };
    const paths = issuesOf(spec).map((i) => i.path);
    expect(paths.sort()).toEqual(['nodes[1].name', 'underlay.cidr', 'vpcs[0].subnets[1].cidr', 'vpcs[1].id', 'vpcs[1].subnets[0].cidr', 'vpcs[1].vni']);
  });

  it('refuses a document that is not an object, at the root', () => {
    for (const input of [null, 'demo', 42, [], undefined]) {
      const issues = issuesOf(input);
      expect(issues).toHaveLength(1);
      expect(issues[0]!.path).toBe('');
      expect(formatIssue(issues[0]!)).toMatch(/^\(root\): /);
    }
  });

  it('names both problems of the same field (capacity and overlap are separate rules)', () => {
    const spec = baseline();
    spec.vpcs = [{ id: 'v', vni: 1, cidr: '10.0.0.0/16', subnets: [subnet('a', '10.0.0.0/24'), subnet('b', '10.0.0.0/30')] }];
    spec.nodes = 4;
    const rules = issuesOf(spec)
      .filter((i) => i.path === 'vpcs[0].subnets[1].cidr')
      .map((i) => i.rule);
    expect(rules).toHaveLength(2);
    expect(rules.join('\n')).toMatch(/overlaps/);
    expect(rules.join('\n')).toMatch(/has 1 host address but the scenario puts 2 endpoints/);
  });
});

/** An issue as one comparable string (order-free comparisons). */
const issueKey = (i: SpecIssue) => JSON.stringify([i.path, i.value, i.rule]);

describe('parseSpec: field and cross-field issues in one answer', () => {
  // A field error elsewhere in the document must not hide or change any cross-field issue: every
  // bad case above, with batchSize broken as well, gives its own issues plus batchSize's.
  it.each(badCases.filter(([title]) => title !== 'zero batchSize'))('%s, with a field error elsewhere', (_title, mutate) => {
    const alone = baseline();
    mutate(alone);
    const withField = baseline();
    mutate(withField);
    withField.batchSize = 0;
    const expected = [...issuesOf(alone), { path: 'batchSize', value: 0, rule: 'must be at least 1' }].map(issueKey).sort();
    expect(issuesOf(withField).map(issueKey).sort()).toEqual(expected);
  });

  it('lists field issues first, then every cross-field issue of the fields that passed', () => {
    const spec = baseline();
    spec.vmsPerNode = '2'; // field
    spec.vpcs[0].subnets[0].cidr = '10.9.1.0/24'; // outside vpc-1
    spec.vpcs[1].vni = 100; // duplicate VNI
    spec.nodes = ['a', 'b', 'a']; // duplicate name
    spec.plugin.address = 'nohost'; // field
    const issues = issuesOf(spec);
    expect(issues.map((i) => i.path)).toEqual(['plugin.address', 'vmsPerNode', 'vpcs[0].subnets[0].cidr', 'vpcs[1].vni', 'nodes[2].name']);
    expect(issues.map(formatIssue)).toEqual([
      'plugin.address: value "nohost" must be host:port',
      'vmsPerNode: value "2" must be of type number',
      `vpcs[0].subnets[0].cidr: value "10.9.1.0/24" is not inside its VPC's CIDR 10.0.0.0/16`,
      'vpcs[1].vni: value 100 is already the VNI of vpcs[0] (vpc-1): every VPC needs its own VNI',
      'nodes[2].name: value "a" duplicates nodes[0].name',
    ]);
  });

  // [title, mutation, the field issue's path, cross-field paths that must not appear]
  const skipped: [string, Mutation, string, string[]][] = [
    ['a VPC CIDR that is not a CIDR: its subnets are not checked for containment', (s) => ((s.vpcs[0].cidr = '10.0.0.0'), (s.vpcs[0].subnets[0].cidr = '10.9.0.0/24')), 'vpcs[0].cidr', ['vpcs[0].subnets[0].cidr']],
    ['a subnet CIDR with host bits: no overlap or capacity for it', (s) => ((s.vpcs[0].subnets[0].cidr = '10.0.2.1/24'), (s.nodes = 1000)), 'vpcs[0].subnets[0].cidr', []],
    ['an invalid VNI is not compared', (s) => ((s.vpcs[0].vni = 'x'), (s.vpcs[1].vni = 'x')), 'vpcs[1].vni', []],
    ['an invalid node name is not compared', (s) => (s.nodes = ['a;b', 'a;b']), 'nodes[1]', []],
    ['an invalid vmsPerNode: no capacity check', (s) => ((s.vmsPerNode = -1), (s.vpcs[1].subnets[0].cidr = '10.1.1.0/30'), (s.nodes = 50)), 'vmsPerNode', ['vpcs[1].subnets[0].cidr']],
    ['an invalid node vms: no capacity check', (s) => ((s.placement = 'assign'), (s.nodes = [{ name: 'a', vms: 'many' }, { name: 'b', vms: 900 }])), 'nodes[0].vms', ['vpcs[0].subnets[0].cidr']],
    ['an invalid placement: node vms not judged against it', (s) => ((s.placement = 'even'), (s.nodes = [{ name: 'a', vms: 1 }])), 'placement', ['nodes[0].vms']],
    ['an invalid underlay: no room check', (s) => ((s.underlay = { cidr: 'x' }), (s.nodes = 100_000)), 'underlay.cidr', []],
    ['an invalid dataplane: agentPool not judged against it', (s) => ((s.dataplane = 'ovs'), (s.agentPool = true)), 'dataplane', ['agentPool']],
    ['an invalid scenario name: derived node identities not checked', (s) => ((s.name = 'Bad'), (s.nodes = [{ name: 'a', ip: '100.64.0.2' }, 'b'])), 'name', ['nodes[0].ip']],
    ['one invalid node MAC: node identities not checked', (s) => (s.nodes = [{ name: 'a', ip: '100.64.0.9' }, { name: 'b', ip: '100.64.0.9', mac: 'x' }]), 'nodes[1].mac', ['nodes[1].ip']],
  ];
  it.each(skipped)('skips a check whose input broke its own rule: %s', (_title, mutate, fieldPath, absent) => {
    const spec = baseline();
    mutate(spec);
    const issues = issuesOf(spec);
    const paths = issues.map((i) => i.path);
    expect(paths).toContain(fieldPath);
    for (const p of absent) expect(paths).not.toContain(p);
    // Every issue is about a distinct rule: no field reported twice for the same reason.
    expect(new Set(issues.map(issueKey)).size).toBe(issues.length);
  });

  it('still checks what passed next to what did not', () => {
    const spec = baseline();
    spec.vpcs[0].cidr = 'nope'; // field: its subnets' containment is skipped...
    spec.vpcs[0].subnets[1].cidr = '10.0.1.0/25'; // ...but their overlap is not
    spec.vpcs[1].subnets[0].cidr = '10.7.0.0/24'; // another VPC's containment is not
    spec.nodes = [{ name: 'a', mac: 'zz' }, 'b', 'b']; // node identities skipped; duplicate name not
    spec.agentPool = true; // dataplane reference (default): judged
    const paths = issuesOf(spec).map((i) => i.path);
    expect(paths).toEqual(['vpcs[0].cidr', 'nodes[0].mac', 'vpcs[0].subnets[1].cidr', 'vpcs[1].subnets[0].cidr', 'nodes[2].name', 'agentPool']);
  });

  it('a document that is not an object has only the root issue', () => {
    for (const input of [null, 'demo', [], 3]) expect(issuesOf(input).map((i) => i.path)).toEqual(['']);
  });
});

describe('nodeAddressesOf (the local-address rule on a refused document)', () => {
  it('gives the underlay and the node addresses that passed their own rules', () => {
    expect(nodeAddressesOf({ ...baseline(), name: 'Bad', nodes: ['a', { name: 'b', ip: '10.0.0.7' }, { name: 'c', ip: '10.0.0.300' }, { name: 'D;', ip: '10.0.0.9' }] })).toEqual({
      underlay: { cidr: DEFAULT_UNDERLAY_CIDR },
      nodes: [{ name: 'a' }, { name: 'b', ip: '10.0.0.7' }, { name: 'c' }, { name: '', ip: '10.0.0.9' }],
    });
    expect(nodeAddressesOf({ ...baseline(), underlay: { cidr: '100.70.0.0/24' }, nodes: 2 })).toEqual({ underlay: { cidr: '100.70.0.0/24' }, nodes: [{ name: 'node-1' }, { name: 'node-2' }] });
  });

  it('gives nothing when the underlay, the node list or the document itself is refused', () => {
    expect(nodeAddressesOf({ ...baseline(), underlay: { cidr: 'x' } })).toBeUndefined();
    expect(nodeAddressesOf({ ...baseline(), underlay: 'x' })).toBeUndefined();
    expect(nodeAddressesOf({ ...baseline(), nodes: 'many' })).toBeUndefined();
    expect(nodeAddressesOf({ ...baseline(), nodes: 0 })).toBeUndefined();
    for (const input of [null, 'x', [], 5]) expect(nodeAddressesOf(input)).toBeUndefined();
  });
});

describe('parseSpec: random valid specs', () => {
  it('never throws anything but SpecError, and the capacity rule matches a brute-force count', () => {
    // The project's own seeded PRNG, so the property test is reproducible.
    const rand = seededRandom(20261127);
    const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)]!;
    let accepted = 0;
    let refused = 0;
    for (let round = 0; round < 150; round++) {
      const vpcCount = int(1, 3);
      const vpcs = Array.from({ length: vpcCount }, (_, v) => ({
        id: `vpc-${v}`,
        vni: 1000 + v,
        cidr: `10.${v}.0.0/16`,
        // Each subnet in its own /20 block of the VPC, so they never overlap whatever their prefix.
        subnets: Array.from({ length: int(1, 3) }, (_, s) => ({ id: `sn-${v}-${s}`, cidr: `10.${v}.${s * 16}.0/${int(20, 30)}` })),
      }));
      const subnetCount = vpcs.reduce((sum, vpc) => sum + vpc.subnets.length, 0);
      const smallest = Math.min(...vpcs.flatMap((vpc) => vpc.subnets.map((sn) => 2 ** (32 - Number(sn.cidr.split('/')[1])) - 3)));
      // One round in three sits right at the capacity edge (one node, one endpoint per VM), where an
      // off-by-one in the share of the remainder would show.
      const atEdge = round % 3 === 0;
      const nodeCount = atEdge ? 1 : int(1, 12);
      const placement = atEdge ? 'uniform' : pick(['uniform', 'assign', 'skew', 'random'] as const);
      const vmsPerNode = atEdge ? Math.max(0, smallest * subnetCount + int(-subnetCount, subnetCount)) : int(0, 40);
      const endpointsPerVm = atEdge ? 1 : int(1, 4);
      const nodes =
        placement === 'assign'
          ? Array.from({ length: nodeCount }, (_, n) => (rand() < 0.5 ? { name: `n${n}`, vms: int(0, 60), endpointsPerVm: int(1, 3) } : { name: `n${n}` }))
          : rand() < 0.5
            ? nodeCount
            : Array.from({ length: nodeCount }, (_, n) => `n${n}`);
      const input = {
        name: `r${round}`,
        plugin: { address: 'localhost:1' },
        vpcs,
        nodes,
        vmsPerNode,
        endpointsPerVm,
        placement,
        tests: pick([['icmp'], { pairs: 'random' }, []]),
      };

      // Brute force: hand endpoints out one by one, round-robin over all subnets in order.
      let total = 0;
      for (let n = 0; n < nodeCount; n++) {
        const node = Array.isArray(nodes) ? nodes[n] : undefined;
        const vms = typeof node === 'object' && node.vms !== undefined ? node.vms : vmsPerNode;
        const epv = typeof node === 'object' && node.endpointsPerVm !== undefined ? node.endpointsPerVm : endpointsPerVm;
        total += vms * epv;
      }
      const allSubnets = vpcs.flatMap((vpc, v) => vpc.subnets.map((sn, s) => ({ cidr: sn.cidr, path: `vpcs[${v}].subnets[${s}].cidr` })));
      const used = new Array<number>(allSubnets.length).fill(0);
      for (let e = 0; e < total; e++) used[e % allSubnets.length]!++;
      const overflowing = allSubnets
        .filter((sn, i) => used[i]! > 2 ** (32 - Number(sn.cidr.split('/')[1])) - 3)
        .map((sn) => sn.path);

      let result: ReturnType<typeof checkSpec>;
      try {
        result = checkSpec(input);
      } catch (err) {
        throw new Error(`round ${round}: checkSpec threw ${String(err)} for ${JSON.stringify(input)}`);
      }
      if (overflowing.length === 0) {
        expect(result).toMatchObject({ ok: true });
        if (result.ok) {
          expect(totalEndpoints(result.spec)).toBe(total);
          expect(result.spec.nodes).toHaveLength(nodeCount);
          for (const sn of allSubnets) expect(capacity(sn.cidr)).toBe(2 ** (32 - Number(sn.cidr.split('/')[1])) - 3);
        }
        accepted++;
      } else {
        expect(result.ok).toBe(false);
        if (!result.ok) {
          expect(result.issues.map((i) => i.path)).toEqual(overflowing);
          for (const issue of result.issues) expect(issue.rule).toMatch(/host address(es)? but the scenario puts/);
        }
        refused++;
      }
      // The same cross-field answer when a field elsewhere is broken (the checks then read the
      // document field by field instead of the parsed spec).
      const broken = checkSpec({ ...input, seed: -1 });
      expect(broken.ok).toBe(false);
      if (!broken.ok) expect(broken.issues.map((i) => i.path)).toEqual(['seed', ...overflowing]);
    }
    // The generator must exercise both outcomes, or the comparison proves nothing.
    expect(accepted).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(20);
  });
});

describe('pluginObjectCount', () => {
  test('one per VPC, per subnet and per node', () => {
    const spec = parseSpec({
      ...baseline(),
      vpcs: [
        { id: 'a', vni: 1, cidr: '10.1.0.0/16', subnets: [{ id: 'a1', cidr: '10.1.1.0/24' }, { id: 'a2', cidr: '10.1.2.0/24' }] },
        { id: 'b', vni: 2, cidr: '10.2.0.0/16', subnets: [{ id: 'b1', cidr: '10.2.1.0/24' }] },
      ],
      nodes: 4,
      vmsPerNode: 1,
    });
    expect(pluginObjectCount(spec)).toBe(2 + 3 + 4);
    expect(pluginObjectCount({ vpcs: [], nodes: [] })).toBe(0);
  });
});
