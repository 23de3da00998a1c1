// Runs the built-in `mizar` endpoint plugin once, as a node agent would, for
// mizar-endpoint-plugin.test.ts (its Kubernetes client cannot load under jest). Argument: one JSON
// object { command: 'add' | 'del', settings, ctx: { scenario, node, tag, nodeNetns, underlay }, eps }.
// Prints {"ok":true} or {"ok":false,"name","code","message"} on stdout.
import { spawnRunner } from '../../src/dataplane/command';
import { createMizarPlugin, type MizarSettings } from '../../src/endpoint-plugins/mizar';
import type { Endpoint, PluginContext } from '../../src/endpoint-plugins/types';

interface Input {
  command: 'add' | 'del';
  settings: MizarSettings;
  ctx: { scenario: string; node: string; tag: string; nodeNetns: string; underlay: { address: string; device: string; mtu: number } };
  eps: Endpoint[];
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2]!) as Input;
  const plugin = createMizarPlugin({ runner: spawnRunner, settings: () => input.settings });
  const ctx: PluginContext = {
    scenario: input.ctx.scenario,
    node: input.ctx.node,
    tag: input.ctx.tag,
    nodeNetns: input.ctx.nodeNetns,
    nodeNetnsPath: `/run/netns/${input.ctx.nodeNetns}`,
    runner: spawnRunner,
    record: async () => undefined,
    underlay: async () => input.ctx.underlay,
    peers: async () => [],
    providerConfig: async () => ({}),
  };
  try {
    if (input.command === 'add') await plugin.epAdd(ctx, input.eps);
    else await plugin.epDel(ctx, input.eps);
    process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
  } catch (e) {
    const err = e as { name?: string; code?: unknown; message?: string };
    process.stdout.write(`${JSON.stringify({ ok: false, name: err.name, code: err.code, message: err.message })}\n`);
  }
}

void main();
