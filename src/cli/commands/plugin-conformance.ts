import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { createNetworkPluginClient } from '../../plugin/client';
import { invokeThroughClient, runConformance, type ConformanceNode } from '../../plugin/conformance';
import { prefixProblem, renderConformanceText } from '../../model/plugin-conformance';
import { renderConformanceJUnit } from '../../report/conformance-junit';

// `merak plugin conformance`: the plugin proto's rules checked against a running plugin server,
// in any language (docs/network-plugin.md, "Conformance").

interface ConformanceFlags {
  address: string;
  output: 'text' | 'json';
  junit?: string;
  prefix?: string;
  seed?: number;
  timeout: number;
  nodeHook?: string;
}

/** Longest a node hook may run. */
const NODE_HOOK_TIMEOUT_MS = 60_000;

function prefixOption(raw: string): string {
  const problem = prefixProblem(raw);
  if (problem !== undefined) throw new InvalidArgumentError(problem);
  return raw;
}

function seedOption(raw: string): number {
  if (!/^\d{1,10}$/.test(raw) || Number(raw) > 0xffffffff) throw new InvalidArgumentError(`--seed must be a whole number 0..4294967295, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

function executable(raw: string): string {
  try {
    accessSync(raw, constants.X_OK);
  } catch {
    throw new InvalidArgumentError(`--node-hook: ${JSON.stringify(raw)} is not an executable file`);
  }
  return raw;
}

/** Runs the node hook (argv, no shell) with the node in its environment; rejects with its output on failure. */
function runNodeHook(path: string, node: ConformanceNode): Promise<void> {
  const env = { ...process.env, MERAK_NODE_NAME: node.name, MERAK_NODE_IP: node.ip, MERAK_NODE_MAC: node.mac, MERAK_NODE_SCENARIO: node.scenario };
  return new Promise((resolve, reject) => {
    execFile(path, [], { env, timeout: NODE_HOOK_TIMEOUT_MS, maxBuffer: 1024 * 1024 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`${path} ${err.killed ? `did not finish within ${NODE_HOOK_TIMEOUT_MS} ms` : `exited with ${err.code ?? err.signal}`}${stderr.trim() ? `: ${stderr.trim()}` : ''}`));
      else resolve();
    });
  });
}

async function conformance(flags: ConformanceFlags): Promise<void> {
  const prefix = flags.prefix ?? `mkc-${randomBytes(3).toString('hex')}`;
  const client = createNetworkPluginClient(flags.address, { deadlineMs: flags.timeout });
  const log = (line: string) => process.stderr.write(`merak plugin conformance: ${line}\n`);
  let report;
  try {
    log(`checking the plugin at ${flags.address} with objects ${prefix}-* (scenario ${prefix})`);
    report = await runConformance(invokeThroughClient(client), {
      address: flags.address,
      prefix,
      seed: flags.seed,
      prepareNode: flags.nodeHook === undefined ? undefined : (node) => runNodeHook(flags.nodeHook!, node),
    });
  } catch (err) {
    process.exitCode = 2; // the suite could not run: no rule was judged
    throw err;
  } finally {
    client.close();
  }
  if (flags.junit !== undefined) {
    writeFileSync(flags.junit, renderConformanceJUnit(report, new Date().toISOString()));
    log(`JUnit XML written to ${flags.junit}`);
  }
  process.stdout.write(flags.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderConformanceText(report));
  if (!report.passed) process.exitCode = 1;
}

/** Adds `conformance` to the `merak plugin` command. */
export function registerConformance(plugin: Command, address: (raw: string) => string, millis: (raw: string) => number): void {
  plugin
    .command('conformance')
    .description("check a running network plugin (in any language) against every rule of the plugin proto, with objects of its own that it deletes again; exit 1 when a rule fails")
    .requiredOption('--address <host:port>', 'the plugin under test', address)
    .addOption(new Option('-o, --output <format>', 'output format: one line per rule, or the whole report').choices(['text', 'json']).default('text'))
    .option('--junit <file>', 'also write the results as JUnit XML (one testcase per rule)')
    .option('--prefix <prefix>', "start of every key the suite makes, and its scenario (default: mkc-<6 random hex digits>)", prefixOption)
    .option('--seed <n>', 'seed of the VNIs, CIDRs, node IP and MAC drawn (default: from the prefix)', seedOption)
    .option('--timeout <ms>', 'deadline of each call in milliseconds', millis, 10_000)
    .option('--node-hook <path>', 'executable run before the suite creates its node, with MERAK_NODE_NAME, MERAK_NODE_IP, MERAK_NODE_MAC, MERAK_NODE_SCENARIO (for providers whose nodes must exist first, e.g. an OVN chassis)', executable)
    .action(conformance);
}
