// Original file: proto/merak/plugin/v1/network_plugin.proto

import type { Node as _merak_plugin_v1_Node, Node__Output as _merak_plugin_v1_Node__Output } from '../../../merak/plugin/v1/Node';

export interface CreateNodeResponse {
  /**
   * The node as the provider holds it.
   */
  'node'?: (_merak_plugin_v1_Node | null);
}

export interface CreateNodeResponse__Output {
  /**
   * The node as the provider holds it.
   */
  'node': (_merak_plugin_v1_Node__Output | null);
}
