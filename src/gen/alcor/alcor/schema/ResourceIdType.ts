// Original file: proto/alcor/goalstate.proto

import type { ResourceType as _alcor_schema_ResourceType, ResourceType__Output as _alcor_schema_ResourceType__Output } from '../../alcor/schema/ResourceType';

export interface ResourceIdType {
  'type'?: (_alcor_schema_ResourceType);
  'id'?: (string);
}

export interface ResourceIdType__Output {
  'type': (_alcor_schema_ResourceType__Output);
  'id': (string);
}
