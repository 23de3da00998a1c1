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
