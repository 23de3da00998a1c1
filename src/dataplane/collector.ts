/**
 * The eBPF collector of one emulated node (collector/merak_collector.c): where its binary, pid
 * file and socket are, starting it as a recorded daemon, stopping it, and talking to it.
 *
 * The collector counts, per network-namespace inode and ifindex, the frames and bytes each
 * device sent and received and the packets the kernel dropped with its drop reason. It counts
 * only the namespaces it was told to watch (its node's namespace and VMs), by inode: the agent
 * names them by what the kernel gives (the inode of /run/netns/<name>), and gives each a label
 * the collector hands back with the counters (0 the node, 1 + index for a VM).
 */
import { existsSync, promises as fs } from 'node:fs';
import * as net from 'node:net';
import { packagePath } from '../install/paths';
import type { CommandRunner } from './command';
import { daemonPid, pidfileArg, startDaemon, stopDaemon } from './daemon';
import { PreconditionError } from './errors';
import { RUN_ROOT, SELF_NETNS, type OwnedObject } from './owner-record-format';

/** The protocol of the collector's request lines and replies this agent speaks (PROTOCOL in the C file). */
export const COLLECTOR_PROTOCOL = 1;

/** Environment variable naming the collector binary; it wins over `.tools/collector/merak-collector`. */
export const COLLECTOR_ENV = 'MERAK_COLLECTOR';

/** Folder of every collector's pid file and socket. */
export const COLLECTOR_RUN_DIR = `${RUN_ROOT}/collector`;

/** Raised when no collector binary is found, saying how to build one. */
export class CollectorNotFoundError extends PreconditionError {
  override readonly name = 'CollectorNotFoundError';
  constructor(readonly searched: string[]) {
    super(`no merak-collector binary (looked at ${searched.join(', ')}): run \`bash scripts/provide-collector.sh\` (needs clang, bpftool, libbpf-dev) or set ${COLLECTOR_ENV} to a built one`);
  }
}

/**
 * The collector binary: $MERAK_COLLECTOR, else `<package>/.tools/collector/merak-collector`
 * (what scripts/provide-collector.sh links).
 * @throws CollectorNotFoundError when neither is an existing file.
 */
export function findCollector(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env[COLLECTOR_ENV];
  const candidates = explicit ? [explicit] : [packagePath('.tools', 'collector', 'merak-collector')];
  for (const c of candidates) if (existsSync(c)) return c;
  throw new CollectorNotFoundError(candidates);
}

/** Pid file and socket of the collector of node `node` of the scenario with tag `tag` (both below RUN_ROOT, socket ≤ 108 bytes). */
export function collectorFiles(tag: string, node: string): { pidfile: string; socket: string } {
  const base = `${COLLECTOR_RUN_DIR}/${tag}-${node}`;
  return { pidfile: `${base}.pid`, socket: `${base}.sock` };
}

/** The owner record of a node's collector: a daemon in the agent's own namespace (it needs none of the node's). */
export const collectorRecord = (tag: string, node: string): OwnedObject => ({ kind: 'daemon', netns: SELF_NETNS, pidfile: collectorFiles(tag, node).pidfile });

export interface StartCollectorOptions {
  /** The binary (findCollector()). */
  binary: string;
  tag: string;
  node: string;
  /** Interfaces counted at most (map size); more are counted as lost. @default 16384 */
  maxInterfaces?: number;
  /** Namespaces watched at most. @default 8192 */
  maxNamespaces?: number;
}

/**
 * Starts the node's collector unless it runs; the caller has recorded `collectorRecord` first.
 * @returns the collector's pid and whether this call started it.
 * @throws CommandFailedError when it does not start (its reason, e.g. missing BTF or privileges, in the message).
 */
export async function startCollector(runner: CommandRunner, o: StartCollectorOptions): Promise<{ pid: number; started: boolean }> {
  const { pidfile, socket } = collectorFiles(o.tag, o.node);
  const running = await daemonPid(pidfile);
  if (running !== undefined) return { pid: running, started: false };
  await fs.mkdir(COLLECTOR_RUN_DIR, { recursive: true, mode: 0o700 });
  const argv = [o.binary, pidfileArg(pidfile), `--socket=${socket}`];
  if (o.maxInterfaces !== undefined) argv.push(`--max-interfaces=${o.maxInterfaces}`);
  if (o.maxNamespaces !== undefined) argv.push(`--max-namespaces=${o.maxNamespaces}`);
  const pid = await startDaemon(runner, { role: 'merak-collector', netns: SELF_NETNS, pidfile, argv }, 30_000);
  return { pid, started: true };
}

/**
 * Stops the node's collector (SIGTERM: it detaches its programs and frees its maps) and removes
 * its socket and pid file if a kill left them. @returns whether one was running.
 */
export async function stopCollector(tag: string, node: string): Promise<boolean> {
  const { pidfile, socket } = collectorFiles(tag, node);
  const was = await stopDaemon(pidfile);
  await Promise.all([fs.rm(socket, { force: true }), fs.rm(pidfile, { force: true })]);
  return was;
}

/** A collector answered with an error, or not in its protocol. */
export class CollectorError extends Error {
  override readonly name = 'CollectorError';
}

/** Longest reply read from a collector (a read of 100k interfaces is about 10 MB). */
const MAX_REPLY = 64 * 1024 * 1024;

/**
 * Sends one request line to the collector behind `socket` and returns its parsed reply line.
 * @throws CollectorError when it cannot be reached within `timeoutMs` (default 5000), its reply
 *   is no JSON object, or it answers `{"error": ...}`.
 */
export function collectorRequest<T = Record<string, unknown>>(socket: string, line: string, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const conn = net.createConnection(socket);
    const fail = (why: string): void => {
      conn.destroy();
      reject(new CollectorError(`collector ${socket}: ${why}`));
    };
    conn.setTimeout(timeoutMs, () => fail(`no reply within ${timeoutMs} ms`));
    conn.on('error', (e) => fail(e.message));
    conn.on('data', (b: Buffer) => {
      size += b.length;
      if (size > MAX_REPLY) fail(`reply longer than ${MAX_REPLY} bytes`);
      else chunks.push(b);
    });
    conn.on('end', () => {
      let reply: unknown;
      try {
        reply = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return fail('reply is not JSON (another program on this socket?)');
      }
      if (typeof reply !== 'object' || reply === null) return fail('reply is not a JSON object');
      const err = (reply as { error?: unknown }).error;
      if (typeof err === 'string') return fail(err);
      resolve(reply as T);
    });
    conn.end(`${line}\n`);
  });
}

/** The inode of a network namespace file (/run/netns/<name>, /proc/self/ns/net): its identity in the kernel (ns.inum). */
export async function netnsInode(file: string): Promise<number> {
  return (await fs.stat(file)).ino;
}
