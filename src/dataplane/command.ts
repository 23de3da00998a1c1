/**
 * Running kernel-facing commands: always an argv array (never a shell string), optional
 * stdin, a timeout, captured output. Activities receive a CommandRunner so narrow unit tests
 * can hand in a recorder and integration tests can kill the real child half-way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CommandFailedError } from './errors';

export interface RunOptions {
  /** Written to the child's stdin, then stdin is closed. Default: nothing (stdin closed). */
  input?: string;
  /** Kill the child after this many milliseconds. Default: 120000. */
  timeoutMs?: number;
  /** Extra environment variables; the child gets only these plus PATH when `cleanEnv` is set. */
  env?: Record<string, string>;
  /** Start from an empty environment (plus PATH) instead of the agent's. Default: false. */
  cleanEnv?: boolean;
  /** Called with the child as soon as it is spawned (tests use it to kill the child). */
  onSpawn?: (child: ChildProcess) => void;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CommandRunner {
  /** Runs argv[0] with the rest as arguments; resolves with the outcome, never rejects on exit codes. */
  run(argv: readonly string[], options?: RunOptions): Promise<RunResult>;
}

/** Upper bound on captured output, so a runaway child cannot exhaust the agent's memory. */
const MAX_OUTPUT = 16 * 1024 * 1024;

export const spawnRunner: CommandRunner = {
  run(argv, options = {}) {
    return new Promise((resolve, reject) => {
      const env = options.cleanEnv
        ? { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...options.env }
        : { ...process.env, ...options.env };
      const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let outLen = 0;
      let errLen = 0;
      child.stdout.on('data', (b: Buffer) => {
        if (outLen < MAX_OUTPUT) out.push(b);
        outLen += b.length;
      });
      child.stderr.on('data', (b: Buffer) => {
        if (errLen < MAX_OUTPUT) err.push(b);
        errLen += b.length;
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new CommandFailedError(argv, null, e.message, `could not start ${argv[0]}`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
      });
      // EPIPE when the child exits before reading all input is reported by 'close', not here.
      child.stdin.on('error', () => undefined);
      options.onSpawn?.(child);
      child.stdin.end(options.input ?? '');
    });
  },
};

/** Runs and throws CommandFailedError on a non-zero exit or a signal. */
export async function runChecked(runner: CommandRunner, argv: readonly string[], options?: RunOptions): Promise<RunResult> {
  const r = await runner.run(argv, options);
  if (r.code !== 0) throw new CommandFailedError(argv, r.code, r.stderr || (r.signal ? `killed by ${r.signal}` : ''));
  return r;
}
