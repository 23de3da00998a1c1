/** The OVN benchmark's command line and its reading of `ovsdb-client monitor` lines (bench/ovn-parts.ts). */
import { installedInterfaces, parseArgs } from '../../bench/ovn-parts';

describe('bench:ovn arguments', () => {
  test('defaults are a small run', () => {
    expect(parseArgs([])).toEqual({ chassis: [3], vms: 2, timeoutMs: 30_000, idleS: 10, docs: true });
  });

  test('chassis lists, VMs, timeouts, both flag spellings', () => {
    expect(parseArgs(['--chassis', '10,50', '--vms=5', '--timeout-ms', '60000', '--idle-s=3', '--no-docs'])).toEqual({ chassis: [10, 50], vms: 5, timeoutMs: 60_000, idleS: 3, docs: false });
  });

  test.each([
    [['--chassis', '1'], '--chassis "1": must be a whole number from 2 to 300'],
    [['--chassis', '10,x'], '--chassis "x": must be a whole number from 2 to 300'],
    [['--chassis'], '--chassis "": must be a whole number from 2 to 300'],
    [['--vms', '0'], '--vms "0": must be a whole number from 1 to 200'],
    [['--vms', '2.5'], '--vms "2.5": must be a whole number from 1 to 200'],
    [['--timeout-ms', '10'], '--timeout-ms "10": must be a whole number from 1000 to 600000'],
    [['--nodes', '3'], 'unknown argument "--nodes"'],
  ])('%j is refused naming the flag, the value and the rule', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(message);
  });
});

describe('ovn-installed in ovsdb-client monitor lines', () => {
  // Lines as ovsdb-client 3.1 printed them (--format=json monitor … Interface name,external_ids).
  const insert = '{"data":[["65df0d52-b868-46ca-8d1c-c836d0f785d7","insert","mabcv1e0",["map",[["iface-id","p-1"]]]]],"headings":["row","action","name","external_ids"]}';
  const installed =
    '{"data":[["65df0d52-b868-46ca-8d1c-c836d0f785d7","old",null,["map",[["iface-id","p-1"]]]],["","new","mabcv1e0",["map",[["iface-id","p-1"],["ovn-installed","true"]]]]],"headings":["row","action","name","external_ids"]}';

  test('an insert without the mark gives nothing; the update that adds it gives the interface', () => {
    expect(installedInterfaces(insert)).toEqual([]);
    expect(installedInterfaces(installed)).toEqual(['mabcv1e0']);
  });

  test('the initial table lists every interface already installed', () => {
    const initial = '{"data":[["a","initial","x",["map",[["ovn-installed","true"]]]],["b","initial","y",["map",[]]],["c","initial","z",["map",[["ovn-installed","false"]]]]],"headings":["row","action","name","external_ids"]}';
    expect(installedInterfaces(initial)).toEqual(['x']);
  });

  test('anything else gives nothing', () => {
    for (const line of ['', 'not json', '{}', '{"headings":["row"],"data":[["a"]]}', '{"headings":["name","external_ids"],"data":[["x",["set",[]]]]}', '[1,2]']) {
      expect(installedInterfaces(line)).toEqual([]);
    }
  });
});
