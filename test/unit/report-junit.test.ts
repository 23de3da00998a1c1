import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { renderJUnit } from '../../src/report/junit';
import { escapeXmlAttr, escapeXmlText } from '../../src/report/xml-escape';
import type { TestResult } from '../../src/model/status';
import { SAMPLE } from './report-fixture';

type Node = Record<string, unknown>;
const parse = (xml: string): Node =>
  new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => ['testsuite', 'testcase'].includes(name), processEntities: true, htmlEntities: true }).parse(xml) as Node;

describe('junit xml', () => {
  it('is well-formed: one testsuite per kind, one testcase per check, counts on every level', () => {
    const xml = renderJUnit(SAMPLE, { name: 'demo', timestamp: '2026-11-27T23:00:00Z' });
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = parse(xml);
    const suites = doc.testsuites as Node;
    expect(suites).toMatchObject({ '@name': 'demo', '@tests': '7', '@failures': '2', '@errors': '1' });
    const list = suites.testsuite as Node[];
    expect(list.map((s) => s['@name'])).toEqual(['icmp', 'tcp', 'iperf']);
    expect(list.map((s) => [s['@tests'], s['@failures'], s['@errors']])).toEqual([['4', '2', '0'], ['2', '0', '1'], ['1', '0', '0']]);
    expect(list[0]['@timestamp']).toBe('2026-11-27T23:00:00Z');
    const icmp = list[0].testcase as Node[];
    expect(icmp).toHaveLength(4);
    expect(icmp[0]).toMatchObject({ '@classname': 'demo.icmp', '@name': 'n1/vm-0 (10.250.7.1) -> n2/vm-0 (10.250.7.2)', 'system-out': 'latency 0.131 ms' });
    expect(icmp[0].failure).toBeUndefined();
    expect(icmp[1].failure).toMatchObject({ '@message': 'no reply (100% packet loss)', '@type': 'unreachable' });
    expect(icmp[2]['@name']).toBe('n1/vm-0 (10.250.7.1) -> n2/vm-0 (10.250.7.2) (must be blocked)');
    expect(icmp[2].failure).toMatchObject({ '@type': 'isolation-broken' });
    expect(icmp[3].failure).toBeUndefined();
    const tcp = list[1].testcase as Node[];
    expect(tcp[1].error).toMatchObject({ '@type': 'not-tested' });
    expect((list[2].testcase as Node[])[0]['system-out']).toBe('throughput 11.56 Gbit/s');
  });

  it('carries hostile error text intact where XML can, and stays well-formed', () => {
    const nasty = 'a <b> & "c" \'d\' ]]> e\u0000f\u001b[31mred\u001b[0m \ud800 🚀\ttab\nline';
    const r: TestResult = { kind: 'tcp', source: 'x<y', destination: 'z&"w"', negative: false, pass: false, error: nasty };
    const xml = renderJUnit([r], { name: 'n"&<' });
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).not.toContain(']]>');
    const doc = parse(xml);
    const tc = ((doc.testsuites as Node).testsuite as Node[])[0].testcase as Node[];
    expect(tc[0]['@name']).toBe('x<y -> z&"w"');
    expect(tc[0]['@classname']).toBe('n"&<.tcp');
    const expected = 'a <b> & "c" \'d\' ]]> e\ufffdf\ufffd[31mred\ufffd[0m \ufffd 🚀\ttab\nline';
    expect((tc[0].failure as Node)['#text']).toBe(expected);
    expect((tc[0].failure as Node)['@message']).toBe(expected);
  });

  it('an empty run is a valid empty report', () => {
    const xml = renderJUnit([]);
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="merak" tests="0" failures="0" errors="0">\n</testsuites>\n');
  });
});

describe('xml escaping', () => {
  it.each([
    ['&', '&amp;', '&amp;'],
    ['<>', '&lt;&gt;', '&lt;&gt;'],
    ['"\'', '"\'', '&quot;&apos;'],
    ['\t\n\r', '\t\n\r', '&#9;&#10;&#13;'],
    ['\u0000\u0008\u000b\u000c\u001f', '\ufffd\ufffd\ufffd\ufffd\ufffd', '\ufffd\ufffd\ufffd\ufffd\ufffd'],
    ['\ufffe\uffff', '\ufffd\ufffd', '\ufffd\ufffd'],
    ['\udc00 lone low, \ud83d lone high', '\ufffd lone low, \ufffd lone high', '\ufffd lone low, \ufffd lone high'],
    ['😀 é ü 中', '😀 é ü 中', '😀 é ü 中'],
    ['&amp;', '&amp;amp;', '&amp;amp;'],
  ])('%j → text %j, attribute %j', (input, asText, asAttr) => {
    expect(escapeXmlText(input)).toBe(asText);
    expect(escapeXmlAttr(input)).toBe(asAttr);
  });
});
