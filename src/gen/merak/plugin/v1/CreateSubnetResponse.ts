// Original file: proto/merak/plugin/v1/network_plugin.proto

import type { Subnet as _merak_plugin_v1_Subnet, Subnet__Output as _merak_plugin_v1_Subnet__Output } from '../../../merak/plugin/v1/Subnet';

export interface CreateSubnetResponse {
  /**
   * The subnet as the provider holds it.
   */
  'subnet'?: (_merak_plugin_v1_Subnet | null);
}

export interface CreateSubnetResponse__Output {
  /**
   * The subnet as the provider holds it.
   */
  'subnet': (_merak_plugin_v1_Subnet__Output | null);
}
