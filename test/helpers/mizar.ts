import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { TestApiServer } from './apiserver';

// Helpers of the Mizar provider tests: Mizar's CRDs on the test API server, and the real
// `merak plugin serve --provider mizar` as a child process (from the TypeScript sources, like
// controller-process.ts: @kubernetes/client-node is ESM-only and runs under plain Node, not jest).

const REPO_ROOT = resolve(__dirname, '..', '..');
const TS_LOADER = join(REPO_ROOT, 'test', 'integration', 'dataplane-ts-loader.js');
const MAIN = join(REPO_ROOT, 'src', 'cli', 'main.ts');
export const MIZAR_CRDS = join(REPO_ROOT, 'deploy', 'mizar', 'crds.yaml');
export const MIZAR_PLURALS = ['vpcs', 'subnets', 'droplets', 'endpoints', 'bouncers', 'dividers'] as const;

/** Loads Mizar's CRDs (v1 form) and waits until the API server serves them. */
export async function loadMizarCrds(api: TestApiServer): Promise<void> {
  await api.kubectl(['apply', '-f', MIZAR_CRDS]);
  await api.kubectl(['wait', '--for', 'condition=established', '--timeout', '60s', ...MIZAR_PLURALS.map((p) => `crd/${p}.mizar.com`)]);
}

/** Every Mizar resource in a namespace, as `plural/name` (sorted). */
export async function mizarResources(api: TestApiServer, namespace: string): Promise<string[]> {
  const { stdout } = await api.kubectl(['get', MIZAR_PLURALS.map((p) => `${p}.mizar.com`).join(','), '-n', namespace, '-o', 'json']);
  const items = (JSON.parse(stdout) as { items: { kind: string; metadata: { name: string } }[] }).items;
  return items.map((i) => `${i.kind}/${i.metadata.name}`).sort();
}

/** One Mizar resource as JSON, or undefined. */
export async function mizarResource(api: TestApiServer, namespace: string, plural: string, name: string): Promise<{ metadata: { name: string; finalizers?: string[] }; spec: Record<string, unknown> } | undefined> {
  try {
    const { stdout } = await api.kubectl(['get', `${plural}.mizar.com`, name, '-n', namespace, '-o', 'json']);
    return JSON.parse(stdout) as { metadata: { name: string }; spec: Record<string, unknown> };
  } catch (err) {
    if (String((err as { stderr?: string }).stderr).includes('NotFound')) return undefined;
    throw err;
  }
}

export interface MizarPluginProcess {
  readonly child: ChildProcess;
  /** HOST:PORT it listens on. */
  readonly address: string;
  readonly lines: string[];
  stop(): Promise<void>;
}

/** Runs a merak CLI command from the sources; resolves with its exit code and output. */
export function runMerak(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, ['-r', TS_LOADER, MAIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolveRun({ code, output });
    });
  });
}

/** Starts `merak plugin serve --provider mizar --port 0 ARGS` and waits (bounded) for its address. */
export async function startMizarPluginProcess(args: string[], timeoutMs = 60_000): Promise<MizarPluginProcess> {
  const child = spawn(process.execPath, ['-r', TS_LOADER, MAIN, 'plugin', 'serve', '--provider', 'mizar', '--port', '0', ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const address = await new Promise<string>((resolveAddr, reject) => {
    const timer = setTimeout(() => reject(new Error(`mizar plugin did not start within ${timeoutMs} ms:\n${lines.join('\n')}`)), timeoutMs);
    child.stderr.on('data', (c: Buffer) => {
      partial += c.toString();
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (process.env.MERAK_TEST_VERBOSE) process.stderr.write(`[mizar plugin] ${line}\n`);
        const m = /listening on (\S+),/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolveAddr(m[1]!);
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`mizar plugin exited with ${code} before listening:\n${[...lines, partial].join('\n')}`));
    });
  });
  return {
    child,
    address,
    lines,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), 15_000)))]);
      clearTimeout(timer);
      if (late) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
