/**
 * `merak local up|down` and `merak clean` (the commands, run in-process through commander):
 * two node namespaces joined by the fabric reach each other over the underlay; `merak clean
 * --all` leaves nothing of them, and the root namespace gained no address, route or link.
 */
import { Command } from 'commander';
import { mkdtempSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { register as registerLocal } from '../../src/cli/commands/local';
import { register as registerClean } from '../../src/cli/commands/clean';
import { isRoot, netnsNames, pingFrom, rootSnapshot } from './dataplane-fixture';

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
        expect(cleaned).toEqual([{ scenario, netns: 3, links: 0 }]);
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

  test('bad input is refused with the flag, the value and the rule', async () => {
    await expect(merak(['clean', '--scenario', 'Bad/Name', '--state-dir', tmpdir()])).rejects.toThrow(/--scenario: "Bad\/Name" \(must match/);
    await expect(merak(['clean', '--state-dir', tmpdir()])).rejects.toThrow(/exactly one of --scenario NAME or --all/);
  });
});
