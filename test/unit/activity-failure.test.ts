/**
 * The failure policy at the activity boundary (src/activities/failure.ts, src/model/failures.ts):
 * what each kind of error becomes, that the workflows' list agrees with the mapping, and that the
 * compute, testing and agent activities fail by it. No server, no root: the agent runs the
 * `none` backend and a real executable endpoint plugin that refuses.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createAgentActivities } from '../../src/activities/agent/activities';
import { NodeNotReadyError } from '../../src/activities/agent/activities';
import { createComputeActivities } from '../../src/activities/compute';
import { pluginCallFailure, toActivityFailure, withFailurePolicy } from '../../src/activities/failure';
import { createTestingActivities, ScenarioNotBuiltError } from '../../src/activities/testing/activities';
import { spawnRunner } from '../../src/dataplane/command';
import { CommandFailedError, InvalidInputError, PreconditionError, StateDirError } from '../../src/dataplane/errors';
import { NsConfigError } from '../../src/dataplane/ns-helper';
import { FileOwnerRecords } from '../../src/dataplane/owner-records';
import { createPluginRegistry, PluginNotFoundError } from '../../src/endpoint-plugins/registry';
import { EndpointPluginError } from '../../src/endpoint-plugins/types';
import { HelperProtocolError } from '../../src/install/helpers';
import { FINAL_PLUGIN_STATUSES, NON_RETRYABLE_FAILURE_TYPES } from '../../src/model/failures';
import type { NetworkPluginClient } from '../../src/plugin/client';
import { PluginCallError, PluginError, RETRYABLE_BY_STATUS, Status, type StatusName } from '../../src/plugin/errors';

/** Runs `fn` and returns what it threw (fails the test when it returns). */
async function thrown(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure, got a result');
}

/** An activity context without a server; failures are the test's to check, not to log. */
const mockEnv = () => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });

function asFailure(e: unknown): ApplicationFailure {
  expect(e).toBeInstanceOf(ApplicationFailure);
  return e as ApplicationFailure;
}

describe('toActivityFailure', () => {
  const finals: Array<[string, Error, string]> = [
    ['bad input', new InvalidInputError('vms.count', -1, 'must be >= 0'), 'InvalidInputError'],
    ['a precondition', new PreconditionError('VM 3 does not exist; create it first'), 'PreconditionError'],
    ['a node not made yet', new NodeNotReadyError('s', 'n'), 'NodeNotReadyError'],
    ['an unknown endpoint plugin', new PluginNotFoundError('nope', ['/x']), 'PluginNotFoundError'],
    ['a scenario never built here', new ScenarioNotBuiltError('s', '/x'), 'ScenarioNotBuiltError'],
    ['an endpoint plugin refusal', new EndpointPluginError('p', 'EP_ADD', 'NOPE', 'refused'), 'EndpointPluginError'],
    ['a helper of another version', new HelperProtocolError('nsconfig', '/x/helpers/nsconfig.py', 1, 2, '{}'), 'HelperProtocolError'],
  ];

  it.each(finals)('%s is final, typed by its class, with its message and cause', (_what, e, type) => {
    const f = asFailure(toActivityFailure(e));
    expect(f).toMatchObject({ type, nonRetryable: true, message: e.message });
    expect(f.cause).toBe(e);
    expect(e.constructor.name).toBe(type); // what Temporal would name it if it escaped the mapping
    expect(NON_RETRYABLE_FAILURE_TYPES).toContain(type);
  });

  it('bad input carries its field and rule; an endpoint plugin refusal its plugin, command and code', () => {
    expect(asFailure(toActivityFailure(new InvalidInputError('vms.count', -1, 'must be >= 0'))).details).toEqual([{ field: 'vms.count', rule: 'must be >= 0' }]);
    expect(asFailure(toActivityFailure(new EndpointPluginError('p', 'EP_ADD', 'NOPE', 'refused'))).details).toEqual([{ plugin: 'p', command: 'EP_ADD', code: 'NOPE' }]);
  });

  const retried: Array<[string, Error]> = [
    ['a failed kernel command', new CommandFailedError(['ip', 'link'], 2, 'RTNETLINK answers: File exists')],
    ['a failed namespace helper op', new NsConfigError('mk-ab-n_0', 'EBUSY')],
    ['an unusable state directory', new StateDirError('/var/lib/merak', 'EACCES')],
    ['anything else', new Error('surprise')],
  ];

  it.each(retried)('%s passes unchanged (Temporal retries it) and is not in the list', (_what, e) => {
    expect(toActivityFailure(e)).toBe(e);
    expect(NON_RETRYABLE_FAILURE_TYPES).not.toContain(e.constructor.name);
  });

  it('Temporal failures pass unchanged: cancellation stays a cancellation, a mapped failure is not mapped again', () => {
    const cancelled = new CancelledFailure('CANCELLED');
    expect(toActivityFailure(cancelled)).toBe(cancelled);
    const once = toActivityFailure(new InvalidInputError('f', 1, 'r'));
    expect(toActivityFailure(once)).toBe(once);
  });

  const statuses = Object.keys(RETRYABLE_BY_STATUS).filter((s) => s !== 'OK') as StatusName[];

  it.each(statuses)('a network plugin answering %s fails as Plugin<STATUS>, final exactly when RETRYABLE_BY_STATUS says so', (name) => {
    for (const e of [new PluginCallError(Status[name], 'detail', 'CreateVpc', '127.0.0.1:1'), new PluginError(Status[name], 'detail')]) {
      const f = asFailure(toActivityFailure(e));
      expect(f.type).toBe(`Plugin${name}`);
      expect(f.nonRetryable).toBe(!RETRYABLE_BY_STATUS[name]);
      expect(NON_RETRYABLE_FAILURE_TYPES.includes(f.type!)).toBe(!RETRYABLE_BY_STATUS[name]);
    }
    const c = pluginCallFailure('create VPC v1', new PluginCallError(Status[name], 'detail', 'CreateVpc', '127.0.0.1:1'));
    expect(c).toMatchObject({ type: `Plugin${name}`, nonRetryable: !RETRYABLE_BY_STATUS[name] });
    expect(c.message).toMatch(/^create VPC v1: CreateVpc on network plugin 127\.0\.0\.1:1 failed/);
  });

  it('FINAL_PLUGIN_STATUSES is exactly the statuses RETRYABLE_BY_STATUS does not retry', () => {
    expect([...FINAL_PLUGIN_STATUSES].sort()).toEqual(statuses.filter((s) => !RETRYABLE_BY_STATUS[s]).sort());
  });
});

describe('withFailurePolicy', () => {
  it('keeps keys, arguments and results, and maps what is thrown', async () => {
    const wrapped = withFailurePolicy({
      add: async (a: number, b: number) => a + b,
      bad: async (_x: string): Promise<number> => {
        throw new InvalidInputError('x', 'y', 'z');
      },
    });
    expect(Object.keys(wrapped)).toEqual(['add', 'bad']);
    expect(await wrapped.add(2, 3)).toBe(5);
    expect(asFailure(await thrown(() => wrapped.bad('q')))).toMatchObject({ type: 'InvalidInputError', nonRetryable: true });
  });
});

describe('compute activities', () => {
  /** Stand-in for a network plugin client that answers every call with one gRPC status. */
  const answering = (code: Status) =>
    ({
      createVpc: async () => {
        throw new PluginCallError(code, 'as told', 'CreateVpc', '127.0.0.1:1');
      },
    }) as unknown as NetworkPluginClient;
  const target = { address: '127.0.0.1:1', deadlineMs: 1000 };
  const vpc = { id: 'v1', vni: 1, ip: '10.0.0.0', prefix: 16 };

  it('a refusal is final, an outage retried, both typed by status', async () => {
    const refused = asFailure(await thrown(() => createComputeActivities({ pluginClient: () => answering(Status.INVALID_ARGUMENT) }).createVpc(target, vpc)));
    expect(refused).toMatchObject({ type: 'PluginINVALID_ARGUMENT', nonRetryable: true });
    expect(refused.message).toMatch(/^create VPC v1: /);
    const down = asFailure(await thrown(() => createComputeActivities({ pluginClient: () => answering(Status.UNAVAILABLE) }).createVpc(target, vpc)));
    expect(down).toMatchObject({ type: 'PluginUNAVAILABLE', nonRetryable: false });
  });
});

describe('testing activities', () => {
  let stateDir: string;
  beforeAll(() => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'merak-fail-'));
  });
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  it('a malformed payload and a scenario never built here are final', async () => {
    const t = createTestingActivities({ stateDir });
    const env = mockEnv();
    const bad = asFailure(await thrown(() => env.run(t.runTests, { scenario: 'Bad Name', node: 'n1', kinds: ['icmp' as const], pairs: [] })));
    expect(bad).toMatchObject({ type: 'InvalidInputError', nonRetryable: true });
    expect(bad.message).toMatch(/invalid tests\.scenario/);
    const unbuilt = asFailure(await thrown(() => env.run(t.runTests, { scenario: 'never-built', node: 'n1', kinds: ['icmp' as const], pairs: [] })));
    expect(unbuilt).toMatchObject({ type: 'ScenarioNotBuiltError', nonRetryable: true });
  });

  it('test servers: a malformed payload, a scenario never built here are final; an unknown session stops as nothing to do', async () => {
    const t = createTestingActivities({ stateDir });
    const env = mockEnv();
    const ends = [{ vmIndex: 0, ip: '10.0.0.2' }];
    const good = { scenario: 'never-built', node: 'n1', session: 'merak-x/n0/1', kinds: ['tcp' as const], ends, deadlineS: 480 };
    for (const [field, value, re] of [
      ['session', 'a b', /invalid servers\.session/],
      ['deadlineS', 5, /invalid servers\.deadlineS/],
      ['ends', [], /invalid servers\.ends/],
      ['ends', [{ vmIndex: 0, ip: '127.0.0.1' }], /invalid servers\.ends\.0\.ip/],
    ] as const) {
      const bad = asFailure(await thrown(() => env.run(t.startTestServers, { ...good, [field]: value })));
      expect({ field, type: bad.type, nonRetryable: bad.nonRetryable, named: re.test(bad.message) }).toEqual({ field, type: 'InvalidInputError', nonRetryable: true, named: true });
    }
    const unbuilt = asFailure(await thrown(() => env.run(t.startTestServers, good)));
    expect(unbuilt).toMatchObject({ type: 'ScenarioNotBuiltError', nonRetryable: true });
    await expect(env.run(t.stopTestServers, { node: 'n1', session: 'merak-x/n0/1' })).resolves.toEqual({ stopped: false });
    const badRemote = asFailure(await thrown(() => env.run(t.runTests, { scenario: 'never-built', node: 'n1', kinds: ['tcp' as const], pairs: [], remote: [{ node: 'n2', vmIndex: 0, ip: '10.0.0.3', tcp: 70000 }] })));
    expect(badRemote.message).toMatch(/invalid tests\.remote\.0\.tcp/);
  });
});

describe('agent activities', () => {
  let stateDir: string;
  let pluginDir: string;
  beforeAll(() => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'merak-fail-'));
    pluginDir = mkdtempSync(path.join(tmpdir(), 'merak-fail-plugins-'));
    // A real executable endpoint plugin that refuses every command, as the protocol says a plugin refuses.
    const file = path.join(pluginDir, 'refuses');
    writeFileSync(file, '#!/bin/sh\necho \'{"code":"NO_QUOTA","message":"quota exhausted"}\'\nexit 1\n');
    chmodSync(file, 0o755);
  });
  afterAll(() => {
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(pluginDir, { recursive: true, force: true });
  });
  const agent = () =>
    createAgentActivities({ mode: 'local', runner: spawnRunner, records: new FileOwnerRecords(stateDir), plugins: createPluginRegistry({ runner: spawnRunner, dirs: [pluginDir] }) });

  it('a malformed payload is final and names the field, before anything is made', async () => {
    const a = agent();
    const env = mockEnv();
    const f = asFailure(await thrown(() => env.run(a.createVms, { scenario: 's1', node: 'n1', from: 0, count: -5, plugin: 'none' })));
    expect(f).toMatchObject({ type: 'InvalidInputError', nonRetryable: true });
    expect(f.message).toMatch(/invalid vms\.count: -5/);
    const g = asFailure(await thrown(() => env.run(a.ensureNode, { scenario: 's1', node: 'n1', nodeSlot: 0, plugin: '../bin/sh' })));
    expect(g).toMatchObject({ type: 'InvalidInputError', nonRetryable: true });
    expect(await a.nodeInfo({ scenario: 's1', node: 'n1', plugin: 'none' })).toMatchObject({ present: false, vms: 0 });
  });

  it('an endpoint plugin that is not installed, or refuses, is final', async () => {
    const a = agent();
    const env = mockEnv();
    const missing = asFailure(await thrown(() => env.run(a.ensureNode, { scenario: 's2', node: 'n1', nodeSlot: 0, plugin: 'not-installed' })));
    expect(missing).toMatchObject({ type: 'PluginNotFoundError', nonRetryable: true });
    const refused = asFailure(await thrown(() => env.run(a.ensureNode, { scenario: 's2', node: 'n1', nodeSlot: 0, plugin: 'refuses' })));
    expect(refused).toMatchObject({ type: 'EndpointPluginError', nonRetryable: true, details: [{ plugin: 'refuses', command: 'VERSION', code: 'NO_QUOTA' }] });
    expect(refused.message).toMatch(/endpoint plugin refuses VERSION failed \[NO_QUOTA\]: quota exhausted/);
  });
});
