// Original file: proto/alcor/dhcp.proto

import type { OperationType as _alcor_schema_OperationType, OperationType__Output as _alcor_schema_OperationType__Output } from '../../alcor/schema/OperationType';
import type { DHCPConfiguration as _alcor_schema_DHCPConfiguration, DHCPConfiguration__Output as _alcor_schema_DHCPConfiguration__Output } from '../../alcor/schema/DHCPConfiguration';

export interface DHCPState {
  'operation_type'?: (_alcor_schema_OperationType);
  'configuration'?: (_alcor_schema_DHCPConfiguration | null);
}

export interface DHCPState__Output {
  'operation_type': (_alcor_schema_OperationType__Output);
  'configuration': (_alcor_schema_DHCPConfiguration__Output | null);
}
