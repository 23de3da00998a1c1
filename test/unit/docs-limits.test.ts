/**
 * The numbers the docs state are the code's: each limit is one constant, and this test reads the
 * pages and compares. Change a constant and this fails until the docs say the same.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { MAX_NODE_NAME_LENGTH, MAX_SCENARIO_NAME_LENGTH } from '../../src/model/names';
import { MAX_NODES, MAX_VMS_PER_NODE } from '../../src/model/spec';
import { MAX_ENDPOINTS_PER_VM } from '../../src/model/mac';
import { MAX_VNI } from '../../src/model/limits';
import { MAX_SUBNET_PREFIX } from '../../src/model/ipam';
import { PAIR_LIMITS } from '../../src/model/pairs';
import { TEMPORAL_PAYLOAD_LIMIT_BYTES } from '../../src/temporal/payload-size';
import { MAX_PER_NODE } from '../../src/k8s/annotations';
import { BRIDGE_CHUNK_PORTS } from '../../src/dataplane/names';
import { UNUSABLE_RANGES } from '../../src/model/special-ranges';
import { checkSpec } from '../../src/model/spec';

const doc = (name: string) => readFileSync(path.resolve(__dirname, '../..', name), 'utf8');
const num = (text: string) => Number(text.replace(/[,_]/g, ''));

/** The one number a pattern captures in a page; fails when the page no longer says it. */
function stated(page: string, pattern: RegExp): number {
  const m = pattern.exec(doc(page));
  if (!m) throw new Error(`${page} no longer matches ${pattern}: update the page or this test`);
  return num(m[1]!);
}

describe('docs/scenario.md, the limits table', () => {
  const constants: Record<string, number> = {
    MAX_SCENARIO_NAME_LENGTH,
    MAX_NODE_NAME_LENGTH,
    MAX_NODES,
    MAX_VMS_PER_NODE,
    MAX_ENDPOINTS_PER_VM,
    MAX_VNI,
    MAX_SUBNET_PREFIX,
    'PAIR_LIMITS.maxPairs': PAIR_LIMITS.maxPairs,
    TEMPORAL_PAYLOAD_LIMIT_BYTES,
  };
  const rows = doc('docs/scenario.md')
    .split('\n')
    .map((line) => /^\| (.+?) \| (.+?) \| `([A-Za-z_.]+)`/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && m[3] !== 'constant');

  it('has a row for every constant, and only for known ones', () => {
    expect(rows.map((r) => r[3]).sort()).toEqual(Object.keys(constants).sort());
  });

  it.each(Object.keys(constants))('states %s as the code does', (name) => {
    const row = rows.find((r) => r[3] === name)!;
    // The limit is the last number of the value cell ("1–32 characters", "at most /30").
    const numbers = row[2]!.match(/\d[\d,]*/g)!;
    expect(num(numbers[numbers.length - 1]!)).toBe(constants[name]);
  });
});

describe('the other pages', () => {
  it.each([
    ['docs/kubernetes.md', /`num_vms` \| VMs on this node: `0` … `(\d+)`/, MAX_PER_NODE],
    ['docs/kubernetes.md', /`endpoints_per_vm` \| endpoints per VM: `1` … `(\d+)`/, MAX_ENDPOINTS_PER_VM],
    ['docs/kubernetes.md', /`num_vms × endpoints_per_vm` ≤ (\d+)/, MAX_PER_NODE],
    ['docs/kubernetes.md', /pod\s+name longer than (\d+) characters/, MAX_NODE_NAME_LENGTH],
    ['docs/kubernetes.md', /`scenario` \| the scenario this pod belongs to: 1–(\d+) lowercase/, MAX_SCENARIO_NAME_LENGTH],
    ['docs/endpoint-plugin.md', /bridge chunks of (\d+)\s+ports/, BRIDGE_CHUNK_PORTS],
    ['docs/network-plugin.md', /VNI 1\.\.(\d+)/, MAX_VNI],
    ['docs/testing.md', /the spec allows up to ([\d,]+)/, PAIR_LIMITS.maxPairs],
    ['docs/scenario.md', /Temporal refuses a payload above (\d+) MB/, TEMPORAL_PAYLOAD_LIMIT_BYTES / 1024 / 1024],
    ['README.md', /lower-case letters, digits, inner dashes \(≤ (\d+)\)/, MAX_SCENARIO_NAME_LENGTH],
  ])('%s states %p as the code does', (page, pattern, value) => {
    expect(stated(page, pattern)).toBe(value);
  });

  it('docs/scenario.md lists exactly the refused address blocks of the code', () => {
    const text = doc('docs/scenario.md');
    const listed = text.slice(text.indexOf('protocol, its IETF protocol assignments block, and multicast:'), text.indexOf('(the table is')).match(/\d+\.\d+\.\d+\.\d+\/\d+/g);
    expect(listed).toEqual(UNUSABLE_RANGES.map((r) => r.cidr));
  });
});

describe('the spec enforces the constants the docs name', () => {
  const base = () => ({ name: 'demo', plugin: { address: '127.0.0.1:50051' }, vpcs: [{ id: 'v', vni: 1, cidr: '10.0.0.0/16', subnets: [{ id: 's', cidr: '10.0.1.0/24' }] }], nodes: 1 });
  const ok = (over: Record<string, unknown>) => checkSpec({ ...base(), ...over }).ok;
  it.each([
    ['tests.maxPairs', (n: number) => ({ tests: { maxPairs: n } }), PAIR_LIMITS.maxPairs],
    ['tests.perVm', (n: number) => ({ tests: { pairs: 'random', perVm: n } }), PAIR_LIMITS.perVm],
    ['name length', (n: number) => ({ name: 'a'.repeat(n) }), MAX_SCENARIO_NAME_LENGTH],
    ['node name length', (n: number) => ({ nodes: ['a'.repeat(n)] }), MAX_NODE_NAME_LENGTH],
    ['endpointsPerVm', (n: number) => ({ endpointsPerVm: n, vpcs: [{ id: 'v', vni: 1, cidr: '10.0.0.0/8', subnets: [{ id: 's', cidr: '10.0.0.0/16' }] }] }), MAX_ENDPOINTS_PER_VM],
    ['VNI', (n: number) => ({ vpcs: [{ id: 'v', vni: n, cidr: '10.0.0.0/16', subnets: [{ id: 's', cidr: '10.0.1.0/24' }] }] }), MAX_VNI],
    ['nodes', (n: number) => ({ nodes: n, vmsPerNode: 0 }), MAX_NODES],
  ] as [string, (n: number) => Record<string, unknown>, number][])('%s: the limit is accepted, one more is refused', (_what, at, limit) => {
    expect(ok(at(limit))).toBe(true);
    expect(ok(at(limit + 1))).toBe(false);
  });
});
