// Original file: proto/alcor/port.proto

import type { OperationType as _alcor_schema_OperationType, OperationType__Output as _alcor_schema_OperationType__Output } from '../../alcor/schema/OperationType';
import type { PortConfiguration as _alcor_schema_PortConfiguration, PortConfiguration__Output as _alcor_schema_PortConfiguration__Output } from '../../alcor/schema/PortConfiguration';

export interface PortState {
  'operation_type'?: (_alcor_schema_OperationType);
  'configuration'?: (_alcor_schema_PortConfiguration | null);
}

export interface PortState__Output {
  'operation_type': (_alcor_schema_OperationType__Output);
  'configuration': (_alcor_schema_PortConfiguration__Output | null);
}
