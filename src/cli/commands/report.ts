import { Command, Option } from 'commander';
import { addTemporalOptions, type TemporalFlagValues } from '../../temporal/connection';
import { clientFor, scenarioHandle } from '../scenario-client';
import { collectReport, writeReport } from '../report-output';
import { reportText } from '../../report/scenario-report';

interface ReportFlags extends TemporalFlagValues {
  output: 'table' | 'json';
  html?: string;
  json?: string;
}

const log = (line: string) => process.stderr.write(`merak: ${line}\n`);

export function register(program: Command): void {
  const cmd = program
    .command('report <name>')
    .description('what a scenario measured: time to reachable, latency percentiles per operation, build time per node, SLA gates (JSON, text, or a self-contained HTML page with charts)')
    .option('--html <file>', 'also write the report as one HTML page with its charts (opens without network)')
    .option('--json <file>', 'also write the report JSON to a file')
    .addOption(new Option('-o, --output <format>', 'what to print: a summary (table) or the report JSON').choices(['table', 'json']).default('table'));
  addTemporalOptions(cmd).action(async (name: string, flags: ReportFlags) => {
    const { client, close } = await clientFor(flags);
    try {
      const report = await collectReport(scenarioHandle(client, name));
      if (flags.output === 'json') process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(reportText(report));
      const written = await writeReport(report, { json: flags.json, html: flags.html });
      if (written.json) log(`report JSON written to ${written.json}`);
      if (written.html) log(`report page written to ${written.html}`);
    } finally {
      await close();
    }
  });
}
