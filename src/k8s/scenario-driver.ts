import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateStage,
  type Client,
} from '@temporalio/client';
import { MERAK_SCENARIO } from '../temporal/search-attributes';
import { applySignal, nodesUpdate, teardownSignal } from '../workflows/messages';
import type { NodeChanges } from '../model/node-changes';
import { COMPUTE_TASK_QUEUE, scenarioWorkflowId } from '../model/queues';
import type { ScenarioInput } from '../model/spec';

// The controller's only way to Temporal: start, apply, change nodes, tear down a scenario workflow,
// and find the ones a controller started. An interface so the controller's bookkeeping can be
// exercised against a recording driver in unit tests; the real one talks to Temporal.

/** Memo key marking a workflow as started by the Kubernetes controller; its value is the pods' namespace. */
export const CONTROLLER_MEMO_KEY = 'merakK8sNamespace';

export type SendOutcome = 'sent' | 'not-running';
/** How the workflow answered an update: accepted (it will act on it), refused by its validator (nothing changed, nothing stored), or no workflow runs. */
export type UpdateOutcome = { kind: 'accepted' } | { kind: 'rejected'; reason: string } | { kind: 'not-running' };

export interface ScenarioDriver {
  /** Starts `merak-<name>`; a run already going is not an error (another controller, or this one before a restart). */
  start(name: string, input: ScenarioInput, namespace: string): Promise<'started' | 'already-running'>;
  apply(name: string, input: ScenarioInput): Promise<SendOutcome>;
  /** Sends a `nodes` update and waits until the workflow accepted or refused it (not until the nodes are built). */
  nodes(name: string, changes: NodeChanges): Promise<UpdateOutcome>;
  teardown(name: string): Promise<SendOutcome>;
  /** Running scenario workflows a controller started, with the namespace of their pods. */
  listManaged(): Promise<{ name: string; namespace: string }[]>;
}

export interface TemporalDriverOptions {
  client: Client;
  /** Task queue of the scenario workflows. Default `merak-compute`. */
  taskQueue?: string;
  /** Longest wait for a workflow to accept or refuse a nodes update. Default 30 s. */
  updateTimeoutMs?: number;
  /** Most running workflows read by {@link ScenarioDriver.listManaged}. Default 10000. */
  listLimit?: number;
}

function notFound(err: unknown): boolean {
  return err instanceof WorkflowNotFoundError;
}

/** Scenario name from a workflow id `merak-<name>`; undefined for child or foreign ids. */
export function scenarioFromWorkflowId(id: string): string | undefined {
  const m = /^merak-([a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?)$/.exec(id);
  return m ? m[1] : undefined;
}

export function createTemporalDriver(options: TemporalDriverOptions): ScenarioDriver {
  const { client } = options;
  const taskQueue = options.taskQueue ?? COMPUTE_TASK_QUEUE;
  const updateTimeoutMs = options.updateTimeoutMs ?? 30_000;
  const listLimit = options.listLimit ?? 10_000;
  const handle = (name: string) => client.workflow.getHandle(scenarioWorkflowId(name));

  return {
    async start(name, input, namespace) {
      try {
        await client.workflow.start('scenarioWorkflow', {
          taskQueue,
          workflowId: scenarioWorkflowId(name),
          args: [input],
          // A finished run (torn down) may be followed by a new one; a running one is never
          // started twice: the server refuses and we treat that as success.
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
          memo: { [CONTROLLER_MEMO_KEY]: namespace },
          typedSearchAttributes: [{ key: MERAK_SCENARIO, value: name }],
        });
        return 'started';
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) return 'already-running';
        throw err;
      }
    },
    async apply(name, input) {
      try {
        await handle(name).signal(applySignal, input);
        return 'sent';
      } catch (err) {
        if (notFound(err)) return 'not-running';
        throw err;
      }
    },
    async nodes(name, changes) {
      try {
        await client.withDeadline(Date.now() + updateTimeoutMs, () =>
          handle(name).startUpdate(nodesUpdate, { args: [changes], waitForStage: WorkflowUpdateStage.ACCEPTED }),
        );
        return { kind: 'accepted' };
      } catch (err) {
        if (notFound(err)) return { kind: 'not-running' };
        if (err instanceof WorkflowUpdateFailedError) return { kind: 'rejected', reason: err.cause?.message ?? err.message };
        throw err;
      }
    },
    async teardown(name) {
      try {
        await handle(name).signal(teardownSignal);
        return 'sent';
      } catch (err) {
        if (notFound(err)) return 'not-running';
        throw err;
      }
    },
    async listManaged() {
      const out: { name: string; namespace: string }[] = [];
      const query = `WorkflowType = 'scenarioWorkflow' AND ExecutionStatus = 'Running'`;
      let seen = 0;
      for await (const wf of client.workflow.list({ query })) {
        if (++seen > listLimit) break;
        const namespace = wf.memo?.[CONTROLLER_MEMO_KEY];
        const name = scenarioFromWorkflowId(wf.workflowId);
        if (typeof namespace === 'string' && name) out.push({ name, namespace });
      }
      return out;
    },
  };
}
