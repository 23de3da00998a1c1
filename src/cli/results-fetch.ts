/**
 * Reads a scenario's test results page by page (the `resultsPage` query, issue 15), so that no
 * query answer grows with the pair count: 20,000 results in one answer are about 2.6 MB.
 */
import { QueryNotRegisteredError, type WorkflowHandle } from '@temporalio/client';
import { RESULTS_PAGE_MAX, type KindCount } from '../model/result-pack';
import type { TestResult } from '../model/status';
import type { scenarioWorkflow } from '../workflows';
import { resultsPageQuery, resultsQuery } from '../workflows/messages';

/** A scenario's results as read by {@link fetchResults}. */
export interface FetchedResults {
  /** Every kept result, in the workflow's order (kind, source, destination). */
  results: TestResult[];
  /** Results of the last test run, kept or not. */
  total: number;
  /** Per kind: passed and failed over every result. */
  counts: Record<string, KindCount>;
  /** Rows the workflow no longer keeps (a carry-over past its size budget); absent when none. */
  dropped?: { passed: number; failed: number };
}

/**
 * Every kept result of the scenario's last test run, read {@link RESULTS_PAGE_MAX} at a time.
 * A scenario workflow from before the `resultsPage` query is read with the one-answer `results` query.
 * @param pageSize results per query, 1 to RESULTS_PAGE_MAX (default)
 * @param attempts times to start over when a test run ends between two pages (default 3)
 * @throws Error when the results changed on every attempt; what the query throws (no such workflow, no worker answering)
 */
export async function fetchResults(handle: WorkflowHandle<typeof scenarioWorkflow>, pageSize = RESULTS_PAGE_MAX, attempts = 3): Promise<FetchedResults> {
  const results: TestResult[] = [];
  let first;
  try {
    first = await handle.query(resultsPageQuery, { offset: 0, limit: pageSize });
  } catch (err) {
    if (!(err instanceof QueryNotRegisteredError)) throw err;
    const all = await handle.query(resultsQuery);
    const counts: Record<string, KindCount> = {};
    for (const r of all) {
      const c = (counts[r.kind] ??= { passed: 0, failed: 0 });
      if (r.pass) c.passed++;
      else c.failed++;
    }
    return { results: all, total: all.length, counts };
  }
  results.push(...first.results);
  // Bounded: each page holds at least one result until `kept` are read, and `kept` was fixed by the first answer.
  while (results.length < first.kept) {
    const page = await handle.query(resultsPageQuery, { offset: results.length, limit: pageSize });
    // A test run that ended between two pages: start over on the new results.
    if (page.total !== first.total || page.kept !== first.kept || page.results.length === 0) {
      if (attempts <= 1) throw new Error('the scenario\'s test results changed while they were read (tests running): read them again when it is ready');
      return fetchResults(handle, pageSize, attempts - 1);
    }
    results.push(...page.results);
  }
  return { results, total: first.total, counts: first.counts, ...(first.dropped ? { dropped: first.dropped } : {}) };
}

/** A line saying which results the workflow no longer keeps (their counts are still exact), or undefined when it keeps all. */
export function droppedNote(f: FetchedResults): string | undefined {
  if (!f.dropped || f.dropped.passed + f.dropped.failed === 0) return undefined;
  return `${f.results.length} of ${f.total} results kept: ${f.dropped.passed} passed and ${f.dropped.failed} failed results were left out to keep the scenario's state within Temporal's payload limit (the counts per kind are exact)`;
}
