import {
  ANNOTATION_KEYS,
  ANNOTATION_PREFIX,
  MAX_PER_NODE,
  hasMerakAnnotations,
  parseCount,
  parseFlag,
  parseNodeAnnotations,
} from '../../src/k8s/annotations';
import { AnnotationError } from '../../src/k8s/errors';
import { MAX_ENDPOINTS_PER_VM } from '../../src/model/mac';

const pod = { namespace: 'lab', name: 'agent-0' };
const k = (key: string): string => ANNOTATION_PREFIX + key;

function errorsOf(annotations: Record<string, string>): AnnotationError[] {
  const r = parseNodeAnnotations(pod, annotations);
  if (r.ok) throw new Error(`expected errors, parsed ${JSON.stringify(r.value)}`);
  return r.errors;
}

describe('parseCount', () => {
  it.each([
    ['0', 0],
    ['1', 1],
    ['5', 5],
    ['42', 42],
    [String(MAX_PER_NODE), MAX_PER_NODE],
  ])('accepts %j as %d', (text, n) => {
    expect(parseCount(text, 0)).toEqual({ ok: true, value: n });
  });

  it.each([
    ['5abc', 'digits only'],
    ['-1', 'digits only'],
    ['+5', 'digits only'],
    [' 5', 'digits only'],
    ['5 ', 'digits only'],
    ['1e9', 'digits only'],
    ['5.0', 'digits only'],
    ['0x10', 'digits only'],
    ['05', 'leading zero'],
    ['00', 'leading zero'],
    ['٥', 'digits only'], // an Arabic-Indic five: a digit to Unicode, not to us
    ['Infinity', 'digits only'],
    ['NaN', 'digits only'],
    ['', 'must not be empty'],
    [String(MAX_PER_NODE + 1), `at most ${MAX_PER_NODE}`],
    ['99999999999999999999999', `at most ${MAX_PER_NODE}`],
  ])('refuses %j (%s)', (text, rulePart) => {
    const r = parseCount(text, 0);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.rule).toContain(rulePart);
  });

  it('applies the minimum', () => {
    expect(parseCount('0', 1)).toEqual({ ok: false, rule: 'must be at least 1' });
    expect(parseCount('1', 1)).toEqual({ ok: true, value: 1 });
  });
});

describe('parseFlag', () => {
  it.each([
    ['', true],
    ['true', true],
    ['false', false],
  ])('reads %j as %s', (text, value) => {
    expect(parseFlag(text)).toEqual({ ok: true, value });
  });

  it.each(['True', 'FALSE', 'yes', 'no', '1', '0', ' true', 'true ', 'on'])('refuses %j', (text) => {
    expect(parseFlag(text).ok).toBe(false);
  });
});

describe('hasMerakAnnotations', () => {
  it('is true only when a key has our exact prefix', () => {
    expect(hasMerakAnnotations(undefined)).toBe(false);
    expect(hasMerakAnnotations({})).toBe(false);
    expect(hasMerakAnnotations({ 'example.com/num_vms': '5' })).toBe(false);
    expect(hasMerakAnnotations({ 'x.meraksim.com/num_vms': '5' })).toBe(false);
    expect(hasMerakAnnotations({ 'meraksim.com/whatever': '' })).toBe(true);
    expect(hasMerakAnnotations({ [k('num_vms')]: '5' })).toBe(true);
  });
});

describe('parseNodeAnnotations', () => {
  it('reads the example from the design (num_vms=5, endpoints_per_vm=6, three tests)', () => {
    const r = parseNodeAnnotations(pod, {
      [k('num_vms')]: '5',
      [k('endpoints_per_vm')]: '6',
      [k('test_icmp')]: '',
      [k('test_tcp')]: 'true',
      [k('test_udp')]: '',
      'kubectl.kubernetes.io/last-applied-configuration': '{}',
    });
    expect(r).toEqual({ ok: true, value: { vms: 5, endpointsPerVm: 6, tests: ['icmp', 'tcp', 'udp'] } });
  });

  it('leaves absent values unset so the scenario default applies', () => {
    expect(parseNodeAnnotations(pod, { [k('num_vms')]: '2' })).toEqual({ ok: true, value: { vms: 2 } });
    expect(parseNodeAnnotations(pod, undefined)).toEqual({ ok: true, value: {} });
  });

  it('tells "no test flags" (scenario default) from "all flags false" (no tests)', () => {
    expect(parseNodeAnnotations(pod, { [k('test_iperf')]: 'false' })).toEqual({ ok: true, value: { tests: [] } });
  });

  it('reads scenario and configmap names', () => {
    const r = parseNodeAnnotations(pod, { [k('scenario')]: 'east-1', [k('configmap')]: 'net.v2', [k('test_iperf')]: '' });
    expect(r).toEqual({ ok: true, value: { scenario: 'east-1', configMap: 'net.v2', tests: ['iperf'] } });
  });

  it('lists tests in a fixed order whatever the key order', () => {
    const r = parseNodeAnnotations(pod, { [k('test_udp')]: '', [k('test_iperf')]: '', [k('test_icmp')]: '' });
    expect(r.ok && r.value.tests).toEqual(['icmp', 'udp', 'iperf']);
  });

  it('names the pod, the key and the value in every error', () => {
    const [err] = errorsOf({ [k('num_vms')]: '5abc' });
    expect(err).toBeInstanceOf(AnnotationError);
    expect(err.pod).toEqual(pod);
    expect(err.key).toBe('meraksim.com/num_vms');
    expect(err.value).toBe('5abc');
    expect(err.message).toBe(
      'pod lab/agent-0: annotation meraksim.com/num_vms="5abc" is invalid: must be a whole number written with digits only (no sign, blanks, exponent, fraction or leading zero)',
    );
  });

  it.each([
    ['num_vms', '-1'],
    ['num_vms', '1e9'],
    ['num_vms', '+5'],
    ['num_vms', ' 5'],
    ['num_vms', ''],
    ['num_vms', '100001'],
    ['endpoints_per_vm', '0'],
    ['endpoints_per_vm', '2.5'],
    ['test_icmp', 'yes'],
    ['test_tcp', '1'],
    ['test_udp', 'TRUE'],
    ['test_iperf', 'no'],
    ['scenario', ''],
    ['scenario', 'East'],
    ['scenario', '-east'],
    ['scenario', 'a'.repeat(33)],
    ['scenario', 'a/b'],
    ['configmap', ''],
    ['configmap', 'Net'],
    ['configmap', 'net..v2'],
    ['configmap', 'a'.repeat(254)],
  ])('refuses %s=%j', (key, value) => {
    const errs = errorsOf({ [k(key)]: value });
    expect(errs).toHaveLength(1);
    expect(errs[0].key).toBe(k(key));
    expect(errs[0].value).toBe(value);
  });

  it('refuses unknown meraksim.com keys (typos) and lists the known ones', () => {
    const [err] = errorsOf({ [k('num_vm')]: '5' });
    expect(err.key).toBe('meraksim.com/num_vm');
    expect(err.rule).toContain('unknown key');
    for (const key of ANNOTATION_KEYS) expect(err.rule).toContain(k(key));
  });

  it('reports every problem at once, sorted by key', () => {
    const errs = errorsOf({ [k('test_udp')]: 'yes', [k('num_vms')]: '-1', [k('bogus')]: '' });
    expect(errs.map((e) => e.key)).toEqual(['meraksim.com/bogus', 'meraksim.com/num_vms', 'meraksim.com/test_udp']);
  });

  it('caps VMs × endpoints on one node', () => {
    expect(parseNodeAnnotations(pod, { [k('num_vms')]: '10000', [k('endpoints_per_vm')]: '10' }).ok).toBe(true);
    const errs = errorsOf({ [k('num_vms')]: '10000', [k('endpoints_per_vm')]: '11' });
    expect(errs).toHaveLength(1);
    expect(errs[0].key).toBe('meraksim.com/endpoints_per_vm');
    expect(errs[0].rule).toContain('110000');
  });

  it("takes endpoints_per_vm up to the spec's own limit, MAX_ENDPOINTS_PER_VM, and no further", () => {
    expect(parseNodeAnnotations(pod, { [k('endpoints_per_vm')]: String(MAX_ENDPOINTS_PER_VM) })).toEqual({ ok: true, value: { endpointsPerVm: MAX_ENDPOINTS_PER_VM } });
    for (const value of [String(MAX_ENDPOINTS_PER_VM + 1), '100', String(MAX_PER_NODE)]) {
      const errs = errorsOf({ [k('endpoints_per_vm')]: value });
      expect(errs.map((e) => [e.key, e.rule])).toEqual([[k('endpoints_per_vm'), `must be at most ${MAX_ENDPOINTS_PER_VM}`]]);
    }
  });

  it('does not touch keys of other prefixes', () => {
    expect(parseNodeAnnotations(pod, { 'meraksim.io/num_vms': 'x', 'sub.meraksim.com/num_vms': 'x' })).toEqual({ ok: true, value: {} });
  });
});
