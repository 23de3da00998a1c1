// Original file: proto/alcor/router.proto

import type { OperationType as _alcor_schema_OperationType, OperationType__Output as _alcor_schema_OperationType__Output } from '../../alcor/schema/OperationType';
import type { RouterConfiguration as _alcor_schema_RouterConfiguration, RouterConfiguration__Output as _alcor_schema_RouterConfiguration__Output } from '../../alcor/schema/RouterConfiguration';

export interface RouterState {
  'operation_type'?: (_alcor_schema_OperationType);
  'configuration'?: (_alcor_schema_RouterConfiguration | null);
}

export interface RouterState__Output {
  'operation_type': (_alcor_schema_OperationType__Output);
  'configuration': (_alcor_schema_RouterConfiguration__Output | null);
}
