// Workflow used by dataplane-worker-kill.test.ts: one createVms batch on a node's agent queue,
// with a short heartbeat timeout so a killed worker is noticed quickly.
import { proxyActivities } from '@temporalio/workflow';
import type { AgentActivities } from '../../src/activities/agent/activities';
import type { VmBatch } from '../../src/activities/agent/types';

export async function createVmsOnce(batch: VmBatch): Promise<number> {
  const agent = proxyActivities<AgentActivities>({
    taskQueue: `merak-agent-${batch.node}`,
    startToCloseTimeout: '2 minutes',
    heartbeatTimeout: '3 seconds',
    retry: { initialInterval: '200ms', maximumAttempts: 5 },
  });
  const r = await agent.createVms(batch);
  return r.changed;
}
