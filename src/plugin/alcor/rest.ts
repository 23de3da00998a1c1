/**
 * A small client of Alcor's REST API (futurewei-cloud/alcor at 21f11b5): plain JSON over HTTP,
 * one base URL per Alcor service, every call with a deadline. Node's own fetch (undici) does the
 * HTTP and keeps connections alive.
 *
 * Alcor answers nearly every failure with HTTP 500 and Spring's default error body
 * `{timestamp, status, error, message, path}`; `message` is the only thing that tells errors
 * apart, so it is what an AlcorHttpError carries (classify.ts turns it into a gRPC status).
 * Facts: ../shared/providers/alcor/README.md, section 3.
 */

/** The Alcor services Merak calls, by the name this client uses. */
export const ALCOR_SERVICES = ['vpc', 'subnet', 'route', 'port', 'node'] as const;
export type AlcorService = (typeof ALCOR_SERVICES)[number];

/**
 * Each service's port in Alcor's own application.properties (vpc_manager 9001, subnet_manager
 * 9002, route_manager 9003, port_manager 9006, node_manager 9007); a deployment that keeps them
 * needs only a host.
 */
export const ALCOR_DEFAULT_PORTS: Readonly<Record<AlcorService, number>> = { vpc: 9001, subnet: 9002, route: 9003, port: 9006, node: 9007 };

/** Base URL per service, e.g. `{ vpc: 'http://127.0.0.1:9001', … }`, no trailing slash. */
export type AlcorEndpoints = Readonly<Record<AlcorService, string>>;

/** The endpoints of an Alcor whose services listen on their default ports on one host. */
export function alcorEndpointsAt(host: string, scheme: 'http' | 'https' = 'http'): AlcorEndpoints {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return Object.fromEntries(ALCOR_SERVICES.map((s) => [s, `${scheme}://${h}:${ALCOR_DEFAULT_PORTS[s]}`])) as unknown as AlcorEndpoints;
}

/**
 * Parses `SERVICE=URL` overrides (`port=http://10.0.0.5:9006`) onto a set of endpoints.
 * @throws Error naming the entry, when the service is unknown or the URL is not http(s).
 */
export function withEndpointOverrides(base: AlcorEndpoints, overrides: readonly string[]): AlcorEndpoints {
  const out: Record<string, string> = { ...base };
  for (const entry of overrides) {
    const eq = entry.indexOf('=');
    const service = eq > 0 ? entry.slice(0, eq) : '';
    const url = eq > 0 ? entry.slice(eq + 1).replace(/\/+$/, '') : '';
    if (!(ALCOR_SERVICES as readonly string[]).includes(service)) {
      throw new Error(`alcor endpoint ${JSON.stringify(entry)}: the service must be one of ${ALCOR_SERVICES.join(', ')} (SERVICE=URL)`);
    }
    if (!/^https?:\/\/[^/\s]+$/.test(url)) {
      throw new Error(`alcor endpoint ${JSON.stringify(entry)}: the URL must be http(s)://HOST:PORT with no path`);
    }
    out[service] = url;
  }
  return out as unknown as AlcorEndpoints;
}

/** Alcor answered with an HTTP error status. */
export class AlcorHttpError extends Error {
  override readonly name = 'AlcorHttpError';
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    /** Spring's `message` field, else the body's text (at most 500 characters). */
    readonly alcorMessage: string,
  ) {
    super(`Alcor ${method} ${url} answered ${status}: ${alcorMessage || '(no message)'}`);
  }
}

/** Alcor could not be reached, or did not answer within the deadline. */
export class AlcorUnreachableError extends Error {
  override readonly name = 'AlcorUnreachableError';
  constructor(
    readonly method: string,
    readonly url: string,
    readonly reason: string,
  ) {
    super(`Alcor ${method} ${url} failed: ${reason}`);
  }
}

export interface AlcorRestOptions {
  endpoints: AlcorEndpoints;
  /** Deadline of one HTTP call. @default 30000 ms (a bound port create waits on DPM, about 6 s here) */
  timeoutMs?: number;
  /** Header carrying a Keystone token, for an Alcor that enforces RBAC. @default none (Alcor then skips RBAC) */
  token?: string;
}

export interface AlcorResponse {
  status: number;
  /** Parsed JSON, or the text when the body is not JSON (node_manager's DELETE answers plain text). */
  body: unknown;
}

export interface AlcorRest {
  readonly endpoints: AlcorEndpoints;
  /**
   * One call. Resolves for 2xx answers; rejects with AlcorHttpError for any other status and
   * AlcorUnreachableError when there is no answer.
   */
  call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', service: AlcorService, path: string, body?: unknown, o?: { timeoutMs?: number }): Promise<AlcorResponse>;
}

function errorMessageOf(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown; error?: unknown };
    if (typeof parsed.message === 'string' && parsed.message !== '') return parsed.message;
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // not JSON: the text itself
  }
  return text.slice(0, 500);
}

function causeText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'no answer within the deadline';
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) return `${err.message}: ${(cause as NodeJS.ErrnoException).code ?? cause.message}`;
  return err.message;
}

/** Creates the client. Paths start with '/', e.g. `/project/p1/vpcs/v1`. */
export function createAlcorRest(o: AlcorRestOptions): AlcorRest {
  const timeoutMs = o.timeoutMs ?? 30_000;
  return {
    endpoints: o.endpoints,
    async call(method, service, path, body, opts) {
      const url = `${o.endpoints[service]}${path}`;
      const headers: Record<string, string> = { accept: 'application/json' };
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (o.token !== undefined) headers['x-auth-token'] = o.token;
      let res: Response;
      let text: string;
      try {
        res = await fetch(url, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(opts?.timeoutMs ?? timeoutMs),
        });
        text = await res.text();
      } catch (err) {
        throw new AlcorUnreachableError(method, url, causeText(err));
      }
      if (res.status < 200 || res.status > 299) throw new AlcorHttpError(method, url, res.status, errorMessageOf(text));
      let parsed: unknown = text;
      if (text !== '') {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
      }
      return { status: res.status, body: parsed };
    },
  };
}
