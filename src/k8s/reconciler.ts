import { applyNodeChanges, changeCount, jsonBytes, nodesNamed, splitNodeChanges, type NodeChanges } from '../model/node-changes';
import type { ScenarioSpec } from '../model/spec';
import { hasMerakAnnotations, type NodeAnnotations } from './annotations';
import type { ScenarioMappingError } from './errors';
import type { EventRecorder, EventSubject } from './event-body';
import { describeError, type Logger } from './log';
import { buildScenario, configMapRefOf, isNode, parsePod, scenarioOf, type AnnotatedPod, type ConfigMapView, type DesiredScenario, type PodView } from './mapping';
import { planScenario, type ScenarioAction } from './plan';
import type { ScenarioDriver } from './scenario-driver';

// The controller's bookkeeping, apart from where events come from (informers) and where
// actions go (a ScenarioDriver): it keeps the current pods and ConfigMaps, the last good
// annotations of each pod, and per scenario what it last made the workflow hold. Each scenario
// is reconciled by one loop at a time; changes arriving meanwhile are folded into one more pass.
//
// "Nothing changes" on bad input: a pod whose annotations do not parse keeps its last good
// values (or is no node, if it never had any); a scenario whose spec does not build keeps what
// the workflow holds. Either way an Event on the object at fault and a log line say why.

export interface ReconcilerOptions {
  driver: ScenarioDriver;
  events: EventRecorder;
  log: Logger;
  /** Delay before reconciling after a change, to fold bursts (a StatefulSet scaling) into one pass. Default 200 ms. */
  settleMs?: number;
  /** First retry delay after a failed Temporal call; doubles up to {@link maxRetryMs}. Default 1 s. */
  retryMs?: number;
  /** Longest retry delay. Default 30 s. */
  maxRetryMs?: number;
  /**
   * Namespaces this controller watches. At start-up, running scenario workflows that a
   * controller started for pods of these namespaces, and that have no node now, are torn down.
   * Default: none (that start-up check is off: scenarios of other namespaces belong to other
   * controllers, and a controller that does not know its namespaces must not touch them).
   */
  watchedNamespaces?: readonly string[];
}

interface ScenarioState {
  /** What this controller last made the workflow hold; undefined: nothing known. */
  sent?: ScenarioSpec;
  running: boolean;
  dirty: boolean;
  timer?: NodeJS.Timeout;
  retryMs: number;
  /** Last mapping problem reported, so the same one is not reported on every pass. */
  reported?: string;
  /** Node changes the workflow refused, by node (the change and the reason), so they are reported once. */
  refused: Map<string, string>;
  /** A controller started this workflow and it is running; if no node is left now, tear it down. */
  orphanCheck?: boolean;
}

export interface ReconcilerStats {
  actions: number;
  failures: number;
  /** `nodes` messages the workflow accepted, and their bytes of JSON (what its history stores of them). */
  nodeMessages: number;
  nodeMessageBytes: number;
}

export class ScenarioReconciler {
  private readonly pods = new Map<string, PodView>();
  private readonly good = new Map<string, NodeAnnotations>();
  private readonly reportedPods = new Map<string, string>();
  private readonly configMaps = new Map<string, ConfigMapView>();
  private readonly scenarios = new Map<string, ScenarioState>();
  private readonly settleMs: number;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;
  private active = false;
  private stopped = false;
  readonly stats: ReconcilerStats = { actions: 0, failures: 0, nodeMessages: 0, nodeMessageBytes: 0 };

  constructor(private readonly options: ReconcilerOptions) {
    this.settleMs = options.settleMs ?? 200;
    this.retryMs = options.retryMs ?? 1_000;
    this.maxRetryMs = options.maxRetryMs ?? 30_000;
  }

  /** Starts acting on changes; before this, changes only fill the caches (the initial list). */
  async activate(): Promise<void> {
    this.active = true;
    // Scenarios a controller started earlier whose pods all went away while none was watching.
    let managed: { name: string; namespace: string }[] = [];
    if ((this.options.watchedNamespaces ?? []).length > 0) {
      try {
        managed = await this.options.driver.listManaged();
      } catch (err) {
        this.options.log.warn('cannot list running scenario workflows; a scenario whose pods all went away while no controller ran stays up until torn down by hand (merak down)', { error: describeError(err) });
      }
    }
    const watched = new Set(this.options.watchedNamespaces ?? []);
    for (const { name, namespace } of managed) {
      // Only scenarios of namespaces this controller watches: another controller owns the rest.
      if (watched.has(namespace)) this.state(name).orphanCheck = true;
    }
    for (const name of new Set([...this.groups().keys(), ...this.scenarios.keys()])) this.schedule(name, 0);
  }

  stop(): void {
    this.stopped = true;
    for (const s of this.scenarios.values()) clearTimeout(s.timer);
  }

  /** True when no scenario has work pending or in flight. */
  idle(): boolean {
    return [...this.scenarios.values()].every((s) => !s.running && !s.dirty && s.timer === undefined);
  }

  upsertPod(pod: PodView): void {
    const before = this.scenarioOfUid(pod.uid);
    this.pods.set(pod.uid, pod);
    if (!hasMerakAnnotations(pod.annotations)) {
      this.good.delete(pod.uid);
      this.reportedPods.delete(pod.uid);
    } else {
      const parsed = parsePod(pod);
      if (parsed.ok) {
        this.good.set(pod.uid, parsed.value.annotations);
        this.reportedPods.delete(pod.uid);
      } else {
        const signature = parsed.errors.map((e) => e.message).join('\n');
        if (this.reportedPods.get(pod.uid) !== signature) {
          this.reportedPods.set(pod.uid, signature);
          for (const e of parsed.errors) {
            this.options.log.warn('invalid annotation; the pod keeps its last good values', { pod: `${pod.namespace}/${pod.name}`, key: e.key, value: e.value, rule: e.rule });
          }
          this.emit({ kind: 'Pod', namespace: pod.namespace, name: pod.name, uid: pod.uid }, 'InvalidAnnotation', parsed.errors.map((e) => e.message).join('; '));
        }
      }
    }
    const after = this.scenarioOfUid(pod.uid);
    if (before) this.schedule(before);
    if (after && after !== before) this.schedule(after);
  }

  deletePod(pod: Pick<PodView, 'uid'>): void {
    const before = this.scenarioOfUid(pod.uid);
    this.pods.delete(pod.uid);
    this.good.delete(pod.uid);
    this.reportedPods.delete(pod.uid);
    if (before) this.schedule(before);
  }

  upsertConfigMap(cm: ConfigMapView): void {
    this.configMaps.set(`${cm.namespace}/${cm.name}`, cm);
    this.scheduleUsersOf(cm.namespace, cm.name);
  }

  deleteConfigMap(cm: Pick<ConfigMapView, 'namespace' | 'name'>): void {
    this.configMaps.delete(`${cm.namespace}/${cm.name}`);
    this.scheduleUsersOf(cm.namespace, cm.name);
  }

  /** What the controller believes the workflow holds (for status output and tests). */
  sentSpec(scenario: string): ScenarioSpec | undefined {
    return this.scenarios.get(scenario)?.sent;
  }

  private scheduleUsersOf(namespace: string, name: string): void {
    for (const [scenario, members] of this.groups()) {
      const ref = configMapRefOf(scenario, members);
      if (ref.ok && ref.namespace === namespace && ref.name === name) this.schedule(scenario);
    }
  }

  private scenarioOfUid(uid: string): string | undefined {
    const pod = this.pods.get(uid);
    const ann = this.good.get(uid);
    return pod && ann ? scenarioOf(pod, ann) : undefined;
  }

  private annotatedPods(): AnnotatedPod[] {
    const out: AnnotatedPod[] = [];
    for (const [uid, annotations] of this.good) {
      const pod = this.pods.get(uid);
      if (pod) out.push({ pod, annotations });
    }
    return out;
  }

  private groups(): Map<string, AnnotatedPod[]> {
    const groups = new Map<string, AnnotatedPod[]>();
    for (const p of this.annotatedPods()) {
      const key = scenarioOf(p.pod, p.annotations);
      groups.set(key, [...(groups.get(key) ?? []), p]);
    }
    return groups;
  }

  private state(name: string): ScenarioState {
    let s = this.scenarios.get(name);
    if (!s) {
      s = { running: false, dirty: false, retryMs: this.retryMs, refused: new Map() };
      this.scenarios.set(name, s);
    }
    return s;
  }

  private schedule(name: string, delay = this.settleMs): void {
    const s = this.state(name);
    s.dirty = true;
    if (!this.active || this.stopped || s.running || s.timer) return;
    s.timer = setTimeout(() => {
      s.timer = undefined;
      void this.run(name);
    }, delay);
  }

  private async run(name: string): Promise<void> {
    const s = this.state(name);
    if (s.running || this.stopped) return;
    s.running = true;
    s.dirty = false;
    let retry = false;
    try {
      await this.reconcile(name, s);
      s.retryMs = this.retryMs;
    } catch (err) {
      this.stats.failures += 1;
      retry = true;
      this.options.log.warn('reconcile failed; retrying', { scenario: name, error: describeError(err), retryInMs: s.retryMs });
    } finally {
      s.running = false;
    }
    if (this.stopped) return;
    if (retry) {
      const wait = s.retryMs;
      s.retryMs = Math.min(this.maxRetryMs, s.retryMs * 2);
      this.schedule(name, wait);
    } else if (s.dirty) {
      this.schedule(name, 0);
    } else if (s.sent === undefined && !s.orphanCheck && !this.groups().has(name)) {
      this.scenarios.delete(name);
    }
  }

  private desired(name: string, s: ScenarioState): DesiredScenario | undefined | 'invalid' {
    const members = this.groups().get(name) ?? [];
    if (!members.some((m) => isNode(m.pod))) return undefined;
    const ref = configMapRefOf(name, members);
    const cm = ref.ok ? this.configMaps.get(`${ref.namespace}/${ref.name}`) : undefined;
    const built = buildScenario(name, members, cm);
    if (built.ok) {
      s.reported = undefined;
      return built.desired;
    }
    this.reportMapping(name, s, built.error, members, ref.ok ? ref : undefined);
    return 'invalid';
  }

  private reportMapping(name: string, s: ScenarioState, error: ScenarioMappingError, members: AnnotatedPod[], cm: { namespace: string; name: string } | undefined): void {
    if (s.reported === error.message) return;
    s.reported = error.message;
    this.options.log.warn('scenario not changed: its pods and ConfigMap do not make a valid spec', { scenario: name, subject: error.subject, problem: error.problem });
    const podSubjects = members.map((m): EventSubject => ({ kind: 'Pod', namespace: m.pod.namespace, name: m.pod.name, uid: m.pod.uid }));
    const cmSubject: EventSubject[] = cm && this.configMaps.has(`${cm.namespace}/${cm.name}`) ? [{ kind: 'ConfigMap', namespace: cm.namespace, name: cm.name }] : [];
    const subjects = error.fixIn === 'pods' || cmSubject.length === 0 ? podSubjects : error.fixIn === 'configmap' ? cmSubject : [...cmSubject, ...podSubjects];
    for (const subject of subjects) this.emit(subject, 'InvalidScenario', error.message);
  }

  private emit(subject: EventSubject, reason: string, message: string): void {
    this.options.events.record({ subject, type: 'Warning', reason, message }).catch((err: unknown) => {
      this.options.log.error('cannot record event', { object: `${subject.kind} ${subject.namespace}/${subject.name}`, reason, error: describeError(err) });
    });
  }

  private async reconcile(name: string, s: ScenarioState): Promise<void> {
    const desired = this.desired(name, s);
    if (desired === 'invalid') return;
    // Found running at start-up: with nodes it is adopted by start (already running → apply);
    // without, it lost its last pod while no controller watched.
    const actions: ScenarioAction[] = s.orphanCheck && !desired && !s.sent ? [{ kind: 'teardown' }] : planScenario(s.sent, desired);
    for (const action of actions) {
      await this.execute(name, s, action, desired);
    }
    s.orphanCheck = false;
  }

  private async execute(name: string, s: ScenarioState, action: ScenarioAction, desired: DesiredScenario | undefined): Promise<void> {
    const { driver, log } = this.options;
    this.stats.actions += 1;
    switch (action.kind) {
      case 'start': {
        if (!desired) return;
        const started = await driver.start(name, action.input, desired.namespace);
        if (started === 'already-running') {
          // Another controller, or this one before a restart, started it: hand over the current
          // spec so nothing that changed meanwhile is missed (apply is idempotent).
          const sent = await driver.apply(name, action.input);
          if (sent === 'not-running') throw new Error(`workflow of scenario ${name} ended between start and apply`);
          log.info('scenario already running; applied the current spec', { scenario: name, nodes: desired.spec.nodes.length });
        } else {
          log.info('scenario started', { scenario: name, nodes: desired.spec.nodes.map((n) => n.name).join(',') });
        }
        s.sent = desired.spec;
        s.refused.clear();
        return;
      }
      case 'apply': {
        if (!desired) return;
        const r = await driver.apply(name, action.input);
        if (r === 'not-running') {
          // The workflow ended (torn down from the CLI, failed): start a new one on the next pass.
          log.warn('scenario workflow is not running; starting it again', { scenario: name });
          s.sent = undefined;
          s.dirty = true;
          return;
        }
        log.info('scenario spec applied', { scenario: name, nodes: desired.spec.nodes.map((n) => n.name).join(',') });
        s.sent = desired.spec;
        s.refused.clear();
        return;
      }
      case 'nodes': {
        if (!desired || !s.sent) return;
        await this.sendNodes(name, s, action.changes, desired);
        return;
      }
      case 'teardown': {
        const r = await driver.teardown(name);
        log.info(r === 'sent' ? 'no node left; scenario torn down' : 'no node left; scenario workflow already gone', { scenario: name });
        s.sent = undefined;
        s.refused.clear();
        return;
      }
    }
  }

  /**
   * Sends one nodes message. A refused message of several nodes is sent again in halves, so the
   * others go through and the refusal lands on the node at fault (a refused update is not
   * stored in the history: the retries cost round trips only).
   */
  private async sendNodes(name: string, s: ScenarioState, changes: NodeChanges, desired: DesiredScenario): Promise<void> {
    const { driver, log } = this.options;
    const r = await driver.nodes(name, changes);
    if (r.kind === 'not-running') {
      log.warn('scenario workflow is not running; starting it again', { scenario: name });
      s.sent = undefined;
      s.dirty = true;
      return;
    }
    const named = nodesNamed(changes);
    if (r.kind === 'accepted') {
      const bytes = jsonBytes(changes);
      this.stats.nodeMessages += 1;
      this.stats.nodeMessageBytes += bytes;
      log.info('nodes changed', { scenario: name, added: changes.add?.length ?? 0, removed: changes.remove?.length ?? 0, scaled: changes.scale?.length ?? 0, bytes, nodes: named.slice(0, 5).join(',') + (named.length > 5 ? ',…' : '') });
      for (const n of named) s.refused.delete(n);
      // What the workflow now holds, as the spec reads it (the entries sent leave defaults out).
      const asSpec = new Map(desired.spec.nodes.map((n) => [n.name, n]));
      s.sent = applyNodeChanges(s.sent!, changes.add ? { ...changes, add: changes.add.map((n) => asSpec.get(n.name) ?? n) } : changes, { bounded: false }) as ScenarioSpec;
      return;
    }
    if (named.length > 1) {
      for (const half of splitNodeChanges(changes, Math.ceil(changeCount(changes) / 2), Number.MAX_SAFE_INTEGER)) {
        if (!s.sent) return;
        await this.sendNodes(name, s, half, desired);
      }
      return;
    }
    const node = named[0]!;
    const key = `${JSON.stringify(changes)}: ${r.reason}`;
    if (s.refused.get(node) === key) return;
    s.refused.set(node, key);
    const scaled = changes.scale?.[0];
    log.warn('node change refused by the scenario workflow; nothing changed', { scenario: name, node, change: scaled ? `vms=${scaled.vms}` : changes.add ? 'add' : 'remove', reason: r.reason });
    const pod = desired.pods.get(node);
    if (!pod) return;
    const subject = { kind: 'Pod' as const, namespace: pod.namespace, name: pod.name, uid: pod.uid };
    if (scaled) this.emit(subject, 'ScaleRefused', `meraksim.com/num_vms=${scaled.vms}: ${r.reason}`);
    else this.emit(subject, 'NodeRefused', r.reason);
  }
}
