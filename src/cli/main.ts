import { Command } from 'commander';
import { registerCommands } from './commands';

/** The `merak` command line: data to stdout, logs to stderr, non-zero exit on failure. */
async function main(argv: string[]): Promise<void> {
  const program = new Command('merak')
    .description('Cloud-network emulator orchestrated by Temporal')
    .showHelpAfterError()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerCommands(program);
  await program.parseAsync(argv);
}

main(process.argv).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`merak: ${message}\n`);
  process.exitCode = process.exitCode && process.exitCode !== 0 ? process.exitCode : 1;
});
