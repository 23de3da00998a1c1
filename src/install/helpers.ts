/**
 * The Python helpers shipped in the package's helpers/ folder, like Mininet's `mnexec`: small
 * programs for what Node cannot do itself. Node has no setns(2), and one `ip -n NS` or
 * `ip netns exec` process per namespace costs milliseconds, so one helper process per batch
 * enters many namespaces itself:
 *
 * - `nsconfig.py`: interface configuration inside namespaces over rtnetlink (the dataplane);
 * - `sockprobe.py`: TCP/UDP echo servers and probes inside VM namespaces (the connectivity tests);
 * - `loopforward.py`: loopback ports of the root namespace forwarded into a local Alcor control
 *   plane's namespace (src/local/alcor-control-plane.ts).
 *
 * Both use the Python standard library only and run as `python3 -I -S` (no site, no user path).
 */
import { existsSync } from 'node:fs';
import { packagePath } from './paths';

/** The helpers, by name (the script is `helpers/<name>.py`). */
export type HelperName = 'nsconfig' | 'sockprobe' | 'loopforward';

/**
 * The helper script's absolute path, `<package root>/helpers/<name>.py`.
 * @throws Error naming the path when the file is missing (a package without its helpers/ folder).
 */
export function helperScript(name: HelperName): string {
  const file = packagePath('helpers', `${name}.py`);
  if (!existsSync(file)) throw new Error(`helper ${name}.py not found at ${file}: the package must ship its helpers/ folder; reinstall merak`);
  return file;
}

/**
 * The protocol (the shape of the request and reply lines) this agent speaks with each helper.
 * Bump it together with `PROTOCOL` in the helper's .py file whenever the lines change.
 */
export const HELPER_PROTOCOL: Readonly<Record<HelperName, number>> = { nsconfig: 2, sockprobe: 3, loopforward: 1 };

/** A helper announced another protocol than this agent speaks, or none: it is from another Merak version. */
export class HelperProtocolError extends Error {
  override readonly name = 'HelperProtocolError';
  constructor(
    readonly helper: HelperName,
    readonly script: string,
    /** The protocol this agent needs. */
    readonly wanted: number,
    /** What the helper announced; undefined when its first line was no announcement. */
    readonly announced: number | undefined,
    firstLine: string,
  ) {
    const said = announced === undefined ? `announced no protocol (first line: ${JSON.stringify(firstLine.slice(0, 200))})` : `speaks ${helper} protocol ${announced}`;
    super(`helper ${script} ${said}, but this agent needs protocol ${wanted}: the helper and the agent come from different Merak versions; reinstall merak so both come from one package`);
  }
}

/**
 * The argv that starts a helper: `python -I -S <script> --protocol N ...args`. `-I -S`: no user
 * site, no site module; the helpers need only the standard library and start faster. With
 * `--protocol N` the helper stops before doing anything when it speaks another protocol.
 */
export function helperArgv(python: string, name: HelperName, args: readonly string[] = []): string[] {
  return [python, '-I', '-S', helperScript(name), '--protocol', String(HELPER_PROTOCOL[name]), ...args];
}

/**
 * Checks a helper's first stdout line, `{"helper": NAME, "protocol": N}`, against this agent.
 * @param script - the helper's path, for the message.
 * @param line - the first line the helper wrote (undefined or '' when it wrote none).
 * @throws HelperProtocolError when the line is no announcement of `name` at `HELPER_PROTOCOL[name]`.
 */
export function checkHelperHello(name: HelperName, script: string, line: string | undefined): void {
  const wanted = HELPER_PROTOCOL[name];
  let hello: unknown;
  try {
    hello = JSON.parse(line ?? '');
  } catch {
    hello = undefined;
  }
  const h = typeof hello === 'object' && hello !== null ? (hello as { helper?: unknown; protocol?: unknown }) : {};
  const announced = h.helper === name && typeof h.protocol === 'number' ? h.protocol : undefined;
  if (announced !== wanted) throw new HelperProtocolError(name, script, wanted, announced, line ?? '');
}
