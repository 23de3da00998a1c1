/**
 * A long-lived child process spoken to in JSON lines: each request carries an `id`, each reply
 * names the id it answers. Used for the socket helper (sockprobe.py). Every request has a
 * timeout, and close() ends the child for sure (stdin closed, then SIGKILL after a grace period).
 *
 * Starting and answering are timed apart: a request's timeout starts only once the child has
 * announced itself (its first line), so a slow start on a busy machine is reported as a slow
 * start (HelperStartError), never as a slow answer. And a timer that runs out decides only after
 * the replies already waiting in the pipe have been read: after the agent itself was not
 * scheduled for a while, Node runs due timers *before* it polls for input (libuv's loop order),
 * which would otherwise call a reply that arrived in time late.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CommandFailedError } from '../../dataplane/errors';
import { HELPER_START_MS } from '../../model/checks';

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

/** The program a helper argv runs, for messages: its script when it is one, else its binary. */
function programOf(argv: readonly string[]): string {
  return argv.find((a) => a.endsWith('.py')) ?? argv[0] ?? '(none)';
}

/**
 * Calls `fn` once `ms` have passed *and* the input already waiting has been read (setImmediate
 * runs after the event loop's poll phase), so the caller's "not yet?" test sees every reply
 * that arrived before the timer was handled.
 */
export function afterPendingInput(ms: number, fn: () => void): NodeJS.Timeout {
  return setTimeout(() => setImmediate(fn), ms);
}

/** The child did not announce itself within its start time: nothing it was asked was tried. */
export class HelperStartError extends Error {
  override readonly name = 'HelperStartError';
  constructor(
    readonly argv: readonly string[],
    /** The start time it had, ms. */
    readonly startTimeoutMs: number,
  ) {
    super(`${programOf(argv)} did not start within ${startTimeoutMs} ms (the machine did not run it in that time)`);
  }
}

/** A started child did not answer a request within the time it had: what was asked is unknown. */
export class HelperTimeoutError extends Error {
  override readonly name = 'HelperTimeoutError';
  constructor(
    readonly argv: readonly string[],
    readonly pid: number | undefined,
    /** The time it had, ms, counted from the request's send. */
    readonly timeoutMs: number,
  ) {
    super(`${programOf(argv)} (pid ${pid ?? '?'}) did not answer within ${timeoutMs} ms`);
  }
}

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
  /** Resolves when the child has started (announced itself, or spawned when there is no hello check). */
  private readonly started: Promise<void>;
  private isStarted = false;
  private markStarted!: () => void;
  private failStart!: (e: Error) => void;

  /**
   * Spawns `argv` at once (stdin, stdout and stderr are pipes).
   * @param watcher - told the child's pid and argv once spawned.
   * @param hello - checks the child's first stdout line (its announcement) and throws to refuse
   *   the child, which is then killed and every request rejected with that error. Default: the
   *   first line is a reply like any other, and the child counts as started once spawned.
   * @param startTimeoutMs - how long the child may take to start (announce itself), ms; requests
   *   wait for that first, and their own timeouts begin after it. On expiry the child is killed
   *   and every request fails with HelperStartError. Default {@link HELPER_START_MS}.
   */
  constructor(
    readonly argv: readonly string[],
    watcher?: ProcessWatcher,
    private hello?: (firstLine: string) => void,
    readonly startTimeoutMs = HELPER_START_MS,
  ) {
    this.started = new Promise<void>((resolve, reject) => {
      this.markStarted = () => {
        this.isStarted = true;
        resolve();
      };
      this.failStart = reject;
    });
    this.started.catch(() => undefined); // read by request() and ready(); never an unhandled rejection
    const startTimer = afterPendingInput(startTimeoutMs, () => {
      if (this.isStarted || this.exitInfo !== undefined) return;
      this.failStart(new HelperStartError(argv, startTimeoutMs));
      this.child.kill('SIGKILL');
    });
    void this.started.then(
      () => clearTimeout(startTimer),
      () => clearTimeout(startTimer),
    );
    this.child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    if (!hello) this.child.once('spawn', () => this.markStarted());
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this.exitInfo = `exit ${code ?? signal}`;
        const e = this.refused ?? new CommandFailedError(argv, code, this.stderr || `helper ended (${this.exitInfo})`, 'check that python3 is installed and the agent runs as root');
        this.failStart(e);
        this.failAll(e);
        resolve();
      });
    });
    this.child.on('error', (e) => {
      const err = new CommandFailedError(argv, null, e.message, `could not start ${argv[0]}`);
      this.failStart(err);
      this.failAll(err);
    });
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

  /**
   * Resolves once the child has started (announced itself and passed the hello check).
   * @throws HelperStartError when it did not within its start time.
   * @throws CommandFailedError when it could not start or ended first; the hello check's error when it refused the child.
   */
  ready(): Promise<void> {
    return this.started;
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
          this.failStart(this.refused);
          this.failAll(this.refused);
          this.child.kill('SIGKILL');
          return;
        }
        this.markStarted();
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

  /**
   * Sends one request once the child has started; resolves with the reply, or rejects when none
   * came within `timeoutMs` counted from the send (replies already in the pipe are read first).
   * @throws HelperTimeoutError when no reply came in time.
   * @throws HelperStartError when the child did not start within its start time.
   * @throws CommandFailedError when the child could not start or ended; the hello check's error when it refused the child.
   */
  async request(body: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>> {
    await this.started;
    return this.send(body, timeoutMs);
  }

  private send(body: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>> {
    if (this.refused) return Promise.reject(this.refused);
    if (this.exitInfo !== undefined) return Promise.reject(new CommandFailedError(this.argv, null, this.stderr || `helper ended (${this.exitInfo})`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = afterPendingInput(timeoutMs, () => {
        if (!this.pending.delete(id)) return; // answered meanwhile
        reject(new HelperTimeoutError(this.argv, this.child.pid, timeoutMs));
      });
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
