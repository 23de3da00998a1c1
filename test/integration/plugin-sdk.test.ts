import { createNetworkPluginClient } from '../../src/plugin/client';
import { classifyPluginError, PluginCallError } from '../../src/plugin/errors';
import { PluginError, serveNetworkPlugin, Status, throwIfCallerGone, type NetworkPluginHandlers } from '../../src/plugin/sdk';

// The provider SDK over real gRPC on loopback, with small hand-written providers (not mocks of
// gRPC: real server, real client, real deadlines).

async function failure(call: Promise<unknown>): Promise<PluginCallError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof PluginCallError) return err;
    throw new Error(`expected a PluginCallError, got ${String(err)}`);
  }
  throw new Error('expected the call to fail, it succeeded');
}

/** A provider that allocates its own VNI and id (like Alcor and Mizar) and fails in chosen ways. */
function allocatingProvider(calls: string[]): NetworkPluginHandlers {
  return {
    createVpc: async ({ vpc }) => {
      calls.push(`createVpc ${vpc?.id}`);
      return { vpc: { ...vpc, vni: 4242, id: `prov-${vpc?.id}` } };
    },
    updateVpc: async () => {
      throw new PluginError(Status.PERMISSION_DENIED, 'updates are disabled on this provider');
    },
    deleteVpc: async ({ id }) => {
      calls.push(`deleteVpc ${id}`);
      return {};
    },
    createSubnet: async () => {
      throw new Error('provider bug: undefined is not a function');
    },
    updateSubnet: async () => ({}) /* breaks the contract: no subnet in the answer */,
    deleteSubnet: async () => {
      throw PluginError.unavailable('backend database is down');
    },
    // Never answers: the client's deadline must end the call.
    createNode: () => new Promise(() => undefined),
    updateNode: async ({ node }) => ({ node: { ...node, mac: 'fe:00:00:00:00:01' } }),
    deleteNode: async () => {
      throw new PluginError(Status.RESOURCE_EXHAUSTED, 'too many calls');
    },
  };
}

describe('serveNetworkPlugin + createNetworkPluginClient', () => {
  const internal: string[] = [];
  const calls: string[] = [];
  let server: Awaited<ReturnType<typeof serveNetworkPlugin>>;

  beforeAll(async () => {
    server = await serveNetworkPlugin(allocatingProvider(calls), {
      port: 0,
      shutdownGraceMs: 500,
      onInternalError: (method, err) => internal.push(`${method}: ${err instanceof Error ? err.message : String(err)}`),
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('binds loopback on an ephemeral port by default', () => {
    expect(server.address).toBe(`127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);
  });

  it("returns the provider's own VNI and id, not the asked ones", async () => {
    const client = createNetworkPluginClient(server.address);
    try {
      const res = await client.createVpc({ vpc: { vni: 7, id: 'asked', ip: '10.0.0.0', prefix: 8, optional: { k: 'v' } } });
      expect(res.vpc).toEqual({ vni: 4242, id: 'prov-asked', ip: '10.0.0.0', prefix: 8, optional: { k: 'v' }, scenario: '' });
      await client.deleteVpc({ id: res.vpc.id });
      expect(calls).toEqual(['createVpc asked', 'deleteVpc prov-asked']);
      expect((await client.updateNode({ node: { name: 'n', ip: '1.2.3.4', mac: '02:00:00:00:00:01' } })).node.mac).toBe('fe:00:00:00:00:01');
    } finally {
      client.close();
    }
  });

  it.each([
    ['PluginError(PERMISSION_DENIED)', 'updateVpc', Status.PERMISSION_DENIED, 'updates are disabled on this provider', false],
    ['PluginError.unavailable', 'deleteSubnet', Status.UNAVAILABLE, 'backend database is down', true],
    ['PluginError(RESOURCE_EXHAUSTED)', 'deleteNode', Status.RESOURCE_EXHAUSTED, 'too many calls', true],
    ['a plain throw → INTERNAL', 'createSubnet', Status.INTERNAL, 'CreateSubnet: provider bug: undefined is not a function', true],
  ] as const)('%s reaches the client as that status', async (_l, method, code, details, retryable) => {
    const client = createNetworkPluginClient(server.address);
    try {
      const call = (client[method] as (r: object) => Promise<unknown>)({ id: 'x', name: 'x', vpc: { id: 'x' } });
      const err = await failure(call);
      expect(err.code).toBe(code);
      expect(err.details).toBe(details);
      expect(classifyPluginError(err).retryable).toBe(retryable);
    } finally {
      client.close();
    }
  });

  it('a handler failing unexpectedly is reported on the provider side', () => {
    expect(internal).toContain('CreateSubnet: provider bug: undefined is not a function');
  });

  it('an Update answer without its object is refused by the SDK (INTERNAL)', async () => {
    const client = createNetworkPluginClient(server.address);
    try {
      const err = await failure(client.updateSubnet({ subnet: { id: 's' } }));
      expect(err.code).toBe(Status.INTERNAL);
      expect(err.details).toContain('the UpdateSubnet handler returned no "subnet"');
    } finally {
      client.close();
    }
  });

  it('a handler that never answers ends in DEADLINE_EXCEEDED after the deadline, classified retryable', async () => {
    const client = createNetworkPluginClient(server.address, { deadlineMs: 300 });
    try {
      const started = Date.now();
      const err = await failure(client.createNode({ node: { name: 'n1', ip: '10.0.0.1', mac: '02:00:00:00:00:01' } }));
      const elapsed = Date.now() - started;
      expect(err.code).toBe(Status.DEADLINE_EXCEEDED);
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(5000);
      expect(classifyPluginError(err)).toMatchObject({ retryable: true, code: 'DEADLINE_EXCEEDED' });
      // A per-call deadline overrides the client's.
      const t2 = Date.now();
      expect((await failure(client.createNode({ node: { name: 'n2' } }, { deadlineMs: 100 }))).code).toBe(Status.DEADLINE_EXCEEDED);
      expect(Date.now() - t2).toBeLessThan(300);
    } finally {
      client.close();
    }
  });

  it('without a state handler, GetState is UNIMPLEMENTED (not retryable)', async () => {
    const client = createNetworkPluginClient(server.address);
    try {
      const err = await failure(client.getState());
      expect(err.code).toBe(Status.UNIMPLEMENTED);
      expect(classifyPluginError(err).retryable).toBe(false);
    } finally {
      client.close();
    }
  });

  it('a PluginError carrying OK or a number that is no status is answered INTERNAL', async () => {
    const odd = await serveNetworkPlugin(
      {
        ...allocatingProvider([]),
        createVpc: async () => {
          throw new PluginError(Status.OK, 'OK is no failure');
        },
        deleteVpc: async () => {
          throw new PluginError(99 as Status, 'no such status');
        },
      },
      { port: 0, onInternalError: () => undefined },
    );
    const client = createNetworkPluginClient(odd.address);
    try {
      expect((await failure(client.createVpc({ vpc: { id: 'x' } }))).code).toBe(Status.INTERNAL);
      expect((await failure(client.deleteVpc({ id: 'x' }))).code).toBe(Status.INTERNAL);
    } finally {
      client.close();
      await odd.close();
    }
  });

  it('refuses a bad port and a bad deadline before doing anything', async () => {
    await expect(serveNetworkPlugin(allocatingProvider([]), { port: 70000 })).rejects.toThrow('port: 70000 is not a TCP port');
    expect(() => createNetworkPluginClient(server.address, { deadlineMs: 0 })).toThrow('deadlineMs: 0 is not a positive number');
  });

  it('refuses a port already taken', async () => {
    await expect(serveNetworkPlugin(allocatingProvider([]), { port: server.port })).rejects.toThrow(`cannot listen on 127.0.0.1:${server.port}`);
  });
});

describe('close()', () => {
  it('cuts a call that never ends after the grace period', async () => {
    const handlers = allocatingProvider([]);
    const server = await serveNetworkPlugin(handlers, { port: 0, shutdownGraceMs: 200, onInternalError: () => undefined });
    const client = createNetworkPluginClient(server.address, { deadlineMs: 20_000 });
    const pending = failure(client.createNode({ node: { name: 'n' } }));
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(2000);
    const err = await pending;
    expect([Status.CANCELLED, Status.UNAVAILABLE, Status.INTERNAL]).toContain(err.code);
    expect(classifyPluginError(err).retryable).toBe(true);
    client.close();
  });
});

describe('the call context: a handler learns that its caller has gone', () => {
  /** A provider whose createVpc waits `waitMs`, then reports what its context said and tries to write. */
  function slowProvider(waitMs: number, seen: Array<{ abortedBefore: boolean; abortedAfter: boolean; deadline: number | undefined; wrote: boolean; reason?: string }>): NetworkPluginHandlers {
    const base = allocatingProvider([]);
    return {
      ...base,
      createVpc: async ({ vpc }, ctx) => {
        const abortedBefore = ctx?.signal.aborted ?? false;
        await new Promise((r) => setTimeout(r, waitMs));
        const entry = { abortedBefore, abortedAfter: ctx?.signal.aborted ?? false, deadline: ctx?.deadline, wrote: false, reason: undefined as string | undefined };
        seen.push(entry);
        try {
          throwIfCallerGone(ctx);
          entry.wrote = true;
        } catch (err) {
          entry.reason = err instanceof PluginError ? `${err.code} ${err.message}` : String(err);
          throw err;
        }
        return { vpc: { ...vpc, vni: 1 } };
      },
    };
  }

  it('past the deadline the signal has aborted and throwIfCallerGone refuses the write (DEADLINE_EXCEEDED)', async () => {
    const seen: Parameters<typeof slowProvider>[1] = [];
    const server = await serveNetworkPlugin(slowProvider(600, seen), { port: 0, shutdownGraceMs: 200, onInternalError: () => undefined });
    const client = createNetworkPluginClient(server.address, { deadlineMs: 200 });
    try {
      const sent = Date.now();
      const err = await failure(client.createVpc({ vpc: { id: 'late', vni: 1, ip: '10.0.0.0', prefix: 8 } }));
      expect(err.code).toBe(Status.DEADLINE_EXCEEDED);
      await new Promise((r) => setTimeout(r, 800));
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ abortedBefore: false, abortedAfter: true, wrote: false });
      expect(seen[0]!.reason).toBe(`${Status.DEADLINE_EXCEEDED} CreateVpc: the call's deadline passed`);
      // The deadline the handler saw is the client's (sent + 200 ms), within scheduling slack.
      expect(Math.abs(seen[0]!.deadline! - (sent + 200))).toBeLessThan(150);
    } finally {
      client.close();
      await server.close();
    }
  });

  it('within the deadline nothing aborts and the handler writes', async () => {
    const seen: Parameters<typeof slowProvider>[1] = [];
    const server = await serveNetworkPlugin(slowProvider(50, seen), { port: 0, shutdownGraceMs: 200 });
    const client = createNetworkPluginClient(server.address, { deadlineMs: 5_000 });
    try {
      const res = await client.createVpc({ vpc: { id: 'ontime', vni: 1, ip: '10.0.0.0', prefix: 8 } });
      expect(res.vpc.id).toBe('ontime');
      expect(seen).toEqual([expect.objectContaining({ abortedBefore: false, abortedAfter: false, wrote: true })]);
    } finally {
      client.close();
      await server.close();
    }
  });
});
