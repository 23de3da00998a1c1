import { load } from '../scenario-probe';

/** One progress line on stderr, with the time and the machine's load. */
export const log = (line: string): void => {
  process.stderr.write(`bench:scenario ${new Date().toISOString().slice(11, 19)} [load ${load()}] ${line}\n`);
};
