// Original file: proto/alcor/subnet.proto

import type { OperationType as _alcor_schema_OperationType, OperationType__Output as _alcor_schema_OperationType__Output } from '../../alcor/schema/OperationType';
import type { SubnetConfiguration as _alcor_schema_SubnetConfiguration, SubnetConfiguration__Output as _alcor_schema_SubnetConfiguration__Output } from '../../alcor/schema/SubnetConfiguration';

export interface SubnetState {
  'operation_type'?: (_alcor_schema_OperationType);
  'configuration'?: (_alcor_schema_SubnetConfiguration | null);
}

export interface SubnetState__Output {
  'operation_type': (_alcor_schema_OperationType__Output);
  'configuration': (_alcor_schema_SubnetConfiguration__Output | null);
}
