export { createTestingActivities, ScenarioNotBuiltError, type TestingActivities, type TestingDeps } from './activities';
export { RunTestsSchema, type RunTestsInput, DEFAULT_TIMEOUT_MS, MAX_TEST_PAIRS } from './types';
