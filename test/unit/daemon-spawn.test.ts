/**
 * spawnDaemon: a program that does not detach by itself becomes a daemon that daemonPid and
 * stopDaemon recognise by its pid file and its `--pidfile=` argument, exactly like a detaching one.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { daemonPid, pidfileArg, spawnDaemon, stopDaemon } from '../../src/dataplane/daemon';
import { SELF_NETNS } from '../../src/dataplane/owner-record-format';

const dir = mkdtempSync(join(tmpdir(), 'merak-spawn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A Node.js process that prints a line and waits; `--` keeps the pid-file argument out of Node's own options. */
const waiter = (pidfile: string): string[] => [process.execPath, '-e', "console.log('up'); setTimeout(() => {}, 60000)", '--', pidfileArg(pidfile)];

test('the spawned process is the daemon of its pid file until it is stopped', async () => {
  const pidfile = join(dir, 'a', 'waiter.pid');
  const log = join(dir, 'waiter.log');
  writeFileSync(log, 'a line of an earlier run\n');
  const pid = await spawnDaemon({ role: 'waiter', netns: SELF_NETNS, pidfile, argv: waiter(pidfile), log });
  expect(readFileSync(pidfile, 'utf8').trim()).toBe(String(pid));
  expect(await daemonPid(pidfile)).toBe(pid);
  for (let i = 0; i < 400 && !readFileSync(log, 'utf8').includes('up'); i++) await new Promise((r) => setTimeout(r, 50));
  // The log starts fresh at each start.
  expect(readFileSync(log, 'utf8')).toBe('up\n');
  expect(await stopDaemon(pidfile, 2_000)).toBe(true);
  // Gone, or a zombie until Node reaps its child: neither has a command line, neither counts.
  expect(await daemonPid(pidfile)).toBeUndefined();
  expect(await stopDaemon(pidfile)).toBe(false);
});

test('a pid file naming a process without the pid-file argument is not a daemon (a reused pid is never signalled)', async () => {
  const pidfile = join(dir, 'other.pid');
  writeFileSync(pidfile, `${process.pid}\n`);
  expect(await daemonPid(pidfile)).toBeUndefined();
  expect(await stopDaemon(pidfile)).toBe(false);
});

test('argv without --pidfile=<pidfile> is refused before anything starts', async () => {
  const pidfile = join(dir, 'b', 'x.pid');
  await expect(spawnDaemon({ role: 'x', netns: SELF_NETNS, pidfile, argv: [process.execPath, '-e', ''], log: join(dir, 'x.log') })).rejects.toThrow(/argv must contain --pidfile=/);
  expect(existsSync(join(dir, 'x.log'))).toBe(false);
  expect(existsSync(pidfile)).toBe(false);
});
