/**
 * How Merak's objects map onto OVN's northbound database (docs/providers/ovn.md), as pure
 * functions shared by the OVN network plugin, the `ovn` endpoint plugin and the tests.
 *
 * | Merak | OVN northbound |
 * | --- | --- |
 * | VPC `id` | Logical_Router named `id` |
 * | subnet `id` of VPC `v` | Logical_Switch named `id`, joined to router `v` by Logical_Router_Port `lrp:<id>` (MAC `routerMac(gateway)`, networks `<gateway>/<prefix>`) and its peer Logical_Switch_Port `lsp:<id>:router` (type router) |
 * | endpoint `<scenario>-<node>-<vm>-<ep>` | Logical_Switch_Port of that name on the subnet's switch, addresses `"<mac> <ip>"` |
 * | node | the Chassis its ovn-controller registers in the southbound database |
 *
 * Router port names contain `:`, which neither endpoint ids nor Merak's subnet ids can, so they
 * never collide with an endpoint's port (OVN needs port names unique across switches and routers).
 */
import { cidrLast, formatIpv4, parseCidr, parseIpv4 } from './ipv4';

/** external_ids keys on every row Merak makes in OVN's northbound database. */
export const OVN_KEYS = {
  /** The owning scenario ('' = none). */
  scenario: 'merak-scenario',
  /** What the row is for Merak: vpc, subnet, endpoint. */
  kind: 'merak-kind',
  /** Merak's key of the object (VPC id, subnet id, endpoint id). */
  id: 'merak-id',
  /** The CIDR Merak asked for, `a.b.c.d/p`. */
  cidr: 'merak-cidr',
  /** The VPC of a subnet. */
  vpc: 'merak-vpc',
  /** The provider-specific extras, as a JSON object of strings. */
  optional: 'merak-optional',
  /** A node's MAC (on the southbound Chassis row; OVN has no node MAC). */
  mac: 'merak-mac',
  /** The node an endpoint's port was bound on. */
  node: 'merak-node',
} as const;

/** The router port joining subnet `subnetId`'s switch to its VPC's router. */
export const routerPortName = (subnetId: string): string => `lrp:${subnetId}`;
/** The switch-side peer of routerPortName. */
export const switchRouterPortName = (subnetId: string): string => `lsp:${subnetId}:router`;

/**
 * The router port's MAC for a gateway address: `0a:58:` and the address's four octets, the
 * convention ovn-kubernetes uses for its router ports (locally administered, unicast, and unique
 * per gateway address).
 */
export function routerMac(gateway: string): string {
  const a = parseIpv4(gateway);
  return ['0a', '58', ...[24, 16, 8, 0].map((s) => ((a >>> s) & 0xff).toString(16).padStart(2, '0'))].join(':');
}

/**
 * The address an OVN central takes on a scenario's fabric: the last usable address of the
 * underlay (nodes take network+1+slot from the bottom).
 */
export function centralFabricAddress(underlayCidr: string): string {
  return formatIpv4(cidrLast(parseCidr(underlayCidr)) - 1);
}

/** Whether a string reads as a UUID, which ovn-nbctl would take for a row reference instead of a name. */
export function looksLikeUuid(s: string): boolean {
  return /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(s);
}

/** An OVN Logical_Switch_Port `addresses` entry for one endpoint: `"<mac> <ip>"` (ip without prefix). */
export function portAddresses(mac: string, ipWithPrefix: string): string {
  return `${mac} ${ipWithPrefix.split('/')[0]}`;
}
