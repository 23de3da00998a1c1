/**
 * An OVN chassis inside a node namespace: its own ovsdb-server, ovs-vswitchd on the userspace
 * datapath and ovn-controller, the way ../shared/providers/ovn/README.md found to work here (no
 * openvswitch or geneve kernel module): every bridge is `datapath_type=netdev`; the node's
 * underlay veth is a port of the OVS bridge `br-ul`, and the tunnel (encap) address sits on that
 * bridge's internal port, because OVS's userspace tunnels route the outer packet through OVS's
 * own route table and neighbour cache, which resolve only through an OVS bridge. VMs' veths join
 * the integration bridge `br-int` (fail_mode=secure) with `external_ids:iface-id`.
 *
 * Everything is recorded in the node's owner records before it is made (the folder, each daemon
 * by its pid file, the chassis row it will register), so `merak clean` finds it after any crash.
 * `ensureChassis` is idempotent: it starts what does not run and re-applies the configuration,
 * which is also how a crashed daemon is brought back (`watchChassis`).
 */
import { promises as fs } from 'node:fs';
import type { CommandRunner } from '../command';
import { runChecked } from '../command';
import { daemonPid, startDaemon, stopDaemon } from '../daemon';
import { runBatch } from '../ip-batch';
import { listMountedNetns } from '../netns';
import type { OwnedObject } from '../owner-record-format';
import type { OwnerRecordStore } from '../owner-records';
import type { Supervisor } from '../supervisor';
import { ctl, kv } from './ctl';
import { chassisDaemons } from './daemons';
import { INTEGRATION_BRIDGE, UNDERLAY_BRIDGE, chassisDir, chassisFiles } from './paths';

/** The vswitch schema Debian's openvswitch-common ships. */
export const VSWITCH_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

/** How long ovs-vsctl waits for ovs-vswitchd to apply a change (a busy machine with a hundred chassis is slow). */
const VSCTL_TIMEOUT_SEC = 60;

/** What one chassis needs. */
export interface ChassisConfig {
  scenario: string;
  /** The node: the owner-record writer and part of the folder name. */
  node: string;
  tag: string;
  /** The node's namespace. */
  netns: string;
  /** The chassis name in the southbound database (OVS `system-id`). */
  systemId: string;
  /** Tunnel (encap) address: the node's underlay address. */
  encapIp: string;
  underlayPrefix: number;
  /** The node's underlay veth in its namespace; it becomes a port of `br-ul`. */
  underlayDevice: string;
  /** Where ovn-controller finds the southbound database, e.g. `tcp:100.64.255.254:6642`. */
  sbRemote: string;
  /** The southbound database's unix socket (for the `ovn-chassis` record, which `merak clean` uses). */
  sbSocket: string;
}

export interface ChassisDeps {
  runner: CommandRunner;
  records: OwnerRecordStore;
}

/** The chassis's OVS database as a ctl target. */
export function chassisDb(dir: string, timeoutSec = VSCTL_TIMEOUT_SEC) {
  return { tool: 'ovs-vsctl' as const, db: `unix:${chassisFiles(dir).dbSocket}`, timeoutSec };
}

/** The owner records of a chassis, in creation order. */
export function chassisObjects(c: ChassisConfig): OwnedObject[] {
  const dir = chassisDir(c.tag, c.node);
  return [
    { kind: 'dir', path: dir },
    ...chassisDaemons(dir, c.netns).map((d): OwnedObject => ({ kind: 'daemon', netns: c.netns, pidfile: d.pidfile })),
    { kind: 'ovn-chassis', socket: c.sbSocket, name: c.systemId },
  ];
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}

/** Creates an OVSDB database file from a schema unless it exists (atomically: a crash leaves no half file). */
export async function ensureDbFile(runner: CommandRunner, file: string, schema: string): Promise<void> {
  if (await exists(file)) return;
  const tmp = `${file}.tmp`;
  await fs.rm(tmp, { force: true });
  await runChecked(runner, ['ovsdb-tool', 'create', tmp, schema]);
  await fs.rename(tmp, file);
}

/**
 * Makes the chassis run: records, folder, database, the three daemons and their configuration.
 * @returns the roles it had to start (empty when everything ran)
 * @throws CommandFailedError, OvsdbUnreachableError, OvsdbCommandError when a step fails.
 */
export async function ensureChassis(deps: ChassisDeps, c: ChassisConfig): Promise<{ started: string[] }> {
  const dir = chassisDir(c.tag, c.node);
  const f = chassisFiles(dir);
  const [ovsdb, vswitchd, controller] = chassisDaemons(dir, c.netns);
  await deps.records.intend(c.scenario, c.node, chassisObjects(c));
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await ensureDbFile(deps.runner, f.confDb, VSWITCH_SCHEMA);
  const started: string[] = [];
  const ensure = async (d: typeof ovsdb): Promise<void> => {
    if ((await daemonPid(d.pidfile)) !== undefined) return;
    await startDaemon(deps.runner, d);
    started.push(d.role);
  };
  await ensure(ovsdb);
  const db = chassisDb(dir);
  await ctl(
    deps.runner,
    db,
    [
      ['init'],
      [
        'set',
        'Open_vSwitch',
        '.',
        kv('external_ids', 'system-id', c.systemId),
        kv('external_ids', 'hostname', c.systemId),
        kv('external_ids', 'ovn-remote', c.sbRemote),
        kv('external_ids', 'ovn-encap-type', 'geneve'),
        kv('external_ids', 'ovn-encap-ip', c.encapIp),
        kv('external_ids', 'ovn-bridge', INTEGRATION_BRIDGE),
        kv('external_ids', 'ovn-bridge-datapath-type', 'netdev'),
        // A hundred chassis on two cores answer probes late; OVN's 5 s default made them reconnect.
        kv('external_ids', 'ovn-remote-probe-interval', '60000'),
      ],
    ],
    { noWait: true },
  );
  await ensure(vswitchd);
  // ARP flux: the kernel still receives what arrives on the veth (OVS reads it with AF_PACKET),
  // and with arp_ignore=0 it answers an ARP for any local address on any interface, so a peer's
  // ARP for the encap address got two replies, br-ul's MAC and the veth's. A peer that kept the
  // veth's MAC sent Geneve frames that br-ul's userspace tunnel pop does not take as its own:
  // lost until the neighbour entry changed (issue 11, a bench anchor that never answered).
  // arp_ignore=1 answers only for addresses configured on the incoming interface, and the veth
  // has none (kernel Documentation/networking/ip-sysctl.rst, arp_ignore). Set before the veth
  // joins br-ul, so no request is answered twice in between.
  await runChecked(deps.runner, ['ip', 'netns', 'exec', c.netns, 'sysctl', '-q', '-w', `net.ipv4.conf.${c.underlayDevice}.arp_ignore=1`]);
  await ctl(deps.runner, db, [
    ['--may-exist', 'add-br', UNDERLAY_BRIDGE],
    ['set', 'Bridge', UNDERLAY_BRIDGE, 'datapath_type=netdev'],
    ['--may-exist', 'add-port', UNDERLAY_BRIDGE, c.underlayDevice],
    ['--may-exist', 'add-br', INTEGRATION_BRIDGE],
    ['set', 'Bridge', INTEGRATION_BRIDGE, 'datapath_type=netdev', 'fail_mode=secure', kv('other_config', 'disable-in-band', 'true')],
  ]);
  // ovs-vswitchd made br-ul's internal port (a tap device) when it applied the change above.
  await runBatch(
    deps.runner,
    [`addr flush dev ${c.underlayDevice}`, `link set ${c.underlayDevice} up`, `addr replace ${c.encapIp}/${c.underlayPrefix} dev ${UNDERLAY_BRIDGE}`, `link set ${UNDERLAY_BRIDGE} up`],
    { netns: c.netns },
  );
  await ensure(controller);
  return { started };
}

/**
 * Stops a chassis on purpose: ovn-controller first, asked to `exit` so it deletes its own
 * Chassis and Chassis_Private rows (OVN's graceful shutdown; a signal leaves them), then the
 * others. The folder and the records stay for the caller's clean. Safe on what is gone.
 */
export async function stopChassis(runner: CommandRunner, dir: string, netns: string): Promise<void> {
  const [ovsdb, vswitchd, controller] = chassisDaemons(dir, netns);
  const pid = await daemonPid(controller.pidfile);
  if (pid !== undefined) {
    await runner.run(['ovn-appctl', '-t', `${dir}/ovn-controller.${pid}.ctl`, '--timeout=5', 'exit'], { timeoutMs: 10_000 });
    await stopDaemon(controller.pidfile, 5_000);
  }
  await stopDaemon(vswitchd.pidfile);
  await stopDaemon(ovsdb.pidfile);
}

/**
 * Watches the chassis's daemons: one that is gone while its namespace and record exist is
 * brought back by running ensureChassis again (which starts only what is missing and re-applies
 * the configuration, e.g. br-ul's address after ovs-vswitchd's tap device went with it).
 */
export function watchChassis(supervisor: Supervisor, deps: ChassisDeps, c: ChassisConfig): void {
  const dir = chassisDir(c.tag, c.node);
  for (const d of chassisDaemons(dir, c.netns)) {
    supervisor.watch({
      key: d.pidfile,
      describe: `${d.role} of node ${c.node} (scenario ${c.scenario})`,
      alive: async () => (await daemonPid(d.pidfile)) !== undefined,
      wanted: async () => {
        if (!(await listMountedNetns()).has(c.netns)) return false;
        const objects = await deps.records.liveOf(c.scenario, c.node);
        return objects.some((o) => o.kind === 'daemon' && o.pidfile === d.pidfile);
      },
      restart: async () => {
        await ensureChassis(deps, c);
      },
    });
  }
}

/** Stops watching a chassis (before stopping it on purpose). */
export function unwatchChassis(supervisor: Supervisor, dir: string): void {
  supervisor.unwatch((key) => key.startsWith(`${dir}/`));
}
