/**
 * Shared local daemons and the identity of recorded processes, with real processes (`sleep`):
 * a daemon is started once and shared, stopped only by its last user, and a recorded pid that
 * now names another process is never adopted nor signalled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { daemonNames, listDaemons, releaseDaemons, withRegistry } from '../../src/local/daemons';
import { isSameProcess, readProcessIdentity } from '../../src/local/process-identity';
import { claimScenarioNumber, NoScenarioNumberError, releaseScenarioNumber, scenarioNumberOf } from '../../src/local/scenario-numbers';
import { SCENARIO_NUMBERS } from '../../src/model/identity';

const alive = (pid: number) => readProcessIdentity(pid) !== undefined;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('process identity', () => {
  test('a live process is known by start time, boot and command line; any difference makes it a stranger', () => {
    const me = readProcessIdentity(process.pid)!;
    expect(me.argv.join(' ')).toContain('jest');
    expect(me.startTicks).toBeGreaterThan(0);
    expect(isSameProcess(me)).toBe(true);
    expect(isSameProcess({ ...me, startTicks: me.startTicks + 1 })).toBe(false);
    expect(isSameProcess({ ...me, bootId: 'another-boot' })).toBe(false);
    expect(isSameProcess({ ...me, argv: [...me.argv, 'x'] })).toBe(false);
    // An older record without start time counts only with the exact command line.
    expect(isSameProcess({ pid: me.pid, argv: me.argv })).toBe(true);
    expect(isSameProcess({ pid: me.pid, argv: ['node', 'something-else'] })).toBe(false);
    expect(readProcessIdentity(0x3fffffff)).toBeUndefined();
  });
});

describe('shared daemons', () => {
  let state: string;
  const strangers: ChildProcess[] = [];
  beforeEach(() => {
    state = mkdtempSync(path.join(tmpdir(), 'merak-daemons-'));
  });
  afterEach(async () => {
    for (const d of listDaemons({ stateDir: state })) if (isSameProcess(d)) process.kill(d.pid, 'SIGKILL');
    for (const s of strangers.splice(0)) s.kill('SIGKILL');
    rmSync(state, { recursive: true, force: true });
  });
  // The "daemon" is `sleep 600`: a real detached process, started through the registry.
  const opts = () => ({ stateDir: state, command: ['sleep'] });
  const req = { name: 'plugin-50051', kind: 'plugin' as const, args: ['600'] };

  test('two scenarios share one daemon; the first down keeps it, the last stops it', async () => {
    const a = await withRegistry((r) => r.use('alpha', req), opts());
    const b = await withRegistry((r) => r.use('beta', req), opts());
    expect(a.started).toBe(true);
    expect(b.started).toBe(false);
    expect(b.daemon.pid).toBe(a.daemon.pid);
    expect(listDaemons({ stateDir: state })[0]!.users).toEqual(['alpha', 'beta']);
    expect(daemonNames('alpha', { stateDir: state })).toEqual(['plugin-50051']);

    const first = await releaseDaemons('alpha', { ...opts(), graceMs: 2_000 });
    expect(first).toEqual({ stopped: [], kept: [{ name: 'plugin-50051', users: ['beta'] }], stale: [] });
    expect(alive(a.daemon.pid)).toBe(true);
    const last = await releaseDaemons('beta', { ...opts(), graceMs: 2_000 });
    expect(last.stopped).toEqual(['plugin-50051']);
    expect(alive(a.daemon.pid)).toBe(false);
    expect(listDaemons({ stateDir: state })).toEqual([]);
  });

  test('a daemon nobody registered for is kept while othersUsing names a scenario', async () => {
    const a = await withRegistry((r) => r.use('alpha', req), opts());
    const r = await releaseDaemons('alpha', { ...opts(), othersUsing: async () => ['from-temporal-cli'] });
    expect(r.kept).toEqual([{ name: 'plugin-50051', users: ['from-temporal-cli'] }]);
    expect(alive(a.daemon.pid)).toBe(true);
  });

  test('a record whose pid now belongs to an unrelated live process: up does not adopt it, down does not signal it', async () => {
    const stranger = spawn('sleep', ['600'], { stdio: 'ignore' });
    strangers.push(stranger);
    await sleep(50);
    const id = readProcessIdentity(stranger.pid!)!;
    // As after a reboot or pid reuse: the record names the stranger's pid, but the daemon's command and another start time.
    mkdirSync(path.join(state, 'daemons', '_shared'), { recursive: true });
    const record = { name: 'plugin-50051', kind: 'plugin', pid: stranger.pid, argv: ['sleep', '600'], startTicks: id.startTicks - 1, bootId: id.bootId, logFile: '/dev/null', users: ['alpha'] };
    writeFileSync(path.join(state, 'daemons', '_shared', 'plugin-50051.json'), JSON.stringify(record));
    // Same for a record of an older version (per-scenario folder, no start time): another command line.
    mkdirSync(path.join(state, 'daemons', 'alpha'), { recursive: true });
    writeFileSync(path.join(state, 'daemons', 'alpha', 'agent.json'), JSON.stringify({ name: 'agent', pid: stranger.pid, argv: [process.execPath, '/x/bin/merak.js', 'worker', 'agent'], logFile: '/dev/null' }));

    const up = await withRegistry((r) => r.use('beta', req), opts());
    expect(up.started).toBe(true);
    expect(up.daemon.pid).not.toBe(stranger.pid);
    const down = await releaseDaemons('alpha', { ...opts(), graceMs: 1_000 });
    expect(down.stopped).toEqual([]);
    expect(down.stale).toEqual(['agent']);
    await sleep(100);
    expect(isSameProcess(id)).toBe(true);
    expect(stranger.exitCode).toBeNull();
    expect(stranger.signalCode).toBeNull();
  });

  test('two ups at once start the daemon once', async () => {
    const both = await Promise.all(['alpha', 'beta', 'gamma'].map((s) => withRegistry((r) => r.use(s, req), opts())));
    expect(new Set(both.map((b) => b.daemon.pid)).size).toBe(1);
    expect(both.filter((b) => b.started)).toHaveLength(1);
    expect(listDaemons({ stateDir: state })[0]!.users).toEqual(['alpha', 'beta', 'gamma']);
  });
});

describe('scenario numbers', () => {
  let run: string;
  beforeEach(() => {
    run = mkdtempSync(path.join(tmpdir(), 'merak-run-'));
  });
  afterEach(() => rmSync(run, { recursive: true, force: true }));

  test('claims at once get distinct numbers; a scenario keeps its number; excluded numbers are skipped; release frees', async () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    const got = await Promise.all(names.map((n) => claimScenarioNumber(run, n)));
    expect(new Set(got).size).toBe(names.length);
    expect(await claimScenarioNumber(run, 'c')).toBe(got[2]);
    const moved = await claimScenarioNumber(run, 'c', { exclude: new Set([got[2]!]) });
    expect(moved).not.toBe(got[2]);
    expect(await scenarioNumberOf(run, 'c')).toBe(moved);
    await releaseScenarioNumber(run, 'c');
    expect(await scenarioNumberOf(run, 'c')).toBeUndefined();
  });

  test('all numbers held by live scenarios: refused naming them; a holder that no longer runs is taken over', async () => {
    for (let i = 0; i < SCENARIO_NUMBERS; i++) await claimScenarioNumber(run, `s${i}`);
    await expect(claimScenarioNumber(run, 'late')).rejects.toThrow(NoScenarioNumberError);
    await expect(claimScenarioNumber(run, 'late')).rejects.toThrow(/all 64 are held \(by s0, s1/);
    const n = await claimScenarioNumber(run, 'late', { isLive: async (s) => s !== 's7' });
    expect(n).toBe(7);
  }, 60_000);
});
