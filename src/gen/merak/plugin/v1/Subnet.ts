// Original file: proto/merak/plugin/v1/network_plugin.proto


/**
 * A subnet: an address range inside a VPC.
 */
export interface Subnet {
  /**
   * VXLAN network identifier. 0 asks for the VPC's VNI; the response carries the VNI in force.
   */
  'vni'?: (number);
  /**
   * Key of the subnet, unique across the provider.
   */
  'id'?: (string);
  /**
   * Id of the VPC holding the subnet; the VPC must exist.
   */
  'vpc'?: (string);
  /**
   * Network address of the subnet's CIDR, dotted IPv4; host bits must be zero.
   */
  'ip'?: (string);
  /**
   * Prefix length of the subnet's CIDR, 0..32; the CIDR must lie inside the VPC's and must not
   * overlap another subnet of the same VPC.
   */
  'prefix'?: (number);
  /**
   * Provider-specific extras, passed through untouched by Merak.
   */
  'optional'?: ({[key: string]: string});
  /**
   * Name of the scenario that owns the subnet ("" = no owner).
   */
  'scenario'?: (string);
}

/**
 * A subnet: an address range inside a VPC.
 */
export interface Subnet__Output {
  /**
   * VXLAN network identifier. 0 asks for the VPC's VNI; the response carries the VNI in force.
   */
  'vni': (number);
  /**
   * Key of the subnet, unique across the provider.
   */
  'id': (string);
  /**
   * Id of the VPC holding the subnet; the VPC must exist.
   */
  'vpc': (string);
  /**
   * Network address of the subnet's CIDR, dotted IPv4; host bits must be zero.
   */
  'ip': (string);
  /**
   * Prefix length of the subnet's CIDR, 0..32; the CIDR must lie inside the VPC's and must not
   * overlap another subnet of the same VPC.
   */
  'prefix': (number);
  /**
   * Provider-specific extras, passed through untouched by Merak.
   */
  'optional': ({[key: string]: string});
  /**
   * Name of the scenario that owns the subnet ("" = no owner).
   */
  'scenario': (string);
}
