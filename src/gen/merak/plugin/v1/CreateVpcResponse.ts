// Original file: proto/merak/plugin/v1/network_plugin.proto

import type { Vpc as _merak_plugin_v1_Vpc, Vpc__Output as _merak_plugin_v1_Vpc__Output } from '../../../merak/plugin/v1/Vpc';

export interface CreateVpcResponse {
  /**
   * The VPC as the provider holds it (its own VNI and id, if it allocates them).
   */
  'vpc'?: (_merak_plugin_v1_Vpc | null);
}

export interface CreateVpcResponse__Output {
  /**
   * The VPC as the provider holds it (its own VNI and id, if it allocates them).
   */
  'vpc': (_merak_plugin_v1_Vpc__Output | null);
}
