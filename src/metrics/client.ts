/**
 * Reading a scenario's eBPF counters from the agents that serve them (`GET /counters?scenario=`
 * on each agent's metrics server): the one function `merak monitor` and `merak report` read
 * counters through. Agents are given by URL, or found through the endpoint files the agents on
 * this machine write into the state directory (discovery.ts).
 */
import { mergeCounters, type CountersDocument } from '../model/counters';
import { listAgentEndpoints } from './discovery';

export interface CountersSource {
  /** Agent metrics servers (`http://host:port`); when empty, the agents found in `stateDir`. */
  agents?: readonly string[];
  /** State directory of the local agents (their endpoint files). */
  stateDir: string;
  /** Per agent request. @default 5000 ms */
  timeoutMs?: number;
}

export interface ScenarioCounters {
  /** Every node any agent answered for, merged (schema merak.counters/v1). */
  doc: CountersDocument;
  /** The agents asked. */
  agents: string[];
  /** One line per agent that did not answer (`url: reason`). */
  errors: string[];
}

/** No agent to ask: none given and none registered in the state directory. */
export class NoAgentsError extends Error {
  override readonly name = 'NoAgentsError';
  constructor(readonly stateDir: string) {
    super(`no agent serves counters on this machine (no endpoint file in ${stateDir}/endpoints): start the agents (merak up --local, merak worker agent) with their metrics port on, pass --state-dir where they keep their state, or name agents with --agent http://HOST:PORT`);
  }
}

/** The agents to ask: `agents` when given, else those registered in `stateDir` (live ones only). */
export async function agentUrls(s: CountersSource): Promise<string[]> {
  if (s.agents && s.agents.length) return [...s.agents];
  return (await listAgentEndpoints(s.stateDir)).map((e) => e.url);
}

/**
 * The scenario's counters from every agent, merged. A scenario no agent knows has no nodes.
 * @throws NoAgentsError when there is no agent to ask.
 */
export async function readScenarioCounters(scenario: string, s: CountersSource): Promise<ScenarioCounters> {
  const agents = await agentUrls(s);
  if (agents.length === 0) throw new NoAgentsError(s.stateDir);
  const errors: string[] = [];
  const docs: CountersDocument[] = [];
  await Promise.all(
    agents.map(async (url) => {
      try {
        const res = await fetch(`${url.replace(/\/$/, '')}/counters?scenario=${encodeURIComponent(scenario)}`, { signal: AbortSignal.timeout(s.timeoutMs ?? 5000) });
        if (!res.ok) throw new Error(`HTTP ${res.status}: ${(await res.text()).trim()}`);
        docs.push((await res.json()) as CountersDocument);
      } catch (e) {
        errors.push(`${url}: ${(e as Error).message}`);
      }
    }),
  );
  return { doc: mergeCounters(scenario, new Date().toISOString(), docs), agents, errors };
}
