/**
 * The workers' `/metrics` endpoints: the compute worker serves its process metrics, an agent
 * also the eBPF counters of its nodes (`/metrics` in Prometheus format, `/counters?scenario=NAME`
 * as the JSON document of src/model/counters.ts) and registers its address for `merak monitor`.
 */
import { readFileSync } from 'node:fs';
import type { NodeCollectors } from '../activities/agent/collectors';
import { packagePath } from '../install/paths';
import type { CountersDocument } from '../model/counters';
import { validateScenario } from '../dataplane/names';
import { registerAgentEndpoint } from '../metrics/discovery';
import { createRegistry, registerCounterMetrics, type Component } from '../metrics/registry';
import { MetricsPortError, startMetricsServer, type MetricsServer } from '../metrics/server';

/** Merak's version from its package.json ("unknown" if unreadable). */
export function merakVersion(): string {
  try {
    return (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export interface ListenOptions {
  host: string;
  port: number;
  /** The port is the default, not asked for: when it is taken, any free port is used instead (logged). */
  portIsDefault?: boolean;
  /** @default stderr */
  log?: (line: string) => void;
}

async function listen(o: ListenOptions, start: (port: number) => Promise<MetricsServer>): Promise<MetricsServer> {
  try {
    return await start(o.port);
  } catch (e) {
    if (!(e instanceof MetricsPortError) || !o.portIsDefault) throw e;
    const s = await start(0);
    (o.log ?? ((l: string) => process.stderr.write(`merak: ${l}\n`)))(`metrics port ${o.port} is taken; serving metrics on ${s.url} instead`);
    return s;
  }
}

/** The compute worker's /metrics: process metrics and merak_build_info. */
export function startComputeMetrics(o: ListenOptions): Promise<MetricsServer> {
  const registry = createRegistry('compute' satisfies Component, merakVersion());
  return listen(o, (port) => startMetricsServer({ registry, host: o.host, port }));
}

export interface AgentMetricsOptions extends ListenOptions {
  collectors: NodeCollectors;
  /** Nodes this agent serves: only their counters are served. */
  nodes: readonly string[];
  /** Where the endpoint file for `merak monitor` is written. */
  stateDir: string;
}

/**
 * The agent's /metrics and /counters, and its endpoint file in the state directory.
 * `GET /counters?scenario=NAME` answers that scenario's CountersDocument; without `scenario`, a
 * list with one per scenario that has node state here.
 */
export async function startAgentMetrics(o: AgentMetricsOptions): Promise<MetricsServer> {
  const registry = createRegistry('agent', merakVersion());
  const counters = registerCounterMetrics(registry);
  const served = new Set(o.nodes);
  const readAll = async (): Promise<CountersDocument[]> => {
    const docs: CountersDocument[] = [];
    for (const s of await o.collectors.scenarios()) {
      const d = await o.collectors.read(s, served);
      if (d.nodes.length) docs.push(d);
    }
    return docs;
  };
  const server = await listen(o, (port) =>
    startMetricsServer({
      registry,
      host: o.host,
      port,
      beforeScrape: async () => counters.set(await readAll()),
      json: {
        '/counters': async (q) => {
          const scenario = q.get('scenario');
          if (scenario === null) return readAll();
          try {
            validateScenario(scenario, 'scenario');
          } catch (e) {
            throw Object.assign(new Error((e as Error).message), { status: 400 });
          }
          return o.collectors.read(scenario, served);
        },
      },
    }),
  );
  const unregister = await registerAgentEndpoint(o.stateDir, { url: server.url, nodes: [...o.nodes] });
  return {
    ...server,
    close: async () => {
      await unregister();
      await server.close();
    },
  };
}
