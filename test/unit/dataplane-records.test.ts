import { promises as fsp, mkdtempSync, rmSync, writeFileSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { formatRecord, parseRecords, RecordParseError } from '../../src/dataplane/owner-record-format';
import { FileOwnerRecords } from '../../src/dataplane/owner-records';
import { claimTag, findTag, pruneTagClaims, releaseTag, tagOwners } from '../../src/dataplane/tags';
import { tagCandidate } from '../../src/dataplane/names';
import { addRange, rangeCount, removeRange } from '../../src/dataplane/range-set';

describe('owner record format', () => {
  test('intents minus removals, in creation order; re-recorded objects move to the end', () => {
    const text = [
      formatRecord('+', { kind: 'netns', name: 'mk-a-n' }),
      formatRecord('+', { kind: 'netns', name: 'mk-a-n_0' }),
      formatRecord('+', { kind: 'link', netns: '.', name: 'mab' }),
      formatRecord('-', { kind: 'netns', name: 'mk-a-n_0' }),
      formatRecord('+', { kind: 'netns', name: 'mk-a-n_1' }),
      formatRecord('+', { kind: 'netns', name: 'mk-a-n' }),
    ].join('');
    expect(parseRecords(text)).toEqual([
      { kind: 'link', netns: '.', name: 'mab' },
      { kind: 'netns', name: 'mk-a-n_1' },
      { kind: 'netns', name: 'mk-a-n' },
    ]);
  });

  test('a torn last line (crash during the append) is ignored; a bad complete line is an error naming file and line', () => {
    expect(parseRecords('+ netns a\n+ net')).toEqual([{ kind: 'netns', name: 'a' }]);
    expect(() => parseRecords('+ netns a\n* netns b\n', 'x.rec')).toThrow(RecordParseError);
    expect(() => parseRecords('+ netns a\n* netns b\n', 'x.rec')).toThrow(/x\.rec:2/);
    expect(() => parseRecords('+ netns a b\n')).toThrow(RecordParseError);
  });

  test('daemons, folders and OVN rows round-trip; their paths must lie below /run/merak', () => {
    const objects = [
      { kind: 'dir', path: '/run/merak/ovn/abcd-node-a' },
      { kind: 'daemon', netns: 'mk-abcd-node-a', pidfile: '/run/merak/ovn/abcd-node-a/ovn-controller.pid' },
      { kind: 'ovn-chassis', socket: '/run/merak/ovn/central-x/sb.sock', name: 'node-a.demo' },
      { kind: 'ovn-nb', socket: '/run/merak/ovn/central-x/nb.sock' },
    ] as const;
    const text = objects.map((o) => formatRecord('+', o)).join('');
    expect(text).toBe(
      '+ dir /run/merak/ovn/abcd-node-a\n+ daemon mk-abcd-node-a /run/merak/ovn/abcd-node-a/ovn-controller.pid\n+ ovn-chassis /run/merak/ovn/central-x/sb.sock node-a.demo\n+ ovn-nb /run/merak/ovn/central-x/nb.sock\n',
    );
    expect(parseRecords(text)).toEqual(objects);
    expect(parseRecords(text + formatRecord('-', objects[1]))).toEqual([objects[0], objects[2], objects[3]]);
    for (const bad of ['/etc', '/run/merak/../etc', '/run/merak/ovn/./x', 'run/merak/x', '/run/merak/a b', '/run/merakx/y']) {
      expect(() => formatRecord('+', { kind: 'dir', path: bad })).toThrow(/below \/run\/merak/);
      expect(() => parseRecords(`+ dir ${bad}\n`)).toThrow(RecordParseError);
    }
    expect(() => formatRecord('+', { kind: 'daemon', netns: 'x', pidfile: '/tmp/x.pid' })).toThrow(/pidfile/);
  });

  test('names that could break the format are refused', () => {
    expect(() => formatRecord('+', { kind: 'netns', name: 'a b' })).toThrow(/invalid name/);
    expect(() => formatRecord('+', { kind: 'netns', name: '../etc' })).toThrow(/invalid name/);
  });
});

describe('state directory', () => {
  let dir: string;
  let run: string;
  beforeEach(() => {
    run = mkdtempSync(path.join(tmpdir(), 'merak-run-'));
    dir = mkdtempSync(path.join(tmpdir(), 'merak-unit-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(run, { recursive: true, force: true });
  });

  test('records per writer survive a new store instance and drop removes them', async () => {
    const a = new FileOwnerRecords(dir);
    await a.intend('s1', 'node-0', [{ kind: 'netns', name: 'x' }, { kind: 'netns', name: 'y' }]);
    await a.intend('s1', 'local', [{ kind: 'netns', name: 'f' }]);
    await a.forget('s1', 'node-0', [{ kind: 'netns', name: 'x' }]);
    const b = new FileOwnerRecords(dir);
    expect(Object.fromEntries(await b.live('s1'))).toEqual({ local: [{ kind: 'netns', name: 'f' }], 'node-0': [{ kind: 'netns', name: 'y' }] });
    expect(await b.scenarios()).toEqual(['s1']);
    await b.drop('s1');
    expect(await b.scenarios()).toEqual([]);
    await expect(b.intend('Bad', 'node-0', [{ kind: 'netns', name: 'x' }])).rejects.toThrow(/invalid scenario/);
  });

  test("liveOf reads one writer's live objects, [] for a writer without records, and checks the writer's name", async () => {
    const a = new FileOwnerRecords(dir);
    await a.intend('s1', 'node-0', [{ kind: 'netns', name: 'x' }, { kind: 'netns', name: 'y' }]);
    await a.intend('s1', 'node-1', [{ kind: 'netns', name: 'z' }]);
    await a.forget('s1', 'node-0', [{ kind: 'netns', name: 'x' }]);
    expect(await a.liveOf('s1', 'node-0')).toEqual([{ kind: 'netns', name: 'y' }]);
    expect(await a.liveOf('s1', 'node-1')).toEqual((await a.live('s1')).get('node-1'));
    expect(await a.liveOf('s1', 'node-2')).toEqual([]);
    expect(await a.liveOf('s9', 'node-0')).toEqual([]);
    await expect(a.liveOf('s1', '../x')).rejects.toThrow(/writer/);
  });

  test("a writer's records removed between the listing and the read (another node's clean) count as none", async () => {
    const a = new FileOwnerRecords(dir);
    await a.intend('s1', 'node-0', [{ kind: 'netns', name: 'x' }]);
    await a.intend('s1', 'node-1', [{ kind: 'netns', name: 'y' }]);
    const real = fsp.readFile;
    const spy = jest.spyOn(fsp, 'readFile').mockImplementation((async (file: string, ...rest: unknown[]) => {
      if (String(file).endsWith('node-0.rec')) {
        rmSync(String(file));
        throw Object.assign(new Error(`ENOENT: no such file or directory, open '${String(file)}'`), { code: 'ENOENT' });
      }
      return (real as (...a: unknown[]) => Promise<unknown>)(file, ...rest);
    }) as typeof fsp.readFile);
    try {
      expect(Object.fromEntries(await a.live('s1'))).toEqual({ 'node-1': [{ kind: 'netns', name: 'y' }] });
    } finally {
      spy.mockRestore();
    }
  });

  test('take moves records aside atomically: intents written meanwhile start a fresh directory; an unfinished clean is found again', async () => {
    const r = new FileOwnerRecords(dir);
    await r.intend('s2', 'node-0', [{ kind: 'netns', name: 'a' }]);
    const taken = await r.take('s2');
    expect(Object.fromEntries(taken!.live)).toEqual({ 'node-0': [{ kind: 'netns', name: 'a' }] });
    // An agent still working records a new object while the clean runs.
    await r.intend('s2', 'node-0', [{ kind: 'netns', name: 'b' }]);
    expect(Object.fromEntries(await r.live('s2'))).toEqual({ 'node-0': [{ kind: 'netns', name: 'b' }] });
    expect(await r.scenarios()).toEqual(['s2']);
    // A crash before dispose(): the moved-aside records are still there for the next clean.
    const unfinished = await r.unfinished();
    expect(unfinished.map((u) => [u.scenario, Object.fromEntries(u.taken.live)])).toEqual([['s2', { 'node-0': [{ kind: 'netns', name: 'a' }] }]]);
    await unfinished[0].taken.dispose();
    expect(await r.unfinished()).toEqual([]);
    expect(await r.take('nothing-here')).toBeUndefined();
  });

  test('tags: concurrent claims for one scenario agree; another scenario gets another tag; a freed tag leaves no stale lookup', async () => {
    const claims = await Promise.all(Array.from({ length: 8 }, () => claimTag(dir, 'alpha', run)));
    expect(new Set(claims).size).toBe(1);
    // Occupy beta's first candidate with another scenario: beta must take its second.
    writeFileSync(path.join(dir, 'tags', tagCandidate('beta', 0)), 'gamma\n');
    const beta = await claimTag(dir, 'beta', run);
    expect(beta).toBe(tagCandidate('beta', 1));
    expect(beta).not.toBe(claims[0]);
    // The other scenario's tag is freed: beta must still find its own (second) tag.
    rmSync(path.join(dir, 'tags', tagCandidate('beta', 0)));
    expect(await findTag(dir, 'beta')).toBe(beta);
    expect(await tagOwners(dir)).toEqual(['alpha', 'beta']);
    await releaseTag(dir, 'alpha', run);
    expect(await findTag(dir, 'alpha')).toBeUndefined();
    expect(readdirSync(path.join(dir, 'tags')).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  test('tags are unique on the machine: two state directories never give two scenarios one tag; one scenario shares its tag across them', async () => {
    const other = mkdtempSync(path.join(tmpdir(), 'merak-dp-'));
    try {
      // Scenario gamma holds beta's first candidate, recorded in another state directory.
      const gammaTag = tagCandidate('beta', 0);
      const { mkdirSync } = await import('node:fs');
      mkdirSync(path.join(other, 'tags'));
      writeFileSync(path.join(other, 'tags', gammaTag), 'gamma\n');
      mkdirSync(path.join(run, 'tags'), { recursive: true });
      writeFileSync(path.join(run, 'tags', gammaTag), JSON.stringify({ scenario: 'gamma', holders: [path.resolve(other)] }));
      // In this state directory nothing holds it, but the machine does: beta takes its second candidate.
      expect(await claimTag(dir, 'beta', run)).toBe(tagCandidate('beta', 1));
      // The same scenario from two state directories (two agents of one scenario on one kernel) shares its tag.
      const a = await claimTag(dir, 'alpha', run);
      expect(await claimTag(other, 'alpha', run)).toBe(a);
      // The claim lives while one directory still holds it; then it is free again.
      await releaseTag(dir, 'alpha', run);
      expect(readdirSync(path.join(run, 'tags'))).toContain(a);
      await releaseTag(other, 'alpha', run);
      expect(readdirSync(path.join(run, 'tags'))).not.toContain(a);
      // A claim whose state directory is gone (a crashed run) does not block another scenario,
      // and a clean --all prunes it.
      rmSync(path.join(other, 'tags', gammaTag));
      expect(await pruneTagClaims(run)).toEqual([gammaTag]);
      expect(await claimTag(other, 'beta', run)).toBe(tagCandidate('beta', 1));
      expect(JSON.parse(readFileSync(path.join(run, 'tags', tagCandidate('beta', 1)), 'utf8')).holders).toHaveLength(2);
      expect(await claimTag(dir, 'gamma-2', run)).toBe(tagCandidate('gamma-2', 0));
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('range sets (none dataplane bookkeeping)', () => {
  test('add merges adjacent and overlapping ranges; remove splits', () => {
    let s = addRange([], 0, 10);
    s = addRange(s, 10, 5);
    s = addRange(s, 20, 5);
    expect(s).toEqual([[0, 15], [20, 5]]);
    s = addRange(s, 12, 10);
    expect(s).toEqual([[0, 25]]);
    s = removeRange(s, 5, 10);
    expect(s).toEqual([[0, 5], [15, 10]]);
    expect(rangeCount(s)).toBe(15);
    expect(removeRange(s, 100, 5)).toEqual(s);
  });
});
