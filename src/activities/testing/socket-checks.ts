/**
 * TCP and UDP echo checks through the socket helper (helpers/sockprobe.py): one echo-server process and
 * one prober process per activity call, each serving every VM namespace it is asked about, so a
 * check costs a few packets, not a process start. The helper also proves that an address really
 * belongs to a VM namespace (`owns`) before any traffic is sent to or from it.
 */
import { checkHelperHello, helperArgv, helperScript } from '../../install/helpers';
import { LineProcess, type ProcessWatcher } from './line-process';
import type { CheckOutcome } from './outcome';

/** Bytes echoed by one TCP or UDP check. */
export const ECHO_PAYLOAD_BYTES = 256;

export interface SocketHelperOptions {
  python: string;
  /** Seconds after which the helpers end on their own even if never closed. */
  deadlineS: number;
  /** Checks the prober runs at once. */
  workers: number;
  watcher?: ProcessWatcher;
}

export class SocketHelpers {
  private server?: LineProcess;
  private prober?: LineProcess;
  private readonly ports = new Map<string, Promise<{ tcp: number; udp: number }>>();
  private readonly script = helperScript('sockprobe');
  /** Refuses a helper of another protocol version (its first line says which). */
  private readonly hello = (line: string) => checkHelperHello('sockprobe', this.script, line);

  constructor(private readonly o: SocketHelperOptions) {}

  private probeProcess(): LineProcess {
    this.prober ??= new LineProcess(helperArgv(this.o.python, 'sockprobe', ['probe', String(this.o.deadlineS), String(this.o.workers)]), this.o.watcher, this.hello);
    return this.prober;
  }

  private serverProcess(): LineProcess {
    this.server ??= new LineProcess(helperArgv(this.o.python, 'sockprobe', ['serve', String(this.o.deadlineS)]), this.o.watcher, this.hello);
    return this.server;
  }

  /** Undefined when `ip` is configured inside namespace file `nsPath`, else the reason it is not. */
  async owns(nsPath: string, ip: string, timeoutMs: number): Promise<string | undefined> {
    const r = await this.probeProcess().request({ op: 'owns', ns: nsPath, ip }, timeoutMs);
    return r.ok === true ? undefined : String(r.error);
  }

  /** The echo ports serving `ip` in `nsPath`, started on first use. */
  private echoPorts(nsPath: string, ip: string, timeoutMs: number): Promise<{ tcp: number; udp: number }> {
    const key = `${nsPath} ${ip}`;
    let p = this.ports.get(key);
    if (!p) {
      p = this.serverProcess()
        .request({ ns: nsPath, ip }, timeoutMs)
        .then((r) => {
          if (r.ok !== true) throw new Error(`echo server on ${ip} did not start: ${String(r.error)}`);
          return { tcp: Number(r.tcp), udp: Number(r.udp) };
        });
      this.ports.set(key, p);
    }
    return p;
  }

  /** A TCP connect-and-echo or a UDP datagram echo from the source namespace to the destination. */
  async check(kind: 'tcp' | 'udp', srcNsPath: string, dstNsPath: string, ip: string, timeoutMs: number): Promise<CheckOutcome> {
    let ports: { tcp: number; udp: number };
    try {
      ports = await this.echoPorts(dstNsPath, ip, timeoutMs);
    } catch (e) {
      return { reached: false, inconclusive: true, detail: (e as Error).message };
    }
    let r: Record<string, unknown>;
    try {
      // The helper bounds the check by timeoutMs; the extra second covers its own scheduling.
      r = await this.probeProcess().request({ op: kind, ns: srcNsPath, ip, port: ports[kind], bytes: ECHO_PAYLOAD_BYTES, timeoutMs }, timeoutMs + 1000);
    } catch (e) {
      return { reached: false, inconclusive: true, detail: (e as Error).message };
    }
    if (r.ok === true) return { reached: true, latencyMs: Number(r.rttMs) };
    return { reached: false, detail: String(r.error) };
  }

  /** Ends both helpers (stdin closed, SIGKILL after the grace period) and waits for them. */
  async close(): Promise<void> {
    await Promise.all([this.server?.close(), this.prober?.close()]);
  }
}
