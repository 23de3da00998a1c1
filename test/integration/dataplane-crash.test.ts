/**
 * Interrupted batches: the `ip -batch` child doing a batch is killed half-way (SIGKILL), the
 * activity fails, and the retry — resuming from the last heartbeat, inside a real Temporal
 * activity context (MockActivityEnvironment) — ends in exactly the requested state.
 */
import { execFileSync } from 'node:child_process';
import { MockActivityEnvironment } from '@temporalio/testing';
import { makeFixture, isRoot, netnsNames, vmInterfaces } from './dataplane-fixture';
import { spawnRunner, type CommandRunner } from '../../src/dataplane/command';
import { createAgentActivities } from '../../src/activities/agent/activities';
import { parseVmNetns, vmNetns, nodeNetns } from '../../src/dataplane/names';
import { listLinks, listMountedNetns } from '../../src/dataplane/netns';
import type { Progress } from '../../src/activities/agent/heartbeat';
import type { BatchSummary } from '../../src/activities/agent/types';

const describeRoot = isRoot ? describe : describe.skip;
jest.setTimeout(180_000);

/** A real runner that SIGKILLs the n-th batch child matching `match` shortly after it starts. */
function killingRunner(match: (argv: readonly string[], input: string) => boolean, nth: number, afterMs: number): CommandRunner & { killed: boolean } {
  let seen = 0;
  const r = {
    killed: false,
    run(argv: readonly string[], options: Parameters<CommandRunner['run']>[1] = {}) {
      if (match(argv, options.input ?? '') && ++seen === nth) {
        return spawnRunner.run(argv, {
          ...options,
          onSpawn: (child) => {
            setTimeout(() => {
              r.killed = child.kill('SIGKILL');
            }, afterMs);
          },
        });
      }
      return spawnRunner.run(argv, options);
    },
  };
  return r;
}

const subnet = { id: 's', vpc: 'v', cidr: '10.9.0.0/16', gateway: '10.9.0.1', vni: 9 };

describeRoot('interrupted batches', () => {
  test('createVms and createEndpoints killed half-way, retried from the heartbeat, end exactly as requested', async () => {
    // The third chunk's namespace helper (it makes the namespaces): with the two-stage pipeline,
    // chunk 0 is complete (heartbeat 100) by then; killed after its start, while it makes them.
    const killer = killingRunner((argv, input) => argv.some((a) => a.endsWith('nsconfig.py')) && input.includes('"create":true'), 3, 60);
    const f = makeFixture('crash', { runner: killer, chunkSize: 100 });
    try {
      const retry = createAgentActivities({ ...f.deps, runner: spawnRunner });
      await retry.ensureNode({ scenario: f.scenario, node: 'node-0', nodeSlot: 0 });
      const vms = { scenario: f.scenario, node: 'node-0', from: 0, count: 300 };

      const first = new MockActivityEnvironment();
      const beats: number[] = [];
      first.on('heartbeat', (d: Progress) => beats.push(d.done));
      await expect(first.run(f.agent.createVms, vms)).rejects.toThrow(/nsconfig/);
      expect(killer.killed).toBe(true);
      expect(beats).toEqual([100]);
      const tag = await f.tag();
      // Mounted namespaces only: the killed helper may leave one half-made (file, no mount), which the retry reuses.
      const partial = [...(await listMountedNetns())].filter((n) => parseVmNetns(tag, 'node-0', n) !== undefined).length;
      expect(partial).toBeGreaterThanOrEqual(100);
      expect(partial).toBeLessThan(300);

      const second = new MockActivityEnvironment({ heartbeatDetails: { done: beats[beats.length - 1] } });
      const resumed = (await second.run(retry.createVms, vms)) as BatchSummary;
      expect(resumed.changed).toBe(300 - partial);
      const names = netnsNames().filter((n) => parseVmNetns(tag, 'node-0', n) !== undefined);
      expect(names.sort()).toEqual(Array.from({ length: 300 }, (_, i) => vmNetns(tag, 'node-0', i)).sort());
      // Every VM, including those made by the killed batch before the helper ran, has loopback up.
      const loDown = names.filter((n) => vmInterfaces(n).find((i) => i.ifname === 'lo')?.operstate !== 'UNKNOWN');
      expect(loDown).toEqual([]);

      // The same for endpoints: kill the veth batch of the second chunk.
      const epKiller = killingRunner((argv, input) => argv.includes('-batch') && /type veth/.test(input), 2, 20);
      const epAgent = createAgentActivities({ ...f.deps, runner: epKiller, chunkSize: 100 });
      const eb = { scenario: f.scenario, node: 'node-0', nodeSlot: 0, from: 0, count: 300, endpointsPerVm: 1, segments: [{ vmFrom: 0, vmCount: 300, endpoint: 0, subnet, ipIndexFrom: 0 }] };
      const e1 = new MockActivityEnvironment();
      await expect(e1.run(epAgent.createEndpoints, eb)).rejects.toThrow(/ip -batch/);
      expect(epKiller.killed).toBe(true);
      await new MockActivityEnvironment({ heartbeatDetails: { done: 100 } }).run(retry.createEndpoints, eb);
      // Resuming at 100 skips chunk 0; an attempt from scratch must find it all done.
      expect(await retry.createEndpoints(eb)).toMatchObject({ requested: 300, changed: 0 });
      const hostEnds = (await listLinks(spawnRunner, nodeNetns(tag, 'node-0'))).filter((l) => l.ifname.startsWith(`m${tag}v`));
      expect(hostEnds).toHaveLength(300);
      const addr = JSON.parse(execFileSync('ip', ['-n', vmNetns(tag, 'node-0', 299), '-j', '-4', 'addr', 'show', 'dev', 'eth0']).toString()) as Array<{ addr_info: Array<{ local: string }> }>;
      expect(addr[0].addr_info.map((a) => a.local)).toEqual(['10.9.1.45']);
      expect(await retry.nodeInfo({ scenario: f.scenario, node: 'node-0' })).toMatchObject({ vms: 300, endpoints: 300 });

      // Deleting a 300-VM node waits for the kernel's cleanup: nothing of the node's VMs remains after it returns.
      const del = await retry.deleteVms(vms);
      expect(del.changed).toBe(300);
      expect((await listLinks(spawnRunner, nodeNetns(tag, 'node-0'))).filter((l) => l.ifname.startsWith(`m${tag}v`))).toEqual([]);
    } finally {
      await f.finish();
    }
  });
});
