// Original file: proto/alcor/port.proto

import type { UpdateType as _alcor_schema_UpdateType, UpdateType__Output as _alcor_schema_UpdateType__Output } from '../../alcor/schema/UpdateType';

export interface _alcor_schema_PortConfiguration_AllowAddressPair {
  'ip_address'?: (string);
  'mac_address'?: (string);
}

export interface _alcor_schema_PortConfiguration_AllowAddressPair__Output {
  'ip_address': (string);
  'mac_address': (string);
}

export interface _alcor_schema_PortConfiguration_FixedIp {
  'subnet_id'?: (string);
  'ip_address'?: (string);
}

export interface _alcor_schema_PortConfiguration_FixedIp__Output {
  'subnet_id': (string);
  'ip_address': (string);
}

export interface _alcor_schema_PortConfiguration_HostInfo {
  'ip_address'?: (string);
  'mac_address'?: (string);
}

export interface _alcor_schema_PortConfiguration_HostInfo__Output {
  'ip_address': (string);
  'mac_address': (string);
}

export interface _alcor_schema_PortConfiguration_SecurityGroupId {
  'id'?: (string);
}

export interface _alcor_schema_PortConfiguration_SecurityGroupId__Output {
  'id': (string);
}

export interface PortConfiguration {
  'revision_number'?: (number);
  'request_id'?: (string);
  'id'?: (string);
  /**
   * DELTA (default) or FULL
   */
  'update_type'?: (_alcor_schema_UpdateType);
  'vpc_id'?: (string);
  'name'?: (string);
  'device_id'?: (string);
  'device_owner'?: (string);
  'mac_address'?: (string);
  'admin_state_up'?: (boolean);
  'host_info'?: (_alcor_schema_PortConfiguration_HostInfo | null);
  'fixed_ips'?: (_alcor_schema_PortConfiguration_FixedIp)[];
  'allow_address_pairs'?: (_alcor_schema_PortConfiguration_AllowAddressPair)[];
  'security_group_ids'?: (_alcor_schema_PortConfiguration_SecurityGroupId)[];
}

export interface PortConfiguration__Output {
  'revision_number': (number);
  'request_id': (string);
  'id': (string);
  /**
   * DELTA (default) or FULL
   */
  'update_type': (_alcor_schema_UpdateType__Output);
  'vpc_id': (string);
  'name': (string);
  'device_id': (string);
  'device_owner': (string);
  'mac_address': (string);
  'admin_state_up': (boolean);
  'host_info': (_alcor_schema_PortConfiguration_HostInfo__Output | null);
  'fixed_ips': (_alcor_schema_PortConfiguration_FixedIp__Output)[];
  'allow_address_pairs': (_alcor_schema_PortConfiguration_AllowAddressPair__Output)[];
  'security_group_ids': (_alcor_schema_PortConfiguration_SecurityGroupId__Output)[];
}
