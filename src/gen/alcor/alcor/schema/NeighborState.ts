// Original file: proto/alcor/neighbor.proto

import type { OperationType as _alcor_schema_OperationType, OperationType__Output as _alcor_schema_OperationType__Output } from '../../alcor/schema/OperationType';
import type { NeighborConfiguration as _alcor_schema_NeighborConfiguration, NeighborConfiguration__Output as _alcor_schema_NeighborConfiguration__Output } from '../../alcor/schema/NeighborConfiguration';

export interface NeighborState {
  'operation_type'?: (_alcor_schema_OperationType);
  'configuration'?: (_alcor_schema_NeighborConfiguration | null);
}

export interface NeighborState__Output {
  'operation_type': (_alcor_schema_OperationType__Output);
  'configuration': (_alcor_schema_NeighborConfiguration__Output | null);
}
