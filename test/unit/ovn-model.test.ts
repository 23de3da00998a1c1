import { centralFabricAddress, looksLikeUuid, portAddresses, routerMac, routerPortName, switchRouterPortName } from '../../src/model/ovn';
import { asMap, asOptional, asSet, kv, parseTables, q } from '../../src/dataplane/ovn/ctl';

describe('OVN mapping (pure)', () => {
  test('router port MAC: 0a:58 and the gateway octets, like ovn-kubernetes', () => {
    expect(routerMac('10.0.1.1')).toBe('0a:58:0a:00:01:01');
    expect(routerMac('192.168.255.254')).toBe('0a:58:c0:a8:ff:fe');
    expect(() => routerMac('10.0.1')).toThrow();
  });

  test('router port names carry a colon, which no endpoint id or spec subnet id can', () => {
    expect(routerPortName('blue-1')).toBe('lrp:blue-1');
    expect(switchRouterPortName('blue-1')).toBe('lsp:blue-1:router');
    expect(routerPortName('a')).not.toBe(switchRouterPortName('a'));
  });

  test("the central's fabric address is the underlay's last usable address", () => {
    expect(centralFabricAddress('100.64.0.0/16')).toBe('100.64.255.254');
    expect(centralFabricAddress('10.0.0.0/24')).toBe('10.0.0.254');
  });

  test('UUID-looking names are told apart', () => {
    expect(looksLikeUuid('bd166eb0-d03f-4633-84e6-7ae8f4fe15a5')).toBe(true);
    expect(looksLikeUuid('vpc-blue')).toBe(false);
  });

  test('port addresses drop the prefix length', () => {
    expect(portAddresses('02:00:00:00:00:01', '10.0.1.5/24')).toBe('02:00:00:00:00:01 10.0.1.5');
  });
});

describe('OVSDB tool output and quoting', () => {
  test('values are JSON-quoted so no string changes a command', () => {
    expect(q('a b,c="d"')).toBe('"a b,c=\\"d\\""');
    expect(kv('external_ids', 'merak-id', 'x y')).toBe('external_ids:"merak-id"="x y"');
  });

  test('--format=json tables decode uuids, sets and maps; one document per printing command', () => {
    const out = [
      JSON.stringify({ headings: ['_uuid', 'name', 'ports', 'external_ids', 'tunnel_key'], data: [[['uuid', 'u1'], 'ls1', ['set', [['uuid', 'p1'], ['uuid', 'p2']]], ['map', [['merak-id', 'x']]], 7]] }),
      JSON.stringify({ headings: ['name', 'ports'], data: [['ls2', ['uuid', 'p3']], ['ls3', ['set', []]]] }),
      '',
    ].join('\n');
    const [a, b] = parseTables(out);
    expect(a).toEqual([{ _uuid: 'u1', name: 'ls1', ports: ['p1', 'p2'], external_ids: { 'merak-id': 'x' }, tunnel_key: 7 }]);
    expect(asSet(b![0]!.ports)).toEqual(['p3']);
    expect(asSet(b![1]!.ports)).toEqual([]);
    expect(asMap(a![0]!.external_ids)).toEqual({ 'merak-id': 'x' });
    expect(asOptional(b![1]!.ports)).toBeUndefined();
    expect(asOptional('x')).toBe('x');
  });
});
