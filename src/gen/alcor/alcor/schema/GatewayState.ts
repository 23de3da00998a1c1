// Original file: proto/alcor/gateway.proto

import type { OperationType as _alcor_schema_OperationType, OperationType__Output as _alcor_schema_OperationType__Output } from '../../alcor/schema/OperationType';
import type { GatewayConfiguration as _alcor_schema_GatewayConfiguration, GatewayConfiguration__Output as _alcor_schema_GatewayConfiguration__Output } from '../../alcor/schema/GatewayConfiguration';

export interface GatewayState {
  'operation_type'?: (_alcor_schema_OperationType);
  'configuration'?: (_alcor_schema_GatewayConfiguration | null);
}

export interface GatewayState__Output {
  'operation_type': (_alcor_schema_OperationType__Output);
  'configuration': (_alcor_schema_GatewayConfiguration__Output | null);
}
