/**
 * CNI network configuration and result handling for the `cni` adapter (pure).
 * Follows the CNI spec 1.0: a plugin list run in order for ADD with each plugin's result as
 * the next one's prevResult, in reverse order for DEL; errors are {code, msg, details}.
 */
import type { Endpoint } from './types';

export const CNI_VERSION = '1.0.0';

/** Default CNI plugin directory of the distribution's containernetworking-plugins. */
export const DEFAULT_CNI_PATH = '/usr/lib/cni';

export interface CniPluginConf {
  type: string;
  [key: string]: unknown;
}

export interface CniNetworkList {
  cniVersion: string;
  name: string;
  plugins: CniPluginConf[];
}

/**
 * The network list for one endpoint: `bridge` (one bridge per VNI on the node, no gateway
 * address on it) with `static` IPAM giving the requested address and a default route via the
 * subnet gateway, then `tuning` setting the requested MAC.
 */
export function cniNetworkList(tag: string, bridgeName: string, ep: Pick<Endpoint, 'ip' | 'gateway' | 'mac' | 'vni' | 'endpoint'>): CniNetworkList {
  const routes = ep.endpoint === 0 ? [{ dst: '0.0.0.0/0', gw: ep.gateway }] : [];
  return {
    cniVersion: CNI_VERSION,
    name: `merak-${tag}-${ep.vni}`,
    plugins: [
      {
        type: 'bridge',
        bridge: bridgeName,
        isGateway: false,
        ipMasq: false,
        hairpinMode: false,
        ipam: { type: 'static', addresses: [{ address: ep.ip, gateway: ep.gateway }], routes },
      },
      { type: 'tuning', mac: ep.mac },
    ],
  };
}

/** The stdin of one plugin of the list: its conf plus name/cniVersion, and prevResult when chaining. */
export function pluginStdin(list: CniNetworkList, index: number, prevResult?: unknown): string {
  const conf: Record<string, unknown> = { cniVersion: list.cniVersion, name: list.name, ...list.plugins[index] };
  if (prevResult !== undefined) conf.prevResult = prevResult;
  return JSON.stringify(conf);
}

export interface CniEnvInput {
  command: 'ADD' | 'DEL' | 'CHECK' | 'VERSION';
  containerId: string;
  netnsPath: string;
  ifname: string;
  cniPath: string;
}

export function cniEnv(i: CniEnvInput): Record<string, string> {
  return {
    CNI_COMMAND: i.command,
    CNI_CONTAINERID: i.containerId,
    CNI_NETNS: i.netnsPath,
    CNI_IFNAME: i.ifname,
    CNI_ARGS: 'IgnoreUnknown=1',
    CNI_PATH: i.cniPath,
  };
}

export interface CniResultInterface {
  name: string;
  mac?: string;
  sandbox?: string;
}

export interface CniResult {
  cniVersion?: string;
  interfaces?: CniResultInterface[];
  ips?: Array<{ address: string; gateway?: string; interface?: number }>;
  routes?: Array<{ dst: string; gw?: string }>;
}

export interface CniErrorObject {
  cniVersion?: string;
  code: number;
  msg: string;
  details?: string;
}

/** Parses a CNI plugin's stdout: the result on success, or the error object it printed. */
export function parseCniOutput(code: number | null, stdout: string, stderr: string): { ok: true; result: CniResult } | { ok: false; error: CniErrorObject } {
  let parsed: unknown;
  try {
    parsed = stdout.trim() === '' ? {} : JSON.parse(stdout);
  } catch {
    parsed = undefined;
  }
  if (code === 0 && parsed && typeof parsed === 'object') return { ok: true, result: parsed as CniResult };
  const e = parsed as Partial<CniErrorObject> | undefined;
  if (e && typeof e.msg === 'string') return { ok: false, error: { code: Number(e.code ?? 999), msg: e.msg, details: e.details } };
  return { ok: false, error: { code: 999, msg: stderr.trim().slice(0, 2000) || `exit ${code} without a CNI error object` } };
}

/** Checks a CNI ADD result against what was asked: the sandbox interface name, address and MAC. */
export function verifyCniResult(result: CniResult, want: Pick<Endpoint, 'ifname' | 'ip' | 'mac'>): string[] {
  const problems: string[] = [];
  const sandbox = (result.interfaces ?? []).find((i) => i.sandbox && i.name === want.ifname);
  if (!sandbox) problems.push(`no interface ${want.ifname} in the result's sandbox interfaces`);
  else if (sandbox.mac && sandbox.mac.toLowerCase() !== want.mac.toLowerCase()) problems.push(`MAC ${sandbox.mac}, wanted ${want.mac}`);
  if (!(result.ips ?? []).some((ip) => ip.address === want.ip)) problems.push(`address ${want.ip} not in the result`);
  return problems;
}
