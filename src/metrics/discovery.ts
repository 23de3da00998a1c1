/**
 * Where this machine's agents serve their counters: each agent with a metrics endpoint writes
 * `<state dir>/endpoints/agent-<pid>.json` ({ pid, url, nodes, startedAt }) when it starts
 * listening and removes it when it stops, so `merak monitor` on the same machine finds every
 * local agent (its port may have been chosen by the kernel) without being told. A file whose
 * process is gone (the agent was killed, or its pid now names another process: the start time,
 * boot and command line recorded with it no longer match) is ignored and removed by the next reader.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { isSameProcess, readProcessIdentity, type RecordedProcess } from '../local/process-identity';

export interface AgentEndpoint {
  pid: number;
  /** `http://host:port` of the agent's metrics server. */
  url: string;
  /** Nodes the agent serves. */
  nodes: string[];
  /** ISO-8601. */
  startedAt: string;
  /** Who the agent process is (src/local/process-identity.ts); files of older versions have none and count as gone. */
  identity?: RecordedProcess;
}

const dirOf = (stateDir: string): string => path.join(stateDir, 'endpoints');
const fileOf = (stateDir: string, pid: number): string => path.join(dirOf(stateDir), `agent-${pid}.json`);

/** Writes this agent's endpoint file; returns a function that removes it. */
export async function registerAgentEndpoint(stateDir: string, e: Omit<AgentEndpoint, 'pid' | 'startedAt'>): Promise<() => Promise<void>> {
  const file = fileOf(stateDir, process.pid);
  await fs.mkdir(dirOf(stateDir), { recursive: true, mode: 0o700 });
  const identity = readProcessIdentity(process.pid);
  const body: AgentEndpoint = { pid: process.pid, startedAt: new Date().toISOString(), ...(identity ? { identity } : {}), ...e };
  await fs.writeFile(`${file}.tmp`, JSON.stringify(body), { mode: 0o600 });
  await fs.rename(`${file}.tmp`, file);
  return () => fs.rm(file, { force: true });
}

/** The endpoints of the agents running on this machine (files of dead agents are removed). */
export async function listAgentEndpoints(stateDir: string): Promise<AgentEndpoint[]> {
  let names: string[];
  try {
    names = await fs.readdir(dirOf(stateDir));
  } catch {
    return [];
  }
  const out: AgentEndpoint[] = [];
  for (const n of names.sort()) {
    if (!/^agent-\d+\.json$/.test(n)) continue;
    const file = path.join(dirOf(stateDir), n);
    try {
      const e = JSON.parse(await fs.readFile(file, 'utf8')) as AgentEndpoint;
      if (e.identity && isSameProcess(e.identity)) out.push(e);
      else await fs.rm(file, { force: true });
    } catch {
      // half-written or removed meanwhile
    }
  }
  return out;
}
