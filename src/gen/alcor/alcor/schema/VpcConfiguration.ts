// Original file: proto/alcor/vpc.proto

import type { UpdateType as _alcor_schema_UpdateType, UpdateType__Output as _alcor_schema_UpdateType__Output } from '../../alcor/schema/UpdateType';

export interface VpcConfiguration {
  'revision_number'?: (number);
  'request_id'?: (string);
  'id'?: (string);
  /**
   * DELTA (default) or FULL
   */
  'update_type'?: (_alcor_schema_UpdateType);
  'project_id'?: (string);
  'name'?: (string);
  'cidr'?: (string);
  'tunnel_id'?: (number);
  'gateway_ids'?: (string)[];
}

export interface VpcConfiguration__Output {
  'revision_number': (number);
  'request_id': (string);
  'id': (string);
  /**
   * DELTA (default) or FULL
   */
  'update_type': (_alcor_schema_UpdateType__Output);
  'project_id': (string);
  'name': (string);
  'cidr': (string);
  'tunnel_id': (number);
  'gateway_ids': (string)[];
}
