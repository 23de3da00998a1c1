// Original file: proto/merak/plugin/v1/network_plugin.proto

import type { Subnet as _merak_plugin_v1_Subnet, Subnet__Output as _merak_plugin_v1_Subnet__Output } from '../../../merak/plugin/v1/Subnet';

export interface UpdateSubnetResponse {
  /**
   * The subnet as the provider holds it after the update.
   */
  'subnet'?: (_merak_plugin_v1_Subnet | null);
}

export interface UpdateSubnetResponse__Output {
  /**
   * The subnet as the provider holds it after the update.
   */
  'subnet': (_merak_plugin_v1_Subnet__Output | null);
}
