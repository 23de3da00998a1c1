/**
 * What the OVN benchmark (bench/ovn.ts) records about the OVN system itself: CPU by daemon role
 * and of the whole machine over each phase, and, when a cross-chassis ping never answers, the
 * state of the two chassis and of the southbound database that tells why (the questions an OVN
 * operator asks first: does the source have the tunnel, is the port bound and installed, are the
 * controllers connected, what did the daemons log).
 */
import { readFileSync } from 'node:fs';
import type { CommandRunner } from '../src/dataplane/command';
import { daemonPid } from '../src/dataplane/daemon';
import { centralDaemons, chassisDaemons } from '../src/dataplane/ovn/daemons';
import { logSignals } from './ovn-parts';
import { procCpuMs } from './scenario-probe';

/** Busy and total CPU time of the machine so far, ms (all cores, /proc/stat's first line). */
export function machineCpuMs(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is inside user): idle + iowait are not busy.
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: (total - idle) * 10, total: total * 10 };
}

/** Pids of every chassis daemon by role (ovsdb-server, ovs-vswitchd, ovn-controller) and of the central's daemons. */
export async function pidsByRole(chassisDirs: readonly string[], central: string): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  const add = async (role: string, pidfile: string): Promise<void> => {
    const p = await daemonPid(pidfile);
    if (p !== undefined) (out[role] ??= []).push(p);
  };
  for (const dir of chassisDirs) for (const d of chassisDaemons(dir, '')) await add(d.role, d.pidfile);
  for (const d of centralDaemons(central, '')) await add(`central ${d.role}`, d.pidfile);
  return out;
}

/** A CPU snapshot: per role the CPU ms its processes used so far, and the machine's. */
export interface CpuSnapshot {
  at: number;
  roles: Record<string, number>;
  machine: { busy: number; total: number };
}

export function cpuSnapshot(pids: Record<string, number[]>): CpuSnapshot {
  return { at: performance.now(), roles: Object.fromEntries(Object.entries(pids).map(([r, ps]) => [r, ps.reduce((s, p) => s + procCpuMs(p), 0)])), machine: machineCpuMs() };
}

/** One phase's CPU: wall time, and per role and for the machine the cores used on average (1.0 = one core busy all the phase). */
export interface PhaseCpu {
  phase: string;
  wallMs: number;
  /** Cores used by each role's processes together over the phase. */
  cores: Record<string, number>;
  /** Cores the whole machine used (all processes, other helpers' work too). */
  machineCores: number;
  /** Cores of the machine. */
  of: number;
}

export function phaseCpu(phase: string, a: CpuSnapshot, b: CpuSnapshot, cores: number): PhaseCpu {
  const wall = b.at - a.at;
  const r = (ms: number): number => +(ms / Math.max(1, wall)).toFixed(2);
  return {
    phase,
    wallMs: Math.round(wall),
    cores: Object.fromEntries(Object.entries(b.roles).map(([role, ms]) => [role, r(ms - (a.roles[role] ?? 0))])),
    machineCores: +(((b.machine.busy - a.machine.busy) / Math.max(1, b.machine.total - a.machine.total)) * cores).toFixed(2),
    of: cores,
  };
}

function tail(file: string, lines: number): string[] {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines);
  } catch {
    return [];
  }
}

/** Counts of slow/disconnect log lines (ovn-parts logSignals) summed over the given logs, and the first lines of each kind. */
export function logSurvey(files: readonly string[]): { counts: Record<string, number>; samples: Record<string, string[]> } {
  const sum: Record<string, number> = {};
  const samples: Record<string, string[]> = {};
  for (const f of files) {
    let text = '';
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const [k, n] of Object.entries(logSignals(text, samples))) sum[k] = (sum[k] ?? 0) + n;
  }
  return { counts: sum, samples };
}

/** One chassis as a diagnosis needs it. */
export interface ChassisRef {
  node: string;
  dir: string;
  encapIp: string;
  /** Geneve tunnels with an OpenFlow port, as its Interface monitor saw them. */
  tunnels: number;
}

/**
 * Why `to`'s anchor interface does not answer a ping from `from`'s: both chassis's controller
 * connections, tunnel counts and whether `from` has a tunnel to `to`'s address, the anchor's OVS
 * Interface (ofport, iface-id, ovn-installed) and its southbound Port_Binding (chassis, up),
 * `from`'s tunnel neighbour for `to`, the datapath flows toward the anchor's address, and the
 * last lines of both chassis's ovn-controller and ovs-vswitchd logs. Every command is read-only
 * and bounded (5 s); a failed one is reported as its error text.
 */
export async function diagnosePair(
  runner: CommandRunner,
  o: { from: ChassisRef; to: ChassisRef; anchorIf: string; anchorIp: string; sbSocket: string; fromNs: string; fromIp: string; fromMac: string; toMac: string },
): Promise<Record<string, unknown>> {
  const run = async (argv: string[]): Promise<string> => {
    const r = await runner.run(argv, { timeoutMs: 5_000 });
    return r.code === 0 ? r.stdout.trim() : `(exit ${r.code}) ${r.stderr.trim()}`;
  };
  const side = async (c: ChassisRef): Promise<Record<string, unknown>> => {
    const ctlPid = await daemonPid(`${c.dir}/ovn-controller.pid`);
    return {
      node: c.node,
      encapIp: c.encapIp,
      tunnels: c.tunnels,
      sbConnection: ctlPid === undefined ? 'ovn-controller not running' : await run(['ovn-appctl', '-t', `${c.dir}/ovn-controller.${ctlPid}.ctl`, '--timeout=5', 'connection-status']),
      ovnControllerLog: tail(`${c.dir}/ovn-controller.log`, 12),
      vswitchdLog: tail(`${c.dir}/ovs-vswitchd.log`, 12),
    };
  };
  const db = `unix:${o.to.dir}/db.sock`;
  const ifaceId = await run(['ovs-vsctl', `--db=${db}`, '--timeout=5', 'get', 'Interface', o.anchorIf, 'external_ids:iface-id']);
  const id = ifaceId.replace(/^"|"$/g, '');
  const tunnelToPeer = await run(['ovs-vsctl', `--db=unix:${o.from.dir}/db.sock`, '--timeout=5', '--format=csv', '--columns=name,ofport', 'find', 'Interface', 'type=geneve', `options:remote_ip=${JSON.stringify(o.to.encapIp)}`]);
  // A live ping (3 s) while the datapath flows of both sides are read: what each OVS does with it now.
  const ping = runner.run(['ip', 'netns', 'exec', o.fromNs, 'ping', '-n', '-q', '-c', '60', '-i', '0.05', '-w', '3', o.anchorIp], { timeoutMs: 6_000 });
  await new Promise((r) => setTimeout(r, 1_000));
  const flows = await run(['ovs-appctl', '-t', `${o.from.dir}/ovs-vswitchd.ctl`, '--timeout=5', 'dpctl/dump-flows']);
  const toFlows = await run(['ovs-appctl', '-t', `${o.to.dir}/ovs-vswitchd.ctl`, '--timeout=5', 'dpctl/dump-flows']);
  const pinged = await ping;
  const ofport = async (dir: string, name: string): Promise<string> => (await run(['ovs-vsctl', `--db=unix:${dir}/db.sock`, '--timeout=5', 'get', 'Interface', name, 'ofport'])).trim();
  const fromPort = await ofport(o.from.dir, o.anchorIf);
  // OVN's own pipeline for the echo request on the source chassis (ofproto/trace: which logical
  // and physical tables it passes and the datapath actions it ends in).
  const trace = await run([
    'ovs-appctl', '-t', `${o.from.dir}/ovs-vswitchd.ctl`, '--timeout=5', 'ofproto/trace', 'br-int',
    `in_port=${fromPort},icmp,dl_src=${o.fromMac},dl_dst=${o.toMac},nw_src=${o.fromIp},nw_dst=${o.anchorIp},nw_ttl=64,icmp_type=8`,
  ]);
  // On the target: the physical flows of table 0 for the tunnel from the source (OVN's "from a tunnel" classification).
  const tunnelOnTo = (await run(['ovs-vsctl', `--db=unix:${o.to.dir}/db.sock`, '--timeout=5', '--format=csv', '--no-headings', '--columns=ofport', 'find', 'Interface', 'type=geneve', `options:remote_ip=${JSON.stringify(o.from.encapIp)}`])).trim();
  const table0 = await run(['ovs-ofctl', '--timeout=5', 'dump-flows', `unix:${o.to.dir}/br-int.mgmt`, 'table=0']);
  return {
    livePing: pinged.stdout.split('\n').filter((l) => /transmitted/.test(l)),
    fromAnchorNeighbours: await run(['ip', '-n', o.fromNs, 'neigh', 'show']),
    traceOnFrom: trace.split('\n').filter((l) => /^\s*\d+\.|Datapath actions|output|drop|resubmit\(,3[789]\)|set_field:.*->reg15/.test(l)).slice(-25),
    datapathFlowsOnTo: toFlows.split('\n').filter((l) => l.includes(o.anchorIp) || l.includes(o.from.encapIp)).slice(0, 8),
    tunnelOnTo,
    table0OnToForTunnel: table0.split('\n').filter((l) => tunnelOnTo !== '' && l.includes(`in_port=${tunnelOnTo}`)),
    table0OnToFlows: table0.split('\n').length,
    from: await side(o.from),
    to: await side(o.to),
    tunnelFromTo: tunnelToPeer,
    anchorInterface: await run(['ovs-vsctl', `--db=${db}`, '--timeout=5', '--format=csv', '--columns=name,ofport,external_ids', 'list', 'Interface', o.anchorIf]),
    sbPortBinding: await run(['ovn-sbctl', `--db=unix:${o.sbSocket}`, '--timeout=5', '--format=csv', '--columns=logical_port,chassis,up', 'find', 'Port_Binding', `logical_port=${JSON.stringify(id)}`]),
    sbChassis: await run(['ovn-sbctl', `--db=unix:${o.sbSocket}`, '--timeout=5', '--format=csv', '--no-headings', '--columns=name', 'list', 'Chassis']).then((t) => t.split('\n').filter(Boolean).length),
    tunnelNeighbourOnFrom: (await run(['ovs-appctl', '-t', `${o.from.dir}/ovs-vswitchd.ctl`, '--timeout=5', 'tnl/neigh/show'])).split('\n').filter((l) => l.includes(o.to.encapIp) || l.startsWith('IP')),
    datapathFlowsToAnchor: flows.split('\n').filter((l) => l.includes(o.anchorIp)).slice(0, 8),
    datapathFlowCount: flows.split('\n').filter(Boolean).length,
  };
}

/** Every log of the chassis and the central, by role: for logSurvey. */
export function ovnLogs(chassisDirs: readonly string[], centralDir: string): Record<string, string[]> {
  return {
    'ovn-controller': chassisDirs.map((d) => `${d}/ovn-controller.log`),
    'ovs-vswitchd': chassisDirs.map((d) => `${d}/ovs-vswitchd.log`),
    'ovsdb-server (chassis)': chassisDirs.map((d) => `${d}/ovsdb-server.log`),
    'central ovsdb-server-sb': [`${centralDir}/ovsdb-server-sb.log`],
    'central ovn-northd': [`${centralDir}/ovn-northd.log`],
  };
}
