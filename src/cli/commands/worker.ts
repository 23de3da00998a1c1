import { Command } from 'commander';
import { NativeConnection } from '@temporalio/worker';
import { addTemporalOptions, resolveTemporalOptions, toNativeConnectionOptions, type TemporalFlagValues } from '../../temporal/connection';
import { createComputeWorker } from '../../workers/compute';

// `merak worker compute` here; other worker kinds (agent) attach to the same `worker` parent
// through workerCommand().

/** The `merak worker` parent command, created once. */
export function workerCommand(program: Command): Command {
  const existing = program.commands.find((c) => c.name() === 'worker');
  if (existing) return existing;
  return program.command('worker').description('run a Merak Temporal worker in the foreground');
}

/** Runs a worker until SIGINT/SIGTERM, then shuts it down gracefully. */
export async function runUntilSignalled(worker: { run(): Promise<void>; shutdown(): void }): Promise<void> {
  const stop = () => worker.shutdown();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await worker.run();
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

export function register(program: Command): void {
  const compute = workerCommand(program)
    .command('compute')
    .description('poll task queue merak-compute: scenario workflows and network plugin calls')
    .option('--task-queue <name>', 'task queue', 'merak-compute');
  addTemporalOptions(compute).action(async (flags: TemporalFlagValues & { taskQueue: string }) => {
    const resolved = resolveTemporalOptions(flags, process.env);
    const connection = await NativeConnection.connect(await toNativeConnectionOptions(resolved));
    const { worker, close } = await createComputeWorker({ connection, namespace: resolved.namespace, taskQueue: flags.taskQueue });
    process.stderr.write(`merak: compute worker polling ${flags.taskQueue} on ${resolved.address} (namespace ${resolved.namespace})\n`);
    try {
      await runUntilSignalled(worker);
    } finally {
      close();
      await connection.close();
    }
  });
}
