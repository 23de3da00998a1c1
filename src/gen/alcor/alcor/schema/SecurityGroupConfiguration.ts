// Original file: proto/alcor/securitygroup.proto

import type { UpdateType as _alcor_schema_UpdateType, UpdateType__Output as _alcor_schema_UpdateType__Output } from '../../alcor/schema/UpdateType';
import type { OperationType as _alcor_schema_OperationType, OperationType__Output as _alcor_schema_OperationType__Output } from '../../alcor/schema/OperationType';
import type { EtherType as _alcor_schema_EtherType, EtherType__Output as _alcor_schema_EtherType__Output } from '../../alcor/schema/EtherType';
import type { Protocol as _alcor_schema_Protocol, Protocol__Output as _alcor_schema_Protocol__Output } from '../../alcor/schema/Protocol';

// Original file: proto/alcor/securitygroup.proto

export const _alcor_schema_SecurityGroupConfiguration_Direction = {
  EGRESS: 'EGRESS',
  INGRESS: 'INGRESS',
} as const;

export type _alcor_schema_SecurityGroupConfiguration_Direction =
  | 'EGRESS'
  | 0
  | 'INGRESS'
  | 1

export type _alcor_schema_SecurityGroupConfiguration_Direction__Output = typeof _alcor_schema_SecurityGroupConfiguration_Direction[keyof typeof _alcor_schema_SecurityGroupConfiguration_Direction]

export interface _alcor_schema_SecurityGroupConfiguration_SecurityGroupRule {
  'operation_type'?: (_alcor_schema_OperationType);
  'security_group_id'?: (string);
  'id'?: (string);
  'direction'?: (_alcor_schema_SecurityGroupConfiguration_Direction);
  'ethertype'?: (_alcor_schema_EtherType);
  'protocol'?: (_alcor_schema_Protocol);
  'port_range_min'?: (number);
  'port_range_max'?: (number);
  'remote_ip_prefix'?: (string);
  'remote_group_id'?: (string);
}

export interface _alcor_schema_SecurityGroupConfiguration_SecurityGroupRule__Output {
  'operation_type': (_alcor_schema_OperationType__Output);
  'security_group_id': (string);
  'id': (string);
  'direction': (_alcor_schema_SecurityGroupConfiguration_Direction__Output);
  'ethertype': (_alcor_schema_EtherType__Output);
  'protocol': (_alcor_schema_Protocol__Output);
  'port_range_min': (number);
  'port_range_max': (number);
  'remote_ip_prefix': (string);
  'remote_group_id': (string);
}

export interface SecurityGroupConfiguration {
  'revision_number'?: (number);
  'request_id'?: (string);
  'id'?: (string);
  /**
   * DELTA (default) or FULL
   */
  'update_type'?: (_alcor_schema_UpdateType);
  'vpc_id'?: (string);
  'name'?: (string);
  'security_group_rules'?: (_alcor_schema_SecurityGroupConfiguration_SecurityGroupRule)[];
}

export interface SecurityGroupConfiguration__Output {
  'revision_number': (number);
  'request_id': (string);
  'id': (string);
  /**
   * DELTA (default) or FULL
   */
  'update_type': (_alcor_schema_UpdateType__Output);
  'vpc_id': (string);
  'name': (string);
  'security_group_rules': (_alcor_schema_SecurityGroupConfiguration_SecurityGroupRule__Output)[];
}
