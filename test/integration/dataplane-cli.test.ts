/**
 * `merak local up|down` and `merak clean` (the commands, run in-process through commander):
 * two node namespaces joined by the fabric reach each other over the underlay; `merak clean
 * --all` leaves nothing of them, and the root namespace gained no address, route or link.
 */
import { Command } from 'commander';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { register as registerLocal } from '../../src/cli/commands/local';
import { register as registerClean } from '../../src/cli/commands/clean';
import { isRoot, netnsNames, pingFrom, rootSnapshot } from './dataplane-fixture';
import { LOCAL_BACKLOG, LOCAL_KERNEL_LIMITS, recordFile, sysctlFile } from '../../src/dataplane/kernel-limits';

/** The tag a scenario claimed in a state directory (tags/<tag> files). */
function scenarioTagOf(stateDir: string): string {
  const tags = readdirSync(path.join(stateDir, 'tags'));
  if (tags.length !== 1) throw new Error(`expected one tag in ${stateDir}, found ${tags.join(', ')}`);
  return tags[0]!;
}

const describeRoot = isRoot ? describe : describe.skip;
jest.setTimeout(120_000);

async function merak(args: string[]): Promise<string> {
  const program = new Command('merak').exitOverride();
  registerLocal(program);
  registerClean(program);
  const out: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await program.parseAsync(['node', 'merak', ...args]);
  } finally {
    spy.mockRestore();
    err.mockRestore();
  }
  return out.join('');
}

describeRoot('merak local up / clean', () => {
  test('two local nodes share the underlay; clean --all removes exactly what was recorded', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'merak-cli-'));
    const before = rootSnapshot();
    const nsBefore = new Set(netnsNames());
    const scenario = `t-cli-${process.pid}`;
    try {
      const up = JSON.parse(await merak(['local', 'up', '--scenario', scenario, '--nodes', '2', '--state-dir', stateDir, '-o', 'json'])) as {
        fabric: string;
        nodes: Array<{ node: string; netns: string; underlay: string; created: boolean }>;
      };
      expect(up.nodes.map((n) => [n.node, n.underlay, n.created])).toEqual([
        ['node-0', '100.64.0.1', true],
        ['node-1', '100.64.0.2', true],
      ]);
      const again = JSON.parse(await merak(['local', 'up', '--scenario', scenario, '--nodes', '2', '--state-dir', stateDir, '-o', 'json'])) as typeof up;
      expect(again.nodes.every((n) => !n.created)).toBe(true);
      expect(netnsNames()).toEqual(expect.arrayContaining([up.fabric, up.nodes[0].netns, up.nodes[1].netns]));
      expect(pingFrom(up.nodes[0].netns, '100.64.0.2')).toBe(true);
      expect(rootSnapshot()).toEqual(before);

      // A namespace someone else made with a look-alike name is not Merak's: clean must not touch it.
      const tag = up.fabric.slice(3, 7);
      const decoy = `mk-${tag}-node-9`;
      const { execFileSync } = await import('node:child_process');
      execFileSync('ip', ['netns', 'add', decoy]);
      try {
        const cleaned = JSON.parse(await merak(['clean', '--all', '--state-dir', stateDir, '-o', 'json'])) as Array<{ scenario: string; netns: number }>;
        expect(cleaned).toEqual([{ scenario, netns: 3, links: 0, daemons: 0, rows: 0 }]);
        expect(netnsNames().filter((n) => !nsBefore.has(n))).toEqual([decoy]);
      } finally {
        execFileSync('ip', ['netns', 'del', decoy]);
      }
      expect(readdirSync(path.join(stateDir, 'scenarios'))).toEqual([]);
      expect(readdirSync(path.join(stateDir, 'tags'))).toEqual([]);
      expect(JSON.parse(await merak(['clean', '--all', '--state-dir', stateDir, '-o', 'json']))).toEqual([]);
      expect(rootSnapshot()).toEqual(before);
    } finally {
      await merak(['clean', '--all', '--state-dir', stateDir]).catch(() => undefined);
      rmSync(stateDir, { recursive: true, force: true });
    }
    expect(existsSync(stateDir)).toBe(false);
  });

  test('local up raises the kernel limits the local cloud needs; they stay while a local scenario is left and go back when the last one goes, even when its records are gone', async () => {
    const dirs = [mkdtempSync(path.join(tmpdir(), 'merak-cli-')), mkdtempSync(path.join(tmpdir(), 'merak-cli-'))];
    const read = () => Object.fromEntries(LOCAL_KERNEL_LIMITS.map((l) => [l.name, Number(readFileSync(sysctlFile(l.name), 'utf8'))]));
    const original = read();
    const scenarios = [`t-la-${process.pid}`, `t-lb-${process.pid}`];
    try {
      for (const [i, s] of scenarios.entries()) await merak(['local', 'up', '--scenario', s, '--nodes', '1', '--state-dir', dirs[i]!, '-o', 'json']);
      for (const l of LOCAL_KERNEL_LIMITS) expect(read()[l.name]).toBeGreaterThanOrEqual(l.want);
      expect(read()['net.core.netdev_max_backlog']).toBeGreaterThanOrEqual(LOCAL_BACKLOG);
      // The first scenario goes: the second still has a local cloud, so nothing is put back.
      await merak(['clean', '--scenario', scenarios[0]!, '--state-dir', dirs[0]!]);
      for (const l of LOCAL_KERNEL_LIMITS) expect(read()[l.name]).toBeGreaterThanOrEqual(l.want);
      // The last one's records vanish with their directory (as a test's temporary one does); its
      // namespaces are removed by hand. `merak clean` on an empty state directory still restores.
      for (const ns of netnsNames().filter((n) => n.startsWith('mk-') && n.includes(scenarioTagOf(dirs[1]!)))) execFileSync('ip', ['netns', 'del', ns]);
      rmSync(dirs[1]!, { recursive: true, force: true });
      const empty = mkdtempSync(path.join(tmpdir(), 'merak-cli-'));
      await merak(['clean', '--all', '--state-dir', empty]);
      rmSync(empty, { recursive: true, force: true });
      // Its machine-wide tag claim, whose state directory is gone, is pruned by that clean too.
      const claims = existsSync('/run/merak/tags') ? readdirSync('/run/merak/tags').map((t) => (t.includes('.') ? '' : readFileSync(path.join('/run/merak/tags', t), 'utf8'))) : [];
      expect(claims.filter((c) => scenarios.some((s) => c.includes(`"${s}"`)))).toEqual([]);
      expect(read()).toEqual(original);
      for (const l of LOCAL_KERNEL_LIMITS) expect(existsSync(recordFile(l))).toBe(false);
    } finally {
      for (const d of dirs) {
        await merak(['clean', '--all', '--state-dir', d]).catch(() => undefined);
        rmSync(d, { recursive: true, force: true });
      }
      // Lowest first, so the neighbour thresholds never cross on the way back.
      for (const l of [...LOCAL_KERNEL_LIMITS].reverse()) writeFileSync(sysctlFile(l.name), `${original[l.name]}\n`);
    }
  });

  test('bad input is refused with the flag, the value and the rule', async () => {
    await expect(merak(['clean', '--scenario', 'Bad/Name', '--state-dir', tmpdir()])).rejects.toThrow(/--scenario: "Bad\/Name" \(must match/);
    await expect(merak(['clean', '--state-dir', tmpdir()])).rejects.toThrow(/exactly one of --scenario NAME or --all/);
  });
});
