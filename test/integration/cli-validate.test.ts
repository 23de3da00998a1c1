/**
 * The built CLI (`node bin/merak.js`, needs `npm run build`) on the checks made before anything
 * starts: `merak validate` and `merak up --dry-run` start nothing and need no server; `--version`
 * names what Merak drives; Temporal's payload limit is the one the dev server enforces (both
 * sides of it); a `merak up` that fails stops the daemons it started; Ctrl-C during `merak up`
 * says the scenario keeps building and how to follow or remove it.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { TEMPORAL_PAYLOAD_LIMIT_BYTES, workflowInputBytes } from '../../src/temporal/payload-size';
import { scenarioWorkflowId } from '../../src/model/queues';
import { listDaemons, merakBin, releaseDaemons, withRegistry } from '../../src/local/daemons';
import { isSameProcess } from '../../src/local/process-identity';
import { createTestEnv } from '../helpers/temporal';
import { freePort } from '../helpers/apiserver';

jest.setTimeout(180_000);

const root = path.resolve(__dirname, '../..');
const merak = path.join(root, 'bin/merak.js');
const run = promisify(execFile);

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], env: NodeJS.ProcessEnv = {}, timeout = 60_000): Promise<Ran> {
  try {
    const r = await run(process.execPath, [merak, ...args], { timeout, env: { ...process.env, ...env } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: String(e.stdout), stderr: String(e.stderr) };
  }
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Shared daemons recorded under a local state directory (src/local/daemons.ts) that `scenario`
 * uses: kind → pid (these tests use one daemon of each kind).
 */
function recordedDaemons(state: string, scenario: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of listDaemons({ stateDir: state })) if ((d.users ?? []).includes(scenario)) out[d.kind ?? d.name] = d.pid;
  return out;
}

function scenarioYaml(name: string, pluginPort: number, extra = ''): string {
  return `name: ${name}
plugin: { address: "127.0.0.1:${pluginPort}", deadlineMs: 5000, retryWindowMs: 20000 }
dataplane: none
vpcs:
  - { id: ${name}-blue, vni: 2501, cidr: 10.91.0.0/16, subnets: [{ id: ${name}-blue-1, cidr: 10.91.1.0/24 }] }
nodes: [${name}-a, ${name}-b]
${extra}
`;
}

let dir: string;
let state: string;
beforeAll(() => {
  if (!existsSync(path.join(root, 'dist/cli/commands/validate.js'))) {
    throw new Error('dist/cli/commands/validate.js is missing: run `npm run build` before the integration tests');
  }
});
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'merak-cli-validate-'));
  state = path.join(dir, 'state');
});
afterEach(() => {
  // Whatever a failed assertion left running is stopped by its record, then the files go.
  // Only while a record still names that very process (start time, command line).
  for (const d of listDaemons({ stateDir: state })) if (isSameProcess(d)) process.kill(d.pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('without a server', () => {
  it('merak validate and merak up --dry-run check a file and start nothing', async () => {
    const port = await freePort();
    const file = path.join(dir, 'ok.yaml');
    writeFileSync(file, scenarioYaml('dry', port, 'vmsPerNode: 5'));
    // No Temporal at this address: a dry run must not need one.
    const env = { MERAK_LOCAL_STATE: state, TEMPORAL_ADDRESS: '127.0.0.1:1' };
    const v = await cli(['validate', '-f', file, '-o', 'json'], env);
    expect(v.code).toBe(0);
    const plan = JSON.parse(v.stdout) as { valid: boolean; plan: { totals: { vms: number }; nodes: { name: string; ip: string }[] } };
    expect(plan.valid).toBe(true);
    expect(plan.plan.totals.vms).toBe(10);
    expect(plan.plan.nodes.map((n) => n.ip)).toEqual(['100.64.0.1', '100.64.0.2']);
    const dry = await cli(['up', '--dry-run', '-f', file], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('scenario dry is valid; nothing was started');
    expect(existsSync(state)).toBe(false); // no daemon, no state
    // and nothing listens where the plugin would have been started
    const probe = await cli(['plugin', 'state', '--address', `127.0.0.1:${port}`], {}, 20_000);
    expect(probe.code).not.toBe(0);
  });

  it('a bad file: exit 1 with every issue, from validate and from up (before anything starts)', async () => {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, scenarioYaml('bad', 50999, 'vmsPerNode: 010').replace('10.91.0.0/16', '224.0.0.0/16').replace('10.91.1.0/24', '224.0.1.0/24'));
    const v = await cli(['validate', '-f', file, '-o', 'json']);
    expect(v.code).toBe(1);
    const doc = JSON.parse(v.stdout) as { issues: { path: string }[] };
    expect(doc.issues.map((i) => i.path)).toEqual(['vmsPerNode', 'vpcs[0].cidr', 'vpcs[0].subnets[0].cidr']);
    const up = await cli(['up', '-f', file], { MERAK_LOCAL_STATE: state });
    expect(up.code).toBe(1);
    expect(up.stderr).toContain('vpcs[0].cidr: value "224.0.0.0/16" overlaps 224.0.0.0/4 (Multicast, RFC 5771)');
    expect(existsSync(state)).toBe(false);
  });

  it('merak --version names Merak, the Temporal CLI and its server, the SDK and Node', async () => {
    const cliPath = process.env.MERAK_TEMPORAL_CLI ?? path.join(root, '.tools/bin/temporal');
    const temporal = execFileSync(cliPath, ['--version'], { encoding: 'utf8' });
    const [, cliVersion, serverVersion] = /version (\S+) \(Server ([^,]+),/.exec(temporal)!;
    const sdk = (JSON.parse(readFileSync(require.resolve('@temporalio/client/package.json'), 'utf8')) as { version: string }).version;
    const own = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
    const text = await cli(['--version'], { MERAK_TEMPORAL_CLI: cliPath });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`merak ${own}`);
    expect(text.stdout).toContain(`Temporal CLI ${cliVersion} (dev server ${serverVersion}`);
    expect(text.stdout).toContain(`Temporal TypeScript SDK ${sdk}`);
    expect(text.stdout).toContain(`Node.js ${process.version}`);
    const json = JSON.parse((await cli(['version', '-o', 'json'], { MERAK_TEMPORAL_CLI: cliPath })).stdout) as { merak: string; temporal: { cli: string; server: string }; sdk: { client: string } };
    expect(json).toMatchObject({ merak: own, temporal: { cli: cliVersion, server: serverVersion }, sdk: { client: sdk } });
    const missing = await cli(['-V'], { MERAK_TEMPORAL_CLI: path.join(dir, 'no-such-temporal') });
    expect(missing.code).toBe(0);
    expect(missing.stdout).toContain('Temporal CLI: not found');
  });
});

describe('with a Temporal dev server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it("Temporal's payload limit is where the dev server draws it: a start at the limit is accepted, one byte more is refused", async () => {
    // A string argument sized so that the encoded input is exactly `bytes` long.
    const argOf = (bytes: number): string => {
      let n = bytes - 64;
      while (workflowInputBytes(['x'.repeat(n)]) < bytes) n++;
      expect(workflowInputBytes(['x'.repeat(n)])).toBe(bytes);
      return 'x'.repeat(n);
    };
    const startWith = (id: string, bytes: number) =>
      env.client.workflow.start('noSuchWorkflowType', { taskQueue: 'merak-size-probe', workflowId: id, args: [argOf(bytes)] }).then(
        (h) => h.terminate('size probe').then(() => 'accepted'),
        // The client says "Failed to start Workflow"; the server's reason is its cause.
        (e: unknown) => `${(e as Error).message}: ${String((e as { cause?: Error }).cause?.message)}`,
      );
    expect(await startWith('size-probe-at', TEMPORAL_PAYLOAD_LIMIT_BYTES)).toBe('accepted');
    expect(await startWith('size-probe-above', TEMPORAL_PAYLOAD_LIMIT_BYTES + 1)).toMatch(/^Failed to start Workflow: .*(size exceeds limit|BlobSizeLimit|blob data size)/i);
  });

  it('an oversized scenario is refused before anything starts, naming its size and the limit', async () => {
    const file = path.join(dir, 'big.yaml');
    const nodes = Array.from({ length: 600 }, (_, i) => `  - { name: big-${i}, optional: { blob: "${'x'.repeat(4000)}" } }`).join('\n');
    writeFileSync(file, scenarioYaml('big', await freePort()).replace(/nodes: \[.*\]/, `nodes:\n${nodes}`));
    const up = await cli(['up', '-f', file, '--address', env.address], { MERAK_LOCAL_STATE: state });
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(new RegExp(`\\(scenario\\): value (\\d+) bytes as a workflow input \\(2\\.\\d\\d MiB\\) is above Temporal's payload limit of ${TEMPORAL_PAYLOAD_LIMIT_BYTES} bytes`));
    expect(existsSync(state)).toBe(false);
    await expect(env.client.workflow.getHandle(scenarioWorkflowId('big')).describe()).rejects.toThrow();
  });

  it('a merak up that fails after starting daemons stops exactly those, and leaves the ones another scenario uses', async () => {
    const port = await freePort();
    const file = path.join(dir, 'fail.yaml');
    writeFileSync(file, scenarioYaml('failup', port));
    // Another scenario already runs the reference plugin on this port (recorded as its user).
    const pluginArgs = ['plugin', 'serve', '--port', String(port), '--state-file', path.join(state, `plugin-${port}.json`)];
    const other = await withRegistry((r) => r.use('other', { name: `plugin-${port}`, kind: 'plugin', args: pluginArgs }), { stateDir: state, command: [process.execPath, merakBin()] });
    expect(other.started).toBe(true);
    const deadline = Date.now() + 30_000;
    while ((await cli(['plugin', 'state', '--address', `127.0.0.1:${port}`], {}, 20_000)).code !== 0) {
      if (Date.now() > deadline) throw new Error('the plugin of the other scenario did not answer');
      await new Promise((r) => setTimeout(r, 200));
    }
    // Nothing answers at this Temporal address: the workers start, then the workflow start fails.
    const deadAddress = `127.0.0.1:${await freePort()}`;
    const up = await cli(['up', '-f', file, '--address', deadAddress], { MERAK_LOCAL_STATE: state, MERAK_STATE_DIR: path.join(dir, 'agent') });
    expect(up.code).toBe(1);
    expect(up.stderr).not.toContain('starting the reference network plugin');
    expect(up.stderr).toMatch(/started the compute worker; agents for local nodes: started for failup-a, failup-b/);
    expect(up.stderr).toMatch(/merak up failed before the scenario started: stopped what this command started for failup: agent-\w+( \(had exited\))?, compute-\w+( \(had exited\))?\n/);
    expect(up.stderr).toContain(`merak up failed before the scenario started: left running for other scenarios: plugin-${port} (other)`);
    expect(recordedDaemons(state, 'failup')).toEqual({});
    expect(recordedDaemons(state, 'other')).toEqual({ plugin: other.daemon.pid });
    expect(isSameProcess(other.daemon)).toBe(true);
    const logs = readdirSync(path.join(state, 'daemons')).filter((f) => f.endsWith('.log'));
    expect(logs.map((f) => f.replace(/-\w+\.log$/, '')).sort()).toEqual(['agent', 'compute', 'plugin']);
    // The other scenario lets go: its plugin stops, and no longer answers.
    expect((await releaseDaemons('other', { stateDir: state })).stopped).toEqual([`plugin-${port}`]);
    const probe = await cli(['plugin', 'state', '--address', `127.0.0.1:${port}`], {}, 20_000);
    expect(probe.code).not.toBe(0);
    expect(listDaemons({ stateDir: state })).toEqual([]);
  });

  it('a merak up that fails after starting every daemon stops them all', async () => {
    const port = await freePort();
    const file = path.join(dir, 'fail2.yaml');
    writeFileSync(file, scenarioYaml('failall', port));
    const deadAddress = `127.0.0.1:${await freePort()}`;
    const up = await cli(['up', '-f', file, '--address', deadAddress], { MERAK_LOCAL_STATE: state, MERAK_STATE_DIR: path.join(dir, 'agent') });
    expect(up.code).toBe(1);
    expect(up.stderr).toContain('starting the reference network plugin');
    expect(up.stderr).toMatch(new RegExp(`merak up failed before the scenario started: stopped what this command started for failall: agent-\\w+( \\(had exited\\))?, compute-\\w+( \\(had exited\\))?, plugin-${port}\\n`));
    expect(up.stderr).not.toContain('left running');
    expect(listDaemons({ stateDir: state })).toEqual([]);
    const probe = await cli(['plugin', 'state', '--address', `127.0.0.1:${port}`], {}, 20_000);
    expect(probe.code).not.toBe(0);
  });

  it('Ctrl-C during merak up: the scenario keeps building, the message says how to follow or remove it', async () => {
    const port = await freePort();
    const file = path.join(dir, 'ctrlc.yaml');
    // Slow on purpose (2 VMs a second), so it is still building when interrupted.
    writeFileSync(file, scenarioYaml('ctrlc', port, 'vmsPerNode: 60\nbatchSize: 2\nrate: { rps: 2 }'));
    const child = spawn(process.execPath, [merak, 'up', '-f', file, '--address', env.address], { env: { ...process.env, MERAK_LOCAL_STATE: state, MERAK_STATE_DIR: path.join(dir, 'agent') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const deadline = Date.now() + 60_000;
    while (!stderr.includes('started scenario ctrlc') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    expect(stderr).toContain('started scenario ctrlc');
    await new Promise((r) => setTimeout(r, 1_500));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain('interrupted: scenario ctrlc keeps building in Temporal (workflow merak-ctrlc)');
    expect(stderr).toContain(`follow it again:  merak up -f ${file}   (or: merak status ctrlc)`);
    expect(stderr).toContain('remove it:        merak down ctrlc');
    // It does keep building: the workflow runs and its daemons are alive.
    const handle = env.client.workflow.getHandle(scenarioWorkflowId('ctrlc'));
    expect((await handle.describe()).status.name).toBe('RUNNING');
    const daemons = recordedDaemons(state, 'ctrlc');
    expect(Object.keys(daemons).sort()).toEqual(['agent', 'compute', 'plugin']);
    expect(Object.values(daemons).every(isAlive)).toBe(true);
    const records = listDaemons({ stateDir: state });
    // And `merak down` removes it all.
    const down = await cli(['down', 'ctrlc', '--address', env.address], { MERAK_LOCAL_STATE: state, MERAK_STATE_DIR: path.join(dir, 'agent') }, 120_000);
    expect(down.code).toBe(0);
    expect((await handle.describe()).status.name).not.toBe('RUNNING');
    for (const d of records) expect(isSameProcess(d)).toBe(false);
    expect(listDaemons({ stateDir: state })).toEqual([]);
  });
});
