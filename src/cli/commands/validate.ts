import { Command, Option } from 'commander';
import { checkScenarioFile } from '../spec-file';
import { issuesJson, issuesText, planJson, planText } from '../plan-output';

export interface ValidateOptions {
  output: 'table' | 'json';
  /** Nodes are local namespaces (as `merak up` makes them); false with --no-local. @default true */
  local: boolean;
}

/**
 * Checks a scenario file and prints its plan (stdout) or every issue (stderr; stdout with
 * `-o json`). Starts nothing and needs neither Temporal nor root. Sets a non-zero exit code when
 * the file is refused. Returns whether it was valid.
 */
export async function validateFile(file: string, options: ValidateOptions): Promise<boolean> {
  let result: Awaited<ReturnType<typeof checkScenarioFile>>;
  try {
    result = await checkScenarioFile(file, { local: options.local });
  } catch (err) {
    // Unreadable or not YAML at all: still one issue in the same shape, for CI.
    result = { ok: false, issues: [{ path: '(file)', value: file, rule: (err as Error).message }] };
  }
  if (result.ok) {
    process.stdout.write(options.output === 'json' ? `${JSON.stringify(planJson(file, result), null, 2)}\n` : planText(file, result));
    return true;
  }
  if (options.output === 'json') process.stdout.write(`${JSON.stringify(issuesJson(file, result.issues), null, 2)}\n`);
  else process.stderr.write(issuesText(file, result.issues));
  process.exitCode = 1;
  return false;
}

export function register(program: Command): void {
  program
    .command('validate')
    .description('check a scenario file without starting anything (no Temporal, no daemons, no root) and print the plan: nodes, VMs, addresses per subnet, what the network plugin is asked for')
    .requiredOption('-f, --file <file>', 'scenario file (YAML or JSON)')
    .option('--no-local', 'the nodes are not local namespaces (agents run elsewhere, e.g. in pods): given node addresses need not lie in underlay.cidr')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (flags: { file: string; local: boolean; output: 'table' | 'json' }) => {
      await validateFile(flags.file, { output: flags.output, local: flags.local });
    });
}
