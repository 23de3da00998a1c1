/**
 * The machine-wide folder where Merak claims what must be unique on this machine whatever state
 * directory or Temporal server a process uses: kernel name tags (dataplane/tags.ts) and scenario
 * numbers (scenario-numbers.ts). A tmpfs by default, emptied by a reboot together with every
 * namespace and link those claims protect.
 */
import { resolve } from 'node:path';

/** Default machine-wide claim folder. */
export const DEFAULT_RUN_DIR = '/run/merak';

/** The claim folder: $MERAK_RUN_DIR, else /run/merak. */
export function runDirFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env.MERAK_RUN_DIR && env.MERAK_RUN_DIR !== '' ? resolve(env.MERAK_RUN_DIR) : DEFAULT_RUN_DIR;
}
