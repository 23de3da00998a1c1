// Original file: proto/alcor/goalstateprovisioner.proto

import type { NeighborState as _alcor_schema_NeighborState, NeighborState__Output as _alcor_schema_NeighborState__Output } from '../../alcor/schema/NeighborState';

export interface NeighborRulesRequest {
  'format_version'?: (number);
  'request_id'?: (string);
  'neigborstates'?: (_alcor_schema_NeighborState)[];
}

export interface NeighborRulesRequest__Output {
  'format_version': (number);
  'request_id': (string);
  'neigborstates': (_alcor_schema_NeighborState__Output)[];
}
