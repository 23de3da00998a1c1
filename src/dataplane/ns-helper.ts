/**
 * Driver for helpers/nsconfig.py, the helper that configures interfaces inside many namespaces from
 * one process (Node cannot setns(2); one `ip -n NS` spawn per namespace would cost milliseconds).
 */
import { checkHelperHello, helperArgv, helperScript } from '../install/helpers';
import type { CommandRunner, RunOptions } from './command';
import { CommandFailedError } from './errors';

export type NsOp =
  | { op: 'up'; ifname: string }
  | { op: 'addr'; ifname: string; cidr: string }
  | { op: 'route'; ifname: string; gateway: string }
  /** No IPv6 link-local address on this interface when it comes up (netlink addr_gen_mode none); set it before up. */
  | { op: 'no-ipv6-addrgen'; ifname: string }
  /** A net.* setting of the namespace itself (e.g. net.ipv6.conf.all.disable_ipv6); a key the kernel lacks is skipped. */
  | { op: 'sysctl'; key: string; value: string };

/**
 * Turns IPv6 off for the interfaces made later in a node or fabric namespace (one per node; VMs
 * use the per-interface `no-ipv6-addrgen` op instead, see nsconfig.py). The emulated network is
 * IPv4; left on, every interface brought up sends IPv6 duplicate-address, router-solicitation and
 * MLD multicasts, which the bridges flood to every VM of the VNI on every node.
 */
export const IPV6_OFF: readonly NsOp[] = [
  // Only the default for devices made from now on, which is why it is set before any device is
  // made in the namespace (loopback keeps ::1, which never leaves it). Writing `all` as well
  // would take the rtnl lock, which the kernel retries for until it gets it.
  { op: 'sysctl', key: 'net.ipv6.conf.default.disable_ipv6', value: '1' },
];

export interface NsRequest {
  /** Namespace file, e.g. /run/netns/NAME; '' = the helper's own namespace. */
  ns: string;
  /**
   * Make the named namespace first when nothing is mounted on `ns` yet, as `ip netns add` does
   * (an empty file left by an interrupted create is reused), then apply `ops` inside it. Default:
   * false (the namespace must exist). Record the namespace before asking for it.
   */
  create?: boolean;
  ops: NsOp[];
}

let resolvedPython: string | undefined;

/**
 * Python interpreter for the helper: MERAK_PYTHON, or `python3` from PATH resolved once to the
 * real binary (version-manager shims on PATH can cost hundreds of milliseconds per start).
 */
export async function pythonBinary(runner: CommandRunner): Promise<string> {
  if (process.env.MERAK_PYTHON) return process.env.MERAK_PYTHON;
  if (!resolvedPython) {
    const r = await runner.run(['python3', '-I', '-S', '-c', 'import sys; print(sys.executable)']);
    const exe = r.stdout.trim();
    if (r.code !== 0 || exe === '') throw new CommandFailedError(['python3'], r.code, r.stderr, 'install python3 (the namespace helper needs it) or set MERAK_PYTHON');
    resolvedPython = exe;
  }
  return resolvedPython;
}

export class NsConfigError extends Error {
  override readonly name = 'NsConfigError';
  constructor(readonly ns: string, readonly detail: string) {
    super(`configuring namespace ${ns || '(own)'} failed: ${detail}`);
  }
}

/**
 * Applies every request (idempotent ops) in one helper process.
 * @throws NsConfigError for the first request the helper could not apply.
 * @throws HelperProtocolError when the helper is from another Merak version (it then applies nothing).
 * @throws CommandFailedError when the helper did not start, was killed or answered too few requests.
 */
export async function applyNsConfig(
  runner: CommandRunner,
  requests: readonly NsRequest[],
  options: { onSpawn?: RunOptions['onSpawn']; timeoutMs?: number } = {},
): Promise<void> {
  if (requests.length === 0) return;
  const argv = helperArgv(await pythonBinary(runner), 'nsconfig');
  const r = await runner.run(argv, {
    input: requests.map((q) => JSON.stringify(q)).join('\n') + '\n',
    onSpawn: options.onSpawn,
    timeoutMs: options.timeoutMs,
  });
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  // No line at all: the helper did not start or was killed; that is the command's failure, not a version question.
  if (lines.length === 0 && r.code !== 0) throw new CommandFailedError(argv, r.code, r.stderr || (r.signal ? `killed by ${r.signal}` : 'helper wrote nothing'));
  checkHelperHello('nsconfig', helperScript('nsconfig'), lines[0]);
  const replies = lines.slice(1);
  for (let i = 0; i < replies.length; i++) {
    const reply = JSON.parse(replies[i]) as { ok: boolean; error?: string };
    if (!reply.ok) throw new NsConfigError(requests[i].ns, reply.error ?? 'unknown error');
  }
  if (r.code !== 0 || replies.length !== requests.length) {
    throw new CommandFailedError(argv, r.code, r.stderr || `helper answered ${replies.length} of ${requests.length} requests`);
  }
}
