/**
 * `merak validate` run in-process through commander: no Temporal, no daemons, no root. The built
 * binary (exit codes, `up --dry-run`, `--version`) is tested in test/integration/cli-validate.test.ts.
 */
import { Command } from 'commander';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { register as registerValidate } from '../../src/cli/commands/validate';
import { TABLE_ROWS } from '../../src/cli/plan-output';
import { TEMPORAL_PAYLOAD_LIMIT_BYTES } from '../../src/temporal/payload-size';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'merak-validate-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  process.exitCode = undefined;
});

async function validate(text: string, ...args: string[]): Promise<{ out: string; err: string; code: number }> {
  const file = path.join(dir, 'scenario.yaml');
  writeFileSync(file, text);
  const program = new Command('merak').exitOverride();
  registerValidate(program);
  const out: string[] = [];
  const err: string[] = [];
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (out.push(String(c)), true));
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (err.push(String(c)), true));
  process.exitCode = undefined;
  try {
    await program.parseAsync(['node', 'merak', 'validate', '-f', file, ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  const code = typeof process.exitCode === 'number' ? process.exitCode : 0;
  process.exitCode = undefined;
  return { out: out.join(''), err: err.join(''), code };
}

const good = `name: demo
plugin: { address: 127.0.0.1:50051 }
vpcs:
  - { id: vpc-blue, vni: 1001, cidr: 10.10.0.0/16, subnets: [{ id: blue-1, cidr: 10.10.1.0/24 }] }
  - { id: vpc-green, vni: 1002, cidr: 10.20.0.0/16, subnets: [{ id: green-1, cidr: 10.20.1.0/24 }] }
nodes: [node-a, { name: node-b, ip: 100.64.0.50 }]
vmsPerNode: 3
`;

describe('merak validate', () => {
  it('prints the plan of a good file and exits 0', async () => {
    const r = await validate(good);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toContain('scenario demo is valid; nothing was started');
    expect(r.out).toContain('2 nodes, 6 VMs, 6 endpoints in 2 VPCs and 2 subnets');
    expect(r.out).toMatch(/node-b\s*│\s*1\s*│\s*100\.64\.0\.50/);
    expect(r.out).toMatch(/blue-1\s*│\s*vpc-blue\s*│\s*10\.10\.1\.0\/24\s*│\s*10\.10\.1\.1\s*│\s*1001/);
    expect(r.out).toContain('What the network plugin is asked for');
  });

  it('marks what the build assigns instead of printing a value it will not have', async () => {
    // No underlay.cidr and no node ip: addresses and MACs come from the scenario number.
    const r = await validate(good.replace('{ name: node-b, ip: 100.64.0.50 }', '{ name: node-b, mac: "02:00:00:00:00:0b" }'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/node-a\s*│\s*0\s*│\s*\(assigned at build\)\s*│\s*\(assigned at build\)\s*│\s*3/);
    expect(r.out).toMatch(/node-b\s*│\s*1\s*│\s*\(assigned at build\)\s*│\s*02:00:00:00:00:0b\s*│/);
    expect(r.out).toContain('underlay 100.(64+n).0.0/16 (assigned at build): n is the scenario number');
    expect(r.out).toMatch(/^\(assigned at build\): the build first claims a scenario number n/m);
    // The plugin is asked for the nodes by their names there, with the same marks.
    expect(r.out).toMatch(/node\s*│\s*node-a\.demo\s*│.*\(assigned at build\)\s*│\s*\(assigned at build\)/);
    // No derived MAC or default-underlay address is printed as if it were known.
    expect(r.out).not.toMatch(/[0-9a-f]{2}:00:0[01]:ff:ff:ff/);
    expect(r.out).not.toMatch(/100\.64\.0\.[12]\b/);
    // A spec that fixes them: nothing is marked.
    const fixed = await validate(good.replace('nodes: [', 'underlay: { cidr: 100.70.0.0/24 }\nnodes: [').replace('{ name: node-b, ip: 100.64.0.50 }', '{ name: node-b, mac: "02:00:00:00:00:0b" }').replace('node-a,', '{ name: node-a, mac: "02:00:00:00:00:0a" },'));
    expect(fixed.code).toBe(0);
    expect(fixed.out).not.toContain('assigned at build');
    expect(fixed.out).toMatch(/node-a\s*│\s*0\s*│\s*100\.70\.0\.1\s*│\s*02:00:00:00:00:0a/);
  });

  it('-o json: the whole plan for CI', async () => {
    const r = await validate(good, '-o', 'json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { valid: boolean; inputBytes: number; limitBytes: number; plan: { nodes: { name: string; ip: string; vms: number }[]; subnets: { id: string; nodes: { node: string; runs: { first: string; last: string; count: number }[] }[] }[]; plugin: { nodes: unknown[] } } };
    expect(doc.valid).toBe(true);
    expect(doc.limitBytes).toBe(TEMPORAL_PAYLOAD_LIMIT_BYTES);
    expect(doc.inputBytes).toBeGreaterThan(100);
    expect(doc.plan.nodes.map((n) => [n.name, n.ip, n.vms])).toEqual([
      ['node-a', '100.64.0.1', 3],
      ['node-b', '100.64.0.50', 3],
    ]);
    const runs = doc.plan.subnets.flatMap((s) => s.nodes.flatMap((n) => n.runs.map((x) => x.count)));
    expect(runs.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(6);
    expect(doc.plan.plugin.nodes).toHaveLength(2);
  });

  it('refuses a bad file with every issue (field, value, rule) and exits 1', async () => {
    const bad = good
      .replace('10.10.0.0/16', '169.254.0.0/16')
      .replace('10.10.1.0/24', '169.254.1.0/24')
      .replace('ip: 100.64.0.50', 'ip: 100.64.0.1, mac: "00:00:00:00:00:00"');
    const r = await validate(bad);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain('is not a valid scenario (4 issues)');
    expect(r.err).toContain('vpcs[0].cidr: value "169.254.0.0/16" overlaps 169.254.0.0/16 (Link Local, RFC 3927)');
    expect(r.err).toContain('vpcs[0].subnets[0].cidr: value "169.254.1.0/24" overlaps 169.254.0.0/16');
    expect(r.err).toContain('nodes[1].ip: value "100.64.0.1" is the address Merak gives nodes[0] (node-a)');
    expect(r.err).toContain('nodes[1].mac: value "00:00:00:00:00:00" is the all-zero MAC');
  });

  it('-o json on a bad file: the issues on stdout, exit 1', async () => {
    const r = await validate(good.replace('vmsPerNode: 3', 'vmsPerNode: 010\nseed: 1:20'), '-o', 'json');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out) as { valid: boolean; issues: { path: string; value: unknown; rule: string }[] };
    expect(doc.valid).toBe(false);
    expect(doc.issues.map((i) => [i.path, i.value])).toEqual([
      ['vmsPerNode', '010'],
      ['seed', '1:20'],
      ['seed', '1:20'], // and the spec's own rule: a seed is a number
    ]);
  });

  it('field and cross-field issues in one run: a field error does not hide a subnet outside its VPC, a duplicate node or a local address', async () => {
    const both = good
      .replace('vmsPerNode: 3', 'vmsPerNode: many')
      .replace('10.20.1.0/24', '10.30.1.0/24')
      .replace('nodes: [node-a, { name: node-b, ip: 100.64.0.50 }]', 'nodes: [node-a, { name: node-a, ip: 10.244.1.7 }]');
    const r = await validate(both, '-o', 'json');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out) as { issues: { path: string; value: unknown; rule: string; message: string }[] };
    expect(doc.issues.map((i) => i.message)).toEqual([
      'vmsPerNode: value "many" must be of type number',
      `vpcs[1].subnets[0].cidr: value "10.30.1.0/24" is not inside its VPC's CIDR 10.20.0.0/16`,
      'nodes[1].name: value "node-a" duplicates nodes[0].name',
      expect.stringMatching(/^nodes\[1\]\.ip: value "10\.244\.1\.7" is outside underlay\.cidr 100\.64\.0\.0\/16/),
    ]);
    // --no-local: the same minus the local-address rule.
    const pods = await validate(both, '-o', 'json', '--no-local');
    expect((JSON.parse(pods.out) as { issues: { path: string }[] }).issues.map((i) => i.path)).toEqual(['vmsPerNode', 'vpcs[1].subnets[0].cidr', 'nodes[1].name']);
  });

  it('local nodes (default) need their address inside the underlay; --no-local does not', async () => {
    const outside = good.replace('ip: 100.64.0.50', 'ip: 10.244.1.7');
    const local = await validate(outside);
    expect(local.code).toBe(1);
    expect(local.err).toContain('nodes[1].ip: value "10.244.1.7" is outside underlay.cidr 100.64.0.0/16');
    const pods = await validate(outside, '--no-local');
    expect(pods.code).toBe(0);
  });

  it("refuses a scenario above Temporal's payload limit, naming its size and the limit", async () => {
    // 600 nodes with 4 KB of optional data each: about 2.4 MB of workflow input.
    const nodes = Array.from({ length: 600 }, (_, i) => `  - { name: n${i}, optional: { blob: "${'x'.repeat(4000)}" } }`).join('\n');
    const big = good.replace('nodes: [node-a, { name: node-b, ip: 100.64.0.50 }]', `nodes:\n${nodes}`).replace('vmsPerNode: 3', 'vmsPerNode: 0');
    const r = await validate(big);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`\\(scenario\\): value \\d+ bytes as a workflow input \\(2\\.\\d\\d MiB\\) is above Temporal's payload limit of ${TEMPORAL_PAYLOAD_LIMIT_BYTES} bytes`));
  });

  it(`shows at most ${TABLE_ROWS} rows per table and says how many more`, async () => {
    const r = await validate(good.replace('nodes: [node-a, { name: node-b, ip: 100.64.0.50 }]', 'nodes: 60').replace('vmsPerNode: 3', 'vmsPerNode: 1'));
    expect(r.code).toBe(0);
    expect(r.out).toContain(`… and ${60 - TABLE_ROWS} more nodes (all of them with -o json)`);
    const nodesTable = r.out.slice(r.out.indexOf('Nodes'), r.out.indexOf('Addresses each subnet'));
    expect(nodesTable).toContain('node-50 ');
    expect(nodesTable).not.toContain('node-51 ');
  });

  it('a file that is not YAML, or missing, is one issue in the same shape', async () => {
    const r = await validate('plugin: [unclosed', '-o', 'json');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out) as { issues: { path: string; rule: string }[] };
    expect(doc.issues).toHaveLength(1);
    expect(doc.issues[0]!.path).toBe('(file)');
    expect(doc.issues[0]!.rule).toContain('is not valid YAML/JSON');
  });
});
