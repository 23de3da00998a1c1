// Original file: proto/alcor/router.proto

import type { UpdateType as _alcor_schema_UpdateType, UpdateType__Output as _alcor_schema_UpdateType__Output } from '../../alcor/schema/UpdateType';
import type { DestinationType as _alcor_schema_DestinationType, DestinationType__Output as _alcor_schema_DestinationType__Output } from '../../alcor/schema/DestinationType';
import type { OperationType as _alcor_schema_OperationType, OperationType__Output as _alcor_schema_OperationType__Output } from '../../alcor/schema/OperationType';

export interface _alcor_schema_RouterConfiguration_RoutingRule {
  'operation_type'?: (_alcor_schema_OperationType);
  'id'?: (string);
  'name'?: (string);
  /**
   * destination IP, could be 154.12.42.24/32 (host address) or 0.0.0.0/0 (network address)
   */
  'destination'?: (string);
  'next_hop_ip'?: (string);
  'priority'?: (number);
  'routing_rule_extra_info'?: (_alcor_schema_RouterConfiguration_RoutingRuleExtraInfo | null);
}

export interface _alcor_schema_RouterConfiguration_RoutingRule__Output {
  'operation_type': (_alcor_schema_OperationType__Output);
  'id': (string);
  'name': (string);
  /**
   * destination IP, could be 154.12.42.24/32 (host address) or 0.0.0.0/0 (network address)
   */
  'destination': (string);
  'next_hop_ip': (string);
  'priority': (number);
  'routing_rule_extra_info': (_alcor_schema_RouterConfiguration_RoutingRuleExtraInfo__Output | null);
}

export interface _alcor_schema_RouterConfiguration_RoutingRuleExtraInfo {
  'destination_type'?: (_alcor_schema_DestinationType);
  'next_hop_mac'?: (string);
}

export interface _alcor_schema_RouterConfiguration_RoutingRuleExtraInfo__Output {
  'destination_type': (_alcor_schema_DestinationType__Output);
  'next_hop_mac': (string);
}

export interface _alcor_schema_RouterConfiguration_SubnetRoutingTable {
  'subnet_id'?: (string);
  'routing_rules'?: (_alcor_schema_RouterConfiguration_RoutingRule)[];
}

export interface _alcor_schema_RouterConfiguration_SubnetRoutingTable__Output {
  'subnet_id': (string);
  'routing_rules': (_alcor_schema_RouterConfiguration_RoutingRule__Output)[];
}

export interface RouterConfiguration {
  'revision_number'?: (number);
  'request_id'?: (string);
  'id'?: (string);
  /**
   * DELTA (default) or FULL
   */
  'update_type'?: (_alcor_schema_UpdateType);
  'host_dvr_mac_address'?: (string);
  'subnet_routing_tables'?: (_alcor_schema_RouterConfiguration_SubnetRoutingTable)[];
}

export interface RouterConfiguration__Output {
  'revision_number': (number);
  'request_id': (string);
  'id': (string);
  /**
   * DELTA (default) or FULL
   */
  'update_type': (_alcor_schema_UpdateType__Output);
  'host_dvr_mac_address': (string);
  'subnet_routing_tables': (_alcor_schema_RouterConfiguration_SubnetRoutingTable__Output)[];
}
