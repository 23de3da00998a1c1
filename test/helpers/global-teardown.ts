/**
 * Global teardown of the integration and Alcor projects: a process one of this run's tests
 * started and recorded (test/helpers/test-processes.ts) but did not stop is stopped now by its
 * record, and the run fails naming it. Records whose test process died in an earlier run are
 * stopped too (logged; not this run's fault).
 */
import { stopLeftoversOfRun, stopOrphanedTestProcesses } from './test-processes';

export default async function globalTeardown(): Promise<void> {
  const left = await stopLeftoversOfRun(process.pid);
  for (const p of await stopOrphanedTestProcesses()) process.stderr.write(`test teardown: stopped ${p}, left by a test run that died\n`);
  if (left.length > 0) throw new Error(`tests of this run left processes running (now stopped by their records): ${left.join(', ')}; a test must stop what it starts`);
}
