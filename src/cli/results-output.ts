import { writeFile } from 'node:fs/promises';
import type { TestResult } from '../model/status';
import { renderJUnit, renderJson, renderTable } from '../report';

/** Prints test results to stdout: a table with a summary line for people (coloured on a terminal), JSON for machines. */
export function printResults(results: TestResult[], output: 'table' | 'json'): void {
  if (output === 'json') {
    process.stdout.write(`${renderJson(results)}\n`);
    return;
  }
  process.stdout.write(renderTable(results, { color: Boolean(process.stdout.isTTY) }));
}

/** Writes the results as JUnit XML (one suite per test kind) for CI systems. */
export async function writeJunit(file: string, scenario: string, results: TestResult[]): Promise<void> {
  await writeFile(file, renderJUnit(results, { name: scenario, timestamp: new Date().toISOString() }));
  process.stderr.write(`merak: JUnit results written to ${file}\n`);
}
