// Original file: proto/merak/plugin/v1/network_plugin.proto

import type { Vpc as _merak_plugin_v1_Vpc, Vpc__Output as _merak_plugin_v1_Vpc__Output } from '../../../merak/plugin/v1/Vpc';

export interface UpdateVpcResponse {
  /**
   * The VPC as the provider holds it after the update.
   */
  'vpc'?: (_merak_plugin_v1_Vpc | null);
}

export interface UpdateVpcResponse__Output {
  /**
   * The VPC as the provider holds it after the update.
   */
  'vpc': (_merak_plugin_v1_Vpc__Output | null);
}
