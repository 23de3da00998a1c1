/**
 * IPv4 addresses and CIDR blocks as plain numbers: parse, format, contain, overlap.
 *
 * Pure, no Node imports, so workflow code (IPAM) may use it as well as the plugins.
 * An address is an unsigned 32-bit integer (0..4294967295); a CIDR is its network address and
 * prefix length. Parsing is strict on purpose: "010.1.1.1" (leading zero, read as octal by some
 * tools), "1.2.3" (shorthand) and surrounding spaces are refused, so one string means one address
 * everywhere in the project.
 */

/** Thrown for text that is not an IPv4 address or CIDR; says which value broke which rule. */
export class Ipv4FormatError extends Error {
  override readonly name = 'Ipv4FormatError';
  constructor(
    /** The text or number that was refused. */
    readonly value: string,
    /** The rule it broke, e.g. "octet 256 is above 255". */
    readonly rule: string,
  ) {
    super(`"${value}" is not valid: ${rule}`);
  }
}

/** A CIDR block: network address (host bits zero) and prefix length 0..32. */
export interface Ipv4Cidr {
  /** Network address as an unsigned 32-bit integer. */
  readonly network: number;
  /** Prefix length, 0..32. */
  readonly prefix: number;
}

const OCTET = /^(0|[1-9][0-9]{0,2})$/;
const PREFIX = /^(0|[1-9][0-9]?)$/;

/** Number of IPv4 addresses, 2^32. */
export const IPV4_ADDRESS_COUNT = 2 ** 32;

/** Parses dotted-quad text ("10.0.0.1") into an unsigned 32-bit integer; throws Ipv4FormatError. */
export function parseIpv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) {
    throw new Ipv4FormatError(text, `an IPv4 address has 4 dot-separated octets, found ${parts.length}`);
  }
  let value = 0;
  for (const part of parts) {
    if (!OCTET.test(part)) {
      throw new Ipv4FormatError(text, `octet "${part}" is not a decimal number 0..255 without leading zeros`);
    }
    const octet = Number(part);
    if (octet > 255) throw new Ipv4FormatError(text, `octet ${octet} is above 255`);
    value = value * 256 + octet;
  }
  return value;
}

/** True when text is a strict dotted-quad IPv4 address. */
export function isIpv4(text: string): boolean {
  try {
    parseIpv4(text);
    return true;
  } catch {
    return false;
  }
}

/** Formats an unsigned 32-bit integer as dotted-quad text; throws Ipv4FormatError out of range. */
export function formatIpv4(address: number): string {
  assertAddress(address);
  return [address >>> 24, (address >>> 16) & 255, (address >>> 8) & 255, address & 255].join('.');
}

/** The netmask of a prefix length as an unsigned 32-bit integer (prefix 24 → 255.255.255.0). */
export function prefixMask(prefix: number): number {
  assertPrefix(prefix);
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/**
 * Builds a CIDR from an address and a prefix length. Host bits must be zero ("10.0.0.1/24" is
 * refused: it usually means a typo, and silently masking it would hide which network was meant).
 */
export function cidrFrom(address: number | string, prefix: number): Ipv4Cidr {
  const network = typeof address === 'string' ? parseIpv4(address) : address;
  assertAddress(network);
  assertPrefix(prefix);
  const hostBits = (network & ~prefixMask(prefix)) >>> 0;
  if (hostBits !== 0) {
    const text = `${formatIpv4(network)}/${prefix}`;
    const expected = `${formatIpv4((network & prefixMask(prefix)) >>> 0)}/${prefix}`;
    throw new Ipv4FormatError(text, `host bits must be zero (did you mean ${expected}?)`);
  }
  return { network, prefix };
}

/** Parses "a.b.c.d/n" into a CIDR; host bits must be zero. Throws Ipv4FormatError. */
export function parseCidr(text: string): Ipv4Cidr {
  const slash = text.indexOf('/');
  if (slash < 0) throw new Ipv4FormatError(text, 'a CIDR is written address/prefix, e.g. 10.0.0.0/16');
  const addressText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (!PREFIX.test(prefixText) || Number(prefixText) > 32) {
    throw new Ipv4FormatError(text, `prefix "${prefixText}" is not a whole number 0..32`);
  }
  let address: number;
  try {
    address = parseIpv4(addressText);
  } catch (err) {
    throw new Ipv4FormatError(text, err instanceof Ipv4FormatError ? err.rule : String(err));
  }
  return cidrFrom(address, Number(prefixText));
}

/** Formats a CIDR as "a.b.c.d/n". */
export function formatCidr(cidr: Ipv4Cidr): string {
  return `${formatIpv4(cidr.network)}/${cidr.prefix}`;
}

/** Number of addresses in the block, network and broadcast included (a /24 holds 256). */
export function cidrSize(cidr: Ipv4Cidr): number {
  return 2 ** (32 - cidr.prefix);
}

/** Last address of the block (the broadcast address for prefixes below 31). */
export function cidrLast(cidr: Ipv4Cidr): number {
  return cidr.network + cidrSize(cidr) - 1;
}

/** The index-th address of the block, 0 being the network address; throws RangeError outside it. */
export function cidrAddressAt(cidr: Ipv4Cidr, index: number): number {
  if (!Number.isInteger(index) || index < 0 || index >= cidrSize(cidr)) {
    throw new RangeError(`index ${index} is outside ${formatCidr(cidr)}, which holds ${cidrSize(cidr)} addresses (0..${cidrSize(cidr) - 1})`);
  }
  return cidr.network + index;
}

/** True when the address lies in the block. */
export function cidrContainsAddress(cidr: Ipv4Cidr, address: number): boolean {
  return address >= cidr.network && address <= cidrLast(cidr);
}

/** True when inner lies entirely in outer (a block contains itself). */
export function cidrContains(outer: Ipv4Cidr, inner: Ipv4Cidr): boolean {
  return inner.prefix >= outer.prefix && cidrContainsAddress(outer, inner.network);
}

/** True when the two blocks share at least one address. */
export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return a.network <= cidrLast(b) && b.network <= cidrLast(a);
}

function assertAddress(address: number): void {
  if (!Number.isInteger(address) || address < 0 || address > 0xffffffff) {
    throw new Ipv4FormatError(String(address), 'an IPv4 address is a whole number 0..4294967295');
  }
}

function assertPrefix(prefix: number): void {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
    throw new Ipv4FormatError(String(prefix), 'an IPv4 prefix length is a whole number 0..32');
  }
}
