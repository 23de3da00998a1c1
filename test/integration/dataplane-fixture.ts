/**
 * Shared setup of the dataplane integration tests: a temporary state directory, a unique
 * scenario, the real agent activities in local mode, and the checks every test ends with:
 * nothing of the scenario left, and the root namespace gained no address, route or link.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createAgentActivities, type AgentDeps } from '../../src/activities/agent/activities';
import { spawnRunner, type CommandRunner } from '../../src/dataplane/command';
import { cleanScenario } from '../../src/dataplane/clean';
import { FileOwnerRecords } from '../../src/dataplane/owner-records';
import { findTag } from '../../src/dataplane/tags';
import { createPluginRegistry, shippedPluginDir } from '../../src/endpoint-plugins/registry';

export const isRoot = process.getuid?.() === 0;

export interface RootSnapshot {
  addrs: string;
  routes: string;
  links: string[];
}

/** Addresses, routes and link names of the root namespace (where the tests run). */
export function rootSnapshot(): RootSnapshot {
  const addrs = JSON.parse(execFileSync('ip', ['-j', 'addr', 'show']).toString()) as Array<{ ifname: string; addr_info: Array<{ local: string; prefixlen: number }> }>;
  return {
    addrs: JSON.stringify(addrs.map((a) => [a.ifname, a.addr_info.map((i) => `${i.local}/${i.prefixlen}`).sort()]).sort()),
    routes: JSON.stringify((JSON.parse(execFileSync('ip', ['-j', 'route', 'show', 'table', 'all']).toString()) as unknown[]).map((r) => JSON.stringify(r)).sort()),
    links: addrs.map((a) => a.ifname).sort(),
  };
}

export function netnsNames(): string[] {
  return existsSync('/run/netns') ? readdirSync('/run/netns') : [];
}

export interface Fixture {
  scenario: string;
  stateDir: string;
  pluginDir: string;
  records: FileOwnerRecords;
  deps: AgentDeps;
  agent: ReturnType<typeof createAgentActivities>;
  tag(): Promise<string>;
  /** Cleans the scenario and asserts nothing of it remains and the root namespace is unchanged. */
  finish(): Promise<void>;
}

let counter = 0;

export function makeFixture(name: string, overrides: Partial<AgentDeps> & { runner?: CommandRunner } = {}): Fixture {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'merak-dp-'));
  const pluginDir = mkdtempSync(path.join(tmpdir(), 'merak-plugins-'));
  const scenario = `t-${name}-${process.pid}-${counter++}`;
  const records = new FileOwnerRecords(stateDir);
  const runner = overrides.runner ?? spawnRunner;
  const deps: AgentDeps = {
    mode: 'local',
    runner,
    records,
    plugins: createPluginRegistry({ runner, dirs: [shippedPluginDir(), pluginDir] }),
    ...overrides,
  };
  const before = rootSnapshot();
  const nsBefore = new Set(netnsNames());
  let seenTag: string | undefined;
  return {
    scenario,
    stateDir,
    pluginDir,
    records,
    deps,
    agent: createAgentActivities(deps),
    tag: async () => {
      seenTag = (await findTag(stateDir, scenario)) ?? seenTag;
      return seenTag ?? '';
    },
    async finish() {
      // A test that deleted every node has released the tag already: the one it saw still names its objects
      // (without it, namespaces other processes make meanwhile would count as this test's leftovers).
      const tag = (await findTag(stateDir, scenario)) ?? seenTag;
      await cleanScenario({ runner: spawnRunner, records }, scenario);
      // Namespace removal completes asynchronously in the kernel; links of dead namespaces vanish with them.
      const leftover = netnsNames().filter((n) => !nsBefore.has(n));
      const ours = tag ? leftover.filter((n) => n.startsWith(`mk-${tag}`)) : leftover;
      expect(ours).toEqual([]);
      expect(existsSync(path.join(stateDir, 'scenarios', scenario))).toBe(false);
      expect(await findTag(stateDir, scenario)).toBeUndefined();
      const after = rootSnapshot();
      expect(after.addrs).toEqual(before.addrs);
      expect(after.routes).toEqual(before.routes);
      expect(after.links.filter((l) => tag && l.includes(tag))).toEqual([]);
      rmSync(stateDir, { recursive: true, force: true });
      rmSync(pluginDir, { recursive: true, force: true });
    },
  };
}

/** Runs ping inside a namespace the test made; true when one echo reply came back within 1 s. */
export function pingFrom(netns: string, address: string): boolean {
  try {
    execFileSync('nsenter', [`--net=/run/netns/${netns}`, '--', 'ping', '-c', '1', '-W', '1', address], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface IfaceInfo {
  ifname: string;
  address: string;
  operstate: string;
  addr_info: Array<{ family: string; local: string; prefixlen: number }>;
}

export function vmInterfaces(netns: string): IfaceInfo[] {
  return JSON.parse(execFileSync('ip', ['-n', netns, '-j', 'addr', 'show']).toString()) as IfaceInfo[];
}

export function vmRoutes(netns: string): Array<{ dst: string; gateway?: string; dev: string }> {
  return JSON.parse(execFileSync('ip', ['-n', netns, '-j', 'route', 'show']).toString()) as Array<{ dst: string; gateway?: string; dev: string }>;
}
