import { readFile } from 'node:fs/promises';
import { localNodeIssues } from '../model/address-rules';
import { planScenario, type ScenarioPlan } from '../model/preview';
import { checkSpec, nodeAddressesOf, SpecError, type ScenarioInput, type ScenarioSpec, type SpecIssue } from '../model/spec';
import { parseYamlStrict, YamlSyntaxError } from '../model/yaml-strict';
import { payloadSizeProblem, TEMPORAL_PAYLOAD_LIMIT_BYTES, workflowInputBytes } from '../temporal/payload-size';

/** A scenario file that passed every check `merak up` makes before it starts anything. */
export interface CheckedScenarioFile {
  ok: true;
  /** The document as read (YAML 1.2); the workflow's input. */
  input: ScenarioInput;
  /** The validated spec with defaults. */
  spec: ScenarioSpec;
  /** What the first build will do. */
  plan: ScenarioPlan;
  /** Size of the workflow input on the wire, and Temporal's limit for it. */
  inputBytes: number;
  limitBytes: number;
}

export interface ScenarioFileOptions {
  /**
   * The nodes are local (namespaces on this machine, `merak up`'s default): a node's given
   * address becomes its underlay address and must lie in underlay.cidr. False for nodes whose
   * agents run elsewhere (pods). @default true
   */
  local?: boolean;
}

/**
 * Reads a scenario file (YAML or JSON: JSON is YAML) and runs every check that needs no server:
 * YAML 1.1 ambiguities (src/model/yaml-strict.ts), the spec rules (src/model/spec.ts), local
 * node addresses, the plan (subnets large enough once whole blocks are reserved) and the size of
 * the workflow input against Temporal's payload limit. Returns every issue at once: when the spec
 * rules refuse the document, the local-address rule still runs over what passed; the plan needs
 * a valid spec and comes once the spec rules pass.
 * @throws Error when the file cannot be read or is not YAML at all.
 */
export async function checkScenarioFile(file: string, options: ScenarioFileOptions = {}): Promise<CheckedScenarioFile | { ok: false; issues: SpecIssue[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read scenario file ${file}: ${(err as Error).message}`);
  }
  let read: ReturnType<typeof parseYamlStrict>;
  try {
    read = parseYamlStrict(text);
  } catch (err) {
    if (err instanceof YamlSyntaxError) throw new Error(`scenario file ${file} is not valid YAML/JSON: ${err.message}`);
    throw err;
  }
  const issues: SpecIssue[] = [...read.issues];
  const inputBytes = workflowInputBytes([read.value]);
  const tooBig = payloadSizeProblem(inputBytes);
  if (tooBig) issues.push({ path: '(scenario)', value: inputBytes, rule: tooBig });
  const checked = checkSpec(read.value);
  if (!checked.ok) {
    // The local-address rule too, over the node addresses that passed their own rules.
    const addresses = (options.local ?? true) ? nodeAddressesOf(read.value) : undefined;
    return { ok: false, issues: [...issues, ...checked.issues, ...(addresses ? localNodeIssues(addresses) : [])] };
  }
  if (options.local ?? true) issues.push(...localNodeIssues(checked.spec));
  const planned = planScenario(checked.spec, read.value as ScenarioInput);
  if (!planned.ok) issues.push(...planned.issues);
  if (issues.length > 0 || !planned.ok) return { ok: false, issues };
  return { ok: true, input: read.value as ScenarioInput, spec: checked.spec, plan: planned.plan, inputBytes, limitBytes: TEMPORAL_PAYLOAD_LIMIT_BYTES };
}

/**
 * Like checkScenarioFile, for commands that go on to build: throws SpecError listing every issue.
 * @throws SpecError; Error when the file cannot be read or is not YAML.
 */
export async function readSpecFile(file: string, options: ScenarioFileOptions = {}): Promise<CheckedScenarioFile> {
  const r = await checkScenarioFile(file, options);
  if (!r.ok) throw new SpecError(r.issues);
  return r;
}
