import { parseYamlStrict, YamlSyntaxError } from '../../src/model/yaml-strict';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';

// Each case: a plain value at `v`, and what the rule must say about it.
const refused: [string, RegExp][] = [
  // leading-zero integers: octal in YAML 1.1, decimal in 1.2 (or text to some 1.1 readers)
  ['010', /YAML 1\.2 .* the number 10, YAML 1\.1 readers as the number 8/],
  ['0755', /the number 755, YAML 1\.1 readers as the number 493/],
  ['-010', /the number -10, YAML 1\.1 readers as the number -8/],
  ['+010', /leading zero/],
  ['00', /leading zero/],
  ['08', /the number 8, YAML 1\.1 readers as octal or the text "08"/],
  ['09', /leading zero/],
  ['0_10', /leading zero/],
  // sexagesimal (base 60) numbers of YAML 1.1
  ['1:20', /the text "1:20" in YAML 1\.2 .* the number 80 in YAML 1\.1/],
  ['190:20:30', /the number 685230/],
  ['-1:30', /the number -90/],
  ['1:20.5', /YAML 1\.1/],
  // a MAC of decimal digits only is a base-60 number to YAML 1.1: quote it
  ['02:00:00:00:00:01', /is a MAC address of decimal digits and colons, which YAML 1\.1 .* takes for the base-60 number \d+; quote it \("02:00:00:00:00:01"\)/],
  ['12:34:56:00:00:01', /base-60 number/],
  // YAML 1.1 binary, underscores, and 1.2 octal
  ['0b101', /the text "0b101" .* the number 5 .* or write 5 if you mean the number/],
  ['1_000', /the number 1000 .* or write 1000 if you mean the number/],
  ['0x_1F', /the number 31/],
  ['0o17', /the number 15 in YAML 1\.2 .* the text "0o17" in YAML 1\.1/],
  // YAML 1.1 booleans
  ['yes', /the text "yes" .* the boolean true .* quote it \("yes"\)/],
  ['no', /the boolean false/],
  ['on', /the boolean true/],
  ['off', /the boolean false/],
  ['y', /the boolean true/],
  ['n', /the boolean false/],
  ['Yes', /the boolean true/],
  ['NO', /the boolean false/],
  ['On', /the boolean true/],
  // YAML 1.1 timestamps
  ['2024-01-01', /the date 2024-01-01/],
  ['2001-12-14t21:59:43.10-05:00', /the date/],
];

// Plain values both versions read the same way (and quoted forms of the refused ones).
const accepted: [string, unknown][] = [
  ['10', 10],
  ['0', 0],
  ['-5', -5],
  ['1.5', 1.5],
  ['0.25', 0.25],
  ['0x1F', 31],
  ['1e3', 1000],
  ['true', true],
  ['false', false],
  ['null', null],
  ['~', null],
  ['node-a', 'node-a'],
  ['10.0.0.0/16', '10.0.0.0/16'],
  ['127.0.0.1:50051', '127.0.0.1:50051'],
  ['02:ab:00:00:00:01', '02:ab:00:00:00:01'],
  ['"02:00:00:00:00:01"', '02:00:00:00:00:01'],
  ['"010"', '010'],
  ["'1:20'", '1:20'],
  ['"yes"', 'yes'],
  ['"2024-01-01"', '2024-01-01'],
  ['"0b101"', '0b101'],
];

describe('parseYamlStrict', () => {
  it.each(refused)('refuses the plain value %s', (text, rule) => {
    const r = parseYamlStrict(`v: ${text}\n`);
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]).toEqual({ path: 'v', value: text, rule: expect.stringMatching(rule) });
  });

  it.each(accepted)('accepts %s', (text, value) => {
    expect(parseYamlStrict(`v: ${text}\n`)).toEqual({ value: { v: value }, issues: [] });
  });

  it('names the path of every refused value in a scenario, in document order, keys included', () => {
    const text = [
      'name: demo',
      'vmsPerNode: 010',
      'vpcs:',
      '  - { id: vpc-1, vni: 0b11, cidr: 10.0.0.0/16, subnets: [{ id: s1, cidr: 10.0.1.0/24, optional: { when: 2024-01-01, at: 1:20 } }] }',
      'nodes: [node-a, yes, { name: b, tests: [icmp] }]',
      'tests: { negative: off }',
      'on: 1',
    ].join('\n');
    const r = parseYamlStrict(text);
    expect(r.issues.map((i) => [i.path, i.value])).toEqual([
      ['vmsPerNode', '010'],
      ['vpcs[0].vni', '0b11'],
      ['vpcs[0].subnets[0].optional.when', '2024-01-01'],
      ['vpcs[0].subnets[0].optional.at', '1:20'],
      ['nodes[1]', 'yes'],
      ['tests.negative', 'off'],
      ['on (the key)', 'on'],
    ]);
    // The value is still YAML 1.2's reading, so the spec rules can report their own problems too.
    expect((r.value as { vmsPerNode: number }).vmsPerNode).toBe(10);
  });

  it('reads JSON, which has none of these forms', () => {
    expect(parseYamlStrict('{"name": "demo", "vmsPerNode": 10, "nodes": ["a", "b"], "x": "010"}')).toEqual({
      value: { name: 'demo', vmsPerNode: 10, nodes: ['a', 'b'], x: '010' },
      issues: [],
    });
  });

  it.each([
    ['an unclosed flow', 'plugin: [unclosed'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['a tab indentation', 'a:\n\t- 1\n'],
  ])('throws YamlSyntaxError for %s', (_what, text) => {
    expect(() => parseYamlStrict(text)).toThrow(YamlSyntaxError);
  });

  it('finds nothing to refuse in the shipped examples', () => {
    const dir = path.resolve(__dirname, '../../examples');
    const files = readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect([f, parseYamlStrict(readFileSync(path.join(dir, f), 'utf8')).issues]).toEqual([f, []]);
  });
});
