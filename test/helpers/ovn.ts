/**
 * Checks shared by the OVN tests: what runs, what is in the central's databases, and that a
 * run left nothing behind (processes, folders, namespaces, rows).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { centralFiles } from '../../src/dataplane/ovn/paths';

/** Whether the OVN and OVS tools are installed (Debian ovn-central, ovn-host, openvswitch-switch). */
export const hasOvn = ['/usr/bin/ovn-nbctl', '/usr/sbin/ovs-vswitchd', '/usr/bin/ovn-controller', '/usr/bin/ovn-northd'].every((p) => existsSync(p));

/** Pids of processes whose command line mentions `needle` (a folder of ours). */
export function processesMentioning(needle: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (cmd.includes(needle)) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out.filter((p) => p !== process.pid);
}

/** Runs an ovn-nbctl/ovn-sbctl/ovs-vsctl command against a unix socket; returns trimmed stdout. */
export function ovsdb(tool: 'ovn-nbctl' | 'ovn-sbctl' | 'ovs-vsctl', socket: string, ...args: string[]): string {
  return execFileSync(tool, [`--db=unix:${socket}`, '--timeout=20', ...args], { encoding: 'utf8' }).trim();
}

/** Names of the Chassis rows in a southbound database. */
export function chassisNames(sbSocket: string): string[] {
  const out = ovsdb('ovn-sbctl', sbSocket, '--bare', '--columns=name', 'list', 'Chassis');
  return out === '' ? [] : out.split('\n').filter((l) => l !== '').sort();
}

/** Number of rows of a northbound table. */
export function nbCount(nbSocket: string, table: string): number {
  const out = ovsdb('ovn-nbctl', nbSocket, '--bare', '--columns=_uuid', 'list', table);
  return out === '' ? 0 : out.split('\n').filter((l) => l !== '').length;
}

/** Waits until `check` is true, polling every `everyMs`, at most `timeoutMs`; returns the elapsed ms or throws. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000, everyMs = 50): Promise<number> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return Date.now() - t0;
}

/** A free TCP port on loopback (bound, read, released: the plugin binds it right after). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** `merak plugin serve --provider ovn` as a real process of the built CLI, restartable on its port and central. */
export interface OvnPluginProcess {
  readonly address: string;
  readonly central: string;
  readonly nbSocket: string;
  readonly sbSocket: string;
  /** The running process's pid. */
  pid(): number;
  /** Everything every run of it wrote on stderr. */
  log(): string;
  /** kill -9: the central keeps running (a crash). */
  kill9(): Promise<void>;
  /** Starts it again on the same port and central (after kill9). */
  start(): Promise<void>;
  /** SIGTERM: the plugin stops and removes its central. */
  close(): Promise<void>;
}

/**
 * Starts the built CLI's OVN plugin (`node bin/merak.js plugin serve --provider ovn`) on a free
 * port with central `central`, its owner records in `stateDir` (MERAK_STATE_DIR), and waits
 * (bounded, 90 s: the central starts first) until it listens.
 * @throws Error with its stderr when it exits or does not listen in time
 */
export async function spawnOvnPlugin(o: { central: string; stateDir: string; root: string }): Promise<OvnPluginProcess> {
  const { spawn } = await import('node:child_process');
  const port = await freePort();
  let text = '';
  let child: import('node:child_process').ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const start = async (): Promise<void> => {
    const runStart = text.length;
    const c = spawn(process.execPath, [`${o.root}/bin/merak.js`, 'plugin', 'serve', '--provider', 'ovn', '--port', String(port), '--central', o.central], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, MERAK_STATE_DIR: o.stateDir },
    });
    child = c;
    c.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    exited = new Promise((resolve) => c.once('exit', () => resolve()));
    await waitFor(`the OVN plugin listening on 127.0.0.1:${port}`, () => {
      if (c.exitCode !== null || c.signalCode !== null) throw new Error(`merak plugin serve --provider ovn exited: ${text.slice(runStart)}`);
      return text.slice(runStart).includes(`listening on 127.0.0.1:${port}`);
    }, 90_000, 100);
  };
  const stopWith = async (signal: NodeJS.Signals, graceMs: number): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    c.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), graceMs)));
    const r = await Promise.race([exited.then(() => 'exited' as const), late]);
    clearTimeout(timer);
    if (r === 'late') {
      c.kill('SIGKILL');
      await exited;
      throw new Error(`the OVN plugin did not stop within ${graceMs} ms of ${signal}: ${text}`);
    }
  };
  await start();
  const { nbSocket, sbSocket } = centralFiles(o.central);
  const files = { nbSocket, sbSocket };
  return {
    address: `127.0.0.1:${port}`,
    central: o.central,
    ...files,
    pid: () => child!.pid!,
    log: () => text,
    kill9: () => stopWith('SIGKILL', 10_000),
    start,
    close: () => stopWith('SIGTERM', 60_000),
  };
}
