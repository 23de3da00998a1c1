import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { parseSpec, type ScenarioInput, type ScenarioSpec } from '../model/spec';

/** Reads a scenario file (YAML or JSON: JSON is YAML) and validates it before anything is built. */
export async function readSpecFile(file: string): Promise<{ input: ScenarioInput; spec: ScenarioSpec }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read scenario file ${file}: ${(err as Error).message}`);
  }
  let input: unknown;
  try {
    input = parseYaml(text);
  } catch (err) {
    throw new Error(`scenario file ${file} is not valid YAML/JSON: ${(err as Error).message}`);
  }
  const spec = parseSpec(input);
  return { input: input as ScenarioInput, spec };
}
