/**
 * The `cni` endpoint plugin: an adapter running standard CNI plugins (bridge + static IPAM +
 * tuning from the distribution's containernetworking-plugins) so a provider that ships a CNI
 * plugin drops in. The CNI plugin makes the VM-side interface itself. Plugins run inside the
 * node namespace (nsenter in local mode) so their bridge never lands in the root namespace.
 */
import { listLinks } from '../dataplane/netns';
import { vniBridge } from '../dataplane/names';
import { SELF_NETNS } from '../dataplane/owner-record-format';
import type { CommandRunner } from '../dataplane/command';
import { cniEnv, cniNetworkList, DEFAULT_CNI_PATH, parseCniOutput, pluginStdin, verifyCniResult, type CniNetworkList } from './cni-config';
import { EndpointPluginError, type Endpoint, type EndpointPlugin, type PluginContext } from './types';

export interface CniPluginOptions {
  runner: CommandRunner;
  /** Directory of the CNI plugin binaries. Default: /usr/lib/cni. */
  cniPath?: string;
  /** Timeout of one CNI plugin call. Default: 10000 ms. */
  timeoutMs?: number;
}

export function createCniPlugin(o: CniPluginOptions): EndpointPlugin {
  const cniPath = o.cniPath ?? DEFAULT_CNI_PATH;

  async function call(ctx: PluginContext, list: CniNetworkList, index: number, ep: Endpoint, command: 'ADD' | 'DEL', prev?: unknown): Promise<unknown> {
    const type = list.plugins[index].type;
    const bin = `${cniPath}/${type}`;
    const argv = ctx.nodeNetnsPath ? ['nsenter', `--net=${ctx.nodeNetnsPath}`, '--', bin] : [bin];
    const r = await o.runner.run(argv, {
      input: pluginStdin(list, index, prev),
      env: cniEnv({ command, containerId: ep.vm.name, netnsPath: ep.vm.netnsPath, ifname: ep.ifname, cniPath }),
      cleanEnv: true,
      timeoutMs: o.timeoutMs ?? 10_000,
    });
    const out = parseCniOutput(r.code, r.stdout, r.stderr);
    if (!out.ok) throw new EndpointPluginError('cni', `${command} ${type}`, String(out.error.code), out.error.msg, out.error.details);
    return out.result;
  }

  async function del(ctx: PluginContext, eps: readonly Endpoint[]): Promise<void> {
    for (const ep of eps) {
      const list = cniNetworkList(ctx.tag, vniBridge(ctx.tag, ep.vni, 0), ep);
      // CNI DEL must succeed on what is already gone, so a retry is safe.
      for (let i = list.plugins.length - 1; i >= 0; i--) await call(ctx, list, i, ep, 'DEL');
    }
  }

  async function add(ctx: PluginContext, eps: readonly Endpoint[]): Promise<void> {
    const before = new Set((await listLinks(ctx.runner, ctx.nodeNetns)).map((l) => l.ifname));
    for (const ep of eps) {
      const bridge = vniBridge(ctx.tag, ep.vni, 0);
      if (!ctx.nodeNetns && !before.has(bridge)) {
        await ctx.record([{ kind: 'link', netns: SELF_NETNS, name: bridge }]);
        before.add(bridge);
      }
      const list = cniNetworkList(ctx.tag, bridge, ep);
      // A retry after a crash may find the interface half made: DEL first makes ADD start clean.
      for (let i = list.plugins.length - 1; i >= 0; i--) await call(ctx, list, i, ep, 'DEL');
      let prev: unknown;
      for (let i = 0; i < list.plugins.length; i++) prev = await call(ctx, list, i, ep, 'ADD', prev);
      const problems = verifyCniResult(prev as Parameters<typeof verifyCniResult>[0], ep);
      if (problems.length) throw new EndpointPluginError('cni', 'ADD', 'RESULT_MISMATCH', problems.join('; '));
    }
  }

  return {
    name: 'cni',
    kernel: true,
    createsInterface: true,
    version: async () => ({ name: 'cni', protocol: '1', builtin: true, cniPath }),
    vmAdd: async () => undefined,
    vmUpdate: async () => undefined,
    vmDel: async () => undefined,
    epAdd: add,
    epUpdate: async (ctx, eps) => {
      await del(ctx, eps);
      await add(ctx, eps);
    },
    epDel: del,
  };
}
