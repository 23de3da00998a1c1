import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listAgentEndpoints, registerAgentEndpoint } from '../../src/metrics/discovery';
import { readProcessIdentity } from '../../src/local/process-identity';

describe('agent endpoint discovery (merak monitor on this machine)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'merak-discovery-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('a live agent is found; a file whose pid now names another process, or that has no identity, is dropped', async () => {
    const remove = await registerAgentEndpoint(dir, { url: 'http://127.0.0.1:9478', nodes: ['node-a'] });
    const me = readProcessIdentity(process.pid)!;
    // The same pid with another start time: the agent died and the pid was handed out again.
    writeFileSync(join(dir, 'endpoints', 'agent-1.json'), JSON.stringify({ pid: process.pid, url: 'http://127.0.0.1:1', nodes: ['old'], startedAt: '', identity: { ...me, startTicks: me.startTicks - 1 } }));
    writeFileSync(join(dir, 'endpoints', 'agent-2.json'), JSON.stringify({ pid: process.pid, url: 'http://127.0.0.1:2', nodes: ['older'], startedAt: '' }));
    const found = await listAgentEndpoints(dir);
    expect(found.map((e) => [e.url, e.nodes])).toEqual([['http://127.0.0.1:9478', ['node-a']]]);
    expect(readdirSync(join(dir, 'endpoints'))).toEqual([`agent-${process.pid}.json`]);
    await remove();
    expect(await listAgentEndpoints(dir)).toEqual([]);
  });
});
