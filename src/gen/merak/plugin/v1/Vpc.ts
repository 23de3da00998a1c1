// Original file: proto/merak/plugin/v1/network_plugin.proto


/**
 * A VPC: an isolated virtual network with one address range.
 */
export interface Vpc {
  /**
   * VXLAN network identifier, 1..16777215. Providers that allocate their own VNI ignore the
   * asked value and return theirs.
   */
  'vni'?: (number);
  /**
   * Key of the VPC, unique across the provider.
   */
  'id'?: (string);
  /**
   * Network address of the VPC's CIDR, dotted IPv4 (e.g. "10.0.0.0"); host bits must be zero.
   */
  'ip'?: (string);
  /**
   * Prefix length of the VPC's CIDR, 0..32.
   */
  'prefix'?: (number);
  /**
   * Provider-specific extras, passed through untouched by Merak.
   */
  'optional'?: ({[key: string]: string});
  /**
   * Name of the scenario that owns the VPC ("" = no owner).
   */
  'scenario'?: (string);
}

/**
 * A VPC: an isolated virtual network with one address range.
 */
export interface Vpc__Output {
  /**
   * VXLAN network identifier, 1..16777215. Providers that allocate their own VNI ignore the
   * asked value and return theirs.
   */
  'vni': (number);
  /**
   * Key of the VPC, unique across the provider.
   */
  'id': (string);
  /**
   * Network address of the VPC's CIDR, dotted IPv4 (e.g. "10.0.0.0"); host bits must be zero.
   */
  'ip': (string);
  /**
   * Prefix length of the VPC's CIDR, 0..32.
   */
  'prefix': (number);
  /**
   * Provider-specific extras, passed through untouched by Merak.
   */
  'optional': ({[key: string]: string});
  /**
   * Name of the scenario that owns the VPC ("" = no owner).
   */
  'scenario': (string);
}
