/**
 * A conformance report (`merak plugin conformance --junit FILE`) as JUnit XML, built with
 * junit-report-builder: one <testsuite> "merak plugin conformance", one <testcase> per rule
 * (classname `conformance.<vpc|subnet|node|owner|state|cleanup>`), a <failure> carrying the
 * reason and, as its text, the failing request and answer; skipped rules say why in <system-out>.
 */
import junit from 'junit-report-builder';
import { canonicalJson, type ConformanceReport, type ConformanceOutcome } from '../model/plugin-conformance';
import { xmlChars } from './xml-escape';

const answerText = (o: ConformanceOutcome): string => (o.ok ? `OK ${canonicalJson(o.answer)}` : `${o.code}: ${o.details}`);

/** The report as JUnit XML text. `timestamp` (ISO 8601) goes on the suite when given. */
export function renderConformanceJUnit(report: ConformanceReport, timestamp?: string): string {
  const builder = junit.newBuilder();
  const suite = builder.testSuite().name(xmlChars(`merak plugin conformance (${report.address})`));
  if (timestamp !== undefined) suite.timestamp(timestamp);
  suite.property('prefix', xmlChars(report.prefix));
  for (const r of report.results) {
    const tc = suite.testCase().className(`conformance.${r.rule.id.split('.')[0]}`).name(xmlChars(`${r.rule.id}: ${r.rule.title}`));
    if (r.status === 'fail') {
      tc.failure(xmlChars(r.reason ?? 'failed'), 'rule-broken');
      const lines = [`rule: ${r.rule.source}`];
      if (r.failed) lines.unshift(`request: ${r.failed.method} ${canonicalJson(r.failed.request)}`, `answer: ${answerText(r.failed.outcome)}`);
      tc.stacktrace(xmlChars(lines.join('\n')));
    } else if (r.status === 'skip') {
      tc.skipped();
      tc.standardOutput(xmlChars(`skipped: ${r.reason ?? ''}`));
    }
  }
  return builder.build();
}
