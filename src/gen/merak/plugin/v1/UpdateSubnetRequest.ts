// Original file: proto/merak/plugin/v1/network_plugin.proto

import type { Subnet as _merak_plugin_v1_Subnet, Subnet__Output as _merak_plugin_v1_Subnet__Output } from '../../../merak/plugin/v1/Subnet';

export interface UpdateSubnetRequest {
  /**
   * The subnet with its new fields; found by subnet.id.
   */
  'subnet'?: (_merak_plugin_v1_Subnet | null);
}

export interface UpdateSubnetRequest__Output {
  /**
   * The subnet with its new fields; found by subnet.id.
   */
  'subnet': (_merak_plugin_v1_Subnet__Output | null);
}
