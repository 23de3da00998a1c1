// Original file: proto/alcor/vpc.proto

import type { OperationType as _alcor_schema_OperationType, OperationType__Output as _alcor_schema_OperationType__Output } from '../../alcor/schema/OperationType';
import type { VpcConfiguration as _alcor_schema_VpcConfiguration, VpcConfiguration__Output as _alcor_schema_VpcConfiguration__Output } from '../../alcor/schema/VpcConfiguration';

export interface VpcState {
  'operation_type'?: (_alcor_schema_OperationType);
  'configuration'?: (_alcor_schema_VpcConfiguration | null);
}

export interface VpcState__Output {
  'operation_type': (_alcor_schema_OperationType__Output);
  'configuration': (_alcor_schema_VpcConfiguration__Output | null);
}
