// Original file: proto/alcor/goalstate.proto

import type { ResourceIdType as _alcor_schema_ResourceIdType, ResourceIdType__Output as _alcor_schema_ResourceIdType__Output } from '../../alcor/schema/ResourceIdType';

export interface HostResources {
  'resources'?: (_alcor_schema_ResourceIdType)[];
}

export interface HostResources__Output {
  'resources': (_alcor_schema_ResourceIdType__Output)[];
}
