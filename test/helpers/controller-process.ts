import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

// Runs the real `merak controller` command as a child process, straight from the TypeScript
// sources (the same swc transform jest uses), so a test can SIGKILL it mid-way like a crashed
// pod and start another. A child process also lets @kubernetes/client-node (ESM-only, which
// jest's CommonJS runtime cannot load) run under plain Node.

const REPO_ROOT = resolve(__dirname, '..', '..');
const TS_LOADER = join(REPO_ROOT, 'test', 'integration', 'dataplane-ts-loader.js');
const MAIN = join(REPO_ROOT, 'src', 'cli', 'main.ts');

export interface ControllerProcess {
  readonly child: ChildProcess;
  /** stderr lines so far (the controller logs there). */
  readonly lines: string[];
  /** Waits until a log line matches, bounded. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM and wait (graceful), or SIGKILL (a crash). */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

export function startControllerProcess(args: string[], env: Record<string, string> = {}): ControllerProcess {
  const child = spawn(process.execPath, ['-r', TS_LOADER, MAIN, 'controller', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const onData = (chunk: Buffer) => {
    partial += chunk.toString('utf8');
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      if (process.env.MERAK_TEST_VERBOSE) process.stderr.write(`[controller] ${line}\n`);
      for (const w of [...waiters]) {
        if (w.pattern.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  };
  child.stderr?.on('data', onData);
  child.stdout?.on('data', onData);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));

  return {
    child,
    lines,
    waitForLine(pattern, timeoutMs = 60_000) {
      const found = lines.find((l) => pattern.test(l));
      if (found) return Promise.resolve(found);
      return new Promise((resolveLine, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.findIndex((w) => w.pattern === pattern), 1);
          reject(new Error(`controller log never matched ${pattern} within ${timeoutMs} ms; last lines:\n${lines.slice(-20).join('\n')}`));
        }, timeoutMs);
        waiters.push({
          pattern,
          resolve: (line) => {
            clearTimeout(timer);
            resolveLine(line);
          },
        });
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), 15_000)))]);
      clearTimeout(timer);
      if (timedOut) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
