/**
 * Starting and stopping a local Alcor control plane leaves nothing behind, also when the start
 * fails half-way: every process it started is ended, its namespace deleted, its record removed.
 * Runs without the Alcor build (a build whose JVMs cannot start); the real control plane is
 * started and stopped by test/integration/alcor.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnRunner } from '../../src/dataplane/command';
import { alcorControlPlaneStatus, alcorNetns, alcorOwner, alcorRunDir, alcorServices, controlPlaneDir, startAlcorControlPlane, stopAlcorControlPlane } from '../../src/local/alcor-control-plane';
import { namespacesWith, processesWith } from '../helpers/alcor';

const isRoot = process.getuid?.() === 0;
const describeRoot = isRoot ? describe : describe.skip;
jest.setTimeout(120_000);

describeRoot('local Alcor control plane: start and stop are exact', () => {
  let home: string;
  let stateDir: string;
  const name = `cpfail${process.pid % 10000}`;
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'merak-alcor-home-'));
    stateDir = mkdtempSync(join(tmpdir(), 'merak-alcor-state-'));
    mkdirSync(join(home, 'services'));
    mkdirSync(join(home, 'ignite', 'lib'), { recursive: true });
    // Files where the jars should be: every JVM started from them exits at once.
    for (const s of alcorServices(5)) writeFileSync(join(home, 'services', `${s.name}.jar`), 'not a jar');
    writeFileSync(join(home, 'ignite', 'common.jar'), 'not a jar');
  });
  afterAll(async () => {
    await stopAlcorControlPlane({ name, stateDir, runner: spawnRunner });
    rmSync(home, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  });

  test('bad options are refused before anything is made', async () => {
    await expect(startAlcorControlPlane({ name: 'Bad_Name', home, runner: spawnRunner, stateDir })).rejects.toThrow(/name: "Bad_Name" must match/);
    await expect(startAlcorControlPlane({ name, home, listenHost: '10.0.0.1', runner: spawnRunner, stateDir })).rejects.toThrow(/listenHost: "10.0.0.1" must be an IPv4 loopback address/);
    await expect(startAlcorControlPlane({ name, home: tmpdir(), runner: spawnRunner, stateDir })).rejects.toThrow(/has no services\/vpc_manager.jar; run scripts\/provide-alcor.sh/);
    expect(namespacesWith(alcorNetns(name))).toEqual([]);
    expect(existsSync(join(controlPlaneDir(name, stateDir), 'control-plane.json'))).toBe(false);
    expect(existsSync(join(stateDir, 'providers', alcorOwner(name)))).toBe(false);
  });

  test('a start that fails half-way stops what it started: no JVM, no namespace, no record, no pid-file folder', async () => {
    const lines: string[] = [];
    const err = await startAlcorControlPlane({ name, home, runner: spawnRunner, stateDir, log: (l) => lines.push(l) }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/ignite exited while starting; last lines of .*ignite\.log/);
    expect(lines.some((l) => l.startsWith('start failed, stopping what was started'))).toBe(true);
    expect(namespacesWith(alcorNetns(name))).toEqual([]);
    expect(processesWith(home)).toEqual([]);
    expect(processesWith(`--pidfile=${alcorRunDir(name)}/`)).toEqual([]);
    expect(existsSync(alcorRunDir(name))).toBe(false);
    expect((await alcorControlPlaneStatus({ name, stateDir })).recorded).toBe(false);
    expect(existsSync(join(stateDir, 'providers', alcorOwner(name)))).toBe(false);
    // The logs stay for the post-mortem.
    expect(existsSync(join(controlPlaneDir(name, stateDir), 'ignite.log'))).toBe(true);
  });

  test('stop of a control plane that is not recorded does nothing and says so', async () => {
    expect(await stopAlcorControlPlane({ name, stateDir, runner: spawnRunner })).toEqual({ name, stopped: 0, netnsDeleted: false });
  });
});
