/**
 * The scenario workflow's public messages: one definition used by the workflow, the CLI, the
 * Kubernetes controller and tests, so names and payload types cannot drift apart.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { NodeChanges, NodeChangesResult } from '../model/node-changes';
import type { ScenarioInput } from '../model/spec';
import type { ReportData } from '../model/measurements';
import type { ResultsPage } from '../model/result-pack';
import type { ApplyResult, ScaleRequest, ScaleResult, ScenarioStatus, TestRequest, TestResult } from '../model/status';

export const statusQuery = defineQuery<ScenarioStatus>('status');
/**
 * Every kept result of the last test run in one answer. Tens of thousands of results make an
 * answer of megabytes: clients read {@link resultsPageQuery} instead (src/cli/results-fetch.ts).
 */
export const resultsQuery = defineQuery<TestResult[]>('results');
/**
 * One page of the last test run's kept results (at most RESULTS_PAGE_MAX, 2000, from `offset`),
 * with the counts per kind over every result (src/model/result-pack.ts).
 */
export const resultsPageQuery = defineQuery<ResultsPage, [{ offset: number; limit: number }]>('resultsPage');
/** Latencies, time to reachable and node build times since the scenario started (src/model/measurements.ts). */
export const reportQuery = defineQuery<ReportData>('report');
/** Delete everything in reverse order and end the workflow. */
export const teardownSignal = defineSignal('teardown');
export const scaleSignal = defineSignal<[ScaleRequest]>('scale');
/** Like the signal, but validated first: bad values are refused with a message, nothing changes. */
export const scaleUpdate = defineUpdate<ScaleResult, [ScaleRequest]>('scale');
/** A whole new spec; the workflow reconciles by diff. A refusal only reaches `status.cleanupErrors`. */
export const applySignal = defineSignal<[ScenarioInput]>('apply');
/**
 * Like the signal, but validated first: a spec that does not parse, a change a live scenario
 * cannot make, or VMs a subnet cannot hold are refused with the reason and nothing changes. The
 * update returns once the scenario is ready again (the spec's tests rerun), or fails with why the
 * apply failed half-way.
 */
export const applyUpdate = defineUpdate<ApplyResult, [ScenarioInput]>('apply');
/**
 * Nodes added, removed or scaled (src/model/node-changes.ts), instead of a whole spec: what the
 * Kubernetes controller sends as pods come and go, so each change stores only its own bytes in
 * the history. Validated first like the `apply` update (the spec it makes, checked whole): a
 * refusal names the node, changes nothing and is not stored. Answered as soon as the change is
 * queued (src/workflows/node-changes.ts says why); then built like an `apply` signal.
 */
export const nodesUpdate = defineUpdate<NodeChangesResult, [NodeChanges]>('nodes');
/** The spec the scenario is asked to run: the last applied one, or the one waiting to be. */
export const specQuery = defineQuery<ScenarioInput>('spec');
export const testSignal = defineSignal<[TestRequest?]>('test');

