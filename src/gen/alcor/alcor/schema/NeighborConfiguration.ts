// Original file: proto/alcor/neighbor.proto

import type { UpdateType as _alcor_schema_UpdateType, UpdateType__Output as _alcor_schema_UpdateType__Output } from '../../alcor/schema/UpdateType';
import type { NeighborType as _alcor_schema_NeighborType, NeighborType__Output as _alcor_schema_NeighborType__Output } from '../../alcor/schema/NeighborType';

export interface _alcor_schema_NeighborConfiguration_AllowAddressPair {
  'ip_address'?: (string);
  'mac_address'?: (string);
}

export interface _alcor_schema_NeighborConfiguration_AllowAddressPair__Output {
  'ip_address': (string);
  'mac_address': (string);
}

export interface _alcor_schema_NeighborConfiguration_FixedIp {
  'neighbor_type'?: (_alcor_schema_NeighborType);
  'subnet_id'?: (string);
  'ip_address'?: (string);
  'arion_group'?: (string);
  'tunnel_id'?: (number);
}

export interface _alcor_schema_NeighborConfiguration_FixedIp__Output {
  'neighbor_type': (_alcor_schema_NeighborType__Output);
  'subnet_id': (string);
  'ip_address': (string);
  'arion_group': (string);
  'tunnel_id': (number);
}

export interface NeighborConfiguration {
  'revision_number'?: (number);
  'request_id'?: (string);
  'id'?: (string);
  /**
   * DELTA (default) or FULL
   */
  'update_type'?: (_alcor_schema_UpdateType);
  'vpc_id'?: (string);
  'name'?: (string);
  /**
   * Port virtual mac
   */
  'mac_address'?: (string);
  'host_mac_address'?: (string);
  'host_ip_address'?: (string);
  'fixed_ips'?: (_alcor_schema_NeighborConfiguration_FixedIp)[];
  'allow_address_pairs'?: (_alcor_schema_NeighborConfiguration_AllowAddressPair)[];
}

export interface NeighborConfiguration__Output {
  'revision_number': (number);
  'request_id': (string);
  'id': (string);
  /**
   * DELTA (default) or FULL
   */
  'update_type': (_alcor_schema_UpdateType__Output);
  'vpc_id': (string);
  'name': (string);
  /**
   * Port virtual mac
   */
  'mac_address': (string);
  'host_mac_address': (string);
  'host_ip_address': (string);
  'fixed_ips': (_alcor_schema_NeighborConfiguration_FixedIp__Output)[];
  'allow_address_pairs': (_alcor_schema_NeighborConfiguration_AllowAddressPair__Output)[];
}
