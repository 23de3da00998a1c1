/**
 * Environment of an executable endpoint plugin (pure). The variables are the protocol; see
 * docs/endpoint-plugin.md. Nothing from the spec reaches a shell: values travel as environment
 * variables of an argv-spawned process.
 */
import { PLUGIN_PROTOCOL_VERSION, type Endpoint, type PluginCommand, type VmRef } from './types';

export interface EnvBase {
  scenario: string;
  node: string;
  /** Node namespace file; '' in pod mode. */
  nodeNetnsPath: string;
}

export function vmEnv(command: PluginCommand, base: EnvBase, vm: VmRef): Record<string, string> {
  return {
    MERAK_COMMAND: command,
    MERAK_PLUGIN_PROTOCOL: PLUGIN_PROTOCOL_VERSION,
    MERAK_SCENARIO: base.scenario,
    MERAK_NODE: base.node,
    MERAK_NODE_NETNS: base.nodeNetnsPath,
    MERAK_VM: vm.name,
    MERAK_VM_INDEX: String(vm.vmIndex),
    MERAK_NETNS: vm.netnsPath,
  };
}

export function endpointEnv(command: PluginCommand, base: EnvBase, ep: Endpoint): Record<string, string> {
  return {
    ...vmEnv(command, base, ep.vm),
    MERAK_ID: ep.id,
    MERAK_IP: ep.ip,
    MERAK_MAC: ep.mac,
    MERAK_SUBNET: ep.subnetCidr,
    MERAK_SUBNET_ID: ep.subnetId,
    MERAK_VPC: ep.vpc,
    MERAK_IFNAME: ep.ifname,
    MERAK_HOST_IFNAME: ep.hostIfname,
    MERAK_GATEWAY: ep.gateway,
    MERAK_VNI: String(ep.vni),
    MERAK_EXTRAS: JSON.stringify(ep.extras),
    ...(ep.mtu !== undefined ? { MERAK_MTU: String(ep.mtu) } : {}),
  };
}

export function versionEnv(base: EnvBase): Record<string, string> {
  return {
    MERAK_COMMAND: 'VERSION',
    MERAK_PLUGIN_PROTOCOL: PLUGIN_PROTOCOL_VERSION,
    MERAK_SCENARIO: base.scenario,
    MERAK_NODE: base.node,
    MERAK_NODE_NETNS: base.nodeNetnsPath,
  };
}

export interface PluginOutcome {
  ok: boolean;
  result?: Record<string, unknown>;
  error?: { code: string; message: string; details?: unknown };
}

/** Interprets a finished plugin process: exit 0 + JSON object = success; anything else = an error object. */
export function interpretPluginOutput(code: number | null, signal: string | null, stdout: string, stderr: string, timedOut: boolean): PluginOutcome {
  const text = stdout.trim();
  let parsed: unknown;
  try {
    parsed = text === '' ? {} : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (timedOut) return { ok: false, error: { code: 'TIMEOUT', message: 'the plugin did not finish in time', details: { stderr: stderr.slice(0, 2000) } } };
  if (code === 0) {
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return { ok: true, result: parsed as Record<string, unknown> };
    return { ok: false, error: { code: 'BAD_OUTPUT', message: 'exit 0 but stdout is not a JSON object', details: { stdout: text.slice(0, 2000) } } };
  }
  const e = parsed as { code?: unknown; message?: unknown; details?: unknown } | undefined;
  if (e && typeof e === 'object' && typeof e.message === 'string') {
    return { ok: false, error: { code: String(e.code ?? `EXIT_${code}`), message: e.message, details: e.details } };
  }
  return {
    ok: false,
    error: { code: signal ? `SIGNAL_${signal}` : `EXIT_${code}`, message: stderr.trim().slice(0, 2000) || 'the plugin failed without a JSON error on stdout' },
  };
}
