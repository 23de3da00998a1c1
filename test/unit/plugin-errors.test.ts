import { classifyPluginError, PluginCallError, PluginError, RETRYABLE_BY_STATUS, Status, statusName } from '../../src/plugin/errors';

describe('classifyPluginError', () => {
  // Every gRPC status, with the decision documented in src/plugin/errors.ts and docs/network-plugin.md.
  const table: [keyof typeof Status, boolean][] = [
    ['CANCELLED', true],
    ['UNKNOWN', true],
    ['INVALID_ARGUMENT', false],
    ['DEADLINE_EXCEEDED', true],
    ['NOT_FOUND', false],
    ['ALREADY_EXISTS', false],
    ['PERMISSION_DENIED', false],
    ['RESOURCE_EXHAUSTED', true],
    ['FAILED_PRECONDITION', false],
    ['ABORTED', true],
    ['OUT_OF_RANGE', false],
    ['UNIMPLEMENTED', false],
    ['INTERNAL', true],
    ['UNAVAILABLE', true],
    ['DATA_LOSS', false],
    ['UNAUTHENTICATED', false],
  ];

  it('covers every gRPC status but OK', () => {
    const names = Object.keys(Status).filter((k) => Number.isNaN(Number(k)) && k !== 'OK');
    expect(table.map(([name]) => name).sort()).toEqual(names.sort());
  });

  it.each(table)('%s → retryable %s (grpc-js ServiceError shape)', (name, retryable) => {
    const serviceError = Object.assign(new Error(`${Status[name]} ${name}: boom`), { code: Status[name], details: 'boom', metadata: {} });
    expect(classifyPluginError(serviceError)).toEqual({ retryable, code: name, grpcCode: Status[name], message: 'boom' });
    expect(RETRYABLE_BY_STATUS[name]).toBe(retryable);
  });

  it.each(table)('%s → retryable %s (PluginCallError from the client)', (name, retryable) => {
    const err = new PluginCallError(Status[name], 'the plugin said no', 'CreateVpc', '127.0.0.1:1');
    const c = classifyPluginError(err);
    expect(c.retryable).toBe(retryable);
    expect(c.code).toBe(name);
    expect(c.message).toBe(`CreateVpc on network plugin 127.0.0.1:1 failed with ${name}: the plugin said no`);
  });

  it.each(table)('%s → retryable %s (PluginError thrown by a handler)', (name, retryable) => {
    const c = classifyPluginError(new PluginError(Status[name], 'handler text'));
    expect(c).toEqual({ retryable, code: name, grpcCode: Status[name], message: 'handler text' });
  });

  it('the errors that must fail fast do, and the outages are retried', () => {
    expect(classifyPluginError(PluginError.invalidArgument('x')).retryable).toBe(false);
    expect(classifyPluginError(PluginError.alreadyExists('x')).retryable).toBe(false);
    expect(classifyPluginError(PluginError.failedPrecondition('x')).retryable).toBe(false);
    expect(classifyPluginError(PluginError.notFound('x')).retryable).toBe(false);
    expect(classifyPluginError(PluginError.unavailable('x')).retryable).toBe(true);
  });

  it.each([
    ['a plain Error', new Error('socket hang up'), 'socket hang up'],
    ['a string', 'weird', 'weird'],
    ['undefined', undefined, 'undefined'],
    ['null', null, 'null'],
    ['a Node system error (string code)', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'connect ECONNREFUSED'],
    ['an out-of-range code', Object.assign(new Error('odd'), { code: 99 }), 'odd'],
    ['code OK', Object.assign(new Error('not a failure'), { code: 0 }), 'not a failure'],
    ['a fractional code', Object.assign(new Error('frac'), { code: 3.5 }), 'frac'],
  ])('%s without a gRPC status → UNKNOWN, retryable', (_label, err, message) => {
    expect(classifyPluginError(err)).toEqual({ retryable: true, code: 'UNKNOWN', grpcCode: Status.UNKNOWN, message });
  });

  it('falls back to the message when details are empty', () => {
    const err = Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: Status.UNAVAILABLE, details: '' });
    expect(classifyPluginError(err).message).toBe('14 UNAVAILABLE: No connection established');
  });
});

describe('statusName', () => {
  it('names codes and falls back to UNKNOWN', () => {
    expect(statusName(3)).toBe('INVALID_ARGUMENT');
    expect(statusName(14)).toBe('UNAVAILABLE');
    expect(statusName(42)).toBe('UNKNOWN');
  });
});
