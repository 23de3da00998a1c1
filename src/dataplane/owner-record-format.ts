/**
 * The owner-record line format (pure). One record file per scenario and writer, append-only:
 *
 *   + netns NAME          intent: namespace NAME is (about to be) created for this scenario
 *   - netns NAME          namespace NAME was removed
 *   + link NETNS NAME     intent: link NAME in namespace NETNS ('.' = the writer's own namespace)
 *   - link NETNS NAME
 *
 * An intent is written and synced before the object is created, so after a crash the record
 * names everything that may exist; removing an object that is already gone is not an error.
 * A veth whose one end lives in a recorded namespace is not recorded: it dies with that namespace.
 */
import { InvalidInputError } from './errors';

export type OwnedObject = { kind: 'netns'; name: string } | { kind: 'link'; netns: string; name: string };

/** The agent's own namespace in a link record (pod mode). */
export const SELF_NETNS = '.';

const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;

function checkName(field: string, name: string): void {
  if (!NAME_RE.test(name)) throw new InvalidInputError(field, name, `must match ${NAME_RE}`);
}

export function objectKey(o: OwnedObject): string {
  return o.kind === 'netns' ? `netns ${o.name}` : `link ${o.netns} ${o.name}`;
}

export function formatRecord(op: '+' | '-', o: OwnedObject): string {
  checkName('name', o.name);
  if (o.kind === 'link' && o.netns !== SELF_NETNS) checkName('netns', o.netns);
  return `${op} ${objectKey(o)}\n`;
}

export class RecordParseError extends Error {
  override readonly name = 'RecordParseError';
  constructor(readonly file: string, readonly lineNo: number, readonly line: string) {
    super(`owner record ${file}:${lineNo} is not a record line: ${JSON.stringify(line.slice(0, 200))}; fix or remove the line by hand, then retry`);
  }
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
    let o: OwnedObject | undefined;
    if (parts[1] === 'netns' && parts.length === 3 && NAME_RE.test(parts[2])) o = { kind: 'netns', name: parts[2] };
    else if (parts[1] === 'link' && parts.length === 4 && (parts[2] === SELF_NETNS || NAME_RE.test(parts[2])) && NAME_RE.test(parts[3])) {
      o = { kind: 'link', netns: parts[2], name: parts[3] };
    }
    if (!o || (op !== '+' && op !== '-')) throw new RecordParseError(file, i + 1, line);
    const key = objectKey(o);
    if (op === '+') {
      live.delete(key); // re-recorded: move to the end, keeping creation order
      live.set(key, o);
    } else live.delete(key);
  }
  return [...live.values()];
}
