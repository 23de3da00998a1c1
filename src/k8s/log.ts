// The controller logs one line per event to stderr: a timestamp, a level, a message and
// key=value fields (values JSON-quoted when they hold blanks or quotes), easy to grep and to
// read in `kubectl logs`.

export type LogFields = Record<string, unknown>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

function formatValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text !== undefined && /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text ?? String(value));
}

export function formatLogLine(level: string, message: string, fields: LogFields = {}, now: Date = new Date()): string {
  const kv = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${formatValue(v)}`);
  return [now.toISOString(), level, message, ...kv].join(' ');
}

/** A logger writing lines to a stream (default: stderr, so stdout stays for data). */
export function createLogger(write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Logger {
  return {
    info: (m, f) => write(formatLogLine('INFO', m, f)),
    warn: (m, f) => write(formatLogLine('WARN', m, f)),
    error: (m, f) => write(formatLogLine('ERROR', m, f)),
  };
}

/** An error's message with its HTTP or gRPC code when it has one. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown; statusCode?: unknown }).statusCode ?? (err as { code?: unknown }).code;
    return code !== undefined ? `${err.message} (${String(code)})` : err.message;
  }
  return String(err);
}
