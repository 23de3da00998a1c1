/** Base class of the Kubernetes integration's errors, so callers can catch them as a family. */
export class KubernetesIntegrationError extends Error {
  override readonly name: string = 'KubernetesIntegrationError';
}

/** Identifies a pod in messages: `namespace/name`. */
export interface PodRef {
  namespace: string;
  name: string;
}

export function podRefText(pod: PodRef): string {
  return `${pod.namespace}/${pod.name}`;
}

/**
 * One `meraksim.com/*` annotation with a bad value. Names the pod, the key, the value (as
 * written, JSON-quoted so blanks show) and the rule it broke.
 */
export class AnnotationError extends KubernetesIntegrationError {
  override readonly name = 'AnnotationError';
  constructor(
    readonly pod: PodRef,
    readonly key: string,
    readonly value: string,
    readonly rule: string,
  ) {
    super(`pod ${podRefText(pod)}: annotation ${key}=${JSON.stringify(value)} is invalid: ${rule}`);
  }
}

/**
 * A scenario's pods and ConfigMap do not make a valid scenario spec (missing ConfigMap, bad
 * ConfigMap data, a spec the schema refuses). `subject` names the object at fault.
 */
export class ScenarioMappingError extends KubernetesIntegrationError {
  override readonly name = 'ScenarioMappingError';
  constructor(
    readonly scenario: string,
    /** The object at fault, e.g. `configmap merak/merak-scenario` or `pod merak/agent-0`. */
    readonly subject: string,
    readonly problem: string,
    /**
     * Where the fix goes, so Events land there: the ConfigMap's content, the pods (their
     * annotations, names, namespace), or either (a subnet too small for the VMs the pods ask for).
     */
    readonly fixIn: 'configmap' | 'pods' | 'both' = 'pods',
  ) {
    super(`scenario ${scenario}: ${subject}: ${problem}`);
  }
}

/** A controller option (namespace list, label selector, resync) has a bad value. */
export class ControllerOptionError extends KubernetesIntegrationError {
  override readonly name = 'ControllerOptionError';
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly rule: string,
  ) {
    super(`${field}: ${JSON.stringify(value)} is invalid: ${rule}`);
  }
}
