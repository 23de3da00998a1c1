import { Command, Option } from 'commander';
import { collectVersions, versionsText } from '../versions';

export function register(program: Command): void {
  // `merak --version` (and -V): the text form, then exit, as commander's own version option does.
  program
    .option('-V, --version', "print Merak's version and those of what it drives (Temporal CLI and its dev server, TypeScript SDK, Node.js)")
    .on('option:version', () => {
      process.stdout.write(versionsText(collectVersions()));
      process.exit(0);
    });
  program
    .command('version')
    .description("print Merak's version and those of what it drives (-o json for CI)")
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .action((flags: { output: 'table' | 'json' }) => {
      const v = collectVersions();
      process.stdout.write(flags.output === 'json' ? `${JSON.stringify(v, null, 2)}\n` : versionsText(v));
    });
}
