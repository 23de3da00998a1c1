// Original file: proto/alcor/goalstateprovisioner.proto

import type { ResourceType as _alcor_schema_ResourceType, ResourceType__Output as _alcor_schema_ResourceType__Output } from '../../alcor/schema/ResourceType';
import type { OperationType as _alcor_schema_OperationType, OperationType__Output as _alcor_schema_OperationType__Output } from '../../alcor/schema/OperationType';
import type { OperationStatus as _alcor_schema_OperationStatus, OperationStatus__Output as _alcor_schema_OperationStatus__Output } from '../../alcor/schema/OperationStatus';

export interface _alcor_schema_GoalStateOperationReply_GoalStateOperationStatus {
  'resource_id'?: (string);
  'resource_type'?: (_alcor_schema_ResourceType);
  'operation_type'?: (_alcor_schema_OperationType);
  'operation_status'?: (_alcor_schema_OperationStatus);
  'dataplane_programming_time'?: (number);
  'network_configuration_time'?: (number);
  'state_elapse_time'?: (number);
}

export interface _alcor_schema_GoalStateOperationReply_GoalStateOperationStatus__Output {
  'resource_id': (string);
  'resource_type': (_alcor_schema_ResourceType__Output);
  'operation_type': (_alcor_schema_OperationType__Output);
  'operation_status': (_alcor_schema_OperationStatus__Output);
  'dataplane_programming_time': (number);
  'network_configuration_time': (number);
  'state_elapse_time': (number);
}

export interface GoalStateOperationReply {
  'format_version'?: (number);
  'operation_statuses'?: (_alcor_schema_GoalStateOperationReply_GoalStateOperationStatus)[];
  /**
   * Total operation time (in microseconds)
   * 1. to process the message (consisting of multiple operations)
   * 2. to program data plane
   * Note: The list of operation_statuses details the time spent at each operation
   */
  'message_total_operation_time'?: (number);
}

export interface GoalStateOperationReply__Output {
  'format_version': (number);
  'operation_statuses': (_alcor_schema_GoalStateOperationReply_GoalStateOperationStatus__Output)[];
  /**
   * Total operation time (in microseconds)
   * 1. to process the message (consisting of multiple operations)
   * 2. to program data plane
   * Note: The list of operation_statuses details the time spent at each operation
   */
  'message_total_operation_time': (number);
}
