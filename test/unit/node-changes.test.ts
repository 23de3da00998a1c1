import {
  MAX_NODE_CHANGES,
  MAX_NODE_CHANGES_BYTES,
  NodeChangesError,
  applyNodeChanges,
  changeCount,
  checkNodeChanges,
  diffNodes,
  jsonBytes,
  nameNodeInPath,
  nodesNamed,
  splitNodeChanges,
  type NodeChanges,
} from '../../src/model/node-changes';
import { canonicalJson } from '../../src/model/diff';
import type { NodeSpec } from '../../src/model/spec';

const node = (name: string, over: Partial<NodeSpec> = {}): NodeSpec => ({ name, ip: '10.0.0.1', vms: 1, endpointsPerVm: 1, tests: [], ...over });

function refusal(fn: () => unknown): NodeChangesError {
  try {
    fn();
  } catch (err) {
    if (err instanceof NodeChangesError) return err;
    throw err;
  }
  throw new Error('not refused');
}

describe('checkNodeChanges', () => {
  it.each<[unknown, string, string]>([
    [null, '(message)', 'must be an object'],
    [[], '(message)', 'must be an object'],
    [{}, '(message)', 'changes nothing'],
    [{ add: [] }, '(message)', 'changes nothing'],
    [{ put: [] }, 'put', 'is not a field'],
    [{ add: {} }, 'add', 'must be a list'],
    [{ add: ['a'] }, 'add[0]', 'node object with a string name'],
    [{ add: [{ ip: '10.0.0.1' }] }, 'add[0]', 'node object with a string name'],
    [{ remove: [3] }, 'remove[0]', 'must be a node name'],
    [{ scale: [{ node: 'a' }] }, 'scale[0].vms', 'whole number'],
    [{ scale: [{ node: 'a', vms: -1 }] }, 'scale[0].vms', 'whole number'],
    [{ scale: [{ node: 'a', vms: 1.5 }] }, 'scale[0].vms', 'whole number'],
    [{ scale: [{ vms: 1 }] }, 'scale[0]', 'string node name'],
    [{ add: [node('a')], remove: ['a'] }, 'remove[0]', 'already named'],
    [{ add: [node('a'), node('a')] }, 'add[1].name', 'already named'],
    [{ remove: ['a'], scale: [{ node: 'a', vms: 1 }] }, 'scale[0].node', 'already named'],
    [{ remove: Array.from({ length: MAX_NODE_CHANGES + 1 }, (_, i) => `n${i}`) }, '(message)', `more than ${MAX_NODE_CHANGES}`],
    [{ add: [node('a', { optional: { big: 'x'.repeat(MAX_NODE_CHANGES_BYTES) } })] }, '(message)', `larger than ${MAX_NODE_CHANGES_BYTES} bytes`],
  ].map(([v, f, r]) => [v, f, r] as [unknown, string, string]))('refuses case %# naming %s', (value, field, rule) => {
    const err = refusal(() => checkNodeChanges(value));
    expect(err.field).toBe(field);
    expect(err.message).toContain(rule);
    expect(err.message.startsWith(`${field}: `)).toBe(true);
  });

  it('accepts each kind and their mix', () => {
    const c = { add: [node('a')], remove: ['b'], scale: [{ node: 'c', vms: 0 }] };
    expect(checkNodeChanges(c)).toBe(c);
    expect(changeCount(c)).toBe(3);
    expect(nodesNamed(c)).toEqual(['b', 'a', 'c']);
  });
});

describe('applyNodeChanges', () => {
  const input = { name: 's', nodes: [node('a'), node('b'), node('c')] };

  it('removes, replaces in place, appends, scales; the input stays as it was', () => {
    const before = JSON.stringify(input);
    const out = applyNodeChanges(input, { remove: ['b', 'gone'], add: [node('c', { ip: '10.0.0.9' }), node('d')], scale: [{ node: 'a', vms: 7 }] });
    expect(out.nodes).toEqual([node('a', { vms: 7 }), node('c', { ip: '10.0.0.9' }), node('d')]);
    expect(out.name).toBe('s');
    expect(JSON.stringify(input)).toBe(before);
  });

  it('is idempotent: the same message twice changes nothing more', () => {
    const c: NodeChanges = { remove: ['b'], add: [node('d')], scale: [{ node: 'a', vms: 3 }] };
    const once = applyNodeChanges(input, c);
    expect(applyNodeChanges(once, c)).toEqual(once);
  });

  it('reads node counts and bare names as node objects', () => {
    expect(applyNodeChanges({ nodes: 3 }, { remove: ['node-2'] }).nodes).toEqual([{ name: 'node-1' }, { name: 'node-3' }]);
    expect(applyNodeChanges({ nodes: ['x', { name: 'y', vms: 1 }] }, { scale: [{ node: 'x', vms: 4 }] }).nodes).toEqual([{ name: 'x', vms: 4 }, { name: 'y', vms: 1 }]);
  });

  it('refuses to scale a node the scenario does not have, and malformed messages', () => {
    expect(refusal(() => applyNodeChanges(input, { scale: [{ node: 'zz', vms: 1 }] })).field).toBe('scale[0].node');
    expect(refusal(() => applyNodeChanges(input, { remove: ['b'], scale: [{ node: 'b', vms: 1 }] })).field).toBe('scale[0].node');
    expect(refusal(() => applyNodeChanges(input, {})).field).toBe('(message)');
  });

  it('keeps the size limits unless told otherwise (for a sender\'s own bookkeeping)', () => {
    const many = { remove: Array.from({ length: MAX_NODE_CHANGES + 1 }, (_, i) => `n${i}`) };
    expect(refusal(() => applyNodeChanges(input, many)).message).toContain(`more than ${MAX_NODE_CHANGES}`);
    expect(applyNodeChanges(input, { ...many, remove: [...many.remove, 'b'] }, { bounded: false }).nodes.map((n) => (n as NodeSpec).name)).toEqual(['a', 'c']);
    expect(refusal(() => applyNodeChanges(input, { remove: ['a', 'a'] }, { bounded: false })).field).toBe('remove[1]');
  });
});

describe('diffNodes', () => {
  // Every node of a small universe in every state: absent, or present with one of a few variants
  // (VM count, IP, endpoints, tests). Every pair of node lists built from it is diffed, and the
  // diff applied to the first must give the second.
  const variants: Array<Partial<NodeSpec> | null> = [null, {}, { vms: 4 }, { ip: '10.0.0.2' }, { ip: '10.0.0.2', vms: 4 }, { endpointsPerVm: 2, tests: ['icmp'] }];
  const names = ['a', 'b', 'c'];
  const lists: NodeSpec[][] = [];
  const walk = (i: number, acc: NodeSpec[]) => {
    if (i === names.length) return void lists.push(lists.length % 2 ? [...acc].reverse() : acc);
    for (const v of variants) walk(i + 1, v === null ? acc : [...acc, node(names[i]!, v)]);
  };
  walk(0, []);
  const byName = (l: readonly { name: string }[]) => canonicalJson([...l].sort((x, y) => (x.name < y.name ? -1 : 1)));
  // Each list's node texts by name, computed once: the pairs below are many.
  const texts = new Map(lists.map((l) => [l, new Map(names.map((n) => [n, canonicalJson(l.find((x) => x.name === n) ?? null)]))]));
  const sorted = new Map(lists.map((l) => [l, byName(l)]));
  const at = (l: readonly NodeSpec[], n: string) => texts.get(l as NodeSpec[])!.get(n)!;

  it(`maps every pair of ${lists.length} node lists exactly (${lists.length ** 2} pairs)`, () => {
    const wrong: string[] = [];
    for (const before of lists) {
      for (const after of lists) {
        const c = diffNodes(before, after);
        const why = (problem: string) => wrong.push(`${JSON.stringify(before)} → ${JSON.stringify(after)}: ${problem} (${JSON.stringify(c)})`);
        // One entry per node that differs, none for those that do not.
        const differing = names.filter((n) => at(before, n) !== at(after, n));
        if (nodesNamed(c).sort().join() !== differing.join()) why('names the wrong nodes');
        if (differing.length > 0 && byName(applyNodeChanges({ nodes: before }, c).nodes as NodeSpec[]) !== sorted.get(after)) why('does not lead to the second list');
        // Only a VM count change is a scale entry; any other change re-adds the whole node.
        for (const s of c.scale ?? []) {
          const was = before.find((n) => n.name === s.node)!;
          const now = after.find((n) => n.name === s.node)!;
          if (canonicalJson({ ...was, vms: 0 }) !== canonicalJson({ ...now, vms: 0 }) || now.vms !== s.vms) why(`scales ${s.node} though more than its VM count changed`);
        }
        for (const a of c.add ?? []) if (at(after, a.name) !== canonicalJson(a)) why(`adds ${a.name} not as the second list has it`);
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it('does not count order', () => {
    expect(diffNodes([node('a'), node('b')], [node('b'), node('a')])).toEqual({});
  });
});

describe('splitNodeChanges', () => {
  const burst: NodeChanges = {
    remove: Array.from({ length: 37 }, (_, i) => `gone-${i}`),
    add: Array.from({ length: 300 }, (_, i) => node(`new-${i}`, { ip: `10.1.${i >> 8}.${i & 255}` })),
    scale: Array.from({ length: 41 }, (_, i) => ({ node: `old-${i}`, vms: i })),
  };

  it.each([
    [1, 1_000_000],
    [7, 1_000_000],
    [MAX_NODE_CHANGES, MAX_NODE_CHANGES_BYTES],
    [1000, 2_000],
    [1000, 120],
    [3, 300],
  ])('at most %i entries and %i bytes per message, nothing lost or reordered', (maxEntries, maxBytes) => {
    const parts = splitNodeChanges(burst, maxEntries, maxBytes);
    for (const p of parts) {
      expect(changeCount(p)).toBeGreaterThan(0);
      expect(changeCount(p)).toBeLessThanOrEqual(maxEntries);
      // Over the byte limit only when one entry alone is larger.
      if (changeCount(p) > 1) expect(jsonBytes(p)).toBeLessThanOrEqual(maxBytes);
    }
    const join = (k: keyof NodeChanges) => parts.flatMap((p) => (p[k] ?? []) as unknown[]);
    expect(join('remove')).toEqual(burst.remove);
    expect(join('add')).toEqual(burst.add);
    expect(join('scale')).toEqual(burst.scale);
    // Removals go first: no message adds before every removal was sent.
    const firstAdd = parts.findIndex((p) => p.add);
    const lastRemove = parts.map((p) => !!p.remove).lastIndexOf(true);
    expect(lastRemove).toBeLessThanOrEqual(firstAdd);
  });

  it('fills messages up to the byte limit exactly as JSON counts them', () => {
    const parts = splitNodeChanges(burst, 1000, 4_000);
    for (const p of parts.slice(0, -1)) expect(jsonBytes(p)).toBeGreaterThan(4_000 - 150);
    expect(splitNodeChanges({})).toEqual([]);
  });
});

describe('jsonBytes', () => {
  it('counts UTF-8 bytes', () => {
    expect(jsonBytes({ a: 'x' })).toBe(9);
    expect(jsonBytes('é')).toBe(4);
    expect(jsonBytes('€')).toBe(5);
    expect(jsonBytes('😀')).toBe(6);
    expect(jsonBytes(undefined)).toBe(0);
  });
});

describe('nameNodeInPath', () => {
  it('names the node after its index', () => {
    expect(nameNodeInPath('nodes[1].ip', [{ name: 'a' }, { name: 'b' }])).toBe('nodes[1] (node "b").ip');
    expect(nameNodeInPath('nodes[1]', ['a', 'b'])).toBe('nodes[1] (node "b")');
    expect(nameNodeInPath('nodes[0].vms', 2)).toBe('nodes[0] (node "node-1").vms');
    expect(nameNodeInPath('nodes[5].ip', ['a'])).toBe('nodes[5].ip');
    expect(nameNodeInPath('vpcs[0].cidr', ['a'])).toBe('vpcs[0].cidr');
  });
});
