import { writeFile } from 'node:fs/promises';
import type { TestResult } from '../workflows/messages';
import { renderJunit, renderResultsTable } from '../report';

/** Prints test results to stdout: a table for people, JSON for machines. */
export function printResults(results: TestResult[], output: 'table' | 'json'): void {
  if (output === 'json') process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  else process.stdout.write(`${renderResultsTable(results)}\n`);
}

/** Writes the results as JUnit XML (one suite per test kind) for CI systems. */
export async function writeJunit(file: string, scenario: string, results: TestResult[]): Promise<void> {
  await writeFile(file, renderJunit(results, { scenario }));
  process.stderr.write(`merak: JUnit results written to ${file}\n`);
}
