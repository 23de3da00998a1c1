/** The ICMP check: echo requests from the source VM namespace, with iputils ping, until the first reply. */
import type { CommandRunner } from '../../dataplane/command';
import { supervisionMs } from '../../model/checks';
import type { CheckOutcome } from './outcome';
import { parsePingRtt, pingFailure } from './parse';

/** Gap between echo requests while waiting for the first reply (0.2 s is the shortest ping allows without privileges). */
const PROBE_INTERVAL_S = '0.2';

export async function pingCheck(runner: CommandRunner, srcNs: string, ip: string, timeoutMs: number): Promise<CheckOutcome> {
  // One request can be lost while the first packet waits for ARP to resolve across the
  // provider's flooding (VXLAN head-end replication to every peer): that is the network warming
  // up, not a broken path. So ping sends a request every 0.2 s and stops at the first reply
  // (-c 1 with a deadline -w), failing only when none came back within the whole timeout.
  const waitS = Math.max(1, Math.ceil(timeoutMs / 1000));
  const argv = ['ip', 'netns', 'exec', srcNs, 'ping', '-n', '-c', '1', '-i', PROBE_INTERVAL_S, '-w', String(waitS), ip];
  // ping counts its deadline (-w) itself, from its own start: that is the verdict. The runner's
  // limit only supervises, and a ping it had to kill proved nothing either way.
  const limitMs = supervisionMs(waitS * 1000);
  const r = await runner.run(argv, { timeoutMs: limitMs });
  if (r.code === 0) return { reached: true, latencyMs: parsePingRtt(r.stdout) };
  if (r.signal) return { reached: false, inconclusive: true, detail: `ping killed by ${r.signal} after ${limitMs} ms, although its deadline is ${waitS} s: the machine did not run it in time` };
  return { reached: false, detail: pingFailure(r.stdout, r.stderr, r.code) };
}
