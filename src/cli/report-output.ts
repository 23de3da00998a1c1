/**
 * Collecting and writing the scenario report (issue 12) for `merak report`, `merak up` and
 * `merak test`: the status, results and report queries of the scenario workflow, plus where it
 * was measured (versions, commit, machine).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, hostname, release, totalmem, platform } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { spawnRunner } from '../dataplane/command';
import { createPluginRegistry, pluginDirsFromEnv } from '../endpoint-plugins/registry';
import { packageRoot } from '../install/paths';
import { localStateDir } from '../local/daemons';
import { buildReport, type ReportEnvironment, type ScenarioReport } from '../report/scenario-report';
import { renderReportHtml } from '../report/html';
import { reportQuery, statusQuery } from '../workflows/messages';
import { fetchResults } from './results-fetch';
import type { scenarioHandle } from './scenario-client';
import { collectVersions } from './versions';

/** The git commit of this Merak installation: MERAK_COMMIT, else `git rev-parse HEAD` in the package root, else undefined. */
export function merakCommit(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.MERAK_COMMIT) return env.MERAK_COMMIT;
  try {
    return execFileSync('git', ['-C', packageRoot(), 'rev-parse', 'HEAD'], { encoding: 'utf8', timeout: 5_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined; // an installed package has no .git
  }
}

/** Where and with what the report is made. The endpoint plugin's VERSION is asked from this machine's plugins (local mode). */
export async function reportEnvironment(networkPlugin: string, endpointPlugin: string): Promise<ReportEnvironment> {
  const v = collectVersions();
  const provider: ReportEnvironment['provider'] = { networkPlugin, endpointPlugin };
  try {
    const p = await createPluginRegistry({ runner: spawnRunner, dirs: pluginDirsFromEnv() }).get(endpointPlugin);
    provider.endpointPluginVersion = await p.version();
  } catch (err) {
    provider.error = `endpoint plugin version unknown here: ${(err as Error).message.split('\n')[0]}`;
  }
  const cpu = cpus();
  return {
    merak: { version: v.merak, ...(merakCommit() ? { commit: merakCommit() } : {}) },
    temporal: { ...(v.temporal.cli ? { cli: v.temporal.cli } : {}), ...(v.temporal.server ? { server: v.temporal.server } : {}), ...(v.temporal.error ? { error: v.temporal.error } : {}) },
    node: v.node,
    provider,
    machine: { hostname: hostname(), platform: platform(), kernel: release(), cpus: cpu.length, ...(cpu[0]?.model ? { cpuModel: cpu[0].model } : {}), memoryBytes: totalmem() },
  };
}

/** Asks the scenario workflow for everything the report needs and builds it. */
export async function collectReport(handle: ReturnType<typeof scenarioHandle>): Promise<ScenarioReport> {
  const [status, fetched, data] = await Promise.all([handle.query(statusQuery), fetchResults(handle), handle.query(reportQuery)]);
  const failed = Object.values(fetched.counts).reduce((n, c) => n + c.failed, 0);
  return buildReport({ status, results: fetched.results, counts: { total: fetched.total, failed }, data, environment: await reportEnvironment(data.pluginAddress, data.endpointPlugin) });
}

/** The default place of a scenario's report files: `<local state>/reports/<name>/` (`.state/` of the checkout, git-ignored). */
export function defaultReportDir(scenario: string): string {
  return join(localStateDir(), 'reports', scenario);
}

/** Writes the report as JSON and/or HTML; returns the absolute paths written. */
export async function writeReport(report: ScenarioReport, files: { json?: string; html?: string }): Promise<{ json?: string; html?: string }> {
  const out: { json?: string; html?: string } = {};
  if (files.json) {
    out.json = resolve(files.json);
    await mkdir(dirname(out.json), { recursive: true });
    await writeFile(out.json, `${JSON.stringify(report, null, 2)}\n`);
  }
  if (files.html) {
    out.html = resolve(files.html);
    await mkdir(dirname(out.html), { recursive: true });
    await writeFile(out.html, renderReportHtml(report));
  }
  return out;
}

/** Names each violated SLA gate on stderr and sets a non-zero exit code; returns whether all were kept. */
export function enforceSla(report: ScenarioReport): boolean {
  for (const g of report.sla.gates) if (!g.pass) process.stderr.write(`merak: SLA gate violated: ${g.text}\n`);
  if (!report.sla.pass) {
    process.stderr.write(`merak: ${report.sla.violated.length} SLA gate(s) violated: ${report.sla.violated.join(', ')}\n`);
    process.exitCode = 1;
  }
  return report.sla.pass;
}
