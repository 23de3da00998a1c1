/**
 * The destination side of checks run from another node (src/model/test-servers.ts): one session
 * per (source node, test run), opened by startTestServers and closed by stopTestServers, both on
 * this node's own task queue. A session proves each destination address is configured in its VM
 * namespace, then holds a TCP/UDP echo server (one socket helper for all its addresses) and one
 * iperf3 server per address, as the kinds ask.
 *
 * Bounded in time three ways: every process is given the session's deadline and ends on its own
 * after it even if this agent dies (the socket helper also when its stdin closes); this process
 * closes the session at the deadline if no stop came; and a stop closes it at once.
 */
import type { ChildProcess } from 'node:child_process';
import { forEachBounded } from '../../model/concurrency';
import { endKey, type RemoteEnd, type ServedEnd } from '../../model/test-servers';
import type { TestKind } from '../../model/spec';
import type { IperfChecker } from './iperf';
import { stopChild } from './line-process';
import type { SocketHelpers } from './socket-checks';

/** Grace an iperf3 server gets after SIGTERM before SIGKILL, ms. */
const STOP_GRACE_MS = 2000;
/** Addresses proven and served at once in one session. */
export const SERVE_CONCURRENCY = 8;

/** How a session reaches one destination end (resolved by the activity, which knows the tag). */
export interface SessionEnd extends ServedEnd {
  /** The VM's namespace file, or undefined with `problem` when it is not on this host. */
  nsPath?: string;
  /** The VM's namespace name (for `ip netns exec`). */
  ns?: string;
  problem?: string;
}

export class ServerSession {
  private readonly iperfs: ChildProcess[] = [];
  private closed?: Promise<void>;
  private readonly timer: NodeJS.Timeout;
  /** What startTestServers answered (a retried start gets the same answer). */
  result?: Promise<RemoteEnd[]>;

  constructor(
    private readonly node: string,
    private readonly sockets: SocketHelpers,
    private readonly iperf: IperfChecker,
    private readonly deadlineS: number,
    onExpire: () => void,
  ) {
    // The stop may never come (workflow gone, activity lost): end the session at the deadline.
    this.timer = setTimeout(onExpire, deadlineS * 1000);
    this.timer.unref();
  }

  /**
   * Proves and serves `ends` for `kinds`, up to {@link SERVE_CONCURRENCY} at once, then ends the
   * prober (the servers go on). An end that cannot be proven or served gets a problem; the others
   * are served.
   * @throws HelperStartError, CommandFailedError when the socket helper could not start; HelperTimeoutError when it did not answer.
   */
  async serve(kinds: readonly TestKind[], ends: readonly SessionEnd[]): Promise<RemoteEnd[]> {
    const echo = kinds.includes('tcp') || kinds.includes('udp');
    await this.sockets.start(echo);
    const out: RemoteEnd[] = new Array(ends.length);
    try {
      await forEachBounded(ends, SERVE_CONCURRENCY, async (e, i) => {
        const r: RemoteEnd = { node: this.node, vmIndex: e.vmIndex, ip: e.ip };
        out[i] = r;
        if (e.problem || !e.nsPath || !e.ns) {
          r.problem = e.problem ?? `VM namespace of ${endKey({ node: this.node, ...e })} is unknown`;
          return;
        }
        try {
          const owned = await this.sockets.owns(e.nsPath, e.ip);
          if (owned) {
            r.problem = `address ${e.ip} is not configured in VM namespace ${e.ns} on node ${this.node} (${owned})`;
            return;
          }
          if (echo) {
            const ports = await this.sockets.serve(e.nsPath, e.ip);
            if (kinds.includes('tcp')) r.tcp = ports.tcp;
            if (kinds.includes('udp')) r.udp = ports.udp;
          }
          if (kinds.includes('iperf')) {
            const s = await this.iperf.serve(e.ns, e.ip, this.deadlineS);
            if ('problem' in s) r.problem = s.problem;
            else if (this.closed) {
              // Stopped while this end was being served (a start the workflow gave up on): nothing may outlive the stop.
              await stopChild(s.child, STOP_GRACE_MS);
              r.problem = `servers on ${e.ip} on node ${this.node} were stopped while starting`;
            } else {
              this.iperfs.push(s.child);
              r.iperf = s.port;
            }
          }
        } catch (err) {
          r.problem = `servers on ${e.ip} in ${e.ns} on node ${this.node}: ${(err as Error).message}`;
        }
      });
    } finally {
      await this.sockets.closeProber();
    }
    return out;
  }

  /** Ends every server of the session and waits for them; safe to call more than once. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      clearTimeout(this.timer);
      await Promise.all([this.sockets.close(), ...this.iperfs.map((c) => stopChild(c, STOP_GRACE_MS))]);
    })();
    return this.closed;
  }
}
