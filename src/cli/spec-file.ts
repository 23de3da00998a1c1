import { readFile } from 'node:fs/promises';
import { checkSpec, SpecError, type ScenarioInput, type ScenarioSpec } from '../model/spec';
import { parseYamlStrict, YamlSyntaxError } from '../model/yaml-strict';

/**
 * Reads a scenario file (YAML or JSON: JSON is YAML) and validates it before anything is built.
 * Plain values that YAML 1.1 readers take differently (`010`, `1:20`, `yes`, …) are refused
 * like any other bad value (src/model/yaml-strict.ts).
 * @throws Error when the file cannot be read or is not YAML; SpecError listing every problem.
 */
export async function readSpecFile(file: string): Promise<{ input: ScenarioInput; spec: ScenarioSpec; text: string }> {
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
  // Every problem at once: the ambiguous values and what the spec rules say of the document.
  const checked = checkSpec(read.value);
  const issues = [...read.issues, ...(checked.ok ? [] : checked.issues)];
  if (issues.length > 0 || !checked.ok) throw new SpecError(issues);
  return { input: read.value as ScenarioInput, spec: checked.spec, text };
}
