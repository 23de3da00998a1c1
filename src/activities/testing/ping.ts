/** The ICMP check: one echo request from the source VM namespace, with iputils ping. */
import type { CommandRunner } from '../../dataplane/command';
import type { CheckOutcome } from './outcome';
import { parsePingRtt, pingFailure } from './parse';

export async function pingCheck(runner: CommandRunner, srcNs: string, ip: string, timeoutMs: number): Promise<CheckOutcome> {
  // ping's -W takes whole seconds on older iputils; round up so the timeout is never shorter.
  const waitS = Math.max(1, Math.ceil(timeoutMs / 1000));
  const argv = ['ip', 'netns', 'exec', srcNs, 'ping', '-n', '-c', '1', '-W', String(waitS), ip];
  const r = await runner.run(argv, { timeoutMs: waitS * 1000 + 2000 });
  if (r.code === 0) return { reached: true, latencyMs: parsePingRtt(r.stdout) };
  return { reached: false, detail: pingFailure(r.stdout, r.stderr, r.code) };
}
