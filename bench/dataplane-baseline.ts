/**
 * The baseline the benchmark compares against: the original Go agent's pattern, one `ip`
 * process per step and interfaces created in one namespace then moved into the VM. It runs
 * inside the benchmark's own node namespace (never the root namespace): create the pair on the
 * node, move one end into the VM, rename, set MAC, address, up, route, attach the other end.
 */
import { runChecked, type CommandRunner } from '../src/dataplane/command';

export interface BaselineVm {
  vm: string;
  host: string;
  tmp: string;
  ip: string;
  gateway: string;
  mac: string;
  bridge: string;
}

/** The argv of every step for one VM, in order: one process each. */
export function baselineCreateSteps(node: string, v: BaselineVm): string[][] {
  return [
    ['ip', 'netns', 'add', v.vm],
    ['ip', '-n', v.vm, 'link', 'set', 'lo', 'up'],
    ['ip', '-n', node, 'link', 'add', v.tmp, 'type', 'veth', 'peer', 'name', v.host],
    ['ip', '-n', node, 'link', 'set', v.tmp, 'netns', v.vm],
    ['ip', '-n', v.vm, 'link', 'set', v.tmp, 'name', 'eth0'],
    ['ip', '-n', v.vm, 'link', 'set', 'eth0', 'address', v.mac],
    ['ip', '-n', v.vm, 'addr', 'add', v.ip, 'dev', 'eth0'],
    ['ip', '-n', v.vm, 'link', 'set', 'eth0', 'up'],
    ['ip', '-n', v.vm, 'route', 'add', 'default', 'via', v.gateway],
    ['ip', '-n', node, 'link', 'set', v.host, 'master', v.bridge],
    ['ip', '-n', node, 'link', 'set', v.host, 'up'],
  ];
}

export async function baselineCreate(runner: CommandRunner, node: string, vms: readonly BaselineVm[]): Promise<void> {
  for (const v of vms) for (const argv of baselineCreateSteps(node, v)) await runChecked(runner, argv);
}

export async function baselineDelete(runner: CommandRunner, vms: readonly BaselineVm[]): Promise<void> {
  for (const v of vms) await runChecked(runner, ['ip', 'netns', 'del', v.vm]);
}
