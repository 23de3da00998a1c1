// Original file: proto/merak/plugin/v1/network_plugin.proto

import type { Node as _merak_plugin_v1_Node, Node__Output as _merak_plugin_v1_Node__Output } from '../../../merak/plugin/v1/Node';

export interface UpdateNodeRequest {
  /**
   * The node with its new fields; found by node.name.
   */
  'node'?: (_merak_plugin_v1_Node | null);
}

export interface UpdateNodeRequest__Output {
  /**
   * The node with its new fields; found by node.name.
   */
  'node': (_merak_plugin_v1_Node__Output | null);
}
