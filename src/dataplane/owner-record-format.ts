/**
 * The owner-record line format (pure). One record file per scenario and writer, append-only:
 *
 *   + netns NAME          intent: namespace NAME is (about to be) created for this scenario
 *   - netns NAME          namespace NAME was removed
 *   + link NETNS NAME     intent: link NAME in namespace NETNS ('.' = the writer's own namespace)
 *   - link NETNS NAME
 *   + daemon NETNS PIDFILE  intent: a long-lived process (about to be) started in namespace
 *   - daemon NETNS PIDFILE  NETNS that writes its pid to PIDFILE; the pid file names it before
 *                           it exists, so it is recorded before the start like everything else
 *                           (see daemons.ts for how a pid is told from a later process's)
 *   + dir PATH            intent: a folder (sockets, databases, logs of daemons) under RUN_ROOT
 *   - dir PATH
 *   + ovn-chassis SOCKET NAME  intent: chassis NAME will register in the OVN southbound database
 *   - ovn-chassis SOCKET NAME  behind unix socket SOCKET (its ovn-controller is about to start)
 *   + ovn-nb SOCKET       intent: rows marked external_ids:merak-scenario=<this scenario> will be
 *   - ovn-nb SOCKET       made in the OVN northbound database behind unix socket SOCKET
 *
 * An intent is written and synced before the object is created, so after a crash the record
 * names everything that may exist; removing an object that is already gone is not an error.
 * A veth whose one end lives in a recorded namespace is not recorded: it dies with that namespace.
 */
import { InvalidInputError } from './errors';

export type OwnedObject =
  | { kind: 'netns'; name: string }
  | { kind: 'link'; netns: string; name: string }
  | { kind: 'daemon'; netns: string; pidfile: string }
  | { kind: 'dir'; path: string }
  | { kind: 'ovn-chassis'; socket: string; name: string }
  | { kind: 'ovn-nb'; socket: string };

/** The agent's own namespace in a link or daemon record (pod mode). */
export const SELF_NETNS = '.';

/**
 * The only folder under which `dir` and `daemon` records may name paths: a corrupted record
 * must never make a clean remove anything else. Sockets need short paths (108 bytes), and
 * /run is a tmpfs that a reboot empties together with every daemon it served.
 */
export const RUN_ROOT = '/run/merak';

const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;
/** Absolute paths below RUN_ROOT, no `.`/`..` segment, no character that could split a record line. */
const RUN_PATH_RE = /^\/run\/merak(\/[A-Za-z0-9_@-][A-Za-z0-9_.@-]{0,127}){1,8}$/;

function checkName(field: string, name: string): void {
  if (!NAME_RE.test(name)) throw new InvalidInputError(field, name, `must match ${NAME_RE}`);
}

/** Whether `p` is a path a `dir` or `daemon` record may name (below RUN_ROOT, no `..`). */
export function isRunPath(p: string): boolean {
  return RUN_PATH_RE.test(p) && !p.split('/').some((s) => s === '.' || s === '..');
}

function checkRunPath(field: string, p: string): void {
  if (!isRunPath(p)) throw new InvalidInputError(field, p, `must be an absolute path below ${RUN_ROOT} matching ${RUN_PATH_RE}, without . or .. segments`);
}

export function objectKey(o: OwnedObject): string {
  switch (o.kind) {
    case 'netns':
      return `netns ${o.name}`;
    case 'link':
      return `link ${o.netns} ${o.name}`;
    case 'daemon':
      return `daemon ${o.netns} ${o.pidfile}`;
    case 'dir':
      return `dir ${o.path}`;
    case 'ovn-chassis':
      return `ovn-chassis ${o.socket} ${o.name}`;
    case 'ovn-nb':
      return `ovn-nb ${o.socket}`;
  }
}

export function formatRecord(op: '+' | '-', o: OwnedObject): string {
  if (o.kind === 'netns' || o.kind === 'link') checkName('name', o.name);
  if ((o.kind === 'link' || o.kind === 'daemon') && o.netns !== SELF_NETNS) checkName('netns', o.netns);
  if (o.kind === 'daemon') checkRunPath('pidfile', o.pidfile);
  if (o.kind === 'dir') checkRunPath('path', o.path);
  if (o.kind === 'ovn-chassis' || o.kind === 'ovn-nb') checkRunPath('socket', o.socket);
  if (o.kind === 'ovn-chassis') checkName('name', o.name);
  return `${op} ${objectKey(o)}\n`;
}

export class RecordParseError extends Error {
  override readonly name = 'RecordParseError';
  constructor(readonly file: string, readonly lineNo: number, readonly line: string) {
    super(`owner record ${file}:${lineNo} is not a record line: ${JSON.stringify(line.slice(0, 200))}; fix or remove the line by hand, then retry`);
  }
}

const netnsField = (s: string | undefined): boolean => s !== undefined && (s === SELF_NETNS || NAME_RE.test(s));

function parseObject(parts: readonly string[]): OwnedObject | undefined {
  const [, kind, a, b] = parts;
  if (kind === 'netns' && parts.length === 3 && NAME_RE.test(a!)) return { kind: 'netns', name: a! };
  if (kind === 'link' && parts.length === 4 && netnsField(a) && NAME_RE.test(b!)) return { kind: 'link', netns: a!, name: b! };
  if (kind === 'daemon' && parts.length === 4 && netnsField(a) && isRunPath(b!)) return { kind: 'daemon', netns: a!, pidfile: b! };
  if (kind === 'dir' && parts.length === 3 && isRunPath(a!)) return { kind: 'dir', path: a! };
  if (kind === 'ovn-chassis' && parts.length === 4 && isRunPath(a!) && NAME_RE.test(b!)) return { kind: 'ovn-chassis', socket: a!, name: b! };
  if (kind === 'ovn-nb' && parts.length === 3 && isRunPath(a!)) return { kind: 'ovn-nb', socket: a! };
  return undefined;
}

/**
 * Folds record lines into the objects still owned, in creation order. A torn last line
 * (a crash during the append) is ignored: its object was not created yet, since intents
 * are synced before creation.
 */
export function parseRecords(text: string, file = '<records>'): OwnedObject[] {
  const live = new Map<string, OwnedObject>();
  const lines = text.split('\n');
  const complete = lines.length - 1; // the last element is '' after a final newline, else a torn line
  for (let i = 0; i < complete; i++) {
    const line = lines[i];
    if (line === '') continue;
    const parts = line.split(' ');
    const op = parts[0];
    const o = parseObject(parts);
    if (!o || (op !== '+' && op !== '-')) throw new RecordParseError(file, i + 1, line);
    const key = objectKey(o);
    if (op === '+') {
      live.delete(key); // re-recorded: move to the end, keeping creation order
      live.set(key, o);
    } else live.delete(key);
  }
  return [...live.values()];
}
