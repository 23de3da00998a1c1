import { Command, InvalidArgumentError, Option } from 'commander';
import Table from 'cli-table3';
import { createNetworkPluginClient } from '../../plugin/client';
import { classifyPluginError, PluginCallError, Status } from '../../plugin/errors';
import { DEFAULT_PROVISION_TIMEOUT_MS, startMizarPlugin } from '../../plugin/mizar/server';
import { startReferencePlugin } from '../../plugin/reference/server';
import { startOvnPlugin } from '../../plugin/ovn/server';
import { CENTRAL_NAME_RE } from '../../dataplane/ovn/paths';
import { createAlcorPlugin } from '../../plugin/alcor/plugin';
import { alcorEndpointsAt, createAlcorRest, withEndpointOverrides } from '../../plugin/alcor/rest';
import { serveNetworkPlugin } from '../../plugin/sdk';
import type { GetStateResponse__Output } from '../../plugin/types';
import { registerConformance } from './plugin-conformance';

// `merak plugin serve`: run a network plugin (reference, Mizar, OVN with its central, or Alcor); `merak plugin state`: show what a plugin holds.

type Provider = 'reference' | 'mizar' | 'ovn' | 'alcor';

interface ServeFlags {
  /** Old name of --provider, still accepted. */
  plugin?: Provider;
  provider?: Provider;
  host: string;
  port: number;
  stateFile?: string;
  kubeconfig?: string;
  namespace: string;
  provisionTimeout: number;
  central: string;
  keepCentral?: boolean;
  registrationWait: number;
  alcorUrl: string;
  alcorEndpoint: string[];
  project: string;
  alcorTimeout: number;
}

interface StateFlags {
  address: string;
  output: 'table' | 'json';
  timeout: number;
}

function port(raw: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) > 65535) {
    throw new InvalidArgumentError(`--port must be a TCP port 0..65535 (0 = any free port), got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

export function millis(raw: string): number {
  if (!/^[1-9]\d*$/.test(raw)) throw new InvalidArgumentError(`must be a whole number of milliseconds above 0, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** HOST:PORT or [IPv6]:PORT; checked here so a typo is named before any connection attempt. */
export function address(raw: string): string {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(raw);
  if (m === null || Number(m[2]) < 1 || Number(m[2]) > 65535) {
    throw new InvalidArgumentError(`--address must be HOST:PORT (e.g. 127.0.0.1:50051), got ${JSON.stringify(raw)}`);
  }
  return raw;
}

const log = (line: string): void => {
  process.stderr.write(`merak plugin: ${line}\n`);
};

function centralName(raw: string): string {
  if (!CENTRAL_NAME_RE.test(raw)) throw new InvalidArgumentError(`must match ${CENTRAL_NAME_RE} (lower-case letters, digits, '-', at most 16), got ${JSON.stringify(raw)}`);
  return raw;
}

/** `http(s)://HOST`: an Alcor whose services keep their default ports on HOST. */
function alcorUrl(raw: string): string {
  if (!/^https?:\/\/([^/:\s]+|\[[0-9a-fA-F:.]+\])\/?$/.test(raw)) {
    throw new InvalidArgumentError(`--alcor-url must be http(s)://HOST without a port (the services' default ports 9001-9007 are used; override one with --alcor-endpoint SERVICE=URL), got ${JSON.stringify(raw)}`);
  }
  return raw.replace(/\/$/, '');
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function serve(flags: ServeFlags): Promise<void> {
  const provider = flags.provider ?? flags.plugin ?? 'reference';
  if (flags.stateFile !== undefined && provider !== 'reference') {
    throw new InvalidArgumentError(`--state-file is for the reference plugin only: the ${provider} plugin keeps its state in ${{ mizar: "Mizar's custom resources", ovn: "OVN's databases", alcor: 'Alcor' }[provider]}`);
  }
  let running: { address: string; close(): Promise<void> };
  if (provider === 'mizar') {
    const mizar = await startMizarPlugin({ host: flags.host, port: flags.port, kubeconfig: flags.kubeconfig, namespace: flags.namespace, provisionTimeoutMs: flags.provisionTimeout, log });
    log(`mizar network plugin listening on ${mizar.address}, Mizar's resources in namespace ${mizar.namespace}, provisioning bound ${flags.provisionTimeout} ms`);
    running = mizar;
  } else if (provider === 'ovn') {
    const ovn = await startOvnPlugin({ host: flags.host, port: flags.port, central: flags.central, keepCentral: flags.keepCentral, registrationWaitMs: flags.registrationWait, log });
    log(`ovn network plugin on OVN central ${ovn.central.name} (NB unix:${ovn.central.nbSocket}) listening on ${ovn.address}`);
    running = ovn;
  } else if (provider === 'alcor') {
    const m = /^(https?):\/\/(.+)$/.exec(flags.alcorUrl)!;
    const endpoints = withEndpointOverrides(alcorEndpointsAt(m[2]!.replace(/^\[|\]$/g, ''), m[1] as 'http' | 'https'), flags.alcorEndpoint);
    const { handlers, stateHandler } = createAlcorPlugin({ rest: createAlcorRest({ endpoints, timeoutMs: flags.alcorTimeout }), project: flags.project, log });
    running = await serveNetworkPlugin(handlers, { host: flags.host, port: flags.port, stateHandler });
    log(`alcor network plugin for project ${flags.project} listening on ${running.address} (Alcor: ${Object.entries(endpoints).map(([k, v]) => `${k} ${v}`).join(', ')})`);
  } else {
    running = await startReferencePlugin({ host: flags.host, port: flags.port, stateFile: flags.stateFile, log });
    log(`${provider} network plugin listening on ${running.address}${flags.stateFile ? `, state file ${flags.stateFile}` : ' (state in memory only)'}`);
  }
  let stop: (signal: NodeJS.Signals) => void = () => undefined;
  await new Promise<void>((resolve) => {
    let stopping = false;
    stop = (signal) => {
      if (stopping) {
        log(`${signal} again: exiting without waiting`);
        process.exit(130);
      }
      stopping = true;
      log(`${signal}: shutting down`);
      running.close().then(
        () => {
          log('stopped');
          resolve();
        },
        (err: unknown) => {
          log(`shutdown failed: ${String(err)}`);
          process.exitCode = 1;
          resolve();
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
}

function optionalText(map: Record<string, string>): string {
  return Object.entries(map)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
}

function printTables(state: GetStateResponse__Output): void {
  // Colours only for a terminal: piped output stays plain text.
  const style = process.stdout.isTTY ? {} : { head: [], border: [] };
  const vpcs = new Table({ head: ['VPC', 'VNI', 'CIDR', 'optional', 'scenario'], style });
  for (const v of state.vpcs) vpcs.push([v.id, v.vni, `${v.ip}/${v.prefix}`, optionalText(v.optional), v.scenario]);
  const subnets = new Table({ head: ['subnet', 'VPC', 'VNI', 'CIDR', 'optional', 'scenario'], style });
  for (const s of state.subnets) subnets.push([s.id, s.vpc, s.vni, `${s.ip}/${s.prefix}`, optionalText(s.optional), s.scenario]);
  const nodes = new Table({ head: ['node', 'IP', 'MAC', 'optional', 'scenario'], style });
  for (const n of state.nodes) nodes.push([n.name, n.ip, n.mac, optionalText(n.optional), n.scenario]);
  process.stdout.write(`VPCs: ${state.vpcs.length}\n${vpcs.toString()}\n`);
  process.stdout.write(`Subnets: ${state.subnets.length}\n${subnets.toString()}\n`);
  process.stdout.write(`Nodes: ${state.nodes.length}\n${nodes.toString()}\n`);
  process.stdout.write(`revision ${state.revision}\n`);
  const config = Object.entries(state.node_config ?? {});
  if (config.length > 0) process.stdout.write(`node config: ${config.map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
}

async function showState(flags: StateFlags): Promise<void> {
  const client = createNetworkPluginClient(flags.address, { deadlineMs: flags.timeout });
  try {
    const state = await client.getState();
    if (flags.output === 'json') {
      const { vpcs, subnets, nodes, revision, node_config } = state;
      process.stdout.write(`${JSON.stringify({ vpcs, subnets, nodes, revision, nodeConfig: node_config ?? {} }, null, 2)}\n`);
    } else {
      printTables(state);
    }
  } catch (err) {
    if (err instanceof PluginCallError && err.code === Status.UNIMPLEMENTED) {
      throw new Error(`the plugin at ${flags.address} does not serve merak.plugin.v1.NetworkPluginStateService (it is optional; the reference plugin serves it)`);
    }
    const c = classifyPluginError(err);
    throw new Error(`${c.message}${c.code === 'UNAVAILABLE' ? ' (is the plugin running? start one with `merak plugin serve`)' : ''}`);
  } finally {
    client.close();
  }
}

export function register(program: Command): void {
  const plugin = program.command('plugin').description('network plugins: run the reference plugin, look at what a plugin holds');

  plugin
    .command('serve')
    .description('run a network plugin gRPC server in the foreground (logs to stderr; SIGINT/SIGTERM stop it cleanly)')
    .addOption(new Option('--provider <name>', 'which provider: reference (in memory), mizar (Mizar\'s custom resources; docs/providers/mizar.md), ovn (a real OVN central of its own; docs/providers/ovn.md) or alcor (Alcor\'s REST API; docs/providers/alcor.md)').choices(['reference', 'mizar', 'ovn', 'alcor']))
    .addOption(new Option('--plugin <name>', 'old name of --provider').choices(['reference', 'mizar', 'ovn', 'alcor']).hideHelp())
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'TCP port (0 = any free port, printed on stderr)', port, 50051)
    .option('--state-file <path>', 'reference: JSON file keeping the state across restarts (default: memory only)')
    .option('--kubeconfig <path>', 'mizar: kubeconfig of the cluster running Mizar (default: KUBECONFIG, ~/.kube/config, or in-cluster)')
    .option('--namespace <name>', 'mizar: namespace of Mizar\'s resources (its operator works in default)', 'default')
    .option('--provision-timeout <ms>', 'mizar: longest wait for Mizar\'s operator to provision or delete one resource, then UNAVAILABLE (keep it below the scenario\'s plugin.deadlineMs)', millis, DEFAULT_PROVISION_TIMEOUT_MS)
    .option('--central <name>', 'ovn: name of the OVN central this plugin runs (namespace mk-ovn-NAME, folder /run/merak/ovn/central-NAME)', centralName, 'default')
    .option('--keep-central', 'ovn: leave the central running when the plugin stops (a restart carries on from its databases)')
    .option('--registration-wait <ms>', 'ovn: how long CreateNode waits for the node\'s chassis to register', millis, 8_000)
    .option('--alcor-url <url>', "alcor: Alcor's services on their default ports on this host", alcorUrl, 'http://127.0.0.1')
    .option('--alcor-endpoint <service=url>', 'alcor: one service elsewhere, e.g. port=http://10.0.0.5:9006 (repeatable; vpc, subnet, route, port, node)', collect, [])
    .option('--project <id>', 'alcor: the Alcor project (tenant) of the VPCs and subnets', 'merak')
    .option('--alcor-timeout <ms>', 'alcor: deadline of one REST call', millis, 30_000)
    .action(serve);

  plugin
    .command('state')
    .description("print the VPCs, subnets and nodes a plugin holds (through its optional NetworkPluginStateService)")
    .option('--address <host:port>', 'plugin address', address, '127.0.0.1:50051')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--timeout <ms>', 'deadline of the call in milliseconds', millis, 10_000)
    .action(showState);

  registerConformance(plugin, address, millis);
}
