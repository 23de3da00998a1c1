// Original file: proto/merak/plugin/v1/network_plugin.proto

import type { Vpc as _merak_plugin_v1_Vpc, Vpc__Output as _merak_plugin_v1_Vpc__Output } from '../../../merak/plugin/v1/Vpc';

export interface UpdateVpcRequest {
  /**
   * The VPC with its new fields; found by vpc.id.
   */
  'vpc'?: (_merak_plugin_v1_Vpc | null);
}

export interface UpdateVpcRequest__Output {
  /**
   * The VPC with its new fields; found by vpc.id.
   */
  'vpc': (_merak_plugin_v1_Vpc__Output | null);
}
