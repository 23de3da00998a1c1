/**
 * TCP and UDP echo checks through the socket helper (helpers/sockprobe.py): one echo-server process and
 * one prober process per activity call, each serving every VM namespace it is asked about, so a
 * check costs a few packets, not a process start. The helper also proves that an address really
 * belongs to a VM namespace (`owns`) before any traffic is sent to or from it.
 *
 * Both helpers are started together before the first check (start()), each with the generous
 * start time of src/model/checks.ts; a check's own timeout is counted inside the helper, from
 * the moment it sends, and the agent waits for its report the supervision time on top.
 */
import { checkHelperHello, helperArgv, helperScript } from '../../install/helpers';
import { supervisionMs } from '../../model/checks';
import { HelperTimeoutError, LineProcess, type ProcessWatcher } from './line-process';
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
  /** Time each helper gets to start, ms. Default HELPER_START_MS (src/model/checks.ts). */
  startTimeoutMs?: number;
}

/** Why a helper request gave no result, as the `not tested` reason of a check. */
function notTested(e: unknown, checkTimeoutMs: number): CheckOutcome {
  const detail =
    e instanceof HelperTimeoutError
      ? `${e.message}, although the check itself is bounded by ${checkTimeoutMs} ms: the machine did not run the helper in time`
      : (e as Error).message;
  return { reached: false, inconclusive: true, detail };
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
    this.prober ??= new LineProcess(helperArgv(this.o.python, 'sockprobe', ['probe', String(this.o.deadlineS), String(this.o.workers)]), this.o.watcher, this.hello, this.o.startTimeoutMs);
    return this.prober;
  }

  private serverProcess(): LineProcess {
    this.server ??= new LineProcess(helperArgv(this.o.python, 'sockprobe', ['serve', String(this.o.deadlineS)]), this.o.watcher, this.hello, this.o.startTimeoutMs);
    return this.server;
  }

  /**
   * Starts the prober and, when `echo`, the echo server, both at once, and waits until both have
   * announced themselves.
   * @throws HelperStartError when one did not start within its start time.
   * @throws HelperProtocolError when one is from another Merak version; CommandFailedError when one could not run.
   */
  async start(echo: boolean): Promise<void> {
    const helpers = echo ? [this.probeProcess(), this.serverProcess()] : [this.probeProcess()];
    await Promise.all(helpers.map((h) => h.ready()));
  }

  /**
   * Undefined when `ip` is configured inside namespace file `nsPath`, else the reason it is not.
   * No network wait: the helper binds a socket, so only the supervision time applies.
   * @throws HelperTimeoutError when the helper did not answer within the supervision time.
   */
  async owns(nsPath: string, ip: string): Promise<string | undefined> {
    const r = await this.probeProcess().request({ op: 'owns', ns: nsPath, ip }, supervisionMs(0));
    return r.ok === true ? undefined : String(r.error);
  }

  /**
   * The echo ports serving `ip` in namespace file `nsPath`, opened on first use (no network
   * wait: supervision time only). Binding them also proves the address is configured there.
   * @throws Error when the echo server could not open them; HelperTimeoutError when it did not answer.
   */
  serve(nsPath: string, ip: string): Promise<{ tcp: number; udp: number }> {
    const key = `${nsPath} ${ip}`;
    let p = this.ports.get(key);
    if (!p) {
      p = this.serverProcess()
        .request({ ns: nsPath, ip }, supervisionMs(0))
        .then((r) => {
          if (r.ok !== true) throw new Error(`echo server on ${ip} did not start: ${String(r.error)}`);
          return { tcp: Number(r.tcp), udp: Number(r.udp) };
        });
      this.ports.set(key, p);
    }
    return p;
  }

  /** A TCP connect-and-echo or a UDP datagram echo from the source namespace to the destination, served by this process's echo server. */
  async check(kind: 'tcp' | 'udp', srcNsPath: string, dstNsPath: string, ip: string, timeoutMs: number): Promise<CheckOutcome> {
    let ports: { tcp: number; udp: number };
    try {
      ports = await this.serve(dstNsPath, ip);
    } catch (e) {
      return notTested(e, timeoutMs);
    }
    return this.probe(kind, srcNsPath, ip, ports[kind], timeoutMs);
  }

  /**
   * A TCP connect-and-echo or a UDP datagram echo from the source namespace to `ip`:`port`,
   * whoever serves it (this process, or the destination node's agent).
   */
  async probe(kind: 'tcp' | 'udp', srcNsPath: string, ip: string, port: number, timeoutMs: number): Promise<CheckOutcome> {
    let r: Record<string, unknown>;
    try {
      // The helper bounds the network wait by timeoutMs, counted from its send; the agent waits
      // the supervision time on top, so a helper not scheduled for a while is never a verdict.
      r = await this.probeProcess().request({ op: kind, ns: srcNsPath, ip, port, bytes: ECHO_PAYLOAD_BYTES, timeoutMs }, supervisionMs(timeoutMs));
    } catch (e) {
      return notTested(e, timeoutMs);
    }
    if (r.ok === true) return { reached: true, latencyMs: Number(r.rttMs) };
    return { reached: false, detail: String(r.error) };
  }

  /**
   * ICMP echo requests from the source namespace to `ip`, one every `intervalMs`, until the
   * first echo reply or `timeoutMs` (counted in the helper from its first send): time to
   * reachable without a process per probe (src/activities/agent/measure.ts).
   * @returns reached on the first reply (latencyMs: from the request it answered); not reached
   *   with the helper's reason; inconclusive when the helper did not answer in time or failed.
   */
  async icmp(srcNsPath: string, ip: string, intervalMs: number, timeoutMs: number): Promise<CheckOutcome> {
    let r: Record<string, unknown>;
    try {
      r = await this.probeProcess().request({ op: 'icmp', ns: srcNsPath, ip, intervalMs, timeoutMs }, supervisionMs(timeoutMs));
    } catch (e) {
      return notTested(e, timeoutMs);
    }
    if (r.ok === true) return { reached: true, latencyMs: Number(r.rttMs) };
    // No `sent` means the helper failed before sending (the namespace is gone, no raw socket).
    return r.sent === undefined ? { reached: false, inconclusive: true, detail: String(r.error) } : { reached: false, detail: String(r.error) };
  }

  /** Ends the prober only (the echo server keeps serving until close() or its deadline). */
  async closeProber(): Promise<void> {
    const p = this.prober;
    this.prober = undefined;
    await p?.close();
  }

  /** Ends both helpers (stdin closed, SIGKILL after the grace period) and waits for them. */
  async close(): Promise<void> {
    await Promise.all([this.server?.close(), this.prober?.close()]);
  }
}
