// Original file: proto/merak/plugin/v1/network_plugin.proto


/**
 * A compute node: a host carrying VMs, reachable on the underlay.
 */
export interface Node {
  /**
   * Key of the node, unique across the provider.
   */
  'name'?: (string);
  /**
   * Underlay IPv4 address of the node, dotted.
   */
  'ip'?: (string);
  /**
   * Underlay MAC address of the node: six colon-separated hex octets, unicast.
   */
  'mac'?: (string);
  /**
   * Provider-specific extras, passed through untouched by Merak.
   */
  'optional'?: ({[key: string]: string});
  /**
   * Name of the scenario that owns the node ("" = no owner).
   */
  'scenario'?: (string);
}

/**
 * A compute node: a host carrying VMs, reachable on the underlay.
 */
export interface Node__Output {
  /**
   * Key of the node, unique across the provider.
   */
  'name': (string);
  /**
   * Underlay IPv4 address of the node, dotted.
   */
  'ip': (string);
  /**
   * Underlay MAC address of the node: six colon-separated hex octets, unicast.
   */
  'mac': (string);
  /**
   * Provider-specific extras, passed through untouched by Merak.
   */
  'optional': ({[key: string]: string});
  /**
   * Name of the scenario that owns the node ("" = no owner).
   */
  'scenario': (string);
}
