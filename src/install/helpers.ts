/**
 * The Python helpers shipped in the package's helpers/ folder, like Mininet's `mnexec`: small
 * programs for what Node cannot do itself. Node has no setns(2), and one `ip -n NS` or
 * `ip netns exec` process per namespace costs milliseconds, so one helper process per batch
 * enters many namespaces itself:
 *
 * - `nsconfig.py`: interface configuration inside namespaces over rtnetlink (the dataplane);
 * - `sockprobe.py`: TCP/UDP echo servers and probes inside VM namespaces (the connectivity tests).
 *
 * Both use the Python standard library only and run as `python3 -I -S` (no site, no user path).
 */
import { existsSync } from 'node:fs';
import { packagePath } from './paths';

/** The helpers, by name (the script is `helpers/<name>.py`). */
export type HelperName = 'nsconfig' | 'sockprobe';

/**
 * The helper script's absolute path, `<package root>/helpers/<name>.py`.
 * @throws Error naming the path when the file is missing (a package without its helpers/ folder).
 */
export function helperScript(name: HelperName): string {
  const file = packagePath('helpers', `${name}.py`);
  if (!existsSync(file)) throw new Error(`helper ${name}.py not found at ${file}: the package must ship its helpers/ folder; reinstall merak`);
  return file;
}
