import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineProcess } from '../../src/activities/testing/line-process';
import { spawnRunner } from '../../src/dataplane/command';
import { pythonBinary } from '../../src/dataplane/ns-helper';
import { checkHelperHello, HELPER_PROTOCOL, helperArgv, HelperProtocolError, helperScript, type HelperName } from '../../src/install/helpers';

/**
 * The version handshake between the agent and its Python helpers, with the real helpers and
 * copies of them that speak another protocol. Needs python3, not root: nothing here enters a
 * namespace.
 */

let python: string;
let dir: string;
beforeAll(async () => {
  python = await pythonBinary(spawnRunner);
  dir = mkdtempSync(join(tmpdir(), 'merak-helpers-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of a shipped helper whose PROTOCOL line says `protocol`, as another Merak version would ship it. */
function helperOfProtocol(name: HelperName, protocol: number): string {
  const text = readFileSync(helperScript(name), 'utf8');
  const changed = text.replace(/^PROTOCOL = \d+$/m, `PROTOCOL = ${protocol}`);
  expect(changed).not.toBe(text);
  const file = join(dir, `${name}-v${protocol}.py`);
  writeFileSync(file, changed);
  return file;
}

/** argv for `script` with the protocol flag this agent sends. */
const argvFor = (name: HelperName, script: string, args: string[] = []) => [python, '-I', '-S', script, '--protocol', String(HELPER_PROTOCOL[name]), ...args];

describe('helper version handshake', () => {
  it.each<[HelperName, string[]]>([
    ['nsconfig', []],
    ['sockprobe', ['probe', '5', '1']],
  ])('the shipped %s announces the protocol this agent speaks', async (name, args) => {
    const argv = helperArgv(python, name, args);
    expect(argv.slice(3, 6)).toEqual([helperScript(name), '--protocol', String(HELPER_PROTOCOL[name])]);
    const r = await spawnRunner.run(argv, { timeoutMs: 20_000 });
    expect(r.code).toBe(0);
    const first = r.stdout.split('\n')[0];
    expect(JSON.parse(first!)).toEqual({ helper: name, protocol: HELPER_PROTOCOL[name] });
    expect(() => checkHelperHello(name, helperScript(name), first)).not.toThrow();
  });

  it('a nsconfig of another protocol applies nothing and the agent refuses it, naming both versions', async () => {
    const script = helperOfProtocol('nsconfig', HELPER_PROTOCOL.nsconfig + 1);
    // The request would fail loudly (no such interface) if the helper ran it.
    const r = await spawnRunner.run(argvFor('nsconfig', script), { input: '{"ns": "", "ops": [{"op": "up", "ifname": "merak-none0"}]}\n', timeoutMs: 20_000 });
    expect(r.code).toBe(3);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1); // the announcement only: no reply, so no op ran
    const ours = HELPER_PROTOCOL.nsconfig;
    expect(r.stderr).toContain(`speaks protocol ${ours + 1}, the caller asked for ${ours}`);
    let refusal: unknown;
    try {
      checkHelperHello('nsconfig', script, lines[0]);
    } catch (e) {
      refusal = e;
    }
    expect(refusal).toBeInstanceOf(HelperProtocolError);
    expect((refusal as HelperProtocolError).announced).toBe(ours + 1);
    expect((refusal as Error).message).toBe(
      `helper ${script} speaks nsconfig protocol ${ours + 1}, but this agent needs protocol ${ours}: the helper and the agent come from different Merak versions; reinstall merak so both come from one package`,
    );
  });

  it.each([
    ['a reply line (a helper from before the handshake)', '{"ok": true}'],
    ['another helper', '{"helper": "sockprobe", "protocol": 1}'],
    ['no line at all', undefined],
    ['not JSON', 'Traceback (most recent call last):'],
    ['a protocol that is no number', '{"helper": "nsconfig", "protocol": "1"}'],
  ])('refuses %s as the first line', (_what, line) => {
    expect(() => checkHelperHello('nsconfig', '/x/nsconfig.py', line)).toThrow(HelperProtocolError);
    expect(() => checkHelperHello('nsconfig', '/x/nsconfig.py', line)).toThrow(new RegExp(`announced no protocol \\(first line: .*\\), but this agent needs protocol ${HELPER_PROTOCOL.nsconfig}`));
  });
});

describe('LineProcess with a hello check (sockprobe)', () => {
  it('takes the announcement out of the reply stream', async () => {
    const p = new LineProcess(helperArgv(python, 'sockprobe', ['probe', '10', '1']), undefined, (line) => checkHelperHello('sockprobe', helperScript('sockprobe'), line));
    try {
      // An op the helper does not know: answered with ok false, and without root or a namespace.
      const reply = await p.request({ op: 'nonesuch' }, 10_000);
      expect(reply).toMatchObject({ id: 1, ok: false });
    } finally {
      await p.close();
    }
  });

  it('refuses a sockprobe of another protocol: every request rejects with the refusal, the child is gone', async () => {
    const script = helperOfProtocol('sockprobe', HELPER_PROTOCOL.sockprobe + 1);
    const pids: number[] = [];
    const p = new LineProcess(argvFor('sockprobe', script, ['probe', '10', '1']), ({ pid }) => pids.push(pid), (line) => checkHelperHello('sockprobe', script, line));
    try {
      await expect(p.request({ op: 'nonesuch' }, 10_000)).rejects.toThrow(new RegExp(`helper ${script} speaks sockprobe protocol ${HELPER_PROTOCOL.sockprobe + 1}, but this agent needs protocol ${HELPER_PROTOCOL.sockprobe}`));
      await expect(p.request({ op: 'nonesuch' }, 10_000)).rejects.toBeInstanceOf(HelperProtocolError);
    } finally {
      await p.close();
    }
    expect(pids).toHaveLength(1);
    expect(() => process.kill(pids[0]!, 0)).toThrow(/ESRCH/);
  });
});
