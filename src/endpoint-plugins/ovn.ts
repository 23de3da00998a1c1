/**
 * The `ovn` endpoint plugin: the node side of the OVN provider (docs/providers/ovn.md). It runs
 * in the agent's process and takes whole batches, like the reference plugin, with the same
 * fields the environment-variable protocol gives an executable plugin (docs/endpoint-plugin.md).
 *
 * - Node: when the node is ensured, the node's namespace joins the OVN central's fabric and a
 *   chassis (ovsdb-server, ovs-vswitchd on the userspace datapath, ovn-controller) starts in it,
 *   registering as the node's name with its underlay address as Geneve encap
 *   (dataplane/ovn/chassis.ts). The central comes from the OVN network plugin's node_config
 *   (`ovn-central-netns`, `ovn-nb-db`, `ovn-sb-db`, `ovn-sb-port`).
 * - EP_ADD: the endpoint's Logical_Switch_Port on its subnet's switch, named by the endpoint id,
 *   addresses "MAC IP", marked with the scenario (one northbound transaction per batch); the
 *   node end of the veth joins `br-int` with `external_ids:iface-id=<endpoint id>` (one OVS
 *   transaction per batch); TX checksum offload off on the VM end (../shared/providers/ovn/
 *   README.md, pitfall 2: OVS's AF_PACKET port passes a partial checksum on unfilled).
 * - EP_DEL: both reversed; what is gone already is fine. Every command is idempotent.
 *
 * Local mode only: a chassis needs a node namespace of its own.
 */
import { existsSync } from 'node:fs';
import { runChecked } from '../dataplane/command';
import { ctl, kv, OvsdbUnreachableError } from '../dataplane/ovn/ctl';
import { chassisDb, ensureChassis, unwatchChassis, watchChassis, type ChassisConfig } from '../dataplane/ovn/chassis';
import { Supervisor } from '../dataplane/supervisor';
import { joinCentralToFabric } from '../dataplane/ovn/fabric';
import { INTEGRATION_BRIDGE, chassisDir, chassisFiles } from '../dataplane/ovn/paths';
import { underlayNodeEnd } from '../dataplane/names';
import { OVN_KEYS, portAddresses } from '../model/ovn';
import { pluginNodeName } from '../model/identity';
import { EndpointPluginError, type Endpoint, type EndpointPlugin, type PluginContext } from './types';

/** Keys of the OVN network plugin's node_config this plugin reads (dataplane/ovn/central.ts NODE_CONFIG). */
const CONFIG_KEYS = { centralNetns: 'ovn-central-netns', nbDb: 'ovn-nb-db', sbDb: 'ovn-sb-db', sbPort: 'ovn-sb-port' } as const;

/** Seconds one northbound or OVS call may take (a hundred chassis on two cores answer late). */
const CALL_TIMEOUT_SEC = 60;

function fail(command: string, code: string, message: string): never {
  throw new EndpointPluginError('ovn', command, code, message);
}

/** The provider config value `key`, or a CONFIG error naming it. */
function need(config: Readonly<Record<string, string>>, key: string, command: string): string {
  const v = config[key];
  if (v === undefined || v === '') {
    fail(command, 'CONFIG', `the node has no provider config ${key}: the ovn endpoint plugin needs the OVN network plugin's node_config (merak plugin serve --provider ovn; merak plugin state shows it)`);
  }
  return v;
}

/** `unix:PATH` → PATH; anything else refused (the agent reaches the central on this machine). */
function unixPath(value: string, key: string, command: string): string {
  if (!value.startsWith('unix:/')) fail(command, 'CONFIG', `provider config ${key}=${JSON.stringify(value)} must be unix:/ABSOLUTE/PATH`);
  return value.slice('unix:'.length);
}

async function transact(command: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (err instanceof EndpointPluginError) throw err;
    const unreachable = err instanceof OvsdbUnreachableError;
    fail(command, unreachable ? 'UNAVAILABLE' : 'OVSDB', err instanceof Error ? err.message : String(err));
  }
}

function localNode(ctx: PluginContext, command: string): string {
  if (!ctx.nodeNetns) fail(command, 'UNSUPPORTED', 'the ovn endpoint plugin runs in local mode only (a chassis needs a node namespace of its own)');
  return ctx.nodeNetns;
}

/** Options of {@link createOvnPlugin}. */
export interface OvnEndpointPluginOptions {
  /** How often the chassis supervisor checks the daemons. @default 1000 ms */
  superviseEveryMs?: number;
  /** One line per supervisor event (a daemon restarted, a restart failed). @default stderr, prefixed `merak agent: ovn:` */
  log?: (line: string) => void;
}

/**
 * Creates the `ovn` endpoint plugin. Its supervisor (one per agent process) watches the daemons of
 * every chassis this agent ensured: one that is gone (a crash, kill -9) is started again by a
 * re-run of ensureChassis, and the event logged; deleteNode releases the node first.
 */
export function createOvnPlugin(options: OvnEndpointPluginOptions = {}): EndpointPlugin {
  const supervisor = new Supervisor({ intervalMs: options.superviseEveryMs, log: options.log ?? ((line) => process.stderr.write(`merak agent: ovn: ${line}\n`)) });
  /** Chassis folder of each watched node, by `scenario/node`. */
  const watched = new Map<string, string>();
  const add = async (ctx: PluginContext, eps: readonly Endpoint[], command: string): Promise<void> => {
    if (eps.length === 0) return;
    localNode(ctx, command);
    const config = await ctx.providerConfig();
    const nb = { tool: 'ovn-nbctl' as const, db: `unix:${unixPath(need(config, CONFIG_KEYS.nbDb, command), CONFIG_KEYS.nbDb, command)}`, timeoutSec: CALL_TIMEOUT_SEC };
    // Checksum offload off on each VM end first: a port that flows before it would drop TCP.
    await Promise.all(eps.map((ep) => runChecked(ctx.runner, ['ip', 'netns', 'exec', ep.vm.name, 'ethtool', '-K', ep.ifname, 'tx', 'off'])));
    const nbCommands: string[][] = [];
    for (const ep of eps) {
      nbCommands.push(
        ['--may-exist', 'lsp-add', ep.subnetId, ep.id],
        ['lsp-set-addresses', ep.id, portAddresses(ep.mac, ep.ip)],
        ['set', 'Logical_Switch_Port', ep.id, kv('external_ids', OVN_KEYS.scenario, ctx.scenario), kv('external_ids', OVN_KEYS.kind, 'endpoint'), kv('external_ids', OVN_KEYS.node, ctx.node)],
      );
    }
    await transact(command, () => ctl(ctx.runner, nb, nbCommands));
    const ovs: string[][] = [];
    for (const ep of eps) ovs.push(['--may-exist', 'add-port', INTEGRATION_BRIDGE, ep.hostIfname], ['set', 'Interface', ep.hostIfname, kv('external_ids', 'iface-id', ep.id)]);
    await transact(command, () => ctl(ctx.runner, chassisDb(chassisDir(ctx.tag, ctx.node)), ovs));
  };

  return {
    name: 'ovn',
    kernel: true,
    createsInterface: false,
    // Geneve over IPv4 as OVN sends it: outer Ethernet 14 + IPv4 20 + UDP 8 + Geneve 8 + OVN's
    // one 8-byte option (class 0x0102, the logical ports; ovn-architecture(7), "Tunnel Encapsulations").
    encapOverhead: 58,
    nodeSetup: {
      addressOnVeth: false,
      async ensure(ctx, n) {
        const ns = localNode(ctx, 'NODE_ADD');
        const config = n.providerConfig;
        const centralNetns = need(config, CONFIG_KEYS.centralNetns, 'NODE_ADD');
        const sbSocket = unixPath(need(config, CONFIG_KEYS.sbDb, 'NODE_ADD'), CONFIG_KEYS.sbDb, 'NODE_ADD');
        const sbPort = need(config, CONFIG_KEYS.sbPort, 'NODE_ADD');
        if (!/^\d{1,5}$/.test(sbPort)) fail('NODE_ADD', 'CONFIG', `provider config ${CONFIG_KEYS.sbPort}=${JSON.stringify(sbPort)} must be a TCP port`);
        // Recorded against the scenario's local cloud, not this node: every chassis of the scenario uses it.
        const sbAddress = await joinCentralToFabric({ runner: ctx.runner, records: n.records }, { scenario: ctx.scenario, centralNetns, tag: ctx.tag, underlayCidr: n.underlayCidr });
        const chassis: ChassisConfig = {
          scenario: ctx.scenario,
          node: ctx.node,
          tag: ctx.tag,
          netns: ns,
          // The chassis is the network plugin's node: CreateNode waits for a chassis of the
          // name the scenario gives the plugin, <node>.<scenario> (model/identity.ts).
          systemId: pluginNodeName(ctx.scenario, ctx.node),
          encapIp: n.underlay,
          underlayPrefix: n.prefix,
          underlayDevice: underlayNodeEnd(ctx.tag),
          sbRemote: `tcp:${sbAddress}:${sbPort}`,
          sbSocket,
        };
        const deps = { runner: ctx.runner, records: n.records };
        await ensureChassis(deps, chassis);
        watchChassis(supervisor, deps, chassis);
        watched.set(`${ctx.scenario}/${ctx.node}`, chassisDir(ctx.tag, ctx.node));
      },
      release(scenario, node) {
        const dir = watched.get(`${scenario}/${node}`);
        if (dir === undefined) return;
        unwatchChassis(supervisor, dir);
        watched.delete(`${scenario}/${node}`);
      },
    },
    version: () => Promise.resolve({ name: 'ovn', protocol: 'builtin', bridge: INTEGRATION_BRIDGE }),
    vmAdd: () => Promise.resolve(),
    vmUpdate: () => Promise.resolve(),
    vmDel: () => Promise.resolve(),
    epAdd: (ctx, eps) => add(ctx, eps, 'EP_ADD'),
    epUpdate: (ctx, eps) => add(ctx, eps, 'EP_UPDATE'),
    async epDel(ctx, eps) {
      if (eps.length === 0) return;
      localNode(ctx, 'EP_DEL');
      const socket = chassisFiles(chassisDir(ctx.tag, ctx.node)).dbSocket;
      // A chassis already gone took its ports with it.
      if (existsSync(socket)) {
        await transact('EP_DEL', () => ctl(ctx.runner, chassisDb(chassisDir(ctx.tag, ctx.node)), eps.map((ep) => ['--if-exists', 'del-port', INTEGRATION_BRIDGE, ep.hostIfname])));
      }
      const config = await ctx.providerConfig();
      const nbDb = config[CONFIG_KEYS.nbDb];
      if (nbDb === undefined || !existsSync(unixPath(nbDb, CONFIG_KEYS.nbDb, 'EP_DEL'))) return; // the central is gone, with its rows
      const nb = { tool: 'ovn-nbctl' as const, db: nbDb, timeoutSec: CALL_TIMEOUT_SEC };
      await transact('EP_DEL', () => ctl(ctx.runner, nb, eps.map((ep) => ['--if-exists', 'lsp-del', ep.id])));
    },
  };
}
