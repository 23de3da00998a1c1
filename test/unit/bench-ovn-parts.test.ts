/** The OVN benchmark's command line and its reading of `ovsdb-client monitor` lines (bench/ovn-parts.ts). */
import { installedInterfaces, interfaceRows, logSignals, mergeRuns, parseArgs } from '../../bench/ovn-parts';

describe('bench:ovn arguments', () => {
  test('defaults are a small run', () => {
    expect(parseArgs([])).toEqual({ chassis: [3], vms: 2, timeoutMs: 30_000, idleS: 10, meshTimeoutS: 600, anchorTimeoutS: 180, docs: true, docsOnly: false });
  });

  test('chassis lists, VMs, timeouts, both flag spellings', () => {
    expect(parseArgs(['--chassis', '10,50', '--vms=5', '--timeout-ms', '60000', '--idle-s=3', '--mesh-timeout-s', '900', '--anchor-timeout-s=60', '--no-docs'])).toEqual({
      chassis: [10, 50],
      vms: 5,
      timeoutMs: 60_000,
      idleS: 3,
      meshTimeoutS: 900,
      anchorTimeoutS: 60,
      docs: false,
      docsOnly: false,
    });
    expect(parseArgs(['--docs-only']).docsOnly).toBe(true);
  });

  test.each([
    [['--chassis', '1'], '--chassis "1": must be a whole number from 2 to 300'],
    [['--chassis', '10,x'], '--chassis "x": must be a whole number from 2 to 300'],
    [['--chassis'], '--chassis "": must be a whole number from 2 to 300'],
    [['--vms', '0'], '--vms "0": must be a whole number from 1 to 200'],
    [['--vms', '2.5'], '--vms "2.5": must be a whole number from 1 to 200'],
    [['--timeout-ms', '10'], '--timeout-ms "10": must be a whole number from 1000 to 600000'],
    [['--mesh-timeout-s', '5'], '--mesh-timeout-s "5": must be a whole number from 10 to 3600'],
    [['--anchor-timeout-s', 'x'], '--anchor-timeout-s "x": must be a whole number from 5 to 3600'],
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

describe('Interface rows with type and ofport (tunnels)', () => {
  // As ovsdb-client 3.1 prints them with columns name,type,ofport,external_ids: a tunnel is
  // inserted without an OpenFlow port (the empty set) and gets one when ovs-vswitchd adds it.
  const headings = '"headings":["row","action","name","type","ofport","external_ids"]';
  test('a tunnel inserted without a port, then its port; the old half of an update is skipped', () => {
    const insert = `{"data":[["u1","insert","ovn-n1-0","geneve",["set",[]],["map",[]]]],${headings}}`;
    const update = `{"data":[["u1","old",null,null,["set",[]],null],["","new","ovn-n1-0","geneve",3,["map",[]]]],${headings}}`;
    expect(interfaceRows(insert)).toEqual([{ name: 'ovn-n1-0', action: 'insert', type: 'geneve', installed: false }]);
    expect(interfaceRows(update)).toEqual([{ name: 'ovn-n1-0', action: 'new', type: 'geneve', ofport: 3, installed: false }]);
  });

  test('a deleted row is given with its action, and is never "installed"', () => {
    const del = `{"data":[["u2","delete","mabcv1e0","",5,["map",[["ovn-installed","true"]]]]],${headings}}`;
    expect(interfaceRows(del)).toEqual([{ name: 'mabcv1e0', action: 'delete', type: '', ofport: 5, installed: true }]);
    expect(installedInterfaces(del)).toEqual([]);
  });
});

describe('log signals', () => {
  test('counts the slow-loop and disconnect kinds as OVS 3.1 and OVN 23.03 log them', () => {
    const text = [
      '2026-11-30T19:50:01.123Z|00042|rconn|ERR|br-int<->unix#3: no response to inactivity probe after 5 seconds, disconnecting',
      '2026-11-30T19:50:02.000Z|00043|timeval|WARN|Unreasonably long 2231ms poll interval (1790ms user, 160ms system)',
      '2026-11-30T19:50:02.001Z|00044|poll_loop|INFO|wakeup due to [POLLIN] on fd 12 (<->/run/x/db.sock) at lib/stream-fd.c:157 (91% CPU usage)',
      '2026-11-30T19:50:03.000Z|00045|reconnect|INFO|tcp:100.72.255.254:6642: connected',
      '2026-11-30T19:50:04.000Z|00046|jsonrpc|WARN|tcp:100.72.255.254:6642: receive error: Connection reset by peer',
      '2026-11-30T19:50:05.000Z|00047|reconnect|WARN|tcp:100.72.255.254:6642: connection dropped (Connection reset by peer)',
    ].join('\n');
    const samples: Record<string, string[]> = {};
    expect(logSignals(text, samples, 1)).toEqual({ 'inactivity probe': 1, 'connection dropped': 2, 'unreasonably long poll': 1, 'cpu usage': 1, warn: 3, err: 1 });
    expect(Object.keys(samples).sort()).toEqual(['connection dropped', 'cpu usage', 'err', 'inactivity probe', 'unreasonably long poll']);
    expect(samples['connection dropped']).toEqual([text.split('\n')[0]]);
  });

  test('an empty log has zero of every kind', () => {
    expect(Object.values(logSignals(''))).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

describe('results of several invocations', () => {
  const run = (chassis: number, vmsPerChassis: number, date: string) => ({ chassis, vmsPerChassis, date });
  test('a size measured again replaces its earlier run; other sizes stay; ordered by chassis, then VMs', () => {
    const earlier = [run(10, 5, 'a'), run(50, 5, 'a'), run(100, 10, 'a')];
    expect(mergeRuns(earlier, [run(100, 10, 'b'), run(10, 10, 'b')])).toEqual([run(10, 5, 'a'), run(10, 10, 'b'), run(50, 5, 'a'), run(100, 10, 'b')]);
  });

  test('no earlier file: just the fresh runs', () => {
    expect(mergeRuns([], [run(3, 2, 'x')])).toEqual([run(3, 2, 'x')]);
  });
});
