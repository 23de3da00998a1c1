import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { makeClientCert, makeTestPki, type ClientCert, type TestPki } from './k8s-pki';
import { forgetTestProcesses, recordTestProcesses, stopOrphanedTestProcesses } from './test-processes';

const run = promisify(execFile);

// A real kube-apiserver backed by a real etcd, both on loopback, made for one test file.
// Neither a kubelet nor a controller-manager runs: tests play their parts (pod status through
// the status subresource, a namespace's `default` service account) where they need them.
// Tests talk to it with the project's kubectl, not @kubernetes/client-node: that package is
// ESM-only and jest's CommonJS runtime cannot load it, while the controller (a child process
// under plain Node, which loads ESM from require) uses it for real.

const REPO_ROOT = resolve(__dirname, '..', '..');

/** Where the binaries come from: environment override, else the project's build, else PATH (etcd). */
export interface KubeBinaries {
  apiserver: string;
  etcd: string;
  kubectl: string;
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** Finds the binaries or throws saying how to get them (scripts/provide-kube-apiserver.sh, apt etcd-server). */
export function findKubeBinaries(): KubeBinaries {
  const apiserver = process.env.MERAK_KUBE_APISERVER ?? join(REPO_ROOT, '.tools', 'bin', 'kube-apiserver');
  const kubectl = process.env.MERAK_KUBECTL ?? join(REPO_ROOT, '.tools', 'bin', 'kubectl');
  const etcd = process.env.MERAK_ETCD ?? onPath('etcd') ?? '/usr/bin/etcd';
  const missing: string[] = [];
  if (!existsSync(apiserver)) missing.push(`kube-apiserver (${apiserver}): run scripts/provide-kube-apiserver.sh or set MERAK_KUBE_APISERVER`);
  if (!existsSync(kubectl)) missing.push(`kubectl (${kubectl}): run scripts/provide-kube-apiserver.sh or set MERAK_KUBECTL`);
  if (!existsSync(etcd)) missing.push(`etcd (${etcd}): apt-get install etcd-server, or set MERAK_ETCD`);
  if (missing.length > 0) throw new Error(`Kubernetes test binaries missing:\n  ${missing.join('\n  ')}`);
  return { apiserver, etcd, kubectl };
}

/** A free loopback TCP port (the kernel picks it; a race with another process is possible but rare, and start retries). */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function tail(path: string, lines = 30): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function spawnLogged(bin: string, args: string[], logPath: string): ChildProcess {
  const fd = openSync(logPath, 'a');
  try {
    return spawn(bin, args, { stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
}

async function stopProcess(child: ChildProcess | undefined, graceMs = 10_000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs)))]);
  clearTimeout(timer);
  if (timedOut) {
    child.kill('SIGKILL');
    await exited;
  }
}

/** GET over TLS with the admin certificate; resolves with status and body, never rejects on HTTP status. */
function httpsGet(url: string, pki: TestPki, timeoutMs: number): Promise<{ status: number; body: string }> {
  return httpsRequest('GET', url, pki, timeoutMs);
}

/** A request over TLS with the admin certificate; resolves with status and body, never rejects on HTTP status. */
function httpsRequest(method: string, url: string, pki: TestPki, timeoutMs: number, body?: string, contentType = 'application/json'): Promise<{ status: number; body: string }> {
  return new Promise((resolveGet, reject) => {
    const req = request(
      url,
      // No keep-alive agent: an idle pooled socket would outlive the test and hold jest open.
      {
        method,
        ca: readFileSync(pki.caCert),
        cert: readFileSync(pki.adminCert),
        key: readFileSync(pki.adminKey),
        timeout: timeoutMs,
        agent: false,
        ...(body !== undefined ? { headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body) } } : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolveGet({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** POST JSON to etcd's v3 gateway on loopback (no keep-alive). */
function etcdPost(url: string, body: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolvePost, reject) => {
    const text = JSON.stringify(body);
    const req = httpRequest(url, { method: 'POST', agent: false, timeout: 10_000, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } }, (res) => {
      let out = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (out += c));
      res.on('end', () => resolvePost({ status: res.statusCode ?? 0, body: out }));
    });
    req.on('timeout', () => req.destroy(new Error('etcd request timed out')));
    req.on('error', reject);
    req.end(text);
  });
}

/** etcd's /health answers {"health":"true"} once it serves; plain HTTP on loopback, no keep-alive. */
function etcdHealthy(url: string): Promise<boolean> {
  return new Promise((resolveHealth) => {
    const req = httpRequest(url, { agent: false, timeout: 2_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        try {
          resolveHealth(res.statusCode === 200 && (JSON.parse(body) as { health?: string }).health === 'true');
        } catch {
          resolveHealth(false);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolveHealth(false));
    req.end();
  });
}

/** Options of {@link startApiServer}. */
export interface ApiServerOptions {
  /** How long to wait for etcd health and for /readyz. Default 120 s (a busy two-core machine needs ~20 s). */
  readyTimeoutMs?: number;
  /** More kube-apiserver flags, e.g. `--watch-cache=false` so watches go to etcd and meet its compaction. */
  extraApiServerArgs?: string[];
}

/** A running etcd + kube-apiserver pair on loopback. */
export interface TestApiServer {
  /** https://127.0.0.1:PORT */
  readonly url: string;
  /** Admin kubeconfig file (user in group system:masters). */
  readonly kubeconfigPath: string;
  readonly pki: TestPki;
  readonly binaries: KubeBinaries;
  /** Temporary folder holding certificates, etcd data and logs. */
  readonly dir: string;
  /** etcd's client URL (plain HTTP on loopback). */
  readonly etcdUrl: string;
  /**
   * Compacts etcd up to its current revision (etcd's v3 JSON gateway, `POST /v3/kv/compaction`,
   * what `etcdctl compact` does): every older revision is gone, and a watch from one gets 410 Gone.
   * @returns the revision compacted to
   */
  compactEtcd(): Promise<number>;
  /** One API request with the admin certificate (JSON body); resolves with status and body, never rejects on HTTP status. */
  rest(method: string, path: string, body?: unknown, contentType?: string): Promise<{ status: number; body: string }>;
  /** Writes a kubeconfig for another identity (CN = user, O = groups) and returns its path. */
  kubeconfigFor(name: string, user: string, groups: string[]): Promise<string>;
  /** Runs the project's kubectl with the admin kubeconfig (argv, no shell). */
  kubectl(args: string[], options?: { kubeconfig?: string; input?: string }): Promise<{ stdout: string; stderr: string }>;
  /** Creates a namespace and its `default` service account (the controller-manager's job in a cluster). */
  createNamespace(name: string): Promise<void>;
  /** Stops the API server only (etcd keeps the data), as an API-server restart does. */
  stopApiServer(): Promise<void>;
  /** Starts the API server again on the same port with the same data. */
  startApiServer(): Promise<void>;
  /** Stops both processes and removes the temporary folder. */
  stop(): Promise<void>;
}

function writeKubeconfig(path: string, url: string, caCert: string, client: ClientCert, user: string): Promise<void> {
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'merak-test', cluster: { server: url, 'certificate-authority': caCert } }],
    users: [{ name: user, user: { 'client-certificate': client.cert, 'client-key': client.key } }],
    contexts: [{ name: 'merak-test', context: { cluster: 'merak-test', user } }],
    'current-context': 'merak-test',
    preferences: {},
  };
  return writeFile(path, stringify(doc), { mode: 0o600 });
}

/**
 * Starts etcd and kube-apiserver on free loopback ports with certificates made for this run,
 * writes an admin kubeconfig and waits (bounded) until /readyz answers ok.
 */
export async function startApiServer(options: ApiServerOptions = {}): Promise<TestApiServer> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;
  const binaries = findKubeBinaries();
  // An etcd or kube-apiserver whose test process died before its afterAll (a killed runner) is
  // stopped by its record now, instead of running on for ever.
  for (const left of await stopOrphanedTestProcesses()) process.stderr.write(`test helper: stopped ${left}, left by a test run that died\n`);
  const dir = await mkdtemp(join(tmpdir(), 'merak-k8s-'));
  let etcd: ChildProcess | undefined;
  let apiserver: ChildProcess | undefined;
  let etcdRecord: string | undefined;
  let apiRecord: string | undefined;
  /** Stops the API server, then drops its record. */
  const stopApi = async (): Promise<void> => {
    await stopProcess(apiserver);
    apiserver = undefined;
    if (apiRecord) forgetTestProcesses(apiRecord);
    apiRecord = undefined;
  };
  /** Stops both, then drops their records and the folder. */
  const stopAll = async (): Promise<void> => {
    await stopApi();
    await stopProcess(etcd);
    etcd = undefined;
    if (etcdRecord) forgetTestProcesses(etcdRecord);
    etcdRecord = undefined;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const pki = await makeTestPki(dir);
    const etcdClientPort = await freePort();
    const etcdPeerPort = await freePort();
    const securePort = await freePort();
    const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
    const etcdLog = join(dir, 'etcd.log');
    const apiLog = join(dir, 'kube-apiserver.log');

    // etcd on plain HTTP: it listens on loopback only and lives as long as this test file.
    etcd = spawnLogged(
      binaries.etcd,
      [
        '--name', 'merak-test',
        '--data-dir', join(dir, 'etcd'),
        '--listen-client-urls', etcdUrl,
        '--advertise-client-urls', etcdUrl,
        '--listen-peer-urls', `http://127.0.0.1:${etcdPeerPort}`,
        '--initial-advertise-peer-urls', `http://127.0.0.1:${etcdPeerPort}`,
        '--initial-cluster', `merak-test=http://127.0.0.1:${etcdPeerPort}`,
        '--logger', 'zap',
        '--log-outputs', 'stderr',
      ],
      etcdLog,
    );
    etcdRecord = recordTestProcesses('etcd', [{ role: 'etcd', child: etcd }], dir);
    const etcdDeadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (etcd.exitCode !== null) throw new Error(`etcd exited with code ${etcd.exitCode}:\n${tail(etcdLog)}`);
      const healthy = await etcdHealthy(`${etcdUrl}/health`);
      if (healthy) break;
      if (Date.now() > etcdDeadline) throw new Error(`etcd not healthy after ${readyTimeoutMs} ms:\n${tail(etcdLog)}`);
      await sleep(200);
    }

    const apiArgs = [
      '--etcd-servers', etcdUrl,
      '--bind-address', '127.0.0.1',
      '--advertise-address', '127.0.0.1',
      '--secure-port', String(securePort),
      '--insecure-port', '0',
      '--tls-cert-file', pki.serverCert,
      '--tls-private-key-file', pki.serverKey,
      '--client-ca-file', pki.caCert,
      '--service-account-key-file', pki.serviceAccountPub,
      '--service-account-signing-key-file', pki.serviceAccountKey,
      '--service-account-issuer', 'https://kubernetes.default.svc.cluster.local',
      '--service-cluster-ip-range', '10.96.0.0/24',
      '--authorization-mode', 'Node,RBAC',
      // The "kubernetes" service's endpoints would carry 127.0.0.1, which Endpoints validation
      // refuses; nothing here reaches the API server through that service.
      '--endpoint-reconciler-type', 'none',
      '--profiling=false',
      '--v', '1',
      ...(options.extraApiServerArgs ?? []),
    ];
    const url = `https://127.0.0.1:${securePort}`;

    const startApi = async (): Promise<void> => {
      apiserver = spawnLogged(binaries.apiserver, apiArgs, apiLog);
      apiRecord = recordTestProcesses('kube-apiserver', [{ role: 'kube-apiserver', child: apiserver }]);
      const child = apiserver;
      const deadline = Date.now() + readyTimeoutMs;
      let last = '';
      for (;;) {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`kube-apiserver exited (${child.exitCode ?? child.signalCode}):\n${tail(apiLog)}`);
        }
        try {
          const r = await httpsGet(`${url}/readyz`, pki, 5_000);
          if (r.status === 200 && r.body.trim() === 'ok') return;
          last = `HTTP ${r.status}: ${r.body.slice(0, 500)}`;
        } catch (err) {
          last = (err as Error).message;
        }
        if (Date.now() > deadline) throw new Error(`kube-apiserver not ready after ${readyTimeoutMs} ms (last: ${last}):\n${tail(apiLog)}`);
        await sleep(500);
      }
    };
    await startApi();

    const kubeconfigPath = join(dir, 'admin.kubeconfig');
    await writeKubeconfig(kubeconfigPath, url, pki.caCert, { cert: pki.adminCert, key: pki.adminKey }, 'merak-test-admin');

    const kubectl = async (args: string[], opts: { kubeconfig?: string; input?: string } = {}): Promise<{ stdout: string; stderr: string }> => {
      const argv = ['--kubeconfig', opts.kubeconfig ?? kubeconfigPath, ...args];
      if (opts.input === undefined) return run(binaries.kubectl, argv, { timeout: 60_000, maxBuffer: 16 << 20 });
      return new Promise((resolveRun, reject) => {
        const child = execFile(binaries.kubectl, argv, { timeout: 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
          if (err) reject(Object.assign(err, { stdout, stderr }));
          else resolveRun({ stdout, stderr });
        });
        child.stdin?.end(opts.input);
      });
    };

    const server: TestApiServer = {
      url,
      kubeconfigPath,
      pki,
      binaries,
      dir,
      etcdUrl,
      async compactEtcd() {
        // Any key read returns the store's current revision in its header.
        const range = await etcdPost(`${etcdUrl}/v3/kv/range`, { key: Buffer.from('/').toString('base64'), limit: 1 });
        const revision = Number((JSON.parse(range.body) as { header?: { revision?: string } }).header?.revision);
        if (range.status !== 200 || !Number.isInteger(revision)) throw new Error(`etcd range failed: HTTP ${range.status} ${range.body.slice(0, 300)}`);
        const done = await etcdPost(`${etcdUrl}/v3/kv/compaction`, { revision: String(revision), physical: true });
        if (done.status !== 200) throw new Error(`etcd compaction to ${revision} failed: HTTP ${done.status} ${done.body.slice(0, 300)}`);
        return revision;
      },
      rest(method, path, body, contentType) {
        return httpsRequest(method, `${url}${path}`, pki, 30_000, body === undefined ? undefined : JSON.stringify(body), contentType);
      },
      async kubeconfigFor(name, user, groups) {
        const cert = await makeClientCert(dir, pki, name, user, groups);
        const path = join(dir, `${name}.kubeconfig`);
        await writeKubeconfig(path, url, pki.caCert, cert, user);
        return path;
      },
      kubectl,
      async createNamespace(name) {
        await kubectl(['create', 'namespace', name]);
        // ServiceAccount admission refuses pods until the namespace's `default` account exists.
        await kubectl(['create', 'serviceaccount', 'default', '-n', name]).catch((err: { stderr?: string }) => {
          if (!String(err.stderr ?? '').includes('AlreadyExists')) throw err;
        });
      },
      stopApiServer: stopApi,
      async startApiServer() {
        if (apiserver) throw new Error('kube-apiserver is already running');
        await startApi();
      },
      stop: stopAll,
    };
    return server;
  } catch (err) {
    // The error already carries the tail of the failing process's log.
    await stopAll();
    throw err;
  }
}
