/**
 * A long-lived child process spoken to in JSON lines: each request carries an `id`, each reply
 * names the id it answers. Used for the socket helper (sockprobe.py). Every request has a
 * timeout, and close() ends the child for sure (stdin closed, then SIGKILL after a grace period).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CommandFailedError } from '../../dataplane/errors';

export interface ProcessWatcher {
  /** Called with every process the testing activities start (tests check they are all gone). */
  (p: { pid: number; argv: readonly string[] }): void;
}

interface Pending {
  resolve: (reply: Record<string, unknown>) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** Longest line accepted from the child, so a misbehaving child cannot exhaust memory. */
const MAX_LINE = 1024 * 1024;

export class LineProcess {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private buffer = '';
  private stderr = '';
  private exited: Promise<void>;
  private exitInfo: string | undefined;
  /** Set when the hello check refused the child: every request fails with it. */
  private refused: Error | undefined;

  /**
   * @param hello - checks the child's first stdout line (its announcement) and throws to refuse
   *   the child, which is then killed and every request rejected with that error. Default: the
   *   first line is a reply like any other.
   */
  constructor(
    readonly argv: readonly string[],
    watcher?: ProcessWatcher,
    private hello?: (firstLine: string) => void,
  ) {
    this.child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this.exitInfo = `exit ${code ?? signal}`;
        this.failAll(this.refused ?? new CommandFailedError(argv, code, this.stderr || `helper ended (${this.exitInfo})`, 'check that python3 is installed and the agent runs as root'));
        resolve();
      });
    });
    this.child.on('error', (e) => this.failAll(new CommandFailedError(argv, null, e.message, `could not start ${argv[0]}`)));
    this.child.stdin?.on('error', () => undefined);
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (chunk: string) => this.onData(chunk));
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => {
      if (this.stderr.length < 8192) this.stderr += chunk;
    });
    if (this.child.pid !== undefined) watcher?.({ pid: this.child.pid, argv });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    if (this.buffer.length > MAX_LINE && !this.buffer.includes('\n')) {
      this.child.kill('SIGKILL');
      return;
    }
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      if (line.trim() === '') continue;
      if (this.hello) {
        const check = this.hello;
        this.hello = undefined;
        try {
          check(line);
        } catch (e) {
          this.refused = e instanceof Error ? e : new Error(String(e));
          this.failAll(this.refused);
          this.child.kill('SIGKILL');
          return;
        }
        continue;
      }
      let reply: Record<string, unknown>;
      try {
        reply = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      const p = this.pending.get(reply.id as number);
      if (!p) continue;
      this.pending.delete(reply.id as number);
      clearTimeout(p.timer);
      p.resolve(reply);
    }
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    this.pending.clear();
  }

  /** Sends one request; resolves with the reply or rejects after `timeoutMs`. */
  request(body: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>> {
    if (this.refused) return Promise.reject(this.refused);
    if (this.exitInfo !== undefined) return Promise.reject(new CommandFailedError(this.argv, null, this.stderr || `helper ended (${this.exitInfo})`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`helper did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.child.stdin?.write(`${JSON.stringify({ ...body, id })}\n`);
    });
  }

  /** Closes stdin (the helper's signal to finish) and waits; SIGKILL after `graceMs`. */
  async close(graceMs = 3000): Promise<void> {
    if (this.child.pid === undefined) return; // never started: nothing to end
    this.child.stdin?.end();
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        resolve();
      }, graceMs);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    await this.exited;
  }
}

/** Runs `argv` detached from any request protocol; used for one-off servers (iperf3 -s -1). */
export function spawnWatched(argv: readonly string[], watcher?: ProcessWatcher): ChildProcess {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid !== undefined) watcher?.({ pid: child.pid, argv });
  return child;
}

/** Waits for a child to end; SIGKILL after `graceMs` (SIGTERM first when `term`). */
export async function stopChild(child: ChildProcess, graceMs: number, term = true): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  if (term) child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, graceMs);
  });
  await Promise.race([exited, deadline]);
  clearTimeout(timer);
  await exited;
}
