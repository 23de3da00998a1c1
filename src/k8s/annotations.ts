import { TEST_KINDS, type TestKind } from '../model/spec';
import { MAX_ENDPOINTS_PER_VM } from '../model/mac';
import { MAX_SCENARIO_NAME_LENGTH } from '../model/names';
import { AnnotationError, type PodRef } from './errors';

// The scenario manager describes each emulated node with annotations on the pod that runs its
// agent. Values are parsed strictly: an annotation is typed by hand, and a silently misread
// value ("5abc" read as 5, "1e9" read as a billion) would build the wrong cloud. Every
// problem is reported at once, so one round of fixes is enough.

/** The annotation prefix. Keys of other prefixes (and sub-domains such as `x.meraksim.com/`) are not ours and are ignored. */
export const ANNOTATION_PREFIX = 'meraksim.com/';

/**
 * Upper bound for `num_vms`, `endpoints_per_vm` and their product on one node. Far above what
 * one host can hold with namespaces (the `none` dataplane can go further on control-plane
 * load); below it a typo like an extra zero still fails loudly instead of exhausting memory.
 */
export const MAX_PER_NODE = 100_000;

/** Annotation keys, without the prefix. */
export const ANNOTATION_KEYS = [
  'scenario',
  'configmap',
  'num_vms',
  'endpoints_per_vm',
  'test_icmp',
  'test_tcp',
  'test_udp',
  'test_iperf',
] as const;
export type AnnotationKey = (typeof ANNOTATION_KEYS)[number];


/** What a pod's annotations say, parsed. Absent optional fields mean "not said here". */
export interface NodeAnnotations {
  /** Scenario group; absent: the pod's namespace. */
  scenario?: string;
  /** ConfigMap (in the pod's namespace) holding the scenario's network; absent: {@link DEFAULT_CONFIGMAP}. */
  configMap?: string;
  /** VMs on this node; absent: the scenario's default from the ConfigMap. */
  vms?: number;
  /** Endpoints per VM on this node; absent: the scenario's default from the ConfigMap. */
  endpointsPerVm?: number;
  /**
   * Tests run from this node's VMs: the flags present and not "false", in {@link TEST_KINDS}
   * order. Absent when the pod has no `test_*` annotation at all, so the scenario's default
   * applies; `test_icmp=false` alone means "no tests from this node".
   */
  tests?: TestKind[];
}

/** ConfigMap name used when a pod does not name one. */
export const DEFAULT_CONFIGMAP = 'merak-scenario';

export type AnnotationParseResult = { ok: true; value: NodeAnnotations } | { ok: false; errors: AnnotationError[] };

/** True when any annotation key is ours: such a pod is an emulated node (or a broken attempt at one). */
export function hasMerakAnnotations(annotations: Readonly<Record<string, string>> | undefined): boolean {
  return annotations !== undefined && Object.keys(annotations).some((k) => k.startsWith(ANNOTATION_PREFIX));
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;


// Used for names that end up in workflow ids (`merak-<scenario>`) and kernel object prefixes;
// the same rule as the spec's `name`, checked here so the error names the annotation.
export function checkScenarioName(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty (remove the annotation to use the pod namespace)';
  if (value.length > MAX_SCENARIO_NAME_LENGTH) return `must be at most ${MAX_SCENARIO_NAME_LENGTH} characters, got ${value.length}`;
  if (!DNS_LABEL.test(value)) return 'must be lowercase letters, digits and inner "-", starting and ending with a letter or digit';
  return undefined;
}

// Kubernetes object names are DNS subdomains (RFC 1123): dot-separated labels, 253 characters at most.
function checkConfigMapName(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty (remove the annotation to use the default name "merak-scenario")';
  if (value.length > 253) return `must be at most 253 characters, got ${value.length}`;
  if (!value.split('.').every((label) => label.length <= 63 && DNS_LABEL.test(label))) {
    return 'must be a Kubernetes object name: lowercase letters, digits, "-" and ".", each dot-separated part starting and ending with a letter or digit';
  }
  return undefined;
}

/**
 * A count: plain decimal digits only. No sign (`+5`, `-1`), no blanks (` 5`), no exponent
 * (`1e9`), no fraction (`5.0`), no hex (`0x5`), no leading zero (`05`, which some readers take
 * as octal), between `min` and `max` (default {@link MAX_PER_NODE}).
 */
export function parseCount(value: string, min: number, max: number = MAX_PER_NODE): { ok: true; value: number } | { ok: false; rule: string } {
  if (value.length === 0) return { ok: false, rule: 'must not be empty (remove the annotation to use the scenario default)' };
  if (!/^(0|[1-9][0-9]*)$/.test(value)) {
    return { ok: false, rule: 'must be a whole number written with digits only (no sign, blanks, exponent, fraction or leading zero)' };
  }
  // Compare as text first so "99999999999999999999" is not rounded by Number() before the check.
  if (value.length > String(max).length || Number(value) > max) {
    return { ok: false, rule: `must be at most ${max}` };
  }
  const n = Number(value);
  if (n < min) return { ok: false, rule: `must be at least ${min}` };
  return { ok: true, value: n };
}

/**
 * A test flag: present with an empty value or `true` means on, `false` means off, absent
 * means off. Anything else (`yes`, `1`, `True`, ` true`) is refused rather than guessed.
 */
export function parseFlag(value: string): { ok: true; value: boolean } | { ok: false; rule: string } {
  if (value === '' || value === 'true') return { ok: true, value: true };
  if (value === 'false') return { ok: true, value: false };
  return { ok: false, rule: 'must be "true", "false" or empty (empty means true)' };
}

function isKnownKey(key: string): key is AnnotationKey {
  return (ANNOTATION_KEYS as readonly string[]).includes(key);
}

/**
 * Parses a pod's `meraksim.com/*` annotations. Returns every problem found, each naming the
 * pod, the key and the value; other annotations are ignored.
 */
export function parseNodeAnnotations(pod: PodRef, annotations: Readonly<Record<string, string>> | undefined): AnnotationParseResult {
  const errors: AnnotationError[] = [];
  const out: NodeAnnotations = {};
  const flags = new Set<TestKind>();
  let anyFlag = false;
  const fail = (key: string, value: string, rule: string): void => {
    errors.push(new AnnotationError(pod, key, value, rule));
  };

  // Sorted so errors come out in the same order however the API server ordered the map.
  for (const fullKey of Object.keys(annotations ?? {}).sort()) {
    if (!fullKey.startsWith(ANNOTATION_PREFIX)) continue;
    const value = (annotations ?? {})[fullKey] ?? '';
    const key = fullKey.slice(ANNOTATION_PREFIX.length);
    if (!isKnownKey(key)) {
      fail(fullKey, value, `unknown key; known keys are ${ANNOTATION_KEYS.map((k) => ANNOTATION_PREFIX + k).join(', ')}`);
      continue;
    }
    switch (key) {
      case 'scenario': {
        const rule = checkScenarioName(value);
        if (rule) fail(fullKey, value, rule);
        else out.scenario = value;
        break;
      }
      case 'configmap': {
        const rule = checkConfigMapName(value);
        if (rule) fail(fullKey, value, rule);
        else out.configMap = value;
        break;
      }
      case 'num_vms': {
        // Zero is allowed: a node that is present in the underlay but holds no VMs yet.
        const r = parseCount(value, 0);
        if (r.ok) out.vms = r.value;
        else fail(fullKey, value, r.rule);
        break;
      }
      case 'endpoints_per_vm': {
        // The spec's own limit (the MAC layout's endpoint slots per VM), so a value the
        // annotation accepts is never refused later by the spec with another number.
        const r = parseCount(value, 1, MAX_ENDPOINTS_PER_VM);
        if (r.ok) out.endpointsPerVm = r.value;
        else fail(fullKey, value, r.rule);
        break;
      }
      case 'test_icmp':
      case 'test_tcp':
      case 'test_udp':
      case 'test_iperf': {
        const r = parseFlag(value);
        anyFlag = true;
        if (!r.ok) fail(fullKey, value, r.rule);
        else if (r.value) flags.add(key.slice('test_'.length) as TestKind);
        break;
      }
    }
  }

  if (out.vms !== undefined && out.endpointsPerVm !== undefined && out.vms * out.endpointsPerVm > MAX_PER_NODE) {
    const key = `${ANNOTATION_PREFIX}endpoints_per_vm`;
    fail(key, String(out.endpointsPerVm), `num_vms × endpoints_per_vm = ${out.vms * out.endpointsPerVm} endpoints on one node; must be at most ${MAX_PER_NODE}`);
  }
  if (errors.length > 0) return { ok: false, errors };
  if (anyFlag) out.tests = TEST_KINDS.filter((t) => flags.has(t));
  return { ok: true, value: out };
}
