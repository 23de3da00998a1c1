/**
 * `merak plugin conformance` as a user runs it (a real child process) against real plugin servers
 * on loopback: the reference plugin passes every rule; a plugin built with the SDK that breaks
 * chosen rules fails exactly those, each failure naming the rule, the request and the answer;
 * a plugin that is down is an error before anything is sent. Each run leaves nothing behind.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { startReferencePlugin, type RunningReferencePlugin } from '../../src/plugin/reference/server';
import { serveNetworkPlugin, type RunningNetworkPlugin } from '../../src/plugin/sdk';
import { CONFORMANCE_RULES, type ConformanceReport } from '../../src/model/plugin-conformance';
import { referenceHandlers } from '../helpers/conformance-plugins';
import { ruleIds, runConformanceCli } from '../helpers/conformance-cli';

jest.setTimeout(240_000);

const dir = mkdtempSync(join(tmpdir(), 'merak-conformance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the reference plugin', () => {
  let plugin: RunningReferencePlugin;
  beforeAll(async () => {
    plugin = await startReferencePlugin({ port: 0 });
    // Another scenario's objects, which the suite must neither change nor delete.
    plugin.state.createVpc({ id: 'vpc-blue', vni: 1001, ip: '10.10.0.0', prefix: 16, scenario: 'demo' });
    plugin.state.createSubnet({ id: 'blue-1', vpc: 'vpc-blue', vni: 0, ip: '10.10.1.0', prefix: 24, scenario: 'demo' });
    plugin.state.createNode({ name: 'node-a.demo', ip: '100.64.0.2', mac: '02:00:00:00:00:02', scenario: 'demo' });
  });
  afterAll(() => plugin?.close());

  test('passes every rule (-o json, --junit), leaving the other scenario\'s objects as they were and nothing of its own', async () => {
    const before = plugin.state.snapshot();
    const junit = join(dir, 'reference.xml');
    const run = await runConformanceCli(['--address', plugin.address, '-o', 'json', '--junit', junit, '--prefix', 'mkc-itest']);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.stringContaining(`checking the plugin at ${plugin.address} with objects mkc-itest-*`) });
    const report = JSON.parse(run.stdout) as ConformanceReport;
    expect(ruleIds(report, 'fail')).toEqual([]);
    expect(ruleIds(report, 'skip')).toEqual([]);
    expect(ruleIds(report, 'pass')).toEqual(CONFORMANCE_RULES.map((r) => r.id));
    const after = plugin.state.snapshot();
    expect({ vpcs: after.vpcs, subnets: after.subnets, nodes: after.nodes }).toEqual({ vpcs: before.vpcs, subnets: before.subnets, nodes: before.nodes });
    expect(after.revision).toBeGreaterThan(before.revision); // it did make (and remove) objects of its own

    const xml = new XMLParser({ ignoreAttributes: false }).parse(readFileSync(junit, 'utf8')) as { testsuites: { testsuite: { '@_tests': string; '@_failures': string; testcase: unknown[] } } };
    expect(xml.testsuites.testsuite['@_tests']).toBe(String(CONFORMANCE_RULES.length));
    expect(xml.testsuites.testsuite['@_failures']).toBe('0');
    expect(xml.testsuites.testsuite.testcase).toHaveLength(CONFORMANCE_RULES.length);
  });

  test('human output: one PASS line per rule and the count line', async () => {
    const run = await runConformanceCli(['--address', plugin.address]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.filter((l) => /^PASS {2}/.test(l))).toHaveLength(CONFORMANCE_RULES.length);
    expect(lines.at(-1)).toBe(`${CONFORMANCE_RULES.length} passed, 0 failed, 0 skipped`);
    expect(plugin.state.snapshot().vpcs.map((v) => v.id)).toEqual(['vpc-blue']);
  });
});

describe('a deliberately broken plugin built with the SDK', () => {
  let server: RunningNetworkPlugin;
  let state: ReturnType<typeof referenceHandlers>['state'];
  beforeAll(async () => {
    const broken = referenceHandlers(['node-create-not-idempotent', 'subnet-conflict-ok', 'vpc-delete-missing-fails', 'vpc-vni-zero-accepted']);
    state = broken.state;
    server = await serveNetworkPlugin(broken.handlers, { port: 0, stateHandler: broken.stateHandler });
  });
  afterAll(() => server?.close());

  test('fails exactly the rules it breaks, naming rule, request and answer, exits 1, and is cleaned up all the same', async () => {
    const junit = join(dir, 'broken.xml');
    const run = await runConformanceCli(['--address', server.address, '--junit', junit, '--prefix', 'mkc-broken']);
    expect(run.code).toBe(1);
    const fails = run.stdout.split('\n').filter((l) => l.startsWith('FAIL')).map((l) => l.split(/\s+/)[1]);
    expect(fails).toEqual(['vpc.delete.missing', 'vpc.create.invalid.vni-zero', 'subnet.create.conflict', 'node.create.idempotent', 'vpc.delete.removes']);
    expect(run.stdout).toMatch(/^FAIL {2}vpc\.delete\.missing +DeleteVpc of a VPC that never existed succeeds\n {6}why: +answered NOT_FOUND; expected OK\n {6}request: +DeleteVpc \{"id":"mkc-broken-missing","scenario":"mkc-broken"\}\n {6}answer: +NOT_FOUND: id: mkc-broken-missing names no VPC\n {6}rule: +network_plugin\.proto \(idempotent delete\)$/m);
    expect(run.stdout).toMatch(/^FAIL {2}node\.create\.idempotent .*\n {6}why: +answered ALREADY_EXISTS; expected OK with the node the first CreateNode answered\n {6}request: +CreateNode \{"node":\{"ip":"100\.[\d.]+","mac":"02:[0-9a-f:]+","name":"mkc-broken-node-1",/m);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe(`${CONFORMANCE_RULES.length - 5} passed, 5 failed, 0 skipped`);
    const s = state.snapshot();
    expect([s.vpcs, s.subnets, s.nodes]).toEqual([[], [], []]);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(/<testsuite [^>]*failures="5"/);
    expect(xml).toMatch(/<failure message="answered OK; expected INVALID_ARGUMENT" type="rule-broken">/);
  });
});

test('a plugin that is down: exit 2 with the reason, nothing judged', async () => {
  const probe = await serveNetworkPlugin(referenceHandlers().handlers, { port: 0 });
  const address = probe.address;
  await probe.close(); // a port that was just free and nobody listens on now
  const run = await runConformanceCli(['--address', address, '--timeout', '3000']);
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(new RegExp(`the plugin at ${address.replace(/\./g, '\\.')} does not answer \\(GetState: UNAVAILABLE: .*\\); start it first`));
  expect(run.stdout).toBe('');
});
