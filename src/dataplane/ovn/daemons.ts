/**
 * The OVS and OVN daemons of a central and of a chassis, as DaemonSpecs (../daemon.ts): every
 * one detaches once ready (`--detach`: ovsdb-server once it listens, ovs-vswitchd once it has
 * read its configuration), keeps its pid, log and control socket in its own folder, and finds
 * the other sockets there through OVS_RUNDIR/OVN_RUNDIR.
 *
 * ovn-controller 23.03 has no `--unixctl` option: its control socket is
 * `$OVN_RUNDIR/ovn-controller.<pid>.ctl`, and it reaches the integration bridge's OpenFlow
 * management socket at `$OVS_RUNDIR/<bridge>.mgmt`, which ovs-vswitchd makes in *its*
 * OVS_RUNDIR; both variables must name the chassis's folder (../shared/providers/ovn/README.md,
 * pitfall 1).
 */
import { pidfileArg, type DaemonSpec } from '../daemon';
import { SB_PORT, centralFiles, chassisFiles } from './paths';

/** The environment every OVS/OVN daemon of one folder runs with: all its default paths in that folder. */
export function folderEnv(dir: string): Record<string, string> {
  return { OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir, OVN_RUNDIR: dir, OVN_DBDIR: dir, OVN_LOGDIR: dir };
}

/** One OVS-library daemon: pid file, log file and (where the program has the option) control socket in `dir`. */
export function ovsDaemon(o: { role: string; netns: string; dir: string; argv: readonly string[]; unixctl: boolean }): DaemonSpec {
  const pidfile = `${o.dir}/${o.role}.pid`;
  return {
    role: o.role,
    netns: o.netns,
    pidfile,
    argv: [
      ...o.argv,
      ...(o.unixctl ? [`--unixctl=${o.dir}/${o.role}.ctl`] : []),
      pidfileArg(pidfile),
      `--log-file=${o.dir}/${o.role}.log`,
      '--detach',
      '--no-chdir',
    ],
    env: folderEnv(o.dir),
  };
}

/**
 * A central's daemons, in start order: northbound and southbound ovsdb-servers, ovn-northd, and
 * an `ovn-nbctl` in daemon mode (ovn-nbctl(8), "Daemon mode"; how ovn-kubernetes and kube-ovn
 * drive the northbound database): it keeps one connection and one copy of the database for all
 * of the plugin's calls, which reach it through its control socket (`nbctlSocket`).
 */
export function centralDaemons(name: string, netns: string): DaemonSpec[] {
  const f = centralFiles(name);
  return [
    ovsDaemon({ role: 'ovsdb-server-nb', netns, dir: f.dir, unixctl: true, argv: ['ovsdb-server', f.nbDb, `--remote=punix:${f.nbSocket}`] }),
    ovsDaemon({
      role: 'ovsdb-server-sb',
      netns,
      dir: f.dir,
      unixctl: true,
      // TCP listeners come from the SB_Global connections (set by the central's start), the way
      // ovn-ctl runs it: their inactivity probe is then configurable and survives restarts.
      argv: ['ovsdb-server', f.sbDb, `--remote=punix:${f.sbSocket}`, '--remote=db:OVN_Southbound,SB_Global,connections'],
    }),
    ovsDaemon({ role: 'ovn-northd', netns, dir: f.dir, unixctl: true, argv: ['ovn-northd', `--ovnnb-db=unix:${f.nbSocket}`, `--ovnsb-db=unix:${f.sbSocket}`] }),
    // role 'ovn-nbctl' makes its control socket `<dir>/ovn-nbctl.ctl` = centralFiles().nbctlSocket.
    ovsDaemon({ role: 'ovn-nbctl', netns, dir: f.dir, unixctl: true, argv: ['ovn-nbctl', `--db=unix:${f.nbSocket}`] }),
  ];
}

/** The southbound listener every chassis connects to: all addresses of the central's namespace (its fabric addresses). */
export const SB_LISTENER = `ptcp:${SB_PORT}`;

/** A chassis's daemons, in start order: ovsdb-server, ovs-vswitchd, ovn-controller. */
export function chassisDaemons(dir: string, netns: string): DaemonSpec[] {
  const f = chassisFiles(dir);
  return [
    ovsDaemon({ role: 'ovsdb-server', netns, dir, unixctl: true, argv: ['ovsdb-server', f.confDb, `--remote=punix:${f.dbSocket}`] }),
    ovsDaemon({ role: 'ovs-vswitchd', netns, dir, unixctl: true, argv: ['ovs-vswitchd', `unix:${f.dbSocket}`] }),
    ovsDaemon({ role: 'ovn-controller', netns, dir, unixctl: false, argv: ['ovn-controller', `unix:${f.dbSocket}`] }),
  ];
}
