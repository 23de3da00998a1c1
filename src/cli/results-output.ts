import { writeFile } from 'node:fs/promises';
import type { TestResult } from '../workflows/messages';
import { renderJUnit, renderJson, renderTable, summarize, summaryLine } from '../report';

/** Prints test results to stdout: a table and a summary line for people, JSON for machines. */
export function printResults(results: TestResult[], output: 'table' | 'json'): void {
  if (output === 'json') {
    process.stdout.write(`${renderJson(results)}\n`);
    return;
  }
  process.stdout.write(`${renderTable(results)}\n${summaryLine(summarize(results))}\n`);
}

/** Writes the results as JUnit XML (one suite per test kind) for CI systems. */
export async function writeJunit(file: string, scenario: string, results: TestResult[]): Promise<void> {
  await writeFile(file, renderJUnit(results, { name: scenario, timestamp: new Date().toISOString() }));
  process.stderr.write(`merak: JUnit results written to ${file}\n`);
}
