/**
 * Keeps daemons running: every `intervalMs` each watched daemon is checked, and one that is gone
 * while still wanted is started again and the event logged. A daemon that keeps failing to start
 * is retried with a growing pause (1 s doubling to 30 s), so a broken installation costs a log
 * line per pause, not a busy loop. The timer never keeps the process alive.
 *
 * Whoever starts a daemon watches it (the node agent its nodes' chassis, the OVN plugin its
 * central); `wanted` lets the owner's removal win over a restart: a daemon whose record or
 * namespace is gone (a `merak clean` running meanwhile) is dropped, not restarted.
 */

/** One watched daemon. */
export interface Watched {
  /** Unique key (the pid file). */
  key: string;
  /** For the log: `ovn-controller of node node-a (scenario demo)`. */
  describe: string;
  /** Whether it runs now. */
  alive(): Promise<boolean>;
  /** Whether it should still run (its record and namespace exist). */
  wanted(): Promise<boolean>;
  /** Starts it again (idempotent: may start more than this daemon, e.g. a whole chassis). */
  restart(): Promise<void>;
}

/** One restart as logged. */
export interface SupervisorEvent {
  at: number;
  key: string;
  describe: string;
  outcome: 'restarted' | 'restart-failed' | 'dropped';
  detail?: string;
}

export interface SupervisorOptions {
  /** Time between checks. @default 1000 ms */
  intervalMs?: number;
  /** Receives one line per event. @default stderr */
  log?: (line: string) => void;
  /** Clock in ms. @default Date.now */
  clock?: () => number;
}

const MAX_BACKOFF_MS = 30_000;

export class Supervisor {
  private readonly watched = new Map<string, Watched & { failures: number; notBefore: number }>();
  private readonly intervalMs: number;
  private readonly log: (line: string) => void;
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** The last 1000 events, oldest first. */
  readonly events: SupervisorEvent[] = [];

  constructor(options: SupervisorOptions = {}) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.clock = options.clock ?? Date.now;
  }

  /** Watches a daemon (replacing an earlier watch of the same key) and starts the timer. */
  watch(w: Watched): void {
    this.watched.set(w.key, { ...w, failures: 0, notBefore: 0 });
    if (!this.timer) {
      this.timer = setInterval(() => void this.check(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** Stops watching the daemons whose key `match` accepts (before stopping them on purpose). */
  unwatch(match: (key: string) => boolean): void {
    for (const key of [...this.watched.keys()]) if (match(key)) this.watched.delete(key);
    if (this.watched.size === 0) this.stop();
  }

  /** Keys being watched. */
  keys(): string[] {
    return [...this.watched.keys()];
  }

  /** Stops the timer (the daemons keep running). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private record(e: Omit<SupervisorEvent, 'at'>): void {
    const event = { at: this.clock(), ...e };
    this.events.push(event);
    if (this.events.length > 1000) this.events.shift();
    this.log(`supervisor: ${e.describe}: ${e.outcome}${e.detail ? ` (${e.detail})` : ''}`);
  }

  /** One pass over the watched daemons; passes never overlap. Exposed for tests. */
  check(): Promise<void> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<void> {
    for (const w of [...this.watched.values()]) {
      if (this.watched.get(w.key) !== w) continue; // unwatched or replaced meanwhile
      try {
        if (await w.alive()) {
          w.failures = 0;
          continue;
        }
        if (this.clock() < w.notBefore) continue;
        if (!(await w.wanted())) {
          this.watched.delete(w.key);
          this.record({ key: w.key, describe: w.describe, outcome: 'dropped', detail: 'gone and no longer wanted (its record or namespace was removed)' });
          continue;
        }
        await w.restart();
        w.failures = 0;
        this.record({ key: w.key, describe: w.describe, outcome: 'restarted', detail: 'it had exited' });
      } catch (err) {
        w.failures += 1;
        const pause = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (w.failures - 1));
        w.notBefore = this.clock() + pause;
        this.record({ key: w.key, describe: w.describe, outcome: 'restart-failed', detail: `${err instanceof Error ? err.message : String(err)}; next try in ${pause} ms` });
      }
    }
  }
}
