/**
 * The throughput check: a one-off iperf3 server (`-s -1`) bound to the destination VM's address
 * inside its namespace, and a one-second iperf3 client in the source VM's namespace whose JSON
 * report gives the rate. The server is always stopped before the check returns.
 *
 * Only iperf3's own `--connect-timeout` (the check's timeout, counted by the client from its
 * start) can give a verdict; the server's start and the client's whole run have supervision
 * times (src/model/checks.ts) after which the check is `not tested`.
 */
import type { ChildProcess } from 'node:child_process';
import type { CommandRunner } from '../../dataplane/command';
import { HELPER_START_MS, supervisionMs } from '../../model/checks';
import { afterPendingInput, spawnWatched, stopChild, type ProcessWatcher } from './line-process';
import type { CheckOutcome } from './outcome';
import { iperfPortBusy, parseIperf3Json } from './parse';

/** Seconds the iperf3 client sends for. */
export const IPERF_SECONDS = 1;
/** Ports tried when one is taken (another node's check on the same VM may hold it). */
const PORT_ATTEMPTS = 5;

export interface IperfPorts {
  /** First port of the range the servers listen on. Default 5201 (iperf3's own). */
  from: number;
  /** Ports in the range. Default 100. */
  count: number;
}

type ServerStart = { state: 'ready' } | { state: 'busy' } | { state: 'failed'; detail: string };

function waitListening(child: ChildProcess, startMs: number): Promise<ServerStart> {
  return new Promise((resolve) => {
    let out = '';
    const onData = (b: Buffer) => {
      out += b.toString();
      if (out.includes('Server listening on')) finish({ state: 'ready' });
    };
    const onClose = () => finish(iperfPortBusy(out) ? { state: 'busy' } : { state: 'failed', detail: out.trim().slice(0, 300) || 'iperf3 server exited at once' });
    let settled = false;
    // Decided after the output already in the pipe is read: a busy agent must not miss a "listening" that came in time.
    const timer = afterPendingInput(startMs, () => finish({ state: 'failed', detail: `iperf3 server did not listen within ${startMs} ms (the machine did not run it in that time)` }));
    function finish(s: ServerStart): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('close', onClose);
      // Keep draining so the server never blocks on a full pipe.
      child.stdout?.resume();
      child.stderr?.resume();
      resolve(s);
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('close', onClose);
    child.once('error', (e) => finish({ state: 'failed', detail: e.message }));
  });
}

export class IperfChecker {
  private next = 0;

  constructor(
    private readonly runner: CommandRunner,
    private readonly ports: IperfPorts,
    private readonly watcher?: ProcessWatcher,
    /** Time a server gets to say it is listening, ms. Default HELPER_START_MS. */
    private readonly startMs = HELPER_START_MS,
  ) {}

  private port(): number {
    return this.ports.from + (this.next++ % this.ports.count);
  }

  /** One check with a one-off server (`-s -1`) in `dstNs`, started before the client and stopped after. */
  async check(srcNs: string, dstNs: string, ip: string, timeoutMs: number): Promise<CheckOutcome> {
    for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
      const port = this.port();
      const server = spawnWatched(['ip', 'netns', 'exec', dstNs, 'iperf3', '-s', '-1', '-B', ip, '-p', String(port), '--forceflush'], this.watcher);
      try {
        const start = await waitListening(server, this.startMs);
        if (start.state === 'busy') continue;
        if (start.state === 'failed') return { reached: false, inconclusive: true, detail: `iperf3 server on ${ip}: ${start.detail}` };
        return await this.client(srcNs, ip, port, timeoutMs);
      } finally {
        await stopChild(server, 2000);
      }
    }
    return { reached: false, inconclusive: true, detail: `iperf3 server on ${ip}: ${PORT_ATTEMPTS} ports in a row were taken` };
  }

  /** The one-second iperf3 client from `srcNs` to `ip`:`port`, whoever serves it (this process, or the destination node's agent). */
  async client(srcNs: string, ip: string, port: number, timeoutMs: number): Promise<CheckOutcome> {
    const client = ['ip', 'netns', 'exec', srcNs, 'iperf3', '-c', ip, '-p', String(port), '-t', String(IPERF_SECONDS), '-J', '--connect-timeout', String(timeoutMs)];
    const limitMs = supervisionMs(IPERF_SECONDS * 1000 + timeoutMs);
    const r = await this.runner.run(client, { timeoutMs: limitMs });
    const parsed = parseIperf3Json(r.stdout);
    if (parsed.ok) return { reached: true, throughputBps: parsed.bitsPerSecond };
    // Killed by the supervision time: the client never finished, so nothing was measured either way.
    if (r.signal) return { reached: false, inconclusive: true, detail: `iperf3 client killed by ${r.signal} after ${limitMs} ms, although its connect timeout is ${timeoutMs} ms: the machine did not run it in time` };
    return { reached: false, detail: parsed.error };
  }

  /**
   * A server in `dstNs` bound to `ip` for the checks of another node's agent, which runs its
   * clients one at a time: it serves one test after another (no `-1`) until stopped, and ends
   * on its own after `deadlineS` seconds whatever happens (coreutils `timeout` sends SIGKILL;
   * a SIGTERM to it is passed on to iperf3), even if this process dies first.
   * @returns the port and the running process (stop it with stopChild), or why it did not start.
   */
  async serve(dstNs: string, ip: string, deadlineS: number): Promise<{ port: number; child: ChildProcess } | { problem: string }> {
    for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
      const port = this.port();
      const child = spawnWatched(['timeout', '--signal=KILL', String(deadlineS), 'ip', 'netns', 'exec', dstNs, 'iperf3', '-s', '-B', ip, '-p', String(port), '--forceflush'], this.watcher);
      const start = await waitListening(child, this.startMs);
      if (start.state === 'ready') return { port, child };
      await stopChild(child, 2000);
      if (start.state === 'failed') return { problem: `iperf3 server on ${ip}: ${start.detail}` };
    }
    return { problem: `iperf3 server on ${ip}: ${PORT_ATTEMPTS} ports in a row were taken` };
  }
}
