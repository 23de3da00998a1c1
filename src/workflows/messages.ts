/**
 * The scenario workflow's public messages: one definition used by the workflow, the CLI, the
 * Kubernetes controller and tests, so names and payload types cannot drift apart.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ScenarioInput } from '../model/spec';
import type { ScaleRequest, ScaleResult, ScenarioStatus, TestRequest, TestResult } from '../model/status';

export const statusQuery = defineQuery<ScenarioStatus>('status');
export const resultsQuery = defineQuery<TestResult[]>('results');
/** Delete everything in reverse order and end the workflow. */
export const teardownSignal = defineSignal('teardown');
export const scaleSignal = defineSignal<[ScaleRequest]>('scale');
/** Like the signal, but validated first: bad values are refused with a message, nothing changes. */
export const scaleUpdate = defineUpdate<ScaleResult, [ScaleRequest]>('scale');
/** A whole new spec; the workflow reconciles by diff. */
export const applySignal = defineSignal<[ScenarioInput]>('apply');
export const testSignal = defineSignal<[TestRequest?]>('test');

