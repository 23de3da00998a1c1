/**
 * The compute worker: polls `merak-compute`, runs the scenario/node workflows and the network
 * plugin activities. One per Temporal namespace is enough; more share the load.
 */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createComputeActivities, createPluginClientCache, createQueueActivities } from '../activities/compute';
import { COMPUTE_TASK_QUEUE } from '../model/queues';

export interface ComputeWorkerOptions {
  connection: NativeConnection;
  /** Temporal namespace. @default "default" */
  namespace?: string;
  /** @default "merak-compute" */
  taskQueue?: string;
  /** Plugin calls run at once. @default 64 */
  maxConcurrentActivityTaskExecutions?: number;
  /** Workflow tasks run at once. @default 64 */
  maxConcurrentWorkflowTaskExecutions?: number;
  /** Pre-built workflow bundle; when absent the worker bundles src/workflows at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

/** Path the bundler starts from: dist/workflows when compiled, src/workflows under the tests. */
export const WORKFLOWS_PATH = require.resolve('../workflows');

export async function createComputeWorker(options: ComputeWorkerOptions): Promise<{ worker: Worker; close(): void }> {
  const clients = createPluginClientCache();
  const namespace = options.namespace ?? 'default';
  // The poller check asks the server through the worker's own connection.
  const pollerCount = async (queue: string): Promise<number> => {
    const res = await options.connection.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: queue, kind: 1 /* TASK_QUEUE_KIND_NORMAL */ },
      taskQueueType: 2 /* TASK_QUEUE_TYPE_ACTIVITY */,
    });
    return res.pollers?.length ?? 0;
  };
  const worker = await Worker.create({
    connection: options.connection,
    namespace,
    taskQueue: options.taskQueue ?? COMPUTE_TASK_QUEUE,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: { ...createComputeActivities({ pluginClient: (target) => clients.get(target) }), ...createQueueActivities({ pollerCount }) },
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? 64,
    maxConcurrentWorkflowTaskExecutions: options.maxConcurrentWorkflowTaskExecutions ?? 64,
  });
  return { worker, close: () => clients.closeAll() };
}
