/**
 * `merak plugin conformance` against the OVN network plugin on a real OVN central (issue 11,
 * "Contract"). A node is an OVN chassis that must be registered before CreateNode, so the suite's
 * --node-hook registers it with OVN's own `ovn-sbctl chassis-add`, as Merak's agent starts a
 * chassis before it creates the node. Afterwards neither database holds anything of the suite's.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOvnPlugin, type RunningOvnPlugin } from '../../src/plugin/ovn/server';
import type { ConformanceReport } from '../../src/model/plugin-conformance';
import { isRoot, netnsNames } from './dataplane-fixture';
import { hasOvn, ovsdb, processesMentioning } from '../helpers/ovn';
import { ruleIds, runConformanceCli } from '../helpers/conformance-cli';

const describeOvn = isRoot && hasOvn ? describe : describe.skip;
jest.setTimeout(300_000);

describeOvn('the OVN network plugin', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'merak-ovnc-'));
  let plugin: RunningOvnPlugin;

  beforeAll(async () => {
    plugin = await startOvnPlugin({ port: 0, central: `c${process.pid}`, stateDir, registrationWaitMs: 2000, log: () => undefined });
  });
  afterAll(async () => {
    const dir = plugin?.central.dir;
    const netns = plugin?.central.netns;
    await plugin?.close();
    rmSync(stateDir, { recursive: true, force: true });
    if (dir !== undefined) {
      expect(existsSync(dir)).toBe(false);
      expect(processesMentioning(dir)).toEqual([]);
      expect(netnsNames()).not.toContain(netns);
    }
  });

  test('passes; skips only the rules about an asked VNI (OVN allocates the tunnel keys); NB and SB hold nothing of the suite after', async () => {
    const hook = join(stateDir, 'chassis-hook.sh');
    // The hook is the user's program; the suite runs it by path with argv, no shell string.
    writeFileSync(hook, `#!/bin/sh\nexec ovn-sbctl --db=unix:${plugin.central.sbSocket} --timeout=20 chassis-add "$MERAK_NODE_NAME" geneve "$MERAK_NODE_IP"\n`);
    chmodSync(hook, 0o755);
    const run = await runConformanceCli(['--address', plugin.address, '-o', 'json', '--prefix', 'mkc-ovn', '--timeout', '15000', '--node-hook', hook]);
    const report = JSON.parse(run.stdout || '{"results":[]}') as ConformanceReport;
    expect({ code: run.code, fails: report.results.filter((r) => r.status === 'fail').map((r) => ({ id: r.rule.id, reason: r.reason, request: r.failed?.request, answer: r.failed?.outcome })) }).toEqual({ code: 0, fails: [] });
    expect(ruleIds(report, 'skip')).toEqual(['vpc.create.conflict-vni', 'vpc.create.vni-in-use']);
    expect(report.results.find((r) => r.rule.id === 'vpc.create.conflict-vni')!.reason).toMatch(/chooses the VNI itself/);
    const nb = (...args: string[]) => ovsdb('ovn-nbctl', plugin.central.nbSocket, ...args);
    const sb = (...args: string[]) => ovsdb('ovn-sbctl', plugin.central.sbSocket, ...args);
    expect(nb('--bare', '--columns=name', 'list', 'Logical_Router')).toBe('');
    expect(nb('--bare', '--columns=name', 'list', 'Logical_Switch')).toBe('');
    expect(nb('--bare', '--columns=name', 'list', 'Logical_Router_Port')).toBe('');
    expect(sb('--bare', '--columns=name', 'list', 'Chassis')).toBe('');
  });
});
