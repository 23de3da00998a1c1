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
 * Exact cleanup: the namespace and every process are recorded in
 * `<state>/alcor/<name>/control-plane.json` before or as they are made (a process with its pid
 * and its start time, so a recycled pid is never signalled); `stopAlcorControlPlane` ends the
 * recorded processes (SIGTERM, then SIGKILL), deletes the namespace, then the record. A failed
 * start stops what it started.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CommandRunner } from '../dataplane/command';
import { runChecked } from '../dataplane/command';
import { listMountedNetns, listNetns } from '../dataplane/netns';
import { endRecordedProcess, isRecordedAlive, processStartTime } from '../dataplane/processes';
import { localStateDir } from './daemons';
import { checkHelperHello, helperArgv, helperScript } from '../install/helpers';
import { pythonBinary } from '../dataplane/ns-helper';

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

export interface RecordedProcess {
  role: string;
  pid: number;
  /** Field 22 of /proc/PID/stat (clock ticks after boot): tells this process from a later one with the same pid. */
  startTime: string;
  log: string;
}

export interface ControlPlaneRecord {
  name: string;
  netns: string;
  home: string;
  listenHost: string;
  processes: RecordedProcess[];
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
  /** Folder of the record and the logs. @default `<local state>/alcor/<name>` */
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
  stateDir: string;
  /** Seconds from the start to every service listening. */
  startSeconds: number;
}

export class AlcorControlPlaneError extends Error {
  override readonly name = 'AlcorControlPlaneError';
}

/** State folder of a control plane. */
export function controlPlaneDir(name: string, stateDir?: string): string {
  return stateDir ?? join(localStateDir(), 'alcor', name);
}

function recordFile(dir: string): string {
  return join(dir, 'control-plane.json');
}

/** Writes the record atomically and durably (temporary file, fsync, rename). */
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

/** The record of a control plane, or undefined when there is none. */
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

/**
 * Starts a control plane and returns once every service listens (Ignite first: the services
 * connect to it at start). Refuses a name whose namespace or live record exists.
 * @throws AlcorControlPlaneError naming what failed, after stopping what it started.
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
  const existing = readControlPlaneRecord(name, o.stateDir);
  if (existing) {
    throw new AlcorControlPlaneError(`an Alcor control plane named ${name} is recorded in ${dir} (${existing.processes.filter(isRecordedAlive).length} of its processes run); stop it first: merak alcor down --name ${name}`);
  }
  if ((await listNetns()).has(netns)) {
    throw new AlcorControlPlaneError(`namespace ${netns} exists but no control plane record does: it is not Merak's to reuse; remove it by hand (ip netns del ${netns}) if it is a leftover`);
  }
  mkdirSync(dir, { recursive: true });
  const record: ControlPlaneRecord = { name, netns, home, listenHost, processes: [], created: new Date().toISOString(), ready: false };
  writeRecord(dir, record);
  const started = Date.now();
  const deadline = started + (o.readyTimeoutMs ?? 420_000);

  const launch = (role: string, argv: string[], inNetns: boolean): RecordedProcess => {
    const logFile = join(dir, `${role}.log`);
    // A fresh log per start: the readiness checks read it, and a line of an earlier run must not count.
    const fd = openSync(logFile, 'w');
    const full = inNetns ? ['ip', 'netns', 'exec', netns, ...argv] : argv;
    // cwd: Ignite and Spring write work files (ignite/work, tomcat) into their working folder.
    const child = spawn(full[0]!, full.slice(1), { detached: true, stdio: ['ignore', fd, fd], cwd: dir });
    closeSync(fd);
    child.unref();
    if (child.pid === undefined) throw new AlcorControlPlaneError(`could not start ${role} (${full[0]}); see ${logFile}`);
    // `ip netns exec` execs the command in place: the pid and start time stay the JVM's.
    const p: RecordedProcess = { role, pid: child.pid, startTime: processStartTime(child.pid) ?? '', log: logFile };
    record.processes.push(p);
    writeRecord(dir, record);
    return p;
  };

  const waitFor = async (what: string, ports: number[], procs: RecordedProcess[]): Promise<void> => {
    for (;;) {
      const dead = procs.find((p) => !isRecordedAlive(p));
      if (dead) throw new AlcorControlPlaneError(`${dead.role} exited while starting; last lines of ${dead.log}:\n${await tail(dead.log)}`);
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
    const jvm = (heapMiB: number): string[] => [
      'java',
      ...JDK17_OPENS,
      `-Xmx${heapMiB}m`,
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      '-Djava.net.preferIPv4Stack=true',
    ];
    log(`starting Ignite in ${netns}`);
    const ignite = launch(
      'ignite',
      [...jvm(512), '-DIGNITE_QUIET=true', '-DIGNITE_UPDATE_NOTIFIER=false', '-cp', `${join(home, 'ignite', 'lib')}/*:${join(home, 'ignite', 'common.jar')}`, 'dev.merak.alcor.MerakIgniteServer', String(o.igniteOffheapMiB ?? 1024)],
      true,
    );
    await waitFor('Ignite', [IGNITE_CLIENT_PORT], [ignite]);
    log(`Ignite listens (${Math.round((Date.now() - started) / 1000)} s); starting ${services.length} services, ${o.parallelStarts ?? 4} at a time`);
    const queue = [...services];
    const running: RecordedProcess[] = [ignite];
    const workers = Array.from({ length: Math.max(1, o.parallelStarts ?? 4) }, async () => {
      for (let s = queue.shift(); s; s = queue.shift()) {
        const p = launch(s.name, [...jvm(o.serviceHeapMiB ?? 256), '-jar', join(home, 'services', `${s.name}.jar`), '--logging.level.root=INFO', ...s.args], true);
        running.push(p);
        await waitFor(s.name, [s.port], running);
        log(`${s.name} listens on ${s.port} (${Math.round((Date.now() - started) / 1000)} s)`);
      }
    });
    await Promise.all(workers);
    const forwarder = launch('loopforward', helperArgv(await pythonBinary(o.runner), 'loopforward', [`/run/netns/${netns}`, listenHost, ...services.map((s) => String(s.port))]), false);
    await waitForLine(forwarder, 'ready', deadline);
    checkHelperHello('loopforward', helperScript('loopforward'), (await tail(forwarder.log, 200)).split('\n').find((l) => l.startsWith('{')));
    record.ready = true;
    writeRecord(dir, record);
    const startSeconds = (Date.now() - started) / 1000;
    log(`Alcor control plane ${name} ready in ${startSeconds.toFixed(1)} s; REST on ${listenHost}:${services.map((s) => s.port).join(',')}`);
    return { record, stateDir: dir, startSeconds };
  } catch (err) {
    log(`start failed, stopping what was started: ${(err as Error).message}`);
    await stopAlcorControlPlane({ name, stateDir: o.stateDir, runner: o.runner }).catch(() => undefined);
    throw err;
  }
}

async function waitForLine(p: RecordedProcess, line: string, deadline: number): Promise<void> {
  for (;;) {
    const text = await tail(p.log, 50);
    if (text.split('\n').some((l) => l.trim() === line)) return;
    if (!isRecordedAlive(p)) throw new AlcorControlPlaneError(`${p.role} exited while starting; last lines of ${p.log}:\n${text}`);
    if (Date.now() > deadline) throw new AlcorControlPlaneError(`${p.role} did not report "${line}" in time; see ${p.log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface StopSummary {
  name: string;
  /** Recorded processes that were still running and were ended. */
  stopped: string[];
  /** Whether the namespace existed and was deleted. */
  netnsDeleted: boolean;
}

/**
 * Stops what a control plane's record names: its processes (newest first), then its namespace
 * (which also removes its fabric attachments: a veth dies with either of its namespaces), then
 * the record. Logs are kept. Nothing recorded: nothing to do.
 */
export async function stopAlcorControlPlane(o: { name?: string; stateDir?: string; runner: CommandRunner; graceMs?: number }): Promise<StopSummary> {
  const name = o.name ?? 'default';
  const dir = controlPlaneDir(name, o.stateDir);
  const record = readControlPlaneRecord(name, o.stateDir);
  if (!record) return { name, stopped: [], netnsDeleted: false };
  const stopped: string[] = [];
  // Forwarder and services first, Ignite last (services flush to it while stopping).
  const byAge = [...record.processes].reverse();
  await Promise.all(
    byAge
      .filter((p) => p.role !== 'ignite')
      .map(async (p) => {
        if (await endRecordedProcess(p, o.graceMs)) stopped.push(p.role);
      }),
  );
  for (const p of byAge.filter((q) => q.role === 'ignite')) if (await endRecordedProcess(p, o.graceMs)) stopped.push(p.role);
  let netnsDeleted = false;
  if ((await listNetns()).has(record.netns)) {
    await runChecked(o.runner, ['ip', 'netns', 'del', record.netns]);
    netnsDeleted = true;
  }
  rmSync(recordFile(dir), { force: true });
  return { name, stopped, netnsDeleted };
}

export interface ControlPlaneStatus {
  name: string;
  recorded: boolean;
  ready: boolean;
  netns: string;
  netnsMounted: boolean;
  listenHost?: string;
  processes: Array<{ role: string; pid: number; alive: boolean; log: string }>;
}

/** What a control plane's record says and whether its parts still run. */
export async function alcorControlPlaneStatus(o: { name?: string; stateDir?: string }): Promise<ControlPlaneStatus> {
  const name = o.name ?? 'default';
  const record = readControlPlaneRecord(name, o.stateDir);
  const netns = record?.netns ?? alcorNetns(name);
  return {
    name,
    recorded: record !== undefined,
    ready: record?.ready ?? false,
    netns,
    netnsMounted: (await listMountedNetns()).has(netns),
    listenHost: record?.listenHost,
    processes: (record?.processes ?? []).map((p) => ({ role: p.role, pid: p.pid, alive: isRecordedAlive(p), log: p.log })),
  };
}
