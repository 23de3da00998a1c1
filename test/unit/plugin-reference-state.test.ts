import { PluginError, Status } from '../../src/plugin/errors';
import { ReferencePluginState } from '../../src/plugin/reference/state';
import { checkMac } from '../../src/plugin/reference/validate';

/** Runs fn and returns the PluginError it throws; fails the test when it throws nothing or something else. */
function refusal(fn: () => unknown): PluginError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PluginError) return err;
    throw new Error(`expected a PluginError, got ${String(err)}`);
  }
  throw new Error('expected a PluginError, nothing was thrown');
}

const vpc = (over: Record<string, unknown> = {}) => ({ vni: 100, id: 'vpc-a', ip: '10.0.0.0', prefix: 16, optional: {}, scenario: '', ...over });
const subnet = (over: Record<string, unknown> = {}) => ({ vni: 0, id: 'sn-1', vpc: 'vpc-a', ip: '10.0.1.0', prefix: 24, optional: {}, scenario: '', ...over });
const node = (over: Record<string, unknown> = {}) => ({ name: 'node-1', ip: '192.168.0.1', mac: '02:00:00:00:00:01', optional: {}, scenario: '', ...over });

function withVpc(): ReferencePluginState {
  const s = new ReferencePluginState();
  s.createVpc(vpc());
  return s;
}

describe('VPC', () => {
  it('creates and returns the VPC as held', () => {
    const s = new ReferencePluginState();
    expect(s.createVpc(vpc({ optional: { owner: 'team' } }))).toEqual(vpc({ optional: { owner: 'team' } }));
    expect(s.snapshot().vpcs).toEqual([vpc({ optional: { owner: 'team' } })]);
    expect(s.revision).toBe(1);
  });

  it('is idempotent: the same create twice succeeds once and changes nothing', () => {
    const s = withVpc();
    expect(s.createVpc(vpc())).toEqual(vpc());
    expect(s.revision).toBe(1);
    expect(s.snapshot().vpcs).toHaveLength(1);
  });

  it.each([
    ['vni', { vni: 101 }, 'vni held 100, asked 101'],
    ['ip', { ip: '10.1.0.0' }, 'ip held "10.0.0.0", asked "10.1.0.0"'],
    ['prefix', { prefix: 8 }, 'prefix held 16, asked 8'],
    ['optional', { optional: { a: 'b' } }, 'optional held {}, asked {"a":"b"}'],
  ])('the same id with another %s is ALREADY_EXISTS naming the difference', (_f, over, text) => {
    const s = withVpc();
    const e = refusal(() => s.createVpc(vpc(over)));
    expect(e.code).toBe(Status.ALREADY_EXISTS);
    expect(e.message).toContain('vpc "vpc-a" already exists with other fields');
    expect(e.message).toContain(text);
  });

  it.each([
    ['missing VPC', null, 'vpc: is missing'],
    ['VNI 0', vpc({ vni: 0 }), 'vpc.vni: 0 is outside 1..16777215'],
    ['VNI 2^24', vpc({ vni: 16777216 }), 'vpc.vni: 16777216 is outside 1..16777215'],
    ['negative VNI', vpc({ vni: -5 }), 'vpc.vni: -5 is outside'],
    ['fractional VNI', vpc({ vni: 1.5 }), 'vpc.vni: 1.5 is not a whole number'],
    ['VNI as text', vpc({ vni: '7' }), 'vpc.vni: "7" is not a whole number'],
    ['empty id', vpc({ id: '' }), 'vpc.id: "" is empty'],
    ['id with a space', vpc({ id: 'a b' }), 'vpc.id: "a b" contains whitespace'],
    ['id with a newline', vpc({ id: 'a\nb' }), 'contains whitespace or a control character'],
    ['id with a NUL', vpc({ id: 'a\u0000b' }), 'control character'],
    ['id too long', vpc({ id: 'x'.repeat(254) }), 'is 254 characters long, above the limit of 253'],
    ['id not a string', vpc({ id: 5 }), 'vpc.id: 5 is not a string'],
    ['bad ip', vpc({ ip: '10.0.0' }), 'vpc.ip: "10.0.0" is not a dotted IPv4 address'],
    ['ip with an octet over 255', vpc({ ip: '10.0.0.256' }), 'octet 256 is above 255'],
    ['ip is a CIDR', vpc({ ip: '10.0.0.0/16' }), 'vpc.ip: "10.0.0.0/16" is not a dotted IPv4 address'],
    ['empty ip', vpc({ ip: '' }), 'vpc.ip: "" is not a dotted IPv4 address'],
    ['prefix 33', vpc({ prefix: 33 }), 'vpc.prefix: 33 is not a prefix length 0..32'],
    ['prefix negative', vpc({ prefix: -1 }), 'vpc.prefix: -1'],
    ['prefix fractional', vpc({ prefix: 16.5 }), 'vpc.prefix: 16.5'],
    ['host bits set', vpc({ ip: '10.0.0.1' }), '"10.0.0.1/16" is not a network address: host bits must be zero (did you mean 10.0.0.0/16?)'],
    ['optional not a map', vpc({ optional: 'x' }), 'vpc.optional: "x" is not a map of strings'],
    ['optional value not a string', vpc({ optional: { a: 1 } }), 'vpc.optional["a"]: 1 is not a string'],
    ['optional is a list', vpc({ optional: ['a'] }), 'vpc.optional: ["a"] is not a map of strings'],
  ])('refuses %s with INVALID_ARGUMENT naming field, value and rule', (_label, input, text) => {
    const s = new ReferencePluginState();
    const e = refusal(() => s.createVpc(input as never));
    expect(e.code).toBe(Status.INVALID_ARGUMENT);
    expect(e.message).toContain(text);
    expect(s.snapshot().vpcs).toEqual([]);
    expect(s.revision).toBe(0);
  });

  it('accepts the VNI bounds and prefixes 0 and 32', () => {
    const s = new ReferencePluginState();
    expect(s.createVpc(vpc({ id: 'lo', vni: 1 })).vni).toBe(1);
    expect(s.createVpc(vpc({ id: 'hi', vni: 16777215 })).vni).toBe(16777215);
    expect(s.createVpc(vpc({ id: 'all', vni: 2, ip: '0.0.0.0', prefix: 0 })).prefix).toBe(0);
    expect(s.createVpc(vpc({ id: 'one', vni: 3, ip: '10.9.9.9', prefix: 32 })).prefix).toBe(32);
  });

  it('two VPCs cannot share a VNI', () => {
    const s = withVpc();
    const e = refusal(() => s.createVpc(vpc({ id: 'vpc-b', ip: '10.1.0.0' })));
    expect(e.code).toBe(Status.ALREADY_EXISTS);
    expect(e.message).toBe('vpc.vni: 100 is already the VNI of VPC "vpc-a"; two VPCs cannot share a VNI');
  });

  it("a VPC cannot take a VNI held by another VPC's subnet", () => {
    const s = withVpc();
    s.createSubnet(subnet({ vni: 555 }));
    const e = refusal(() => s.createVpc(vpc({ id: 'vpc-b', vni: 555 })));
    expect(e.code).toBe(Status.ALREADY_EXISTS);
    expect(e.message).toContain('555 is already the VNI of subnet "sn-1" of VPC "vpc-a"');
  });

  it('VPCs may overlap in address space (they are isolated)', () => {
    const s = withVpc();
    expect(() => s.createVpc(vpc({ id: 'vpc-b', vni: 200 }))).not.toThrow();
  });

  it('deletes; a missing VPC deletes fine', () => {
    const s = withVpc();
    expect(s.deleteVpc('vpc-a')).toBe(true);
    expect(s.deleteVpc('vpc-a')).toBe(false);
    expect(s.deleteVpc('never-was')).toBe(false);
    expect(s.snapshot().vpcs).toEqual([]);
    expect(s.revision).toBe(2);
  });

  it('refuses to delete a VPC with subnets (FAILED_PRECONDITION listing them)', () => {
    const s = withVpc();
    s.createSubnet(subnet());
    s.createSubnet(subnet({ id: 'sn-2', ip: '10.0.2.0' }));
    const e = refusal(() => s.deleteVpc('vpc-a'));
    expect(e.code).toBe(Status.FAILED_PRECONDITION);
    expect(e.message).toBe('id: VPC "vpc-a" still has 2 subnet(s) ("sn-1", "sn-2"); delete them first');
    expect(s.snapshot().vpcs).toHaveLength(1);
  });

  it('lists at most five subnets in the refusal', () => {
    const s = withVpc();
    for (let i = 0; i < 7; i += 1) s.createSubnet(subnet({ id: `sn-${i}`, ip: `10.0.${i}.0` }));
    expect(refusal(() => s.deleteVpc('vpc-a')).message).toContain('and 2 more');
  });

  it.each([
    ['empty', '', 'id: "" is empty'],
    ['not a string', 3, 'id: 3 is not a string'],
  ])('delete with a %s id is INVALID_ARGUMENT', (_l, id, text) => {
    const e = refusal(() => new ReferencePluginState().deleteVpc(id));
    expect(e.code).toBe(Status.INVALID_ARGUMENT);
    expect(e.message).toContain(text);
  });

  describe('update', () => {
    it('changes VNI, CIDR and optional; returns what is held', () => {
      const s = withVpc();
      const updated = s.updateVpc(vpc({ vni: 300, ip: '10.0.0.0', prefix: 8, optional: { k: 'v' } }));
      expect(updated).toEqual(vpc({ vni: 300, prefix: 8, optional: { k: 'v' } }));
      expect(s.snapshot().vpcs).toEqual([updated]);
      expect(s.revision).toBe(2);
    });
    it('an update with identical fields changes nothing', () => {
      const s = withVpc();
      s.updateVpc(vpc());
      expect(s.revision).toBe(1);
    });
    it('a missing VPC is NOT_FOUND', () => {
      const e = refusal(() => new ReferencePluginState().updateVpc(vpc()));
      expect(e.code).toBe(Status.NOT_FOUND);
      expect(e.message).toContain('vpc.id: "vpc-a" names no VPC');
    });
    it('cannot take the VNI of another VPC', () => {
      const s = withVpc();
      s.createVpc(vpc({ id: 'vpc-b', vni: 200 }));
      expect(refusal(() => s.updateVpc(vpc({ id: 'vpc-b', vni: 100 }))).code).toBe(Status.ALREADY_EXISTS);
    });
    it('cannot change the VNI while the VPC has subnets', () => {
      const s = withVpc();
      s.createSubnet(subnet());
      const e = refusal(() => s.updateVpc(vpc({ vni: 101 })));
      expect(e.code).toBe(Status.FAILED_PRECONDITION);
      expect(e.message).toContain('cannot change VPC "vpc-a" from VNI 100 to 101 while it has subnets ("sn-1")');
    });
    it('cannot shrink below a subnet, may grow', () => {
      const s = withVpc();
      s.createSubnet(subnet({ ip: '10.0.200.0' }));
      const e = refusal(() => s.updateVpc(vpc({ prefix: 17 })));
      expect(e.code).toBe(Status.FAILED_PRECONDITION);
      expect(e.message).toContain('10.0.0.0/17 would no longer contain subnet "sn-1" (10.0.200.0/24)');
      expect(s.updateVpc(vpc({ prefix: 12 })).prefix).toBe(12);
    });
    it('validates fields like create', () => {
      const s = withVpc();
      expect(refusal(() => s.updateVpc(vpc({ vni: 0 }))).code).toBe(Status.INVALID_ARGUMENT);
      expect(refusal(() => s.updateVpc(vpc({ ip: '10.0.0.5' }))).code).toBe(Status.INVALID_ARGUMENT);
    });
  });
});

describe('subnet', () => {
  it('creates inside its VPC and inherits the VPC VNI when asked with 0', () => {
    const s = withVpc();
    expect(s.createSubnet(subnet())).toEqual(subnet({ vni: 100 }));
  });

  it('keeps an explicit VNI', () => {
    const s = withVpc();
    expect(s.createSubnet(subnet({ vni: 777 })).vni).toBe(777);
  });

  it('is idempotent, whether asked with 0 or with the VNI in force', () => {
    const s = withVpc();
    s.createSubnet(subnet());
    expect(s.createSubnet(subnet()).vni).toBe(100);
    expect(s.createSubnet(subnet({ vni: 100 })).vni).toBe(100);
    expect(s.revision).toBe(2);
  });

  it.each([
    ['CIDR', { ip: '10.0.2.0' }, 'ip held "10.0.1.0", asked "10.0.2.0"'],
    ['VNI', { vni: 101 }, 'vni held 100, asked 101'],
    ['optional', { optional: { x: 'y' } }, 'optional held {}, asked {"x":"y"}'],
    ['VPC', { vpc: 'vpc-b' }, 'vpc held "vpc-a", asked "vpc-b"'],
  ])('the same id with another %s is ALREADY_EXISTS', (_l, over, text) => {
    const s = withVpc();
    s.createVpc(vpc({ id: 'vpc-b', vni: 200 }));
    s.createSubnet(subnet());
    const e = refusal(() => s.createSubnet(subnet(over)));
    expect(e.code).toBe(Status.ALREADY_EXISTS);
    expect(e.message).toContain(text);
  });

  it("a subnet of a missing VPC is FAILED_PRECONDITION", () => {
    const s = new ReferencePluginState();
    const e = refusal(() => s.createSubnet(subnet()));
    expect(e.code).toBe(Status.FAILED_PRECONDITION);
    expect(e.message).toBe('subnet.vpc: "vpc-a" names no VPC; create the VPC before its subnets');
  });

  it.each([
    ['missing subnet', null, 'subnet: is missing'],
    ['empty id', subnet({ id: '' }), 'subnet.id: "" is empty'],
    ['empty vpc', subnet({ vpc: '' }), 'subnet.vpc: "" is empty'],
    ['VNI 2^24', subnet({ vni: 16777216 }), 'subnet.vni: 16777216 is outside 1..16777215 (or 0 for the VPC\'s VNI)'],
    ['negative VNI', subnet({ vni: -1 }), 'subnet.vni: -1 is outside'],
    ['fractional VNI', subnet({ vni: 2.5 }), 'subnet.vni: 2.5 is not a whole number'],
    ['bad ip', subnet({ ip: '10.0.1' }), 'subnet.ip: "10.0.1" is not a dotted IPv4 address'],
    ['leading-zero ip', subnet({ ip: '10.0.01.0' }), 'without leading zeros'],
    ['prefix 40', subnet({ prefix: 40 }), 'subnet.prefix: 40 is not a prefix length 0..32'],
    ['host bits set', subnet({ ip: '10.0.1.7' }), 'did you mean 10.0.1.0/24?'],
    ['outside its VPC', subnet({ ip: '10.1.0.0' }), 'subnet.ip/subnet.prefix: 10.1.0.0/24 is not inside VPC "vpc-a" (10.0.0.0/16)'],
    ['larger than its VPC', subnet({ ip: '10.0.0.0', prefix: 15 }), '10.0.0.0/15 is not inside VPC "vpc-a"'],
    ['straddling its VPC edge', subnet({ ip: '9.255.255.0', prefix: 24 }), 'is not inside VPC'],
    ['optional value not a string', subnet({ optional: { a: null } }), 'subnet.optional["a"]: null is not a string'],
  ])('refuses %s with INVALID_ARGUMENT', (_l, input, text) => {
    const s = withVpc();
    const e = refusal(() => s.createSubnet(input as never));
    expect(e.code).toBe(Status.INVALID_ARGUMENT);
    expect(e.message).toContain(text);
    expect(s.snapshot().subnets).toEqual([]);
  });

  it.each([
    ['the same CIDR', '10.0.1.0', 24],
    ['a CIDR inside it', '10.0.1.128', 25],
    ['a CIDR around it', '10.0.0.0', 23],
    ['the whole VPC', '10.0.0.0', 16],
    ['one address of it', '10.0.1.255', 32],
  ])('refuses a subnet overlapping another of the VPC: %s', (_l, ip, prefix) => {
    const s = withVpc();
    s.createSubnet(subnet());
    const e = refusal(() => s.createSubnet(subnet({ id: 'sn-2', ip, prefix })));
    expect(e.code).toBe(Status.ALREADY_EXISTS);
    expect(e.message).toContain(`${ip}/${prefix} overlaps subnet "sn-1" (10.0.1.0/24) of VPC "vpc-a"`);
  });

  it('accepts adjacent subnets and same CIDRs in different VPCs', () => {
    const s = withVpc();
    s.createVpc(vpc({ id: 'vpc-b', vni: 200 }));
    s.createSubnet(subnet());
    expect(() => s.createSubnet(subnet({ id: 'sn-2', ip: '10.0.0.0', prefix: 24 }))).not.toThrow();
    expect(() => s.createSubnet(subnet({ id: 'sn-3', ip: '10.0.2.0', prefix: 23 }))).not.toThrow();
    expect(() => s.createSubnet(subnet({ id: 'sn-b', vpc: 'vpc-b' }))).not.toThrow();
    expect(s.snapshot().subnets.map((x) => `${x.id}:${x.vni}`)).toEqual(['sn-1:100', 'sn-2:100', 'sn-3:100', 'sn-b:200']);
  });

  it.each([
    ['the VNI of another VPC', 200, 'subnet.vni: 200 is already the VNI of VPC "vpc-b"'],
    ['the VNI of a subnet of another VPC', 900, 'subnet.vni: 900 is already the VNI of subnet "sn-b" of VPC "vpc-b"'],
  ])('refuses %s (ALREADY_EXISTS)', (_l, vni, text) => {
    const s = withVpc();
    s.createVpc(vpc({ id: 'vpc-b', vni: 200 }));
    s.createSubnet(subnet({ id: 'sn-b', vpc: 'vpc-b', vni: 900 }));
    const e = refusal(() => s.createSubnet(subnet({ vni })));
    expect(e.code).toBe(Status.ALREADY_EXISTS);
    expect(e.message).toContain(text);
  });

  it('subnets of one VPC may share an explicit VNI', () => {
    const s = withVpc();
    s.createSubnet(subnet({ vni: 900 }));
    expect(s.createSubnet(subnet({ id: 'sn-2', ip: '10.0.2.0', vni: 900 })).vni).toBe(900);
  });

  it('deletes; a missing subnet deletes fine; then the VPC can go', () => {
    const s = withVpc();
    s.createSubnet(subnet());
    expect(s.deleteSubnet('sn-1')).toBe(true);
    expect(s.deleteSubnet('sn-1')).toBe(false);
    expect(s.deleteVpc('vpc-a')).toBe(true);
    expect(s.snapshot()).toMatchObject({ vpcs: [], subnets: [] });
  });

  describe('update', () => {
    it('changes CIDR, VNI and optional', () => {
      const s = withVpc();
      s.createSubnet(subnet());
      expect(s.updateSubnet(subnet({ ip: '10.0.4.0', prefix: 22, vni: 0, optional: { a: 'b' } }))).toEqual(
        subnet({ ip: '10.0.4.0', prefix: 22, vni: 100, optional: { a: 'b' } }),
      );
      expect(s.updateSubnet(subnet({ ip: '10.0.4.0', prefix: 22, vni: 4000, optional: { a: 'b' } })).vni).toBe(4000);
    });
    it('a missing subnet is NOT_FOUND', () => {
      const s = withVpc();
      expect(refusal(() => s.updateSubnet(subnet())).code).toBe(Status.NOT_FOUND);
    });
    it('cannot move to another VPC', () => {
      const s = withVpc();
      s.createVpc(vpc({ id: 'vpc-b', vni: 200 }));
      s.createSubnet(subnet());
      const e = refusal(() => s.updateSubnet(subnet({ vpc: 'vpc-b' })));
      expect(e.code).toBe(Status.INVALID_ARGUMENT);
      expect(e.message).toContain('a subnet cannot move between VPCs');
    });
    it('cannot leave its VPC nor overlap a sibling, but may keep its own range', () => {
      const s = withVpc();
      s.createSubnet(subnet());
      s.createSubnet(subnet({ id: 'sn-2', ip: '10.0.2.0' }));
      expect(refusal(() => s.updateSubnet(subnet({ ip: '10.5.0.0' }))).code).toBe(Status.INVALID_ARGUMENT);
      expect(refusal(() => s.updateSubnet(subnet({ ip: '10.0.0.0', prefix: 22 }))).code).toBe(Status.ALREADY_EXISTS);
      expect(s.updateSubnet(subnet({ ip: '10.0.1.0', prefix: 24, optional: { x: '1' } })).optional).toEqual({ x: '1' });
    });
  });
});

describe('node', () => {
  it('creates, normalising the MAC to lower case', () => {
    const s = new ReferencePluginState();
    expect(s.createNode(node({ mac: '02:AB:CD:EF:00:01' }))).toEqual(node({ mac: '02:ab:cd:ef:00:01' }));
  });

  it('is idempotent, whatever the MAC case', () => {
    const s = new ReferencePluginState();
    s.createNode(node({ mac: '02:ab:cd:ef:00:01' }));
    expect(s.createNode(node({ mac: '02:AB:CD:EF:00:01' })).mac).toBe('02:ab:cd:ef:00:01');
    expect(s.revision).toBe(1);
  });

  it.each([
    ['ip', { ip: '192.168.0.2' }, 'ip held "192.168.0.1", asked "192.168.0.2"'],
    ['mac', { mac: '02:00:00:00:00:02' }, 'mac held "02:00:00:00:00:01", asked "02:00:00:00:00:02"'],
    ['optional', { optional: { zone: 'b' } }, 'optional held {}'],
  ])('the same name with another %s is ALREADY_EXISTS', (_l, over, text) => {
    const s = new ReferencePluginState();
    s.createNode(node());
    const e = refusal(() => s.createNode(node(over)));
    expect(e.code).toBe(Status.ALREADY_EXISTS);
    expect(e.message).toContain('node "node-1" already exists with other fields');
    expect(e.message).toContain(text);
  });

  it.each([
    ['missing node', null, 'node: is missing'],
    ['empty name', node({ name: '' }), 'node.name: "" is empty'],
    ['name with a tab', node({ name: 'a\tb' }), 'node.name: "a\\tb" contains whitespace'],
    ['name not a string', node({ name: undefined }), 'node.name: undefined is not a string'],
    ['bad ip', node({ ip: '192.168.0.300' }), 'node.ip: "192.168.0.300" is not a dotted IPv4 address (octet 300 is above 255)'],
    ['empty ip', node({ ip: '' }), 'node.ip: "" is not a dotted IPv4 address'],
    ['ip with a prefix', node({ ip: '192.168.0.1/24' }), 'node.ip: "192.168.0.1/24"'],
    ['empty mac', node({ mac: '' }), 'node.mac: "" is not a MAC address'],
    ['short mac', node({ mac: '02:00:00:00:01' }), 'six colon-separated hex octets'],
    ['dashed mac', node({ mac: '02-00-00-00-00-01' }), 'six colon-separated hex octets'],
    ['mac with a non-hex digit', node({ mac: '02:00:00:00:00:0g' }), 'six colon-separated hex octets'],
    ['mac with one-digit octets', node({ mac: '2:0:0:0:0:1' }), 'six colon-separated hex octets'],
    ['all-zero mac', node({ mac: '00:00:00:00:00:00' }), 'is the all-zero MAC'],
    ['multicast mac', node({ mac: '01:00:5e:00:00:01' }), 'is a multicast or broadcast MAC'],
    ['broadcast mac', node({ mac: 'ff:ff:ff:ff:ff:ff' }), 'is a multicast or broadcast MAC'],
    ['mac not a string', node({ mac: 42 }), 'node.mac: 42 is not a string'],
  ])('refuses %s with INVALID_ARGUMENT', (_l, input, text) => {
    const s = new ReferencePluginState();
    const e = refusal(() => s.createNode(input as never));
    expect(e.code).toBe(Status.INVALID_ARGUMENT);
    expect(e.message).toContain(text);
    expect(s.snapshot().nodes).toEqual([]);
  });

  it.each([
    ['IP', { name: 'node-2', mac: '02:00:00:00:00:02' }, 'node.ip: "192.168.0.1" is already the address of node "node-1"'],
    ['MAC', { name: 'node-2', ip: '192.168.0.2', mac: '02:00:00:00:00:01' }, 'node.mac: "02:00:00:00:00:01" is already the MAC of node "node-1"'],
    ['MAC in other case', { name: 'node-2', ip: '192.168.0.2', mac: '02:00:00:00:00:01'.toUpperCase() }, 'is already the MAC of node "node-1"'],
  ])('two nodes cannot share an %s', (_l, over, text) => {
    const s = new ReferencePluginState();
    s.createNode(node());
    const e = refusal(() => s.createNode(node(over)));
    expect(e.code).toBe(Status.ALREADY_EXISTS);
    expect(e.message).toContain(text);
  });

  it('update changes IP/MAC and frees the old ones; missing node is NOT_FOUND', () => {
    const s = new ReferencePluginState();
    s.createNode(node());
    expect(s.updateNode(node({ ip: '192.168.0.9', mac: '02:00:00:00:00:09' }))).toEqual(node({ ip: '192.168.0.9', mac: '02:00:00:00:00:09' }));
    expect(() => s.createNode(node({ name: 'node-2' }))).not.toThrow();
    expect(refusal(() => s.updateNode(node({ name: 'ghost' }))).code).toBe(Status.NOT_FOUND);
    expect(refusal(() => s.updateNode(node({ ip: '192.168.0.1' }))).code).toBe(Status.ALREADY_EXISTS);
  });

  it('deletes; a missing node deletes fine; its IP and MAC are free again', () => {
    const s = new ReferencePluginState();
    s.createNode(node());
    expect(s.deleteNode('node-1')).toBe(true);
    expect(s.deleteNode('node-1')).toBe(false);
    expect(() => s.createNode(node({ name: 'node-2' }))).not.toThrow();
  });

  it('handles thousands of nodes', () => {
    const s = new ReferencePluginState();
    for (let i = 0; i < 5000; i += 1) {
      s.createNode({ name: `n${i}`, ip: `10.${i >> 8}.${i & 255}.1`, mac: `02:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}` });
    }
    expect(s.snapshot().nodes).toHaveLength(5000);
  });
});

describe('checkMac', () => {
  it.each([
    ['02:00:00:00:00:01', '02:00:00:00:00:01'],
    ['AA:BB:CC:DD:EE:FE', 'aa:bb:cc:dd:ee:fe'],
    ['00:11:22:33:44:55', '00:11:22:33:44:55'],
    ['fe:ff:ff:ff:ff:ff', 'fe:ff:ff:ff:ff:ff'],
  ])('accepts %s as %s', (input, out) => {
    expect(checkMac('mac', input)).toBe(out);
  });
});

describe('snapshot and fromSnapshot', () => {
  function filled(): ReferencePluginState {
    const s = new ReferencePluginState();
    s.createVpc(vpc({ id: 'vpc-b', vni: 200, optional: { k: 'v' } }));
    s.createVpc(vpc());
    s.createSubnet(subnet({ id: 'sn-2', ip: '10.0.2.0' }));
    s.createSubnet(subnet());
    s.createNode(node({ name: 'node-2', ip: '192.168.0.2', mac: '02:00:00:00:00:02' }));
    s.createNode(node());
    return s;
  }

  it('is sorted by key and deep-copied', () => {
    const s = filled();
    const snap = s.snapshot();
    expect(snap.vpcs.map((v) => v.id)).toEqual(['vpc-a', 'vpc-b']);
    expect(snap.subnets.map((v) => v.id)).toEqual(['sn-1', 'sn-2']);
    expect(snap.nodes.map((v) => v.name)).toEqual(['node-1', 'node-2']);
    snap.vpcs[1].optional.k = 'changed';
    expect(s.snapshot().vpcs[1].optional.k).toBe('v');
  });

  it('round-trips through JSON with the revision', () => {
    const s = filled();
    const copy = ReferencePluginState.fromSnapshot(JSON.parse(JSON.stringify(s.snapshot())));
    expect(copy.snapshot()).toEqual(s.snapshot());
    expect(copy.revision).toBe(6);
  });

  it.each([
    ['not an object', 'x', 'state: is not a JSON object'],
    ['null', null, 'state: is not a JSON object'],
    ['an unknown version', { version: 2 }, 'state.version: 2 is not a known state format'],
    ['vpcs not a list', { version: 1, vpcs: {} }, 'state.vpcs: is not a list'],
    ['a bad VPC', { version: 1, vpcs: [vpc({ vni: 0 })] }, 'state.vpcs[0]: vpc.vni: 0 is outside'],
    ['a subnet of a missing VPC', { version: 1, subnets: [subnet()] }, 'state.subnets[0]: subnet.vpc: "vpc-a" names no VPC'],
    ['overlapping subnets', { version: 1, vpcs: [vpc()], subnets: [subnet(), subnet({ id: 'sn-2' })] }, 'state.subnets[1]: subnet.ip/subnet.prefix: 10.0.1.0/24 overlaps'],
    ['a duplicate VNI', { version: 1, vpcs: [vpc(), vpc({ id: 'b' })] }, 'state.vpcs[1]: vpc.vni: 100 is already the VNI'],
    ['a bad node', { version: 1, nodes: [node({ mac: 'ff:ff:ff:ff:ff:ff' })] }, 'state.nodes[0]: node.mac'],
    ['a bad revision', { version: 1, revision: -1 }, 'state.revision: -1 is not a whole number >= 0'],
  ])('refuses %s', (_l, data, text) => {
    expect(() => ReferencePluginState.fromSnapshot(data)).toThrow(text);
  });
});

describe('owners: several scenarios on one plugin', () => {
  const a = { scenario: 'alpha' };
  const b = { scenario: 'beta' };

  it("a Create or Update of another scenario's VPC, subnet or node is ALREADY_EXISTS naming the owner", () => {
    const s = new ReferencePluginState();
    s.createVpc(vpc(a));
    s.createSubnet(subnet(a));
    s.createNode(node(a));
    for (const [what, call] of [
      ['vpc "vpc-a"', () => s.createVpc(vpc(b))],
      ['vpc "vpc-a"', () => s.updateVpc(vpc(b))],
      ['subnet "sn-1"', () => s.createSubnet(subnet(b))],
      ['subnet "sn-1"', () => s.updateSubnet(subnet(b))],
      ['node "node-1"', () => s.createNode(node(b))],
      ['node "node-1"', () => s.updateNode(node(b))],
    ] as const) {
      const e = refusal(call);
      expect(e.code).toBe(Status.ALREADY_EXISTS);
      expect(e.message).toContain(`${what} belongs to scenario "alpha", not to scenario "beta"`);
    }
    // A client without owners (older Merak) does not take over an owned object either.
    expect(refusal(() => s.createVpc(vpc())).message).toContain('vpc "vpc-a" belongs to scenario "alpha"');
    expect(s.revision).toBe(3);
  });

  it("unique values held by another scenario's objects are refused naming that scenario", () => {
    const s = new ReferencePluginState();
    s.createVpc(vpc(a));
    s.createNode(node(a));
    expect(refusal(() => s.createVpc(vpc({ ...b, id: 'vpc-b' }))).message).toBe(
      'vpc.vni: 100 is already the VNI of VPC "vpc-a" of scenario "alpha"; two VPCs cannot share a VNI',
    );
    expect(refusal(() => s.createNode(node({ ...b, name: 'n-b', mac: '02:00:00:00:00:99' }))).message).toContain(
      'node.ip: "192.168.0.1" is already the address of node "node-1" of scenario "alpha"',
    );
    expect(refusal(() => s.createNode(node({ ...b, name: 'n-b', ip: '192.168.0.99' }))).message).toContain(
      'node.mac: "02:00:00:00:00:01" is already the MAC of node "node-1" of scenario "alpha"',
    );
    const e = refusal(() => s.createSubnet(subnet({ ...b, id: 'sn-b' })));
    expect(e.code).toBe(Status.ALREADY_EXISTS);
    expect(e.message).toContain('VPC "vpc-a" belongs to scenario "alpha"');
  });

  it("a Delete naming another scenario leaves the object alone and succeeds; its owner or no name deletes it", () => {
    const s = new ReferencePluginState();
    s.createVpc(vpc(a));
    s.createSubnet(subnet(a));
    s.createNode(node(a));
    expect(s.deleteNode('node-1', 'beta')).toBe(false);
    expect(s.deleteSubnet('sn-1', 'beta')).toBe(false);
    expect(s.deleteVpc('vpc-a', 'beta')).toBe(false);
    expect(s.snapshot().nodes).toHaveLength(1);
    expect(s.snapshot().subnets).toHaveLength(1);
    expect(s.ownerOf('vpc', 'vpc-a')).toBe('alpha');
    expect(s.deleteNode('node-1', 'alpha')).toBe(true);
    expect(s.deleteSubnet('sn-1')).toBe(true);
    expect(s.deleteVpc('vpc-a', 'alpha')).toBe(true);
    expect(s.snapshot()).toEqual({ version: 1, revision: 6, vpcs: [], subnets: [], nodes: [] });
  });

  it('two scenarios hold objects side by side and the owner survives a state file round trip', () => {
    const s = new ReferencePluginState();
    s.createVpc(vpc(a));
    s.createVpc(vpc({ ...b, id: 'vpc-b', vni: 200 }));
    s.createNode(node(a));
    s.createNode(node({ ...b, name: 'node-2', ip: '192.168.0.2', mac: '02:00:00:00:00:02' }));
    const again = ReferencePluginState.fromSnapshot(JSON.parse(JSON.stringify(s.snapshot())));
    expect(again.snapshot()).toEqual(s.snapshot());
    expect(again.snapshot().nodes.map((n) => n.scenario)).toEqual(['alpha', 'beta']);
    // A state file of a version without owners reads as objects without owner.
    const old = ReferencePluginState.fromSnapshot({ version: 1, vpcs: [{ vni: 7, id: 'v', ip: '10.0.0.0', prefix: 8, optional: {} }] });
    expect(old.snapshot().vpcs[0]!.scenario).toBe('');
    expect(refusal(() => s.createVpc(vpc({ id: 'x', vni: 9, scenario: 'has space' }))).message).toContain('vpc.scenario');
  });
});
