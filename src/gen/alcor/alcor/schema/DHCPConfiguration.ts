// Original file: proto/alcor/dhcp.proto

import type { UpdateType as _alcor_schema_UpdateType, UpdateType__Output as _alcor_schema_UpdateType__Output } from '../../alcor/schema/UpdateType';

export interface DHCPConfiguration {
  'revision_number'?: (number);
  'request_id'?: (string);
  'id'?: (string);
  /**
   * DELTA (default) or FULL
   */
  'update_type'?: (_alcor_schema_UpdateType);
  'subnet_id'?: (string);
  'mac_address'?: (string);
  'ipv4_address'?: (string);
  'ipv6_address'?: (string);
  /**
   * for local DNS response
   */
  'port_host_name'?: (string);
}

export interface DHCPConfiguration__Output {
  'revision_number': (number);
  'request_id': (string);
  'id': (string);
  /**
   * DELTA (default) or FULL
   */
  'update_type': (_alcor_schema_UpdateType__Output);
  'subnet_id': (string);
  'mac_address': (string);
  'ipv4_address': (string);
  'ipv6_address': (string);
  /**
   * for local DNS response
   */
  'port_host_name': (string);
}
