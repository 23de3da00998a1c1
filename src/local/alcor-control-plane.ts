/**
 * A local Alcor control plane: Alcor's Ignite server and eleven of its services (the build of
 * scripts/provide-alcor.sh), each a JVM in one network namespace of its own, `mk-alcor-<name>`.
 *
 * Why a namespace: Alcor's services call each other at hard-coded `localhost:90xx` and their
 * Ignite at `localhost:10800`, and the network configuration manager opens gRPC connections to
 * each node's underlay address; in a namespace of its own all of that stays off the machine's
 * loopback and can be joined to a scenario's fabric (see alcor-fabric.ts) without an address in
 * the root namespace. The root namespace gets only loopback ports: one forwarder process
 * (helpers/loopforward.py) listens on `listenHost:90xx` and connects inside the namespace.
 *
 * Exact cleanup, the way every daemon Merak starts is kept (../dataplane/daemon.ts): the
 * namespace, the pid-file folder `/run/merak/alcor-<name>` and every process (kind `daemon`: its
 * namespace and pid file, recorded before it starts; a pid counts only while its command line
 * carries `--pidfile=<its pid file>`) are recorded under the owner `alcor-<name>` in the state
 * directory's provider records, like an OVN central. `stopAlcorControlPlane` (and `merak clean
 * --all`) removes what the records name: daemons, namespace, folder. A failed start does the
 * same. Logs and a description of the control plane (listen address, build, readiness) stay in
 * `<state>/alcor/<name>/`.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { cleanScenario } from '../dataplane/clean';
import type { CommandRunner } from '../dataplane/command';
import { runChecked } from '../dataplane/command';
import { daemonPid, pidfileArg, spawnDaemon } from '../dataplane/daemon';
import { listMountedNetns, listNetns } from '../dataplane/netns';
import { pythonBinary } from '../dataplane/ns-helper';
import { RUN_ROOT, SELF_NETNS, type OwnedObject } from '../dataplane/owner-record-format';
import { FileOwnerRecords, PROVIDER_RECORDS, stateDirFromEnv } from '../dataplane/owner-records';
import { checkHelperHello, helperArgv, helperScript } from '../install/helpers';

/** One Alcor JVM: the service folder name in the build, its HTTP port, extra Spring arguments. */
export interface AlcorServiceSpec {
  name: string;
  port: number;
  args: readonly string[];
}

/**
 * The services Merak's provider needs (ports from each service's application.properties). The
 * data-plane manager waits `connectTimeout` seconds for goal-state replies (default 300, which
 * outlasts the port manager's own 300 s read timeout: ../shared/providers/alcor/README.md).
 */
export function alcorServices(connectTimeoutSec: number): AlcorServiceSpec[] {
  return [
    { name: 'vpc_manager', port: 9001, args: [] },
    { name: 'subnet_manager', port: 9002, args: [] },
    { name: 'route_manager', port: 9003, args: [] },
    { name: 'private_ip_manager', port: 9004, args: [] },
    { name: 'mac_manager', port: 9005, args: [] },
    { name: 'port_manager', port: 9006, args: [] },
    { name: 'node_manager', port: 9007, args: [] },
    { name: 'security_group_manager', port: 9008, args: [] },
    { name: 'data_plane_manager', port: 9010, args: [`--microservices.connectTimeout=${connectTimeoutSec}`] },
    // One gRPC channel per host instead of ten (each warmed up by an empty push first).
    { name: 'network_config_manager', port: 9014, args: ['--grpc.number-of-channels-per-host=1'] },
    { name: 'gateway_manager', port: 9015, args: [] },
  ];
}

/** Ignite's thin-client port, which every service uses (`ignite.host` must be `localhost`). */
export const IGNITE_CLIENT_PORT = 10800;

/**
 * The JDK 17 `--add-opens` list Ignite 2.10 documents for Java 11+ ("Running Ignite with Java 11
 * or later"), given to the server and to every service (they embed Ignite's thin client).
 */
export const JDK17_OPENS: readonly string[] = [
  'java.base/jdk.internal.access',
  'java.base/jdk.internal.misc',
  'java.base/sun.nio.ch',
  'java.base/sun.util.calendar',
  'java.management/com.sun.jmx.mbeanserver',
  'jdk.internal.jvmstat/sun.jvmstat.monitor',
  'java.base/sun.reflect.generics.reflectiveObjects',
  'jdk.management/com.sun.management.internal',
  'java.base/java.io',
  'java.base/java.nio',
  'java.base/java.net',
  'java.base/java.util',
  'java.base/java.util.concurrent',
  'java.base/java.util.concurrent.locks',
  'java.base/java.util.concurrent.atomic',
  'java.base/java.lang',
  'java.base/java.lang.invoke',
  'java.base/java.math',
  'java.sql/java.sql',
  'java.base/java.lang.reflect',
  'java.base/java.time',
  'java.base/java.text',
  'java.management/sun.management',
  'java.desktop/java.awt.font',
].map((m) => `--add-opens=${m}=ALL-UNNAMED`);

/** A control plane's name: part of the namespace name and of the state folder. */
export const ALCOR_NAME_RE = /^[a-z0-9][a-z0-9-]{0,15}$/;

/** The namespace a control plane runs in. */
export const alcorNetns = (name: string): string => `mk-alcor-${name}`;

/** The owner a control plane's records are kept under (provider records). */
export const alcorOwner = (name: string): string => `alcor-${name}`;
/** Record writer of a control plane's objects. */
export const CONTROL_PLANE_WRITER = 'control-plane';
/** Folder of a control plane's pid files (below RUN_ROOT, so a clean may remove it). */
export const alcorRunDir = (name: string): string => `${RUN_ROOT}/alcor-${name}`;

/** One process of a control plane: its role, pid file, namespace and log. */
export interface ControlPlaneProcess {
  role: string;
  /** Its pid file (`--pidfile=<this>` is in its command line). */
  pidfile: string;
  /** Namespace it runs in, or SELF_NETNS (the forwarder, in the root namespace). */
  netns: string;
  log: string;
}

/** What `<state>/alcor/<name>/control-plane.json` says about a control plane (the records say what to remove). */
export interface ControlPlaneRecord {
  name: string;
  netns: string;
  home: string;
  listenHost: string;
  processes: ControlPlaneProcess[];
  /** ISO time the start began. */
  created: string;
  /** True once every service listened. */
  ready: boolean;
}

export interface AlcorControlPlaneOptions {
  /** Control plane name. @default 'default' */
  name?: string;
  /** The build folder scripts/provide-alcor.sh printed. */
  home: string;
  /** Loopback address the REST ports are forwarded to in the root namespace. @default '127.0.0.1' */
  listenHost?: string;
  /** Merak's state directory: provider records, and logs in `alcor/<name>/`. @default stateDirFromEnv() */
  stateDir?: string;
  /** Seconds the data-plane manager waits for goal-state replies. @default 5 */
  connectTimeoutSec?: number;
  /** How long the whole start may take before it is undone. @default 420000 ms */
  readyTimeoutMs?: number;
  /** Services starting at once (each is CPU-heavy for its first seconds). @default 4 */
  parallelStarts?: number;
  /** Heap of each service JVM, MiB. @default 256 */
  serviceHeapMiB?: number;
  /** Largest off-heap data region of the Ignite server, MiB; pages are taken as they are used (Alcor's caches have 1024 partitions each: 256 MiB ran out while the services started). @default 1024 */
  igniteOffheapMiB?: number;
  runner: CommandRunner;
  log?: (line: string) => void;
}

export interface RunningControlPlane {
  record: ControlPlaneRecord;
  /** Folder of the logs and of control-plane.json. */
  logDir: string;
  /** Seconds from the start to every service listening. */
  startSeconds: number;
}

export class AlcorControlPlaneError extends Error {
  override readonly name = 'AlcorControlPlaneError';
}

/** Folder of a control plane's logs and description. */
export function controlPlaneDir(name: string, stateDir: string = stateDirFromEnv()): string {
  return join(stateDir, 'alcor', name);
}

/** The provider records of a state directory (shared with OVN centrals). */
function providerRecords(stateDir: string | undefined): FileOwnerRecords {
  return new FileOwnerRecords(stateDir ?? stateDirFromEnv(), PROVIDER_RECORDS);
}

function recordFile(dir: string): string {
  return join(dir, 'control-plane.json');
}

/** Writes the description atomically and durably (temporary file, fsync, rename). */
function writeRecord(dir: string, record: ControlPlaneRecord): void {
  const file = recordFile(dir);
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeFileSync(fd, JSON.stringify(record, null, 2));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** The description of a control plane, or undefined when there is none. */
export function readControlPlaneRecord(name: string, stateDir?: string): ControlPlaneRecord | undefined {
  const file = recordFile(controlPlaneDir(name, stateDir));
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as ControlPlaneRecord;
}

/** TCP ports listening inside a namespace (`ss -Hltn`, run there). */
async function listeningPorts(runner: CommandRunner, netns: string): Promise<Set<number>> {
  const r = await runner.run(['ip', 'netns', 'exec', netns, 'ss', '-Hltn'], { timeoutMs: 10_000 });
  const out = new Set<number>();
  for (const line of r.stdout.split('\n')) {
    const local = line.trim().split(/\s+/)[3];
    const m = local ? /:(\d+)$/.exec(local) : null;
    if (m) out.add(Number(m[1]));
  }
  return out;
}

async function tail(file: string, lines = 15): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

const alive = async (p: ControlPlaneProcess): Promise<boolean> => (await daemonPid(p.pidfile)) !== undefined;

/**
 * Starts a control plane and returns once every service listens (Ignite first: the services
 * connect to it at start). Refuses a name whose namespace or records exist.
 * @throws AlcorControlPlaneError naming the field, the value and the rule for bad options
 *   (before anything is made), or what failed, after removing what it started.
 */
export async function startAlcorControlPlane(o: AlcorControlPlaneOptions): Promise<RunningControlPlane> {
  const name = o.name ?? 'default';
  if (!ALCOR_NAME_RE.test(name)) throw new AlcorControlPlaneError(`name: ${JSON.stringify(name)} must match ${ALCOR_NAME_RE}`);
  const listenHost = o.listenHost ?? '127.0.0.1';
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(listenHost)) {
    throw new AlcorControlPlaneError(`listenHost: ${JSON.stringify(listenHost)} must be an IPv4 loopback address (127.x.y.z): nothing but loopback ports is opened in the root namespace`);
  }
  const home = resolve(o.home);
  const services = alcorServices(o.connectTimeoutSec ?? 5);
  for (const s of services) {
    if (!existsSync(join(home, 'services', `${s.name}.jar`))) {
      throw new AlcorControlPlaneError(`home: ${home} has no services/${s.name}.jar; run scripts/provide-alcor.sh and pass the folder it prints`);
    }
  }
  if (!existsSync(join(home, 'ignite', 'common.jar'))) throw new AlcorControlPlaneError(`home: ${home} has no ignite/common.jar; run scripts/provide-alcor.sh`);
  const log = o.log ?? (() => undefined);
  const dir = controlPlaneDir(name, o.stateDir);
  const netns = alcorNetns(name);
  const owner = alcorOwner(name);
  const records = providerRecords(o.stateDir);
  const live = [...(await records.live(owner)).values()].flat();
  if (live.length > 0) {
    throw new AlcorControlPlaneError(`an Alcor control plane named ${name} is recorded in ${records.stateDir}/${PROVIDER_RECORDS}/${owner} (${live.length} objects); stop it first: merak alcor down --name ${name}`);
  }
  if ((await listNetns()).has(netns)) {
    throw new AlcorControlPlaneError(`namespace ${netns} exists but no control plane record does: it is not Merak's to reuse; remove it by hand (ip netns del ${netns}) if it is a leftover`);
  }
  mkdirSync(dir, { recursive: true });
  const runDir = alcorRunDir(name);
  const proc = (role: string, inNetns: boolean): ControlPlaneProcess => ({ role, pidfile: `${runDir}/${role}.pid`, netns: inNetns ? netns : SELF_NETNS, log: join(dir, `${role}.log`) });
  const ignite = proc('ignite', true);
  const serviceProcs = services.map((s) => ({ spec: s, p: proc(s.name, true) }));
  const forwarder = proc('loopforward', false);
  const all = [ignite, ...serviceProcs.map((s) => s.p), forwarder];
  const record: ControlPlaneRecord = { name, netns, home, listenHost, processes: all, created: new Date().toISOString(), ready: false };
  // Everything is recorded before anything is made, so a crash at any point leaves a record
  // that names all of it.
  await records.intend(owner, CONTROL_PLANE_WRITER, [
    { kind: 'netns', name: netns },
    { kind: 'dir', path: runDir },
    ...all.map((p): OwnedObject => ({ kind: 'daemon', netns: p.netns, pidfile: p.pidfile })),
  ]);
  writeRecord(dir, record);
  const started = Date.now();
  const deadline = started + (o.readyTimeoutMs ?? 420_000);

  // cwd: Ignite and Spring write work files (ignite/work, tomcat) into their working folder.
  const launch = (p: ControlPlaneProcess, argv: string[]): Promise<number> =>
    spawnDaemon({ role: p.role, netns: p.netns, pidfile: p.pidfile, argv: [...argv, pidfileArg(p.pidfile)], log: p.log, cwd: dir });

  const waitFor = async (what: string, ports: number[], procs: ControlPlaneProcess[]): Promise<void> => {
    for (;;) {
      for (const p of procs) if (!(await alive(p))) throw new AlcorControlPlaneError(`${p.role} exited while starting; last lines of ${p.log}:\n${await tail(p.log)}`);
      const listening = await listeningPorts(o.runner, netns);
      if (ports.every((port) => listening.has(port))) return;
      if (Date.now() > deadline) {
        const missing = ports.filter((port) => !listening.has(port));
        throw new AlcorControlPlaneError(`${what} did not listen on ${missing.join(', ')} within ${Math.round((deadline - started) / 1000)} s`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  };

  try {
    await runChecked(o.runner, ['ip', 'netns', 'add', netns]);
    await runChecked(o.runner, ['ip', '-n', netns, 'link', 'set', 'lo', 'up']);
    const jvm = (heapMiB: number): string[] => ['java', ...JDK17_OPENS, `-Xmx${heapMiB}m`, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.net.preferIPv4Stack=true'];
    log(`starting Ignite in ${netns}`);
    // MerakIgniteServer reads only its first argument (the off-heap size); the pid-file argument after it only names the process.
    await launch(ignite, [
      ...jvm(512),
      '-DIGNITE_QUIET=true',
      '-DIGNITE_UPDATE_NOTIFIER=false',
      '-cp',
      `${join(home, 'ignite', 'lib')}/*:${join(home, 'ignite', 'common.jar')}`,
      'dev.merak.alcor.MerakIgniteServer',
      String(o.igniteOffheapMiB ?? 1024),
    ]);
    await waitFor('Ignite', [IGNITE_CLIENT_PORT], [ignite]);
    log(`Ignite listens (${Math.round((Date.now() - started) / 1000)} s); starting ${services.length} services, ${o.parallelStarts ?? 4} at a time`);
    const queue = [...serviceProcs];
    const running: ControlPlaneProcess[] = [ignite];
    const workers = Array.from({ length: Math.max(1, o.parallelStarts ?? 4) }, async () => {
      for (let s = queue.shift(); s; s = queue.shift()) {
        // Spring Boot takes `--pidfile=…` as a property nothing reads: it only names the process.
        await launch(s.p, [...jvm(o.serviceHeapMiB ?? 256), '-jar', join(home, 'services', `${s.spec.name}.jar`), '--logging.level.root=INFO', ...s.spec.args]);
        running.push(s.p);
        await waitFor(s.spec.name, [s.spec.port], running);
        log(`${s.spec.name} listens on ${s.spec.port} (${Math.round((Date.now() - started) / 1000)} s)`);
      }
    });
    await Promise.all(workers);
    await launch(forwarder, helperArgv(await pythonBinary(o.runner), 'loopforward', [`/run/netns/${netns}`, listenHost, ...services.map((s) => String(s.port))]));
    await waitForLine(forwarder, 'ready', deadline);
    checkHelperHello('loopforward', helperScript('loopforward'), (await tail(forwarder.log, 200)).split('\n').find((l) => l.startsWith('{')));
    record.ready = true;
    writeRecord(dir, record);
    const startSeconds = (Date.now() - started) / 1000;
    log(`Alcor control plane ${name} ready in ${startSeconds.toFixed(1)} s; REST on ${listenHost}:${services.map((s) => s.port).join(',')}`);
    return { record, logDir: dir, startSeconds };
  } catch (err) {
    log(`start failed, stopping what was started: ${(err as Error).message}`);
    await stopAlcorControlPlane({ name, stateDir: o.stateDir, runner: o.runner }).catch(() => undefined);
    throw err;
  }
}

async function waitForLine(p: ControlPlaneProcess, line: string, deadline: number): Promise<void> {
  for (;;) {
    const text = await tail(p.log, 50);
    if (text.split('\n').some((l) => l.trim() === line)) return;
    if (!(await alive(p))) throw new AlcorControlPlaneError(`${p.role} exited while starting; last lines of ${p.log}:\n${text}`);
    if (Date.now() > deadline) throw new AlcorControlPlaneError(`${p.role} did not report "${line}" in time; see ${p.log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface StopSummary {
  name: string;
  /** Recorded processes that were still running and were stopped. */
  stopped: number;
  /** Whether the namespace existed and was deleted. */
  netnsDeleted: boolean;
}

/**
 * Removes what a control plane's records name: its processes (SIGTERM, then SIGKILL), its
 * namespace (which also removes its fabric attachments: a veth dies with either of its
 * namespaces), its pid-file folder, then the records and the description. Logs are kept.
 * Nothing recorded: nothing to do.
 * @throws InvalidInputError for a name that is no control plane name.
 */
export async function stopAlcorControlPlane(o: { name?: string; stateDir?: string; runner: CommandRunner }): Promise<StopSummary> {
  const name = o.name ?? 'default';
  if (!ALCOR_NAME_RE.test(name)) throw new AlcorControlPlaneError(`name: ${JSON.stringify(name)} must match ${ALCOR_NAME_RE}`);
  const r = await cleanScenario({ runner: o.runner, records: providerRecords(o.stateDir) }, alcorOwner(name));
  rmSync(recordFile(controlPlaneDir(name, o.stateDir)), { force: true });
  return { name, stopped: r.daemons, netnsDeleted: r.netns > 0 };
}

export interface ControlPlaneStatus {
  name: string;
  /** Whether the provider records name anything of it. */
  recorded: boolean;
  ready: boolean;
  netns: string;
  netnsMounted: boolean;
  listenHost?: string;
  processes: Array<{ role: string; pid?: number; alive: boolean; log: string }>;
}

/** What a control plane's records and description say, and whether its parts still run. */
export async function alcorControlPlaneStatus(o: { name?: string; stateDir?: string }): Promise<ControlPlaneStatus> {
  const name = o.name ?? 'default';
  const record = readControlPlaneRecord(name, o.stateDir);
  const live = [...(await providerRecords(o.stateDir).live(alcorOwner(name))).values()].flat();
  const netns = record?.netns ?? alcorNetns(name);
  const processes = await Promise.all(
    (record?.processes ?? []).map(async (p) => {
      const pid = await daemonPid(p.pidfile);
      return { role: p.role, pid, alive: pid !== undefined, log: p.log };
    }),
  );
  return { name, recorded: live.length > 0, ready: record?.ready ?? false, netns, netnsMounted: (await listMountedNetns()).has(netns), listenHost: record?.listenHost, processes };
}
