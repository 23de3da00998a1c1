// A real node-agent worker process for dataplane-worker-kill.test.ts: polls merak-agent-<node>
// on the test's dev server until killed. Arguments: ADDRESS NAMESPACE NODE STATE_DIR.
import { NativeConnection } from '@temporalio/worker';
import { createAgentWorkers } from '../../src/workers/agent';

async function main(): Promise<void> {
  const [address, namespace, node, stateDir] = process.argv.slice(2);
  const connection = await NativeConnection.connect({ address });
  const workers = await createAgentWorkers({ connection, namespace, nodes: [node], stateDir, mode: 'local' });
  process.stdout.write('ready\n');
  await Promise.all(workers.map((w) => w.run()));
}

main().catch((e: unknown) => {
  process.stderr.write(`agent child: ${String(e)}\n`);
  process.exit(1);
});
