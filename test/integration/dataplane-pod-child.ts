// Runs the agent activities in pod mode inside the namespace it was started in (the test starts
// it with `nsenter --net=<pod namespace>`), for dataplane-pod.test.ts.
// Arguments: up STATE_DIR SCENARIO NODE SLOT PEER IP_INDEX | clean STATE_DIR SCENARIO
import { createAgentActivities } from '../../src/activities/agent/activities';
import { spawnRunner } from '../../src/dataplane/command';
import { cleanScenario } from '../../src/dataplane/clean';
import { FileOwnerRecords } from '../../src/dataplane/owner-records';
import { createPluginRegistry } from '../../src/endpoint-plugins/registry';

async function main(): Promise<void> {
  const [cmd, stateDir, scenario, node, slot, peer, ipIndex] = process.argv.slice(2);
  const records = new FileOwnerRecords(stateDir);
  if (cmd === 'clean') {
    process.stdout.write(JSON.stringify(await cleanScenario({ runner: spawnRunner, records }, scenario)) + '\n');
    return;
  }
  const agent = createAgentActivities({ mode: 'pod', runner: spawnRunner, records, plugins: createPluginRegistry({ runner: spawnRunner, dirs: [] }) });
  const nodeSlot = Number(slot);
  const ensured = await agent.ensureNode({ scenario, node, nodeSlot });
  await agent.createVms({ scenario, node, from: 0, count: 2 });
  await agent.createEndpoints({
    scenario,
    node,
    nodeSlot,
    from: 0,
    count: 2,
    endpointsPerVm: 1,
    segments: [
      { vmFrom: 0, vmCount: 2, endpoint: 0, subnet: { id: 's', vpc: 'v', cidr: '10.5.0.0/24', gateway: '10.5.0.1', vni: 500 }, ipIndexFrom: Number(ipIndex), peers: [peer] },
    ],
  });
  const info = await agent.nodeInfo({ scenario, node });
  process.stdout.write(JSON.stringify({ tag: ensured.tag, underlay: ensured.underlay, info }) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`pod child: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
