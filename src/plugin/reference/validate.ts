import { PluginError } from '../errors';
import { cidrFrom, Ipv4FormatError, parseIpv4, type Ipv4Cidr } from '../../model/ipv4';
import { MAX_VNI } from '../../model/limits';

/**
 * Field rules of the reference network plugin. Pure. Every failure is a PluginError
 * INVALID_ARGUMENT whose message names the field, the value and the rule, e.g.
 * `vpc.vni: 0 is outside 1..16777215 (a 24-bit VXLAN network identifier)`.
 * Inputs are `unknown` because they also come from a state file written by hand or by an older
 * version, not only from decoded protobuf.
 */

export { MAX_VNI };
/** Longest key (VPC id, subnet id, node name): the DNS name limit, so keys fit in labels and names elsewhere. */
export const MAX_KEY_LENGTH = 253;

function invalid(field: string, value: unknown, rule: string): PluginError {
  return PluginError.invalidArgument(`${field}: ${show(value)} ${rule}`);
}

/** Renders a value for an error message: strings quoted, long ones cut. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (value === undefined) return 'undefined';
  return JSON.stringify(value) ?? String(value);
}

/** A key: non-empty, at most 253 characters, no whitespace or control characters. */
export function checkKey(field: string, value: unknown): string {
  if (typeof value !== 'string') throw invalid(field, value, 'is not a string');
  if (value === '') throw invalid(field, value, 'is empty; give a non-empty key');
  if (value.length > MAX_KEY_LENGTH) throw invalid(field, value, `is ${value.length} characters long, above the limit of ${MAX_KEY_LENGTH}`);
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(value)) throw invalid(field, value, 'contains whitespace or a control character');
  return value;
}

/** A VNI: whole number 1..16777215. */
export function checkVni(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalid(field, value, 'is not a whole number');
  if (value < 1 || value > MAX_VNI) throw invalid(field, value, `is outside 1..${MAX_VNI} (a 24-bit VXLAN network identifier)`);
  return value;
}

/** A subnet VNI: 0 (inherit the VPC's) or 1..16777215. */
export function checkSubnetVni(field: string, value: unknown): number {
  if (value === 0) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalid(field, value, 'is not a whole number');
  if (value < 0 || value > MAX_VNI) throw invalid(field, value, `is outside 1..${MAX_VNI} (or 0 for the VPC's VNI)`);
  return value;
}

/** A dotted IPv4 address. */
export function checkIpv4(field: string, value: unknown): string {
  if (typeof value !== 'string') throw invalid(field, value, 'is not a string');
  try {
    parseIpv4(value);
  } catch (err) {
    throw invalid(field, value, `is not a dotted IPv4 address (${err instanceof Ipv4FormatError ? err.rule : String(err)})`);
  }
  return value;
}

/** A CIDR given as two fields, network address and prefix length, with host bits zero. */
export function checkCidr(scope: string, ip: unknown, prefix: unknown): Ipv4Cidr {
  checkIpv4(`${scope}.ip`, ip);
  if (typeof prefix !== 'number' || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
    throw invalid(`${scope}.prefix`, prefix, 'is not a prefix length 0..32');
  }
  try {
    return cidrFrom(ip as string, prefix);
  } catch (err) {
    const rule = err instanceof Ipv4FormatError ? err.rule : String(err);
    throw PluginError.invalidArgument(`${scope}.ip/${scope}.prefix: "${String(ip)}/${prefix}" is not a network address: ${rule}`);
  }
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** A unicast MAC, six colon-separated hex octets; returned in lower case (the form the plugin holds). */
export function checkMac(field: string, value: unknown): string {
  if (typeof value !== 'string') throw invalid(field, value, 'is not a string');
  if (!MAC.test(value)) throw invalid(field, value, 'is not a MAC address of six colon-separated hex octets (aa:bb:cc:dd:ee:ff)');
  const mac = value.toLowerCase();
  if (mac === '00:00:00:00:00:00') throw invalid(field, value, 'is the all-zero MAC, which no interface may carry');
  if ((parseInt(mac.slice(0, 2), 16) & 1) === 1) {
    throw invalid(field, value, 'is a multicast or broadcast MAC (lowest bit of the first octet set); a node needs a unicast MAC');
  }
  return mac;
}

/** An owning scenario: "" (none, also when absent in an older state file) or a key. */
export function checkOwner(field: string, value: unknown): string {
  if (value === undefined || value === null || value === '') return '';
  return checkKey(field, value);
}

/** The provider-specific map: string keys to string values; copied so later changes by the caller cannot leak in. */
export function checkOptional(field: string, value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(field, value, 'is not a map of strings');
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (typeof item !== 'string') throw invalid(`${field}[${JSON.stringify(key)}]`, item, 'is not a string');
    out[key] = item;
  }
  return out;
}
