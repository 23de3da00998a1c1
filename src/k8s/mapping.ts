import { parseYamlStrict } from '../model/yaml-strict';
import { checkSpec, formatIssue, type ScenarioInput, type ScenarioSpec } from '../model/spec';
import { DEFAULT_CONFIGMAP, checkScenarioName, parseNodeAnnotations, type NodeAnnotations } from './annotations';
import { ScenarioMappingError, type AnnotationError, type PodRef } from './errors';

// Pods + ConfigMap → scenario spec, pure. Written down for users in docs/kubernetes.md:
// - a pod with any meraksim.com/* annotation belongs to the scenario its `scenario`
//   annotation names, else to the scenario named like its namespace;
// - the scenario's network (plugin, VPCs, subnets, dataplane, defaults) is the document under
//   key `scenario.yaml` of a ConfigMap in that namespace, named by the `configmap` annotation
//   or `merak-scenario`;
// - every pod that is Running, has an IP and is not being deleted is a node: name = pod name,
//   underlay IP = pod IP, VMs / endpoints per VM / tests from its annotations.

/** ConfigMap key holding the scenario's network part (YAML or JSON). */
export const CONFIGMAP_KEY = 'scenario.yaml';

/** Spec fields the controller derives from pods; a ConfigMap that sets them is refused. */
export const CONTROLLER_OWNED_FIELDS = ['name', 'nodes', 'placement'] as const;

/** The parts of a pod the mapping reads (kept apart from client types so this file stays pure). */
export interface PodView {
  namespace: string;
  name: string;
  uid: string;
  annotations: Record<string, string>;
  phase?: string;
  podIP?: string;
  /** metadata.deletionTimestamp is set: the agent is going away. */
  deleting: boolean;
}

export interface ConfigMapView {
  namespace: string;
  name: string;
  data: Record<string, string>;
}

/** A pod whose annotations parsed, with what they say. */
export interface AnnotatedPod {
  pod: PodView;
  annotations: NodeAnnotations;
}

export function podRef(pod: Pick<PodView, 'namespace' | 'name'>): PodRef {
  return { namespace: pod.namespace, name: pod.name };
}

/** The scenario a pod belongs to. */
export function scenarioOf(pod: Pick<PodView, 'namespace'>, annotations: NodeAnnotations): string {
  return annotations.scenario ?? pod.namespace;
}

/** Whether a pod counts as a node now: its agent runs and is reachable. */
export function isNode(pod: PodView): boolean {
  return pod.phase === 'Running' && pod.podIP !== undefined && pod.podIP !== '' && !pod.deleting;
}

export type PodParse = { ok: true; value: AnnotatedPod } | { ok: false; errors: AnnotationError[] };

export function parsePod(pod: PodView): PodParse {
  const r = parseNodeAnnotations(podRef(pod), pod.annotations);
  return r.ok ? { ok: true, value: { pod, annotations: r.value } } : r;
}

/** Groups annotated pods by scenario; groups and members come out sorted by name, so output is deterministic. */
export function groupByScenario(pods: readonly AnnotatedPod[]): Map<string, AnnotatedPod[]> {
  const groups = new Map<string, AnnotatedPod[]>();
  for (const p of [...pods].sort((a, b) => a.pod.namespace.localeCompare(b.pod.namespace) || a.pod.name.localeCompare(b.pod.name))) {
    const key = scenarioOf(p.pod, p.annotations);
    const list = groups.get(key) ?? [];
    list.push(p);
    groups.set(key, list);
  }
  return new Map([...groups.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

/** Where a group's network comes from: namespace and ConfigMap name (or a mapping error). */
export function configMapRefOf(scenario: string, members: readonly AnnotatedPod[]): { ok: true; namespace: string; name: string } | { ok: false; error: ScenarioMappingError } {
  const namespaces = [...new Set(members.map((m) => m.pod.namespace))];
  if (namespaces.length > 1) {
    return {
      ok: false,
      error: new ScenarioMappingError(scenario, `pods ${members.map((m) => `${m.pod.namespace}/${m.pod.name}`).join(', ')}`, `pods of one scenario must be in one namespace, found ${namespaces.join(', ')}; give them different meraksim.com/scenario values`),
    };
  }
  const names = [...new Set(members.map((m) => m.annotations.configMap ?? DEFAULT_CONFIGMAP))];
  if (names.length > 1) {
    return {
      ok: false,
      error: new ScenarioMappingError(scenario, `namespace ${namespaces[0]}`, `its pods name different ConfigMaps (${names.join(', ')}) in meraksim.com/configmap; one scenario has one network`),
    };
  }
  return { ok: true, namespace: namespaces[0] ?? '', name: names[0] ?? DEFAULT_CONFIGMAP };
}

/** The desired state of one scenario, both as sent to the workflow and as the workflow will read it. */
export interface DesiredScenario {
  name: string;
  namespace: string;
  input: ScenarioInput;
  spec: ScenarioSpec;
  /** Node name → pod, for reporting problems on the right object. */
  pods: Map<string, PodView>;
}

export type MappingResult = { ok: true; desired: DesiredScenario } | { ok: false; error: ScenarioMappingError };

function fail(scenario: string, subject: string, problem: string, fixIn: 'configmap' | 'pods' | 'both' = 'pods'): MappingResult {
  return { ok: false, error: new ScenarioMappingError(scenario, subject, problem, fixIn) };
}

/**
 * Builds one scenario's spec from its annotated pods (all of them; only nodes count) and its
 * ConfigMap (undefined: not found). Validates it with the spec's own rules, so whatever it
 * returns the workflow accepts; errors name the object at fault (ConfigMap, pod, annotation).
 * Call it for groups with at least one node: a scenario of no nodes is torn down, not built.
 */
export function buildScenario(scenario: string, members: readonly AnnotatedPod[], configMap: ConfigMapView | undefined): MappingResult {
  const ref = configMapRefOf(scenario, members);
  if (!ref.ok) return ref;
  const cmText = `configmap ${ref.namespace}/${ref.name}`;
  const nameRule = checkScenarioName(scenario);
  if (nameRule) {
    const annotated = members.some((m) => m.annotations.scenario !== undefined);
    return fail(scenario, annotated ? 'annotation meraksim.com/scenario' : `namespace ${ref.namespace}`, `cannot name a scenario: ${nameRule}${annotated ? '' : '; set meraksim.com/scenario on the pods'}`);
  }
  if (!configMap) return fail(scenario, cmText, `not found; create it with the scenario's network under key "${CONFIGMAP_KEY}"`);
  const text = configMap.data[CONFIGMAP_KEY];
  if (text === undefined) return fail(scenario, cmText, `has no key "${CONFIGMAP_KEY}" (keys: ${Object.keys(configMap.data).join(', ') || 'none'})`, 'configmap');
  let doc: unknown;
  try {
    const read = parseYamlStrict(text);
    // The same rule as for scenario files: a value YAML 1.1 readers take otherwise is refused.
    if (read.issues.length > 0) {
      return fail(scenario, `${cmText} key ${CONFIGMAP_KEY}`, `has values YAML readers disagree on: ${read.issues.map((i) => `${i.path}: ${JSON.stringify(i.value)} ${i.rule}`).join('; ')}`, 'configmap');
    }
    doc = read.value;
  } catch (err) {
    return fail(scenario, `${cmText} key ${CONFIGMAP_KEY}`, `is not valid YAML: ${(err as Error).message.split('\n')[0]}`, 'configmap');
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    return fail(scenario, `${cmText} key ${CONFIGMAP_KEY}`, 'must be a mapping with the scenario network (plugin, vpcs, ...)', 'configmap');
  }
  const network = doc as Record<string, unknown>;
  const owned = CONTROLLER_OWNED_FIELDS.filter((f) => f in network);
  if (owned.length > 0) {
    return fail(scenario, `${cmText} key ${CONFIGMAP_KEY}`, `sets ${owned.join(', ')}, which the controller derives from the pods; remove ${owned.length > 1 ? 'them' : 'it'}`, 'configmap');
  }

  const nodes = members.filter((m) => isNode(m.pod));
  const pods = new Map<string, PodView>();
  const nodeEntries = nodes.map(({ pod, annotations }) => {
    pods.set(pod.name, pod);
    const entry: Record<string, unknown> = { name: pod.name, ip: pod.podIP };
    if (annotations.vms !== undefined) entry.vms = annotations.vms;
    if (annotations.endpointsPerVm !== undefined) entry.endpointsPerVm = annotations.endpointsPerVm;
    if (annotations.tests !== undefined) entry.tests = annotations.tests;
    return entry;
  });
  // `assign` is the placement whose nodes carry their own VM and endpoint counts.
  const input = { ...network, name: scenario, placement: 'assign', nodes: nodeEntries } as ScenarioInput;
  const checked = checkSpec(input);
  if (!checked.ok) {
    let podIssues = 0;
    let sharedIssues = 0;
    const lines = checked.issues.map((issue) => {
      const m = /^nodes\[(\d+)\]/.exec(issue.path);
      const pod = m ? nodes[Number(m[1])]?.pod : undefined;
      if (pod) podIssues += 1;
      // Capacity rules (a subnet too small for the endpoints, an underlay too small for the
      // nodes) name the ConfigMap's fields, but the pods' counts share the blame.
      else if (/endpoints|nodes/.test(issue.rule)) sharedIssues += 1;
      return pod ? `pod ${pod.namespace}/${pod.name}: ${formatIssue(issue)}` : `${cmText}: ${formatIssue(issue)}`;
    });
    const fixIn = podIssues > 0 ? 'pods' : sharedIssues > 0 ? 'both' : 'configmap';
    return fail(scenario, 'spec', `the scenario made from the pods and ${cmText} is invalid:\n  - ${lines.join('\n  - ')}`, fixIn);
  }
  return { ok: true, desired: { name: scenario, namespace: ref.namespace, input, spec: checked.spec, pods } };
}
