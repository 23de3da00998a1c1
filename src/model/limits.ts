/**
 * Limits that several layers check (the spec, the agent's payloads, the reference plugin, the
 * docs). One constant each, so a limit cannot differ between the place that accepts a value and
 * the place that uses it; test/unit/docs-limits.test.ts checks that the docs state the same
 * numbers.
 */

/**
 * Largest VXLAN network identifier: the VNI field is 24 bits (RFC 7348, section 5). VNI 0 is
 * not used by Merak: a subnet without its own VNI takes its VPC's.
 */
export const MAX_VNI = 2 ** 24 - 1;

/**
 * MTU of the emulated underlay links in local mode when the scenario gives none (`underlay.mtu`),
 * in bytes: what a cluster's pod network and most physical networks carry, so a local cloud
 * meets the same limit as one on Kubernetes.
 */
export const DEFAULT_UNDERLAY_MTU = 1500;
/** Smallest underlay MTU: IPv6's minimum link MTU (RFC 8200, section 5), which every underlay device here accepts. */
export const MIN_UNDERLAY_MTU = 1280;
/** Largest MTU Merak sets (underlay or endpoint), in bytes: the common jumbo-frame ceiling of switches. */
export const MAX_MTU = 9216;
/** Smallest endpoint MTU: every IPv4 host must accept 576-byte datagrams (RFC 791). */
export const MIN_ENDPOINT_MTU = 576;
/**
 * Bytes VXLAN over IPv4 adds to each frame a VM sends: outer Ethernet 14 + IPv4 20 + UDP 8 +
 * VXLAN 8 (RFC 7348, section 5). An endpoint of the reference dataplane carries at most the
 * underlay MTU minus this, as Neutron sets 1450 on VXLAN networks over a 1500-byte underlay.
 */
export const VXLAN_IPV4_OVERHEAD = 50;

/**
 * The MTU of a VM's endpoints: the scenario's own (`mtu`) when given, otherwise the underlay
 * device's MTU minus what the endpoint plugin's encapsulation adds (pure).
 * @param underlayMtu MTU of the node's underlay device, bytes (local: `underlay.mtu`; pod: the pod's default-route device)
 * @param overhead bytes the plugin's encapsulation adds per frame (reference: VXLAN_IPV4_OVERHEAD; none/exec: 0)
 * @param override the scenario's `mtu`, bytes
 * @returns bytes, never below MIN_ENDPOINT_MTU
 * @throws RangeError when the derived MTU would be below MIN_ENDPOINT_MTU (an underlay too small for the encapsulation)
 */
export function endpointMtu(underlayMtu: number, overhead: number, override?: number): number {
  if (override !== undefined) return override;
  const mtu = underlayMtu - overhead;
  if (mtu < MIN_ENDPOINT_MTU) {
    throw new RangeError(`underlay MTU ${underlayMtu} minus the encapsulation's ${overhead} bytes is ${mtu}, below the ${MIN_ENDPOINT_MTU} bytes every IPv4 host must accept (RFC 791)`);
  }
  return mtu;
}
