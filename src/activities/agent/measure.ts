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
 * router. Probing starts as soon as the endpoint's chunk is made, with iputils ping sending an
 * echo request every {@link REACHABILITY_PROBE_INTERVAL_MS} ms until the first reply or the
 * timeout.
 */
import type { CommandRunner } from '../../dataplane/command';
import { forEachBounded } from '../../model/concurrency';
import type { MetricsRecorder } from '../../model/metrics';
import { isProbed, REACHABILITY_PROBE_INTERVAL_MS, type ReachabilityPlan } from '../../model/sla';
import type { Endpoint, EndpointPlugin } from '../../endpoint-plugins/types';
import { keepAlive } from './heartbeat';

/** Probes in flight at once per batch: each is one sleeping ping process. */
export const PROBE_CONCURRENCY = 16;

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

/** Where a probe runs and what it pings. */
export interface ProbeTarget {
  /** Namespace the ping runs in (the peer's VM). */
  fromNs: string;
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
    const name = `${node}/vm${ep.vmIndex}/${ep.ifname} ${ip}`;
    let peer: Endpoint | undefined;
    for (let k = i - 1; k >= 0 && !peer; k--) if (all[k]!.vpc === ep.vpc && all[k]!.vmIndex !== ep.vmIndex) peer = all[k];
    for (let k = i + 1; k < all.length && !peer; k++) if (all[k]!.vpc === ep.vpc && all[k]!.vmIndex !== ep.vmIndex) peer = all[k];
    out.push({ ep, target: peer ? { fromNs: peer.vm.name, ip, name } : { fromNs: ep.vm.name, ip: ep.gateway, name } });
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
export async function probeOnce(runner: CommandRunner, t: ProbeTarget, timeoutMs: number, clock: () => number): Promise<number | undefined> {
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
 * Probes endpoints of a batch as their chunks are made, PROBE_CONCURRENCY at a time, and records
 * each one's time to reachable from `requestedAt` (or its name, when it never answered).
 */
export class ReachabilityProber {
  private readonly pending: Promise<void>[] = [];

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
    },
  ) {}

  /** Whether an endpoint is in the sample. */
  probed(ep: Endpoint): boolean {
    return isProbed(this.opts.plan, ep.vmIndex * this.opts.endpointsPerVm + ep.endpoint);
  }

  /** Starts probing `targets` (endpoints whose chunk is made) in the background. */
  start(targets: ReadonlyArray<{ target: ProbeTarget }>): void {
    if (targets.length === 0) return;
    const { runner, rec, clock, plan, requestedAt } = this.opts;
    const run = forEachBounded(targets, PROBE_CONCURRENCY, async ({ target }) => {
      const at = await probeOnce(runner, target, plan.timeoutMs, clock).catch(() => undefined);
      rec.probe(target.name, at === undefined ? undefined : Math.max(0, at - requestedAt));
    });
    run.catch(() => undefined); // awaited in finish()
    this.pending.push(run);
  }

  /** Waits for every probe started, heartbeating meanwhile (a probe may wait its whole timeout). */
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
    }
  }
}
