import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeConnection, Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { connectClient } from '../../src/temporal/connection';
import { devServerStatus, startDevServer, stopDevServer } from '../../src/temporal/dev-server';
import { DevServerError } from '../../src/temporal/errors';
import { MERAK_SCENARIO } from '../../src/temporal/search-attributes';
import { releaseSignal, stateQuery, waitForReleaseWorkflow } from '../fixtures/temporal/workflows';
import { bundleWorkflows, installQuietRuntime } from '../helpers/temporal';

jest.setTimeout(240_000);

const FIXTURE_WORKFLOWS = join(__dirname, '..', 'fixtures', 'temporal', 'workflows.ts');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Pids of processes whose command line mentions `needle` (this test's state folder). */
function processesMentioning(needle: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) found.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('local dev server lifecycle (real Temporal CLI, SQLite in a temp state folder)', () => {
  let stateDir: string;
  let options: { stateDir: string; port: number; uiPort: number; healthyTimeoutMs: number };

  beforeAll(async () => {
    installQuietRuntime();
    stateDir = mkdtempSync(join(tmpdir(), 'merak-devserver-'));
    options = { stateDir, port: await freePort(), uiPort: await freePort(), healthyTimeoutMs: 120_000 };
  });

  afterAll(async () => {
    await stopDevServer({ ...options, graceMs: 5_000 }).catch(() => undefined);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('refuses to start on a port that is taken, before spawning anything', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      const attempt = startDevServer({ ...options, port: taken });
      await expect(attempt).rejects.toThrow(DevServerError);
      await expect(attempt).rejects.toThrow(new RegExp(`gRPC port ${taken} on 127.0.0.1 is not available`));
      expect(readdirSync(stateDir)).toEqual([]);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('keeps workflow history, visibility and the search attribute across a stop and a start', async () => {
    const first = await startDevServer(options);
    expect(first).toMatchObject({ started: true, running: true, healthy: true, address: `127.0.0.1:${options.port}` });
    expect(first.uiUrl).toBe(`http://localhost:${options.uiPort}`);
    const firstPid = first.pid!;
    expect(isAlive(firstPid)).toBe(true);

    // Idempotent: a second start finds the running server and leaves it alone.
    const again = await startDevServer(options);
    expect(again).toMatchObject({ started: false, pid: firstPid });

    // `status` finds the server's ports from the state folder alone.
    expect(await devServerStatus({ stateDir })).toMatchObject({
      running: true,
      healthy: true,
      pid: firstPid,
      address: `127.0.0.1:${options.port}`,
      uiUrl: `http://localhost:${options.uiPort}`,
    });

    // The web UI answers on its port.
    const ui = await fetch(`http://127.0.0.1:${options.uiPort}/`);
    expect(ui.status).toBe(200);

    const address = first.address;
    const taskQueue = 'merak-devserver-lifecycle';
    const workflowId = `merak-lifecycle-${Date.now()}`;
    let runId: string;
    let eventsBefore: number;
    {
      const { client, connection } = await connectClient({ address, namespace: 'default' });
      try {
        const handle = await client.workflow.start(waitForReleaseWorkflow, {
          taskQueue,
          workflowId,
          typedSearchAttributes: [{ key: MERAK_SCENARIO, value: 'lifecycle' }],
        });
        runId = handle.firstExecutionRunId;
        const history = await handle.fetchHistory();
        eventsBefore = history.events!.length;
        expect(eventsBefore).toBeGreaterThanOrEqual(2); // started + first workflow task scheduled
      } finally {
        await connection.close();
      }
    }

    const stopped = await stopDevServer(options);
    expect(stopped.pid).toBe(firstPid);
    expect(stopped.killed).toBe(false);
    expect(isAlive(firstPid)).toBe(false);
    expect(await devServerStatus(options)).toMatchObject({ running: false, healthy: false });
    expect(processesMentioning(stateDir)).toEqual([]);

    const second = await startDevServer(options);
    expect(second).toMatchObject({ started: true, healthy: true });
    expect(second.pid).not.toBe(firstPid);

    const { client, connection } = await connectClient({ address, namespace: 'default' });
    try {
      const attrs = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      expect(attrs.customAttributes.MerakScenario).toBe(temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);

      const handle = client.workflow.getHandle(workflowId);
      const description = await handle.describe();
      expect(description.runId).toBe(runId);
      expect(description.status.name).toBe('RUNNING');
      expect(description.typedSearchAttributes.get(MERAK_SCENARIO)).toBe('lifecycle');
      const history = await handle.fetchHistory();
      expect(history.events!.length).toBeGreaterThanOrEqual(eventsBefore);
      expect(history.events![0].workflowExecutionStartedEventAttributes?.workflowType?.name).toBe('waitForReleaseWorkflow');

      // Visibility (what the web UI lists) survived too.
      const listed: string[] = [];
      for await (const wf of client.workflow.list({ query: `MerakScenario = "lifecycle"` })) listed.push(wf.workflowId);
      expect(listed).toEqual([workflowId]);

      // And the restarted server carries the workflow on to completion.
      const nativeConnection = await NativeConnection.connect({ address });
      try {
        const worker = await Worker.create({
          connection: nativeConnection,
          taskQueue,
          workflowBundle: await bundleWorkflows(FIXTURE_WORKFLOWS),
        });
        const result = await worker.runUntil(async () => {
          expect(await handle.query(stateQuery)).toBe('waiting');
          await handle.signal(releaseSignal, 'after-restart');
          return handle.result();
        });
        expect(result).toBe('released with after-restart');
      } finally {
        await nativeConnection.close();
      }
    } finally {
      await connection.close();
    }

    const secondPid = second.pid!;
    const finalStop = await stopDevServer(options);
    expect(finalStop.pid).toBe(secondPid);
    expect(isAlive(secondPid)).toBe(false);
    expect(processesMentioning(stateDir)).toEqual([]);
    expect((await stopDevServer(options)).pid).toBeUndefined(); // stopping twice is fine
  });

  it('adds MerakScenario on restart when the SQLite file was created without it', async () => {
    const olderState = mkdtempSync(join(tmpdir(), 'merak-devserver-old-'));
    const older = { stateDir: olderState, port: await freePort(), ui: false, healthyTimeoutMs: 120_000 };
    const keyword = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
    const merakScenarioType = async (): Promise<unknown> => {
      const { connection } = await connectClient({ address: `127.0.0.1:${older.port}`, namespace: 'default' });
      try {
        return (await connection.operatorService.listSearchAttributes({ namespace: 'default' })).customAttributes.MerakScenario;
      } finally {
        await connection.close();
      }
    };
    try {
      await startDevServer({ ...older, searchAttributes: [] });
      expect(await merakScenarioType()).toBeUndefined();
      await stopDevServer(older);

      await startDevServer(older); // default attributes: the namespace exists, so the CLI alone would not add it
      expect(await merakScenarioType()).toBe(keyword);
      await stopDevServer(older);
      expect(processesMentioning(olderState)).toEqual([]);
    } finally {
      await stopDevServer({ ...older, graceMs: 5_000 }).catch(() => undefined);
      rmSync(olderState, { recursive: true, force: true });
    }
  });

  it('kills a server that ignores SIGTERM after the grace period, and never signals a pid that is not ours', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'merak-devserver-kill-'));
    const config = { stateDir: dir };
    const dbFile = join(dir, 'temporal.sqlite');
    // A real process whose command line looks like our dev server's and that ignores SIGTERM;
    // its loop is bounded (60 s) in case the test fails before killing it.
    const stubborn = spawn('bash', ['-c', 'trap "" TERM; for i in $(seq 1 600); do sleep 0.1; done', 'start-dev', dbFile], {
      stdio: 'ignore',
    });
    const stranger = spawn('bash', ['-c', 'for i in $(seq 1 600); do sleep 0.1; done'], { stdio: 'ignore' });
    const spawned = Promise.all([stubborn, stranger].map((child) => new Promise((r) => child.once('spawn', r))));
    try {
      await spawned;

      // A pid file naming a process that is not a dev server of this SQLite file is stale.
      writeFileSync(join(dir, 'temporal.pid'), `${stranger.pid}\n`);
      expect(await stopDevServer(config)).toEqual({ killed: false });
      expect(isAlive(stranger.pid!)).toBe(true);
      expect(existsSync(join(dir, 'temporal.pid'))).toBe(false);

      writeFileSync(join(dir, 'temporal.pid'), `${stubborn.pid}\n`);
      expect((await devServerStatus(config)).running).toBe(true);
      const started = Date.now();
      const result = await stopDevServer({ ...config, graceMs: 1_000 });
      expect(result).toEqual({ pid: stubborn.pid, killed: true });
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
      expect(isAlive(stubborn.pid!)).toBe(false);
      expect(existsSync(join(dir, 'temporal.pid'))).toBe(false);
    } finally {
      stubborn.kill('SIGKILL');
      stranger.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
