import { Command } from 'commander';
import { NativeConnection } from '@temporalio/worker';
import { addTemporalOptions, resolveTemporalOptions, toNativeConnectionOptions, type TemporalFlagValues } from '../../temporal/connection';
import { createComputeWorker } from '../../workers/compute';
import { DEFAULT_METRICS_HOST, DEFAULT_METRICS_PORT, METRICS_HOST_ENV, METRICS_PORT_ENV, parseMetricsPort } from '../../metrics/server';
import { startComputeMetrics } from '../../workers/metrics';

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
    .option('--task-queue <name>', 'task queue', 'merak-compute')
    .option('--metrics-port <port>', `port of /metrics: a number (0: any free port) or off (env ${METRICS_PORT_ENV.compute}; default ${DEFAULT_METRICS_PORT.compute}, any free port if taken)`)
    .option('--metrics-host <host>', `address /metrics listens on (env ${METRICS_HOST_ENV})`, process.env[METRICS_HOST_ENV] ?? DEFAULT_METRICS_HOST);
  addTemporalOptions(compute).action(async (flags: TemporalFlagValues & { taskQueue: string; metricsPort?: string; metricsHost: string }) => {
    const rawPort = flags.metricsPort ?? process.env[METRICS_PORT_ENV.compute];
    let metricsPort: number | undefined;
    try {
      metricsPort = parseMetricsPort(rawPort ?? String(DEFAULT_METRICS_PORT.compute), flags.metricsPort !== undefined ? '--metrics-port' : METRICS_PORT_ENV.compute);
    } catch (e) {
      compute.error(`merak worker compute: ${(e as Error).message}`, { exitCode: 2 });
    }
    const resolved = resolveTemporalOptions(flags, process.env);
    const connection = await NativeConnection.connect(await toNativeConnectionOptions(resolved));
    const { worker, close } = await createComputeWorker({ connection, namespace: resolved.namespace, taskQueue: flags.taskQueue });
    process.stderr.write(`merak: compute worker polling ${flags.taskQueue} on ${resolved.address} (namespace ${resolved.namespace})\n`);
    let metrics: Awaited<ReturnType<typeof startComputeMetrics>> | undefined;
    try {
      if (metricsPort !== undefined) {
        metrics = await startComputeMetrics({ host: flags.metricsHost, port: metricsPort, portIsDefault: rawPort === undefined });
        process.stderr.write(`merak: compute worker metrics on ${metrics.url}/metrics\n`);
      }
      await runUntilSignalled(worker);
    } finally {
      await metrics?.close();
      close();
      await connection.close();
    }
  });
}
