/**
 * What the agent measures while it builds (issue 12): endpoint-plugin call latencies, VM and
 * endpoint creation latencies, and each new endpoint's time to reachable. Everything goes into a
 * MetricsRecorder (src/model/metrics.ts) whose encoded histograms are the activity's result: a
 * batch of any size returns a few kilobytes, never a list per endpoint.
 *
 * Time to reachable of an endpoint: from the moment its batch's create request reached the agent
 * to the first echo reply a peer of its VPC gets from it. The peer is the endpoint of the same
 * VPC nearest before it in the batch (or after it, for the first one); an endpoint alone of its
 * VPC in its batch is probed from its own namespace towards its subnet's gateway, the VPC's
 * router. Probing starts as soon as the endpoint's chunk is made, with an ICMP echo request
 * every {@link REACHABILITY_PROBE_INTERVAL_MS} ms until the first reply or the timeout.
 *
 * Resolving the target's MAC is part of what is measured, at the probe's pace: while no reply
 * came, the helper follows each request with an ARP request of its own from the peer's interface
 * (sockprobe protocol 3). The peer's kernel alone resends ARP only every `retrans_time` (1 s by
 * default), so an endpoint that became answerable just after an unanswered ARP request was
 * measured up to 1 s late (bench:ovn 50 × 10: +104 % / +59 % over ovn-installed at p50 / p95).
 * Lowering the peer's `retrans_time` for the probe's duration measured the same on two namespaces
 * but changes the VM's own settings (restored by whom, if the helper dies?) and writes
 * /proc/sys/net in every probing namespace, which gets slow with thousands of them.
 *
 * The requests come from one socket helper process per batch (helpers/sockprobe.py, `icmp`: a
 * raw ICMP socket made inside the peer's namespace), {@link PROBE_CONCURRENCY} endpoints at a
 * time. They used to come from one `ip netns exec PEER ping` process per endpoint, 16 at a time:
 * each such process copies the agent's mount table (every /run/netns entry, one per VM) and
 * remounts /sys, so a probe cost more the more VMs the machine had, and the queue of probes, not
 * the network, made most of the time measured (bench:reach-trace, 1000 VMs at load 8-11: p50 21.9 s
 * waiting for a turn, 0.64 s from the first request to the reply). The ping processes remain the
 * fallback when the helper cannot start.
 */
import { performance } from 'node:perf_hooks';
import type { CommandRunner } from '../../dataplane/command';
import type { CheckOutcome } from '../../model/checks';
import { vmName } from '../../model/names';
import type { MetricsRecorder } from '../../model/metrics';
import { isProbed, REACHABILITY_PROBE_INTERVAL_MS, type ReachabilityPlan } from '../../model/sla';
import type { Endpoint, EndpointPlugin } from '../../endpoint-plugins/types';
import { pythonBinary } from '../../dataplane/ns-helper';
import { SocketHelpers } from '../testing/socket-checks';
import { keepAlive } from './heartbeat';
import { createLimiter } from './limiter';

/**
 * Probes in flight at once per batch through the socket helper: each is a thread and a raw
 * socket in the helper, sending a request every 50 ms until its endpoint answers. An endpoint
 * that is up answers within milliseconds, so the turn comes round fast; the bound is for
 * endpoints that never answer, each holding its turn for the whole timeout.
 */
export const PROBE_CONCURRENCY = 128;
/** Probes in flight at once through `ip netns exec … ping` (the fallback): each is a process. */
export const PROCESS_PROBE_CONCURRENCY = 16;

/** What the prober needs of the socket helper (SocketHelpers, src/activities/testing/socket-checks.ts). */
export interface EchoHelper {
  /** Starts the helper. @throws when it cannot start (no python, another Merak version, not scheduled in its start time). */
  start(echoServer: false): Promise<void>;
  /** ICMP echo requests from namespace file `srcNsPath` to `ip` every `intervalMs` until the first reply or `timeoutMs`. */
  icmp(srcNsPath: string, ip: string, intervalMs: number, timeoutMs: number): Promise<CheckOutcome>;
  /** Ends the helper and waits for it. */
  close(): Promise<void>;
}

/**
 * The clock latencies are measured with, in ms: monotonic and sub-microsecond
 * (performance.now). Date.now counts whole milliseconds, so a call under 1 ms was recorded as 0
 * (the histogram's floor, 1 µs) and one of 0.4 ms as 0 or 1 ms; the histograms count µs.
 */
export const latencyClock = (): number => performance.now();

/**
 * The plugin with each of its calls timed as `endpointPlugin.<COMMAND>` (one operation per call,
 * which covers a chunk of VMs or endpoints). Everything else is the plugin's own.
 */
export function timedPlugin(p: EndpointPlugin, rec: MetricsRecorder, clock: () => number): EndpointPlugin {
  const w = Object.create(p) as EndpointPlugin & Record<string, unknown>;
  const wrap = <A extends unknown[]>(kind: string, fn: (...a: A) => Promise<void>) => (...a: A) => rec.time(`endpointPlugin.${kind}`, clock, () => fn.apply(p, a));
  w.vmAdd = wrap('VM_ADD', p.vmAdd);
  w.vmUpdate = wrap('VM_UPDATE', p.vmUpdate);
  w.vmDel = wrap('VM_DEL', p.vmDel);
  w.epAdd = wrap('EP_ADD', p.epAdd);
  w.epUpdate = wrap('EP_UPDATE', p.epUpdate);
  w.epDel = wrap('EP_DEL', p.epDel);
  return w;
}

/**
 * Longest life of a batch's socket helper, s: it is closed when the batch's probes are done (or
 * the batch failed); this only ends one whose agent died without closing it.
 */
export const PROBE_HELPER_DEADLINE_S = 3600;

/**
 * The socket helper (helpers/sockprobe.py, probe role) for one batch's probes, started by
 * start() with the agent's python3 (MERAK_PYTHON or PATH, src/dataplane/ns-helper.ts).
 */
export function socketEchoHelper(runner: CommandRunner): EchoHelper {
  let helpers: SocketHelpers | undefined;
  let closed = false;
  return {
    async start() {
      const python = await pythonBinary(runner);
      if (closed) throw new Error('closed before it started');
      helpers = new SocketHelpers({ python, deadlineS: PROBE_HELPER_DEADLINE_S, workers: PROBE_CONCURRENCY });
      await helpers.start(false);
    },
    icmp(srcNsPath, ip, intervalMs, timeoutMs) {
      if (!helpers) return Promise.resolve({ reached: false, inconclusive: true, detail: 'the socket helper is not running' });
      return helpers.icmp(srcNsPath, ip, intervalMs, timeoutMs);
    },
    async close() {
      closed = true;
      await helpers?.close();
    },
  };
}

/** Where a probe runs and what it pings. */
export interface ProbeTarget {
  /** Namespace the ping runs in (the peer's VM). */
  fromNs: string;
  /** Its namespace file (what the socket helper enters). */
  fromNsPath: string;
  /** Address pinged (the endpoint's, or its gateway when it has no peer). */
  ip: string;
  /** How the endpoint is named in the report: `<node>/vm<i>/<ifname> <ip>`. */
  name: string;
}

/**
 * Picks the peer of each probed endpoint among the batch's endpoints (in VM then endpoint order):
 * the nearest earlier one of the same VPC, else the nearest later one, else its gateway.
 */
export function probeTargets(node: string, all: readonly Endpoint[], probed: (ep: Endpoint) => boolean): Array<{ ep: Endpoint; target: ProbeTarget }> {
  const out: Array<{ ep: Endpoint; target: ProbeTarget }> = [];
  all.forEach((ep, i) => {
    if (!probed(ep)) return;
    const ip = ep.ip.split('/')[0]!;
    // The VM as every other output names it (model/names.ts), then the interface and address.
    const name = `${vmName(node, ep.vmIndex)} ${ep.ifname} (${ip})`;
    let peer: Endpoint | undefined;
    for (let k = i - 1; k >= 0 && !peer; k--) if (all[k]!.vpc === ep.vpc && all[k]!.vmIndex !== ep.vmIndex) peer = all[k];
    for (let k = i + 1; k < all.length && !peer; k++) if (all[k]!.vpc === ep.vpc && all[k]!.vmIndex !== ep.vmIndex) peer = all[k];
    out.push({ ep, target: peer ? { fromNs: peer.vm.name, fromNsPath: peer.vm.netnsPath, ip, name } : { fromNs: ep.vm.name, fromNsPath: ep.vm.netnsPath, ip: ep.gateway, name } });
  });
  return out;
}

/**
 * One probe: `ip netns exec NS ping -n -q -c 1 -i 0.05 -w S IP` exits at the first reply. ping
 * with a deadline also exits at its first error (iputils: a neighbour that does not resolve gives
 * "Destination Host Unreachable" after the kernel's ARP retries, about 3 s by default), long
 * before `timeoutMs` when the endpoint is not there yet: it is run again with the time that is
 * left, at most one run per probe interval, until a reply or the timeout.
 * @returns when the reply came (clock value), or undefined when none came within `timeoutMs`
 */
export async function probeOnce(runner: CommandRunner, t: Pick<ProbeTarget, 'fromNs' | 'ip' | 'name'>, timeoutMs: number, clock: () => number): Promise<number | undefined> {
  const deadline = clock() + timeoutMs;
  // Bounded even if the clock stood still: one run per interval of the timeout, and one more.
  const maxRuns = Math.ceil(timeoutMs / REACHABILITY_PROBE_INTERVAL_MS) + 1;
  for (let run = 0; run < maxRuns; run++) {
    const left = deadline - clock();
    if (left <= 0) return undefined;
    const waitS = Math.max(1, Math.ceil(left / 1000));
    const argv = ['ip', 'netns', 'exec', t.fromNs, 'ping', '-n', '-q', '-c', '1', '-i', String(REACHABILITY_PROBE_INTERVAL_MS / 1000), '-w', String(waitS), t.ip];
    const started = clock();
    const r = await runner.run(argv, { timeoutMs: waitS * 1000 + 2000 });
    if (r.code === 0) return clock();
    const took = clock() - started;
    if (took < REACHABILITY_PROBE_INTERVAL_MS) await new Promise((res) => setTimeout(res, REACHABILITY_PROBE_INTERVAL_MS - took));
  }
  return undefined;
}

/**
 * Probes endpoints of a batch as their chunks are made, PROBE_CONCURRENCY at a time over the
 * whole batch, and records each one's time to reachable from `requestedAt` (or its name, when it
 * never answered). Call finish() when the batch went well, close() in any case.
 */
export class ReachabilityProber {
  private readonly pending: Promise<void>[] = [];
  private readonly turns = createLimiter(PROBE_CONCURRENCY);
  private readonly processTurns = createLimiter(PROCESS_PROBE_CONCURRENCY);
  private readonly helper?: EchoHelper;
  /** Whether the socket helper runs (false: the probes run as ping processes). */
  private readonly helperUp: Promise<boolean>;
  private closed = false;

  constructor(
    private readonly opts: {
      runner: CommandRunner;
      rec: MetricsRecorder;
      clock: () => number;
      node: string;
      plan: ReachabilityPlan;
      endpointsPerVm: number;
      /** Clock value when the batch's create request reached the agent. */
      requestedAt: number;
      /**
       * Makes the socket helper the probes go through; it is started right away, while the
       * batch's first chunk is made. Without one, or when it cannot start (said on stderr), each
       * probe is an `ip netns exec … ping` process.
       */
      helper?: () => EchoHelper;
    },
  ) {
    this.helper = opts.helper?.();
    const helper = this.helper;
    this.helperUp = helper
      ? helper.start(false).then(
          () => true,
          (e: unknown) => {
            process.stderr.write(`merak: time to reachable on ${opts.node}: the socket helper did not start (${(e as Error).message}); probing with one ping process per endpoint\n`);
            return false;
          },
        )
      : Promise.resolve(false);
  }

  /** Whether an endpoint is in the sample. */
  probed(ep: Endpoint): boolean {
    return isProbed(this.opts.plan, ep.vmIndex * this.opts.endpointsPerVm + ep.endpoint);
  }

  /** Starts probing `targets` (endpoints whose chunk is made) in the background. */
  start(targets: ReadonlyArray<{ target: ProbeTarget }>): void {
    const { rec, requestedAt } = this.opts;
    for (const { target } of targets) {
      const run = this.turns.run(async () => {
        const at = await this.probe(target).catch(() => undefined);
        rec.probe(target.name, at === undefined ? undefined : Math.max(0, at - requestedAt));
      }, () => undefined);
      this.pending.push(run);
    }
  }

  /** One endpoint: when its first reply came (clock value), or undefined when none came in time. */
  private async probe(t: ProbeTarget): Promise<number | undefined> {
    const { runner, clock, plan } = this.opts;
    if (this.closed) return undefined;
    if (this.helper && (await this.helperUp)) {
      const r = await this.helper.icmp(t.fromNsPath, t.ip, REACHABILITY_PROBE_INTERVAL_MS, plan.timeoutMs);
      if (r.reached) return clock();
      // The helper answered that no reply came: that is the measurement. Only when it could
      // not probe at all (it failed, or was not scheduled in time) is ping tried instead.
      if (!r.inconclusive || this.closed) return undefined;
    }
    return this.processTurns.run(() => probeOnce(runner, t, plan.timeoutMs, clock), () => undefined);
  }

  /** Waits for every probe started, heartbeating meanwhile (a probe may wait its whole timeout), then ends the helper. */
  async finish(): Promise<void> {
    const timer = setInterval(() => {
      try {
        keepAlive();
      } catch {
        // cancelled: the probes end on their own deadline
      }
    }, 5_000);
    try {
      await Promise.all(this.pending);
    } finally {
      clearInterval(timer);
      await this.close();
    }
  }

  /** Ends the socket helper (its probes in flight end with it); safe to call more than once. */
  async close(): Promise<void> {
    this.closed = true;
    await this.helper?.close();
  }
}
