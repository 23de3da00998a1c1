import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { spawnRunner } from '../../dataplane/command';
import { listLinks, netnsPath } from '../../dataplane/netns';
import { validateScenario, vmNetns } from '../../dataplane/names';
import { parseVmName, vmName } from '../../model/names';
import { stateDirFromEnv } from '../../dataplane/owner-records';
import { findTag } from '../../dataplane/tags';

interface CaptureFlags {
  endpoint?: number;
  interface?: string;
  write?: string;
  count?: number;
  duration: number;
  filter?: string;
  stateDir?: string;
}

/** Longest capture allowed (one day): every capture ends by itself. */
export const MAX_CAPTURE_SECONDS = 86_400;
/** Capture length when neither --count nor --duration bounds it sooner. */
export const DEFAULT_CAPTURE_SECONDS = 300;

const int = (min: number, max: number) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return n;
};

function durationSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > MAX_CAPTURE_SECONDS) throw new InvalidArgumentError(`must be a number of seconds above 0 and at most ${MAX_CAPTURE_SECONDS}, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * A VM reference as the results print it (`node-0/vm-3`, with or without the ` (address)` after
 * it) or short (`node-0/3`) → its parts. @throws InvalidArgumentError naming the value and the rule.
 */
export function parseVmRef(ref: string): { node: string; vm: number } {
  try {
    return parseVmName(ref);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

/**
 * The VM interface of endpoint `endpoint`: the one interface (not loopback) whose name is a
 * prefix without digits followed by exactly that number (`eth0`, `net2`), since a batch's
 * interfaces are `${ifnamePrefix}${endpoint}`.
 * @throws Error listing the interfaces the VM has when none or several match.
 */
export function endpointInterface(names: readonly string[], endpoint: number): string {
  const found = names.filter((n) => n !== 'lo' && new RegExp(`^[A-Za-z_-]*[A-Za-z_-]${endpoint}$`).test(n));
  if (found.length === 1) return found[0]!;
  const have = names.filter((n) => n !== 'lo');
  throw new Error(`${found.length === 0 ? 'no' : 'more than one'} interface of endpoint ${endpoint} in this VM (it has ${have.length ? have.join(', ') : 'none but lo'}); name one with --interface`);
}

/** The commands of one capture: the capture inside the namespace, and a converter it feeds for pcapng. */
export interface CapturePlan {
  capture: string[];
  /**
   * Reads pcap on stdin and writes pcapng (runs outside the namespace). `-i -` (stdin as a capture
   * source), not `-r -`: tshark refuses to read a file from a socket, and Node's stdio pipes are sockets.
   */
  convert?: string[];
}

/**
 * The capture for the given output: tcpdump (text, or pcap to a file or stdout), and for a
 * `.pcapng` file tcpdump's pcap piped into tshark, which writes pcapng. tcpdump runs inside the
 * VM's namespace.
 */
export function captureArgv(o: { netns: string; ifname: string; write?: string; count?: number; filter?: string }): CapturePlan {
  const inNs = ['ip', 'netns', 'exec', o.netns];
  const filter = o.filter ? [o.filter] : [];
  // --immediate-mode: packets are handed over as they come, not in blocks a Ctrl-C would discard
  // (measured: without it, a SIGINT right after a ping left the ping out of the file; dumpcap and
  // tshark capturing themselves lost them the same way, hence tshark only converts).
  const common = ['tcpdump', '-i', o.ifname, '-n', '--immediate-mode', '-s', '262144', ...(o.count ? ['-c', String(o.count)] : [])];
  if (o.write && o.write !== '-' && o.write.endsWith('.pcapng')) {
    return { capture: [...inNs, ...common, '-U', '-w', '-', ...filter], convert: ['tshark', '-i', '-', '-q', '-F', 'pcapng', '-w', o.write] };
  }
  // -U: each packet written as it comes (a reader such as `wireshark -k -i -` sees it at once); -l: text lines unbuffered.
  if (o.write) return { capture: [...inNs, ...common, '-U', '-w', o.write, ...filter] };
  return { capture: [...inNs, ...common, '-l', ...filter] };
}

export function register(program: Command): void {
  program
    .command('capture')
    .description("capture packets on a VM's endpoint, inside the VM's namespace (tcpdump; tshark converts to .pcapng)")
    .argument('<scenario>', 'scenario name')
    .argument('<vm>', 'the VM as the test results name it, NODE/vm-INDEX (e.g. node-1/vm-3), or NODE/INDEX')
    .option('--endpoint <n>', "the VM's endpoint (its interface eth<n>, or <prefix><n>)", int(0, 65535))
    .option('--interface <name>', 'the interface inside the VM, instead of --endpoint')
    .option('-w, --write <file>', 'write the packets to this file (.pcapng: pcapng, converted by tshark; otherwise pcap), or - for pcap on stdout (| wireshark -k -i -); default: one text line per packet')
    .option('--count <n>', 'stop after this many packets', int(1, 10_000_000))
    .option('--duration <seconds>', `stop after this long (at most ${MAX_CAPTURE_SECONDS})`, durationSeconds, DEFAULT_CAPTURE_SECONDS)
    .option('--filter <expr>', 'a pcap filter, e.g. "icmp or arp"')
    .option('--state-dir <dir>', 'owner records (env MERAK_STATE_DIR; default /var/lib/merak)')
    .action(async (scenario: string, vmRef: string, flags: CaptureFlags, cmd: Command) => {
      const fail = (msg: string): never => cmd.error(`merak capture: ${msg}`, { exitCode: 2 });
      let ref: { node: string; vm: number } = { node: '', vm: 0 };
      try {
        validateScenario(scenario, 'scenario');
        ref = parseVmRef(vmRef);
      } catch (e) {
        fail((e as Error).message);
      }
      if (flags.endpoint !== undefined && flags.interface !== undefined) fail('give --endpoint or --interface, not both');
      const stateDir = flags.stateDir ?? stateDirFromEnv();
      const tag = await findTag(stateDir, scenario);
      if (!tag) fail(`scenario ${scenario} has no namespaces on this machine (state dir ${stateDir}); run capture where the node's agent runs (in Kubernetes: kubectl exec into the agent's pod)`);
      const netns = vmNetns(tag!, ref.node, ref.vm);
      if (!existsSync(netnsPath(netns))) fail(`VM ${vmName(ref.node, ref.vm)} of scenario ${scenario} does not exist on this machine (no namespace ${netns})`);
      let ifname = flags.interface;
      if (ifname === undefined) {
        try {
          ifname = endpointInterface((await listLinks(spawnRunner, netns)).map((l) => l.ifname), flags.endpoint ?? 0);
        } catch (e) {
          fail(`VM ${vmName(ref.node, ref.vm)}: ${(e as Error).message}`);
        }
      }
      const plan = captureArgv({ netns, ifname: ifname!, write: flags.write, count: flags.count, filter: flags.filter });
      const argv = plan.capture;
      process.stderr.write(
        `merak: capturing on ${vmName(ref.node, ref.vm)} ${ifname} (namespace ${netns}) for at most ${flags.duration} s${flags.count ? ` or ${flags.count} packets` : ''}; Ctrl-C stops\n`,
      );
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', plan.convert ? 'pipe' : 'inherit', 'inherit'] });
      // The converter gets a process group of its own: a Ctrl-C reaches only tcpdump, which
      // flushes and exits, and the converter ends when its input does.
      const converter = plan.convert ? spawn(plan.convert[0]!, plan.convert.slice(1), { stdio: ['pipe', 'ignore', 'pipe'], detached: true }) : undefined;
      const converted = converter
        ? new Promise<number>((resolve) => {
            let err = '';
            converter.stderr!.on('data', (b: Buffer) => (err += b.toString()));
            converter.once('error', (e) => resolve((process.stderr.write(`merak capture: cannot run tshark: ${e.message}\n`), 127)));
            converter.once('exit', (c) => {
              if (c !== 0) process.stderr.write(`merak capture: tshark exited with ${c}: ${err.replace(/^Running as user.*\n/m, '').trim()}\n`);
              resolve(c ?? 1);
            });
          })
        : Promise.resolve(0);
      if (converter) child.stdout!.pipe(converter.stdin!);
      // Ctrl-C reaches the whole process group; the capture tool flushes its file and exits by
      // itself. Merak stays until it has, and sends the signal on for a kill that reached only Merak.
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => (): void => {
        stopping = true;
        child.kill(signal);
      };
      const onInt = stop('SIGINT');
      const onTerm = stop('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      const timer = setTimeout(() => {
        stopping = true;
        child.kill('SIGINT');
      }, flags.duration * 1000);
      const code = await new Promise<number>((resolve) => {
        child.once('error', (e) => {
          process.stderr.write(`merak capture: cannot run ${argv.slice(4).join(' ')}: ${e.message}\n`);
          resolve(127);
        });
        child.once('exit', (c, sig) => resolve(c ?? (stopping && sig ? 0 : 1)));
      });
      clearTimeout(timer);
      const convertCode = await converted;
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      if (code !== 0) process.stderr.write(`merak capture: ${argv[4]} exited with ${code}\n`);
      process.exitCode = code || convertCode;
    });
}
