/**
 * Runs `merak plugin conformance` as a real child process from the sources (the swc loader the
 * other CLI tests use), with stdout and stderr apart, and reads its JSON report.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { ConformanceReport } from '../../src/model/plugin-conformance';

const REPO_ROOT = resolve(__dirname, '..', '..');
const TS_LOADER = join(REPO_ROOT, 'test', 'integration', 'dataplane-ts-loader.js');
const MAIN = join(REPO_ROOT, 'src', 'cli', 'main.ts');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `merak plugin conformance ARGS`; killed after `timeoutMs`. */
export function runConformanceCli(args: string[], timeoutMs = 180_000): Promise<CliRun> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['-r', TS_LOADER, MAIN, 'plugin', 'conformance', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** The ids of the rules with `status` in a JSON report. */
export function ruleIds(report: ConformanceReport, status: 'pass' | 'fail' | 'skip'): string[] {
  return report.results.filter((r) => r.status === status).map((r) => r.rule.id);
}
