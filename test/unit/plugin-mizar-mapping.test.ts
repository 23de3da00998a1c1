import { PluginError, Status } from '../../src/plugin/errors';
import {
  checkName,
  checkNodeAsk,
  checkSubnetAsk,
  checkSubnetInVpc,
  checkVpcAsk,
  differences,
  dropletResource,
  isManaged,
  MizarShapeError,
  nodeFromResource,
  statusOf,
  subnetFromResource,
  subnetResource,
  vpcFromResource,
  vpcResource,
  type MizarResource,
} from '../../src/plugin/mizar/mapping';

function invalid(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(PluginError);
    expect((err as PluginError).code).toBe(Status.INVALID_ARGUMENT);
    return (err as PluginError).message;
  }
  throw new Error('accepted; should have been refused');
}

describe('checkName (keys become metadata.name)', () => {
  test.each(['a', 'vpc-1', 'blue.1', '0x', 'a'.repeat(253)])('accepts %s', (n) => expect(checkName('vpc.id', n)).toBe(n));
  test.each([
    ['', /is empty/],
    ['Blue', /not a Kubernetes object name/],
    ['a_b', /not a Kubernetes object name/],
    ['-a', /not a Kubernetes object name/],
    ['a-', /not a Kubernetes object name/],
    ['a..b', /not a Kubernetes object name/],
    ['a'.repeat(254), /not a Kubernetes object name/],
    [7, /is not a string/],
  ])('refuses %j', (n, rule) => expect(invalid(() => checkName('vpc.id', n))).toMatch(rule));
});

describe('requests', () => {
  test('a VPC: id, VNI in range, network address', () => {
    const ask = checkVpcAsk({ id: 'blue', vni: 42, ip: '10.1.0.0', prefix: 16, optional: { a: 'b' } });
    expect(ask).toMatchObject({ id: 'blue', vni: 42, cidr: { prefix: 16 }, optional: { a: 'b' } });
    expect(invalid(() => checkVpcAsk(null))).toMatch(/^vpc: is missing/);
    expect(invalid(() => checkVpcAsk({ id: 'blue', vni: 16777216, ip: '10.1.0.0', prefix: 16 }))).toMatch(/vpc\.vni: 16777216 is outside 1\.\.16777215/);
    expect(invalid(() => checkVpcAsk({ id: 'blue', vni: 1, ip: '10.1.0.1', prefix: 16 }))).toMatch(/not a network address/);
    expect(invalid(() => checkVpcAsk({ id: 'blue', vni: 1, ip: '10.1.0.0', prefix: 16, optional: { a: 1 } }))).toMatch(/vpc\.optional\["a"\]: 1 is not a string/);
  });
  test('a subnet: its VNI may be 0 (Mizar copies the VPC\'s) or any valid VNI, and must lie in its VPC', () => {
    expect(checkSubnetAsk({ id: 's', vpc: 'v', vni: 0, ip: '10.1.1.0', prefix: 24 }).id).toBe('s');
    expect(checkSubnetAsk({ id: 's', vpc: 'v', vni: 9, ip: '10.1.1.0', prefix: 24 }).id).toBe('s');
    expect(invalid(() => checkSubnetAsk({ id: 's', vpc: 'V', vni: 0, ip: '10.1.1.0', prefix: 24 }))).toMatch(/subnet\.vpc: "V"/);
    const ask = checkSubnetAsk({ id: 's', vpc: 'v', ip: '10.2.1.0', prefix: 24 });
    const vpc = checkVpcAsk({ id: 'v', vni: 1, ip: '10.1.0.0', prefix: 16 });
    expect(invalid(() => checkSubnetInVpc(ask, 'v', vpc.cidr))).toMatch(/10\.2\.1\.0\/24 is not inside VPC "v" \(10\.1\.0\.0\/16\)/);
  });
  test('a node: unicast MAC, lower-cased; dotted IPv4', () => {
    expect(checkNodeAsk({ name: 'n', ip: '100.64.0.1', mac: '02:AA:00:00:00:01' }).mac).toBe('02:aa:00:00:00:01');
    expect(invalid(() => checkNodeAsk({ name: 'n', ip: '100.64.0.1', mac: '03:00:00:00:00:01' }))).toMatch(/multicast/);
    expect(invalid(() => checkNodeAsk({ name: 'n', ip: '1.2.3', mac: '02:00:00:00:00:01' }))).toMatch(/node\.ip/);
  });
});

describe('resources in Mizar\'s own form', () => {
  test('Vpc, Subnet and Droplet are written in Init with strings where Mizar writes strings, labelled as Merak\'s', () => {
    const vpc = vpcResource(checkVpcAsk({ id: 'blue', vni: 42, ip: '10.1.0.0', prefix: 16, optional: { k: 'v' } }));
    expect(vpc).toMatchObject({ apiVersion: 'mizar.com/v1', kind: 'Vpc', metadata: { name: 'blue' }, spec: { ip: '10.1.0.0', prefix: '16', vni: '42', dividers: 1, status: 'Init' } });
    expect(isManaged(vpc)).toBe(true);
    expect(statusOf(vpc)).toBe('Init');
    const subnet = subnetResource(checkSubnetAsk({ id: 's', vpc: 'blue', ip: '10.1.1.0', prefix: 24 }), '777');
    expect(subnet.spec).toEqual({ ip: '10.1.1.0', prefix: '24', vni: '777', vpc: 'blue', bouncers: 1, status: 'Init' });
    const droplet = dropletResource(checkNodeAsk({ name: 'n', ip: '100.64.0.1', mac: '02:00:00:00:00:01' }));
    expect(droplet.spec).toEqual({ ip: '100.64.0.1', mac: '02:00:00:00:00:01', main_ip: '100.64.0.1', itf: 'eth0', status: 'Init' });
  });

  test('what the operator wrote reads back, strings or numbers alike, with the optional map', () => {
    const held: MizarResource = { ...vpcResource(checkVpcAsk({ id: 'blue', vni: 42, ip: '10.1.0.0', prefix: 16, optional: { k: 'v' } })) };
    held.spec = { ...held.spec, vni: '15654902', status: 'Provisioned' };
    expect(vpcFromResource(held)).toEqual({ id: 'blue', vni: 15654902, ip: '10.1.0.0', prefix: 16, optional: { k: 'v' } });
    held.spec = { ...held.spec, vni: 123, prefix: 16 };
    expect(vpcFromResource(held).vni).toBe(123);
    const s: MizarResource = { metadata: { name: 's' }, spec: { ip: '10.1.1.0', prefix: '24', vni: '9', vpc: 'blue' } };
    expect(subnetFromResource(s)).toEqual({ id: 's', vpc: 'blue', vni: 9, ip: '10.1.1.0', prefix: 24, optional: {} });
    const d: MizarResource = { metadata: { name: 'n', annotations: { 'meraksim.com/optional': 'not json' } }, spec: { ip: '1.2.3.4', mac: '02:AA:00:00:00:01' } };
    expect(nodeFromResource(d)).toEqual({ name: 'n', ip: '1.2.3.4', mac: '02:aa:00:00:00:01', optional: {} });
  });

  test.each([
    [{ vni: '0' }, /spec\.vni "0" is not a whole number 1\.\.16777215/],
    [{ vni: '16777216' }, /spec\.vni/],
    [{ vni: 'x' }, /spec\.vni "x"/],
    [{ vni: null }, /spec\.vni null is not a string or number/],
    [{ prefix: '33' }, /spec\.prefix "33"/],
  ])('a resource of another shape is named with its field: %j', (patch, rule) => {
    const r: MizarResource = { kind: 'Vpc', metadata: { name: 'blue' }, spec: { ip: '10.1.0.0', prefix: '16', vni: '5', ...patch } };
    expect(() => vpcFromResource(r)).toThrow(MizarShapeError);
    expect(() => vpcFromResource(r)).toThrow(rule);
  });

  test('differences compare as Mizar writes (a string "16" equals 16) and list what differs', () => {
    expect(differences({ ip: '10.1.0.0', prefix: '16' }, { ip: '10.1.0.0', prefix: 16 })).toEqual([]);
    expect(differences({ ip: '10.1.0.0', prefix: '16' }, { ip: '10.2.0.0', prefix: 16 })).toEqual(['ip held "10.1.0.0", asked "10.2.0.0"']);
    expect(differences({ optional: { b: '1', a: '2' } }, { optional: { a: '2', b: '1' } })).toEqual([]);
    expect(differences({ optional: {} }, { optional: { a: '2' } })).toHaveLength(1);
  });
});
