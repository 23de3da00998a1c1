/**
 * The HTTP endpoint of a Merak process: `GET /metrics` (Prometheus text format from a
 * prom-client registry), `GET /healthz`, and JSON routes a process adds (the agent's
 * `/counters`). Node's own http module: three read-only routes need nothing more.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** Environment variables of the metrics port, per process kind, and the host. */
export const METRICS_PORT_ENV = { agent: 'MERAK_AGENT_METRICS_PORT', compute: 'MERAK_COMPUTE_METRICS_PORT' } as const;
export const METRICS_HOST_ENV = 'MERAK_METRICS_HOST';
/** Default ports: the agent 9478, the compute worker 9479. */
export const DEFAULT_METRICS_PORT = { agent: 9478, compute: 9479 } as const;
/** Default listen address: this machine only; pods listen on 0.0.0.0 (deploy/ sets MERAK_METRICS_HOST). */
export const DEFAULT_METRICS_HOST = '127.0.0.1';

/** A JSON route: the query parameters in, the body out (serialised with JSON.stringify). */
export type JsonRoute = (query: URLSearchParams) => Promise<unknown>;

export interface MetricsServerOptions {
  registry: Registry;
  /** @default DEFAULT_METRICS_HOST */
  host?: string;
  /** 0: any free port. */
  port: number;
  /** Called before each /metrics scrape (refresh values read from elsewhere). */
  beforeScrape?: () => Promise<void>;
  /** More GET routes answering JSON, by path (e.g. `/counters`). */
  json?: Record<string, JsonRoute>;
}

export interface MetricsServer {
  /** `http://host:port`, with the port actually bound. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The port is taken (EADDRINUSE) or not ours to take (EACCES). */
export class MetricsPortError extends Error {
  override readonly name = 'MetricsPortError';
  constructor(readonly host: string, readonly port: number, readonly code: string) {
    super(`cannot serve metrics on ${host}:${port} (${code}): choose another port with --metrics-port (0: any free port) or turn metrics off with --metrics-port off`);
  }
}

/**
 * Starts listening; resolves once bound.
 * @throws MetricsPortError when the port cannot be bound.
 */
export function startMetricsServer(o: MetricsServerOptions): Promise<MetricsServer> {
  const host = o.host ?? DEFAULT_METRICS_HOST;
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      try {
        if (req.method !== 'GET') {
          res.writeHead(405, { allow: 'GET' }).end('only GET\n');
        } else if (url.pathname === '/metrics') {
          if (o.beforeScrape) await o.beforeScrape();
          const body = await o.registry.metrics();
          res.writeHead(200, { 'content-type': o.registry.contentType }).end(body);
        } else if (url.pathname === '/healthz') {
          res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
        } else if (o.json?.[url.pathname]) {
          const body = await o.json[url.pathname]!(url.searchParams);
          res.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
        } else {
          res.writeHead(404, { 'content-type': 'text/plain' }).end(`no such path; try /metrics${Object.keys(o.json ?? {}).map((p) => `, ${p}`).join('')}\n`);
        }
      } catch (e) {
        // A route marks bad input with `status: 400`; anything else is the server's fault.
        if (!res.headersSent) res.writeHead((e as { status?: number }).status ?? 500, { 'content-type': 'text/plain' });
        res.end(`${(e as Error).message}\n`);
      }
    })();
  });
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'EADDRINUSE' || e.code === 'EACCES' ? new MetricsPortError(host, o.port, e.code) : e));
    server.listen(o.port, host, () => {
      const port = (server.address() as AddressInfo).port;
      const shown = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${shown}:${port}`,
        port,
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/**
 * The port from a flag value or the environment: a number 0-65535, or `off`.
 * @returns the port, or undefined for `off`.
 * @throws Error naming the flag and the value when it is neither.
 */
export function parseMetricsPort(raw: string, flag = '--metrics-port'): number | undefined {
  if (raw === 'off') return undefined;
  if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65535) throw new Error(`${flag} must be a port number 0-65535 (0: any free port) or off, got ${JSON.stringify(raw)}`);
  return Number(raw);
}
