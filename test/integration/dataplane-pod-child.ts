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
  // VPC v: subnets s (VNI 500) and t (VNI 501); VPC w: u, the CIDR of t (VNI 502). VM 0 in s, 1 in t, 2 in u.
  const s = { id: 's', vpc: 'v', cidr: '10.5.0.0/24', gateway: '10.5.0.1', vni: 500 };
  const t = { id: 't', vpc: 'v', cidr: '10.6.0.0/24', gateway: '10.6.0.1', vni: 501 };
  const u = { id: 'u', vpc: 'w', cidr: '10.6.0.0/24', gateway: '10.6.0.1', vni: 502 };
  const from = Number(ipIndex);
  await agent.createVms({ scenario, node, from: 0, count: 3 });
  await agent.createEndpoints({
    scenario,
    node,
    nodeSlot,
    from: 0,
    count: 3,
    endpointsPerVm: 1,
    segments: [
      { vmFrom: 0, vmCount: 1, endpoint: 0, subnet: s, ipIndexFrom: from, peers: [peer] },
      { vmFrom: 1, vmCount: 1, endpoint: 0, subnet: t, ipIndexFrom: from, peers: [peer] },
      { vmFrom: 2, vmCount: 1, endpoint: 0, subnet: u, ipIndexFrom: from + 5, peers: [peer] },
    ],
    vpcSubnets: [s, t, u],
  });
  const info = await agent.nodeInfo({ scenario, node });
  process.stdout.write(JSON.stringify({ tag: ensured.tag, underlay: ensured.underlay, info }) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`pod child: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
