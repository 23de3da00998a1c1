import { resolveWatchNamespaces } from '../../src/cli/commands/controller';
import { EVENT_SOURCE, toCoreEvent } from '../../src/k8s/event-body';
import { ControllerOptionError } from '../../src/k8s/errors';
import { formatLogLine } from '../../src/k8s/log';
import { scenarioFromWorkflowId } from '../../src/k8s/scenario-driver';
import { checkControllerOptions, configMapView, podView } from '../../src/k8s/views';

describe('checkControllerOptions', () => {
  it('accepts namespaces and a selector', () => {
    expect(() => checkControllerOptions(['merak', 'lab-2'], 'app=merak-agent')).not.toThrow();
    expect(() => checkControllerOptions(['merak'], undefined)).not.toThrow();
  });

  it.each([
    [[], undefined, '--watch-namespace', 'at least one'],
    [['Merak'], undefined, '--watch-namespace', 'namespace name'],
    [['a'.repeat(64)], undefined, '--watch-namespace', 'namespace name'],
    [['merak', 'merak'], undefined, '--watch-namespace', 'twice'],
    [['merak'], ' ', '--selector', 'non-empty'],
    [['merak'], 'a=b\nc=d', '--selector', 'non-empty'],
  ])('refuses %j / %j naming %s', (namespaces, selector, field, rule) => {
    let err: unknown;
    try {
      checkControllerOptions(namespaces as string[], selector as string | undefined);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ControllerOptionError);
    expect((err as ControllerOptionError).field).toBe(field);
    expect((err as ControllerOptionError).message).toContain(rule);
  });
});

describe('resolveWatchNamespaces', () => {
  it('takes flags, else MERAK_WATCH_NAMESPACES, else POD_NAMESPACE', () => {
    expect(resolveWatchNamespaces(['a'], { MERAK_WATCH_NAMESPACES: 'b', POD_NAMESPACE: 'c' })).toEqual(['a']);
    expect(resolveWatchNamespaces([], { MERAK_WATCH_NAMESPACES: 'b, d,', POD_NAMESPACE: 'c' })).toEqual(['b', 'd']);
    expect(resolveWatchNamespaces([], { POD_NAMESPACE: 'c' })).toEqual(['c']);
    expect(resolveWatchNamespaces([], {})).toEqual([]);
  });
});

describe('podView / configMapView', () => {
  it('reads what the mapping needs', () => {
    expect(
      podView({
        metadata: { namespace: 'lab', name: 'a', uid: 'u1', annotations: { k: 'v' } },
        status: { phase: 'Running', podIP: '10.0.0.1' },
      }),
    ).toEqual({ namespace: 'lab', name: 'a', uid: 'u1', annotations: { k: 'v' }, phase: 'Running', podIP: '10.0.0.1', deleting: false });
    expect(podView({ metadata: { namespace: 'lab', name: 'a', uid: 'u1', deletionTimestamp: new Date() } })).toMatchObject({ deleting: true, annotations: {} });
    expect(configMapView({ metadata: { namespace: 'lab', name: 'c' } })).toEqual({ namespace: 'lab', name: 'c', data: {} });
  });
});

describe('toCoreEvent', () => {
  it('builds a core/v1 Event on the object, with a generated name and a bounded message', () => {
    const now = new Date('2026-01-02T03:04:05Z');
    const e = toCoreEvent({ subject: { kind: 'Pod', namespace: 'lab', name: 'agent-0', uid: 'u1' }, type: 'Warning', reason: 'InvalidAnnotation', message: 'x'.repeat(2000) }, now, 'ctl-0');
    expect(e.metadata).toEqual({ generateName: 'agent-0.', namespace: 'lab' });
    expect(e.involvedObject).toEqual({ apiVersion: 'v1', kind: 'Pod', namespace: 'lab', name: 'agent-0', uid: 'u1' });
    expect(e).toMatchObject({ type: 'Warning', reason: 'InvalidAnnotation', count: 1, firstTimestamp: now, source: { component: EVENT_SOURCE, host: 'ctl-0' } });
    expect(e.message).toHaveLength(1024);
  });
});

describe('formatLogLine', () => {
  it('quotes values with blanks, quotes or equals signs', () => {
    const line = formatLogLine('WARN', 'invalid annotation', { pod: 'lab/a', value: '5 abc', key: 'meraksim.com/num_vms', n: 3, gone: undefined }, new Date('2026-01-02T03:04:05Z'));
    expect(line).toBe('2026-01-02T03:04:05.000Z WARN invalid annotation pod=lab/a value="5 abc" key=meraksim.com/num_vms n=3');
    expect(formatLogLine('INFO', 'm', { v: '' , q: 'a"b', e: 'a=b' }, new Date(0))).toBe('1970-01-01T00:00:00.000Z INFO m v="" q="a\\"b" e="a=b"');
  });
});

describe('scenarioFromWorkflowId', () => {
  it('reads merak-<scenario> ids only', () => {
    expect(scenarioFromWorkflowId('merak-lab')).toBe('lab');
    expect(scenarioFromWorkflowId('merak-node-x')).toBe('node-x');
    expect(scenarioFromWorkflowId('other-lab')).toBeUndefined();
    expect(scenarioFromWorkflowId('merak-Lab')).toBeUndefined();
  });
});
