// Original file: proto/merak/plugin/v1/network_plugin.proto

import type { Subnet as _merak_plugin_v1_Subnet, Subnet__Output as _merak_plugin_v1_Subnet__Output } from '../../../merak/plugin/v1/Subnet';

export interface CreateSubnetRequest {
  /**
   * The subnet as Merak asks for it.
   */
  'subnet'?: (_merak_plugin_v1_Subnet | null);
}

export interface CreateSubnetRequest__Output {
  /**
   * The subnet as Merak asks for it.
   */
  'subnet': (_merak_plugin_v1_Subnet__Output | null);
}
