import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { createNetworkPluginClient } from '../../src/plugin/client';

// The built CLI (`node bin/merak.js`, needs `npm run build`): `plugin serve` as a real process,
// `plugin state` against it, persistence across a restart of the process.

const root = path.resolve(__dirname, '../..');
const merak = path.join(root, 'bin/merak.js');
const run = promisify(execFile);

/** Runs the CLI expecting it to fail; returns its exit code and stderr. */
async function runFailing(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, [merak, ...args], { timeout: 20_000 });
  } catch (err) {
    const e = err as { code?: unknown; stderr?: unknown };
    return { code: typeof e.code === 'number' ? e.code : -1, stderr: String(e.stderr) };
  }
  throw new Error(`merak ${args.join(' ')} succeeded; expected a failure`);
}

interface Served {
  child: ChildProcess;
  port: number;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts `merak plugin serve --port 0 ...` and waits (bounded) for the port it prints on stderr. */
async function serve(args: string[]): Promise<Served> {
  const child = spawn(process.execPath, [merak, 'plugin', 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const m = /listening on 127\.0\.0\.1:(\d+)/.exec(stderr);
    if (m) return { child, port: Number(m[1]), stderr: () => stderr, exited };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`merak plugin serve did not start: ${stderr}`);
}

async function stop(served: Served): Promise<number | null> {
  served.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), 10_000);
  });
  const result = await Promise.race([served.exited, timeout]);
  clearTimeout(timer);
  if (result === 'timeout') {
    served.child.kill('SIGKILL');
    throw new Error('merak plugin serve did not stop within 10 s of SIGTERM');
  }
  return result;
}

describe('merak plugin serve / state (built CLI)', () => {
  let dir: string;
  const children: Served[] = [];

  beforeAll(() => {
    if (!fs.existsSync(path.join(root, 'dist/cli/commands/plugin.js'))) {
      throw new Error('dist/cli/commands/plugin.js is missing: run `npm run build` before the integration tests');
    }
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'merak-plugin-cli-'));
  });
  afterEach(async () => {
    for (const s of children.splice(0)) if (s.child.exitCode === null) await stop(s);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves, prints state as JSON and as tables, keeps it across a restart, stops cleanly on SIGTERM', async () => {
    const stateFile = path.join(dir, 'plugin-state.json');
    const first = await serve(['--state-file', stateFile]);
    children.push(first);
    const address = `127.0.0.1:${first.port}`;
    const client = createNetworkPluginClient(address);
    try {
      await client.createVpc({ vpc: { vni: 5000, id: 'cli-vpc', ip: '10.50.0.0', prefix: 16 } });
      await client.createSubnet({ subnet: { id: 'cli-sn', vpc: 'cli-vpc', ip: '10.50.1.0', prefix: 24 } });
      await client.createNode({ node: { name: 'cli-node', ip: '172.31.0.1', mac: '02:00:00:00:50:01', optional: { rack: 'r1' } } });
    } finally {
      client.close();
    }

    const json = await run(process.execPath, [merak, 'plugin', 'state', '--address', address, '-o', 'json'], { timeout: 20_000 });
    const state = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(state).toEqual({
      vpcs: [{ vni: 5000, id: 'cli-vpc', ip: '10.50.0.0', prefix: 16, optional: {}, scenario: '' }],
      subnets: [{ vni: 5000, id: 'cli-sn', vpc: 'cli-vpc', ip: '10.50.1.0', prefix: 24, optional: {}, scenario: '' }],
      nodes: [{ name: 'cli-node', ip: '172.31.0.1', mac: '02:00:00:00:50:01', optional: { rack: 'r1' }, scenario: '' }],
      revision: 3,
      nodeConfig: {},
    });

    const table = await run(process.execPath, [merak, 'plugin', 'state', '--address', address], { timeout: 20_000 });
    expect(table.stdout).toContain('VPCs: 1');
    expect(table.stdout).toMatch(/cli-vpc\s*│\s*5000\s*│\s*10\.50\.0\.0\/16/);
    expect(table.stdout).toMatch(/cli-node\s*│\s*172\.31\.0\.1\s*│\s*02:00:00:00:50:01\s*│\s*rack=r1/);
    expect(table.stdout).not.toContain('\u001b['); // no colour codes when piped

    expect(await stop(first)).toBe(0);
    expect(first.stderr()).toContain('SIGTERM: shutting down');
    expect(first.stderr()).toContain('CreateVpc cli-vpc vni=5000 10.50.0.0/16');

    const second = await serve(['--state-file', stateFile]);
    children.push(second);
    expect(second.stderr()).toContain('1 VPC(s), 1 subnet(s), 1 node(s), revision 3');
    const again = await run(process.execPath, [merak, 'plugin', 'state', '--address', `127.0.0.1:${second.port}`, '-o', 'json'], { timeout: 20_000 });
    expect(JSON.parse(again.stdout)).toEqual(state);
    expect(await stop(second)).toBe(0);
  }, 60_000);

  it('fails with a clear message and a non-zero exit when no plugin answers or the address is malformed', async () => {
    const down = await runFailing(['plugin', 'state', '--address', '127.0.0.1:1', '--timeout', '3000']);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('GetState on network plugin 127.0.0.1:1 failed with UNAVAILABLE');
    const bad = await runFailing(['plugin', 'state', '--address', 'no-port']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--address must be HOST:PORT (e.g. 127.0.0.1:50051), got "no-port"');
  }, 30_000);

  it('refuses a corrupt state file at start, naming it', async () => {
    const stateFile = path.join(dir, 'bad.json');
    fs.writeFileSync(stateFile, JSON.stringify({ version: 1, nodes: [{ name: 'n', ip: '10.0.0.1', mac: 'ff:ff:ff:ff:ff:ff' }] }));
    const res = await runFailing(['plugin', 'serve', '--port', '0', '--state-file', stateFile]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`state file ${stateFile} is refused: state.nodes[0]: node.mac: "ff:ff:ff:ff:ff:ff" is a multicast or broadcast MAC`);
  }, 30_000);

  // Root and OVN's Debian packages: the OVN provider starts a central of its own.
  const itOvn = process.getuid?.() === 0 && ['/usr/bin/ovn-nbctl', '/usr/bin/ovn-northd'].every((p) => fs.existsSync(p)) ? it : it.skip;
  itOvn('--provider ovn: starts its OVN central, answers from NB with the central in nodeConfig, removes the central on SIGTERM', async () => {
    const central = `cli${process.pid % 100000}`;
    // The central's owner records go to this test's folder, not /var/lib/merak.
    const saved = process.env.MERAK_STATE_DIR;
    process.env.MERAK_STATE_DIR = dir;
    let served: Served;
    try {
      served = await serve(['--provider', 'ovn', '--central', central]);
    } finally {
      if (saved === undefined) delete process.env.MERAK_STATE_DIR;
      else process.env.MERAK_STATE_DIR = saved;
    }
    children.push(served);
    expect(served.stderr()).toMatch(new RegExp(`ovn network plugin on OVN central ${central}`));
    const address = `127.0.0.1:${served.port}`;
    const client = createNetworkPluginClient(address);
    try {
      const vpc = await client.createVpc({ vpc: { vni: 7, id: 'cli-ovn-vpc', ip: '10.60.0.0', prefix: 16 } });
      expect(vpc.vpc.vni).toBeGreaterThan(0); // northd's tunnel key, not the 7 asked for
    } finally {
      client.close();
    }
    const json = await run(process.execPath, [merak, 'plugin', 'state', '--address', address, '-o', 'json'], { timeout: 20_000 });
    const state = JSON.parse(json.stdout) as { vpcs: Array<{ id: string }>; nodeConfig: Record<string, string> };
    expect(state.vpcs.map((v) => v.id)).toEqual(['cli-ovn-vpc']);
    expect(state.nodeConfig['ovn-central-netns']).toBe(`mk-ovn-${central}`);
    expect(fs.existsSync(`/run/merak/ovn/central-${central}`)).toBe(true);
    expect(await stop(served)).toBe(0);
    expect(fs.existsSync(`/run/merak/ovn/central-${central}`)).toBe(false);
    expect(fs.existsSync(`/run/netns/mk-ovn-${central}`)).toBe(false);
  }, 60_000);
});
