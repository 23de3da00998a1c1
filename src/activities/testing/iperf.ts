/**
 * The throughput check: a one-off iperf3 server (`-s -1`) bound to the destination VM's address
 * inside its namespace, and a one-second iperf3 client in the source VM's namespace whose JSON
 * report gives the rate. The server is always stopped before the check returns.
 */
import type { ChildProcess } from 'node:child_process';
import type { CommandRunner } from '../../dataplane/command';
import { spawnWatched, stopChild, type ProcessWatcher } from './line-process';
import type { CheckOutcome } from './outcome';
import { iperfPortBusy, parseIperf3Json } from './parse';

/** Seconds the iperf3 client sends for. */
export const IPERF_SECONDS = 1;
/** How long the server gets to say it is listening. */
const SERVER_START_MS = 5000;
/** Ports tried when one is taken (another node's check on the same VM may hold it). */
const PORT_ATTEMPTS = 5;

export interface IperfPorts {
  /** First port of the range the servers listen on. Default 5201 (iperf3's own). */
  from: number;
  /** Ports in the range. Default 100. */
  count: number;
}

type ServerStart = { state: 'ready' } | { state: 'busy' } | { state: 'failed'; detail: string };

function waitListening(child: ChildProcess): Promise<ServerStart> {
  return new Promise((resolve) => {
    let out = '';
    const onData = (b: Buffer) => {
      out += b.toString();
      if (out.includes('Server listening on')) finish({ state: 'ready' });
    };
    const onClose = () => finish(iperfPortBusy(out) ? { state: 'busy' } : { state: 'failed', detail: out.trim().slice(0, 300) || 'iperf3 server exited at once' });
    const timer = setTimeout(() => finish({ state: 'failed', detail: `iperf3 server did not listen within ${SERVER_START_MS} ms` }), SERVER_START_MS);
    function finish(s: ServerStart): void {
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
  ) {}

  private port(): number {
    return this.ports.from + (this.next++ % this.ports.count);
  }

  async check(srcNs: string, dstNs: string, ip: string, timeoutMs: number): Promise<CheckOutcome> {
    for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
      const port = String(this.port());
      const server = spawnWatched(['ip', 'netns', 'exec', dstNs, 'iperf3', '-s', '-1', '-B', ip, '-p', port, '--forceflush'], this.watcher);
      try {
        const start = await waitListening(server);
        if (start.state === 'busy') continue;
        if (start.state === 'failed') return { reached: false, inconclusive: true, detail: `iperf3 server on ${ip}: ${start.detail}` };
        const client = ['ip', 'netns', 'exec', srcNs, 'iperf3', '-c', ip, '-p', port, '-t', String(IPERF_SECONDS), '-J', '--connect-timeout', String(timeoutMs)];
        const r = await this.runner.run(client, { timeoutMs: IPERF_SECONDS * 1000 + timeoutMs + 3000 });
        const parsed = parseIperf3Json(r.stdout);
        if (parsed.ok) return { reached: true, throughputBps: parsed.bitsPerSecond };
        return { reached: false, detail: r.signal ? `iperf3 client killed after ${IPERF_SECONDS * 1000 + timeoutMs + 3000} ms` : parsed.error };
      } finally {
        await stopChild(server, 2000);
      }
    }
    return { reached: false, inconclusive: true, detail: `iperf3 server on ${ip}: ${PORT_ATTEMPTS} ports in a row were taken` };
  }
}
