/**
 * Test results as JUnit XML, the format CI systems show as test reports: one <testsuite> per
 * test kind, one <testcase> per checked pair. A check that ran and did not give the expected
 * outcome is a <failure>; a check that could not be made ("not tested: …") is an <error>.
 * Measurements go to <system-out>. Pure; deterministic unless a timestamp is given.
 */
import type { TestResult } from '../model/status';
import { measurement } from './summary';
import { escapeXmlAttr as attr, escapeXmlText as text } from './xml-escape';

export interface JUnitOptions {
  /** Name of the run, usually the scenario; used in <testsuites name> and each testcase's classname. Default: 'merak'. */
  name?: string;
  /** ISO 8601 time written on each <testsuite>. Default: none. */
  timestamp?: string;
}

/** Prefix of the error text of checks that could not be made (see the testing activity). */
const NOT_TESTED = 'not tested:';

function testcaseName(r: TestResult): string {
  return `${r.source} -> ${r.destination}${r.negative ? ' (must be blocked)' : ''}`;
}

function failureType(r: TestResult): string {
  return r.negative ? 'isolation-broken' : 'unreachable';
}

export function renderJUnit(results: readonly TestResult[], options: JUnitOptions = {}): string {
  const name = options.name ?? 'merak';
  const byKind = new Map<string, TestResult[]>();
  for (const r of results) {
    const list = byKind.get(r.kind);
    if (list) list.push(r);
    else byKind.set(r.kind, [r]);
  }
  const count = (list: readonly TestResult[]) => {
    const errors = list.filter((r) => !r.pass && r.error?.startsWith(NOT_TESTED)).length;
    return { tests: list.length, failures: list.filter((r) => !r.pass).length - errors, errors };
  };
  const all = count(results);
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  lines.push(`<testsuites name="${attr(name)}" tests="${all.tests}" failures="${all.failures}" errors="${all.errors}">`);
  for (const [kind, list] of byKind) {
    const c = count(list);
    const ts = options.timestamp ? ` timestamp="${attr(options.timestamp)}"` : '';
    lines.push(`  <testsuite name="${attr(kind)}" tests="${c.tests}" failures="${c.failures}" errors="${c.errors}" skipped="0"${ts}>`);
    for (const r of list) {
      const open = `    <testcase classname="${attr(`${name}.${kind}`)}" name="${attr(testcaseName(r))}"`;
      const body: string[] = [];
      if (!r.pass) {
        const message = r.error ?? 'failed';
        const element = message.startsWith(NOT_TESTED) ? 'error' : 'failure';
        const type = element === 'error' ? 'not-tested' : failureType(r);
        body.push(`      <${element} message="${attr(message)}" type="${type}">${text(message)}</${element}>`);
      }
      const m = measurement(r);
      if (m) body.push(`      <system-out>${text(`${r.throughputBps !== undefined ? 'throughput' : 'latency'} ${m}`)}</system-out>`);
      lines.push(body.length ? `${open}>\n${body.join('\n')}\n    </testcase>` : `${open}/>`);
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}
