import { createMyProviderHandlers } from '../../examples/plugin/my-provider';
import { createNetworkPluginClient } from '../../src/plugin/client';
import { classifyPluginError, PluginCallError, Status } from '../../src/plugin/errors';
import { serveNetworkPlugin } from '../../src/plugin/sdk';

// The example provider of docs/network-plugin.md, served by the SDK on loopback, must keep the
// promises the documentation makes for it.

async function failure(call: Promise<unknown>): Promise<PluginCallError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof PluginCallError) return err;
    throw new Error(`expected a PluginCallError, got ${String(err)}`);
  }
  throw new Error('expected the call to fail, it succeeded');
}

describe('examples/plugin/my-provider.ts', () => {
  it('allocates its own VNI, is idempotent, maps errors, and reports an outage as retryable', async () => {
    let up = true;
    const server = await serveNetworkPlugin(createMyProviderHandlers(() => up), { port: 0 });
    const client = createNetworkPluginClient(server.address, { deadlineMs: 5000 });
    try {
      const vpc = { vni: 7, id: 'v1', ip: '10.0.0.0', prefix: 16 };
      const created = await client.createVpc({ vpc });
      expect(created.vpc.vni).toBe(10_000); // the provider's VNI, not the asked 7
      expect((await client.createVpc({ vpc })).vpc).toEqual(created.vpc);
      expect((await client.createVpc({ vpc: { ...vpc, id: 'v2', ip: '10.1.0.0' } })).vpc.vni).toBe(10_001);
      expect((await failure(client.createVpc({ vpc: { ...vpc, prefix: 8 } }))).code).toBe(Status.ALREADY_EXISTS);
      expect((await failure(client.createVpc({ vpc: { ...vpc, id: 'v3', ip: '10.0.0.1' } }))).code).toBe(Status.INVALID_ARGUMENT);

      const sn = await client.createSubnet({ subnet: { id: 's1', vpc: 'v1', ip: '10.0.1.0', prefix: 24, vni: 99 } });
      expect(sn.subnet.vni).toBe(10_000);
      expect((await failure(client.createSubnet({ subnet: { id: 's2', vpc: 'nope', ip: '10.0.2.0', prefix: 24 } }))).code).toBe(Status.FAILED_PRECONDITION);
      expect((await failure(client.deleteVpc({ id: 'v1' }))).code).toBe(Status.FAILED_PRECONDITION);

      expect((await client.createNode({ node: { name: 'n1', ip: '192.168.1.1', mac: '02:AB:00:00:00:01' } })).node.mac).toBe('02:ab:00:00:00:01');
      await client.deleteNode({ name: 'n1' });
      await client.deleteNode({ name: 'n1' });
      await client.deleteSubnet({ id: 's1' });
      await client.deleteVpc({ id: 'v1' });

      up = false;
      const outage = await failure(client.createVpc({ vpc }));
      expect(outage.code).toBe(Status.UNAVAILABLE);
      expect(classifyPluginError(outage).retryable).toBe(true);
    } finally {
      client.close();
      await server.close();
    }
  });
});
