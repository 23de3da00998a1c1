import { ApplicationFailure, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { scenarioCallError } from '../../src/cli/scenario-client';
import { outcomeText } from '../../src/cli/commands/ops';

const message = (e: unknown) => (e as Error).message;

describe('scenarioCallError', () => {
  test('an Update the validator refused says why, and that nothing changed', () => {
    const err = new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ message: 'node "node-zz" is not in scenario "demo"', type: 'Error' }));
    const out = scenarioCallError('demo', err);
    expect(message(out)).toBe('scenario demo: refused, nothing changed: node "node-zz" is not in scenario "demo"');
    expect((out as Error).cause).toBe(err);
  });

  test("the apply handler's own failure is said as it is (it may have changed things)", () => {
    for (const type of ['ApplyFailed', 'ApplyDropped']) {
      const out = scenarioCallError('demo', new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ message: 'create subnet s9 failed', type })));
      expect(message(out)).toBe('scenario demo: create subnet s9 failed');
    }
  });

  test('an Update failure without a cause keeps the SDK message', () => {
    expect(message(scenarioCallError('demo', new WorkflowUpdateFailedError('Workflow Update failed', undefined)))).toBe('scenario demo: refused, nothing changed: Workflow Update failed');
  });

  test('a scenario with no workflow is named, with how to list them', () => {
    const out = scenarioCallError('nosuch', new WorkflowNotFoundError('workflow not found for ID: merak-nosuch', 'merak-nosuch', undefined));
    expect(message(out)).toBe('scenario nosuch not found: no workflow merak-nosuch in this Temporal namespace; `merak status` lists the scenarios');
  });

  test('anything else is passed on unchanged', () => {
    const err = new Error('connection refused');
    expect(scenarioCallError('demo', err)).toBe(err);
    expect(scenarioCallError('demo', 'text')).toBe('text');
  });
});

describe('outcomeText (merak down)', () => {
  test('says the phase, the plugin objects deleted and the cleanup errors, not JSON', () => {
    expect(outcomeText({ name: 'ovn', phase: 'deleted', deleted: 9, cleanupErrors: [] })).toBe('deleted, 9 plugin objects deleted, no cleanup error');
    expect(outcomeText({ name: 'd', phase: 'deleted', deleted: 2, cleanupErrors: ['delete subnet s1: UNAVAILABLE', 'x'] })).toBe('deleted, 2 plugin objects deleted, cleanup errors: delete subnet s1: UNAVAILABLE; x');
    expect(outcomeText({ error: 'Workflow execution failed' })).toBe('the workflow ended with an error: Workflow execution failed');
    expect(outcomeText(undefined)).toBe('no such workflow');
  });
});
