/**
 * Address and identity rules of a scenario that a schema cannot say: ranges a cloud cannot use
 * (see special-ranges.ts), and node identities (underlay address, MAC) that must be unique and
 * usable. Pure; parseSpec (spec.ts) runs them with its other cross-field rules, so a bad value is
 * refused with its field, the value and the rule before anything is built, instead of failing
 * in the plugin after other objects exist.
 */
import { cidrContainsAddress, cidrLast, parseCidr, parseIpv4 } from './ipv4';
import { underlayAddress, underlayCapacity } from './ipam';
import { nodeMac } from './mac';
import { unusableAddress, unusableOverlap, unusableRule } from './special-ranges';

/** One problem: where, what was there, which rule it broke (the shape of spec.ts's SpecIssue). */
export interface AddressIssue {
  path: string;
  value: unknown;
  rule: string;
}

/** What the rules read of a spec (already through the schema: every CIDR and address parses). */
export interface AddressRuleInput {
  name: string;
  underlay: { cidr: string };
  vpcs: readonly { cidr: string; subnets: readonly { cidr: string }[] }[];
  nodes: readonly { name: string; ip?: string; mac?: string }[];
}

/**
 * VPC, subnet and underlay CIDRs that overlap a range an emulated cloud cannot use. A CIDR given
 * as undefined (it broke its own rule, reported elsewhere) is skipped; the others keep their paths.
 */
export function rangeIssues(spec: { underlay: { cidr: string | undefined }; vpcs: readonly { cidr: string | undefined; subnets: readonly { cidr: string | undefined }[] }[] }): AddressIssue[] {
  const issues: AddressIssue[] = [];
  const check = (path: string, cidr: string | undefined) => {
    if (cidr === undefined) return;
    const bad = unusableOverlap(cidr);
    if (bad) issues.push({ path, value: cidr, rule: unusableRule(bad, 'range') });
  };
  spec.vpcs.forEach((vpc, v) => {
    check(`vpcs[${v}].cidr`, vpc.cidr);
    vpc.subnets.forEach((subnet, s) => check(`vpcs[${v}].subnets[${s}].cidr`, subnet.cidr));
  });
  check('underlay.cidr', spec.underlay.cidr);
  return issues;
}

/**
 * The underlay address and MAC each node will have, in node order (a node's slot is its index
 * when the scenario is first built): the spec's own, else the ones Merak derives (underlay.cidr
 * network + 1 + slot; nodeMac(scenario, slot)). `ip` is undefined when the underlay has no
 * address for the slot (reported by the capacity rule).
 */
export function nodeIdentities(spec: Pick<AddressRuleInput, 'name' | 'underlay' | 'nodes'>): { ip?: string; ipGiven: boolean; mac: string; macGiven: boolean }[] {
  const capacity = underlayCapacity(spec.underlay.cidr);
  return spec.nodes.map((node, slot) => ({
    ip: node.ip ?? (slot < capacity ? underlayAddress(spec.underlay.cidr, slot) : undefined),
    ipGiven: node.ip !== undefined,
    mac: node.mac ?? nodeMac(spec.name, Math.min(slot, 0xffff)),
    macGiven: node.mac !== undefined,
  }));
}

/**
 * Node identities: an explicit address must be ordinary unicast, must not be the network or
 * broadcast address of the underlay it lies in, and must not be any other node's address, given
 * or derived; an explicit MAC must not be all-zero (multicast and broadcast are refused by the
 * schema) and must not be any other node's MAC, given or derived. The plugin refuses the same
 * duplicates, but only after the VPCs and subnets exist.
 */
export function nodeIdentityIssues(spec: AddressRuleInput): AddressIssue[] {
  const issues: AddressIssue[] = [];
  const underlay = parseCidr(spec.underlay.cidr);
  const ids = nodeIdentities(spec);
  const label = (n: number) => `nodes[${n}] (${spec.nodes[n]!.name})`;

  const givenIp = new Map<string, number>();
  ids.forEach((id, n) => {
    if (!id.ipGiven) return;
    const path = `nodes[${n}].ip`;
    const address = parseIpv4(id.ip!);
    const bad = unusableAddress(address);
    if (bad) issues.push({ path, value: id.ip, rule: unusableRule(bad, 'address') });
    if (underlay.prefix < 31 && (address === underlay.network || address === cidrLast(underlay))) {
      const which = address === underlay.network ? 'network' : 'broadcast';
      issues.push({ path, value: id.ip, rule: `is the ${which} address of underlay.cidr ${spec.underlay.cidr}, which no node can have` });
    }
    const holder = givenIp.get(id.ip!);
    if (holder !== undefined) issues.push({ path, value: id.ip, rule: `is already the address of ${label(holder)}; node addresses are unique` });
    else givenIp.set(id.ip!, n);
  });
  // A derived address never repeats (one slot each), but a given one may be another node's derived one.
  ids.forEach((id, n) => {
    if (id.ipGiven || id.ip === undefined) return;
    const holder = givenIp.get(id.ip);
    if (holder === undefined) return;
    issues.push({
      path: `nodes[${holder}].ip`,
      value: id.ip,
      rule: `is the address Merak gives ${label(n)} from underlay.cidr ${spec.underlay.cidr} (its slot ${n}); node addresses are unique: give another, or give ${spec.nodes[n]!.name} its own`,
    });
  });

  const givenMac = new Map<string, number>();
  ids.forEach((id, n) => {
    if (!id.macGiven) return;
    const path = `nodes[${n}].mac`;
    if (id.mac === '00:00:00:00:00:00') {
      issues.push({ path, value: id.mac, rule: 'is the all-zero MAC, which no interface may carry' });
      return;
    }
    const holder = givenMac.get(id.mac);
    if (holder !== undefined) issues.push({ path, value: id.mac, rule: `is already the MAC of ${label(holder)}; node MACs are unique` });
    else givenMac.set(id.mac, n);
  });
  ids.forEach((id, n) => {
    if (id.macGiven) return;
    const holder = givenMac.get(id.mac);
    if (holder === undefined) return;
    issues.push({ path: `nodes[${holder}].mac`, value: id.mac, rule: `is the MAC Merak derives for ${label(n)}; node MACs are unique: give another` });
  });
  return issues.sort((a, b) => a.path.localeCompare(b.path, 'en', { numeric: true }));
}

/**
 * Local mode only (the agent makes the node namespaces and the underlay inside one fabric): a
 * node's given address becomes its underlay address, so it must lie inside underlay.cidr.
 * Kubernetes nodes use their pod IP, which lies wherever the cluster puts it; that is why this
 * is not part of parseSpec.
 */
export function localNodeIssues(spec: Pick<AddressRuleInput, 'underlay' | 'nodes'>): AddressIssue[] {
  const underlay = parseCidr(spec.underlay.cidr);
  const issues: AddressIssue[] = [];
  spec.nodes.forEach((node, n) => {
    if (node.ip === undefined) return;
    if (!cidrContainsAddress(underlay, parseIpv4(node.ip))) {
      issues.push({
        path: `nodes[${n}].ip`,
        value: node.ip,
        rule: `is outside underlay.cidr ${spec.underlay.cidr}: a local node's address is its underlay address inside the fabric (give an address in ${spec.underlay.cidr}, or none to get one)`,
      });
    }
  });
  return issues;
}
