// A real node-agent worker process for mizar-scenario.test.ts: the `mizar` endpoint plugin loads
// @kubernetes/client-node (ESM-only), which jest's CommonJS runtime cannot, so the agents run as
// their own Node processes, as they do in a deployment. Arguments: ADDRESS NAMESPACE STATE_DIR
// NODE...; Mizar's settings come from the environment (MERAK_MIZAR_KUBECONFIG, …).
import { NativeConnection } from '@temporalio/worker';
import { createAgentWorkers } from '../../src/workers/agent';
import { createTestingActivities } from '../../src/activities/testing/activities';

async function main(): Promise<void> {
  const [address, namespace, stateDir, ...nodes] = process.argv.slice(2);
  const connection = await NativeConnection.connect({ address });
  const workers = await createAgentWorkers({ connection, namespace, nodes, stateDir, mode: 'local', extraActivities: createTestingActivities({ stateDir }) });
  process.stdout.write('ready\n');
  const stop = () => workers.forEach((w) => w.shutdown());
  process.once('SIGTERM', stop);
  await Promise.all(workers.map((w) => w.run()));
  await connection.close();
}

main().catch((e: unknown) => {
  process.stderr.write(`mizar agent child: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
