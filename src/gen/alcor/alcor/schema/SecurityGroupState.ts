// Original file: proto/alcor/securitygroup.proto

import type { OperationType as _alcor_schema_OperationType, OperationType__Output as _alcor_schema_OperationType__Output } from '../../alcor/schema/OperationType';
import type { SecurityGroupConfiguration as _alcor_schema_SecurityGroupConfiguration, SecurityGroupConfiguration__Output as _alcor_schema_SecurityGroupConfiguration__Output } from '../../alcor/schema/SecurityGroupConfiguration';

export interface SecurityGroupState {
  'operation_type'?: (_alcor_schema_OperationType);
  'configuration'?: (_alcor_schema_SecurityGroupConfiguration | null);
}

export interface SecurityGroupState__Output {
  'operation_type': (_alcor_schema_OperationType__Output);
  'configuration': (_alcor_schema_SecurityGroupConfiguration__Output | null);
}
