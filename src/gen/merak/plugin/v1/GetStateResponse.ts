// Original file: proto/merak/plugin/v1/network_plugin_state.proto

import type { Vpc as _merak_plugin_v1_Vpc, Vpc__Output as _merak_plugin_v1_Vpc__Output } from '../../../merak/plugin/v1/Vpc';
import type { Subnet as _merak_plugin_v1_Subnet, Subnet__Output as _merak_plugin_v1_Subnet__Output } from '../../../merak/plugin/v1/Subnet';
import type { Node as _merak_plugin_v1_Node, Node__Output as _merak_plugin_v1_Node__Output } from '../../../merak/plugin/v1/Node';
import type { Long } from '@grpc/proto-loader';

export interface GetStateResponse {
  /**
   * All VPCs, sorted by id.
   */
  'vpcs'?: (_merak_plugin_v1_Vpc)[];
  /**
   * All subnets, sorted by id.
   */
  'subnets'?: (_merak_plugin_v1_Subnet)[];
  /**
   * All nodes, sorted by name.
   */
  'nodes'?: (_merak_plugin_v1_Node)[];
  /**
   * Incremented on every change the plugin accepts, so a reader can tell whether anything
   * changed since its last look. 0 for a plugin that never accepted a change.
   */
  'revision'?: (number | string | Long);
  /**
   * What a node needs to join this provider's dataplane, passed by Merak as is to every node's
   * agent and endpoint plugin before the node is created at the plugin (e.g. the OVN plugin:
   * where its southbound database listens). Empty for providers whose nodes need nothing.
   */
  'node_config'?: ({[key: string]: string});
}

export interface GetStateResponse__Output {
  /**
   * All VPCs, sorted by id.
   */
  'vpcs': (_merak_plugin_v1_Vpc__Output)[];
  /**
   * All subnets, sorted by id.
   */
  'subnets': (_merak_plugin_v1_Subnet__Output)[];
  /**
   * All nodes, sorted by name.
   */
  'nodes': (_merak_plugin_v1_Node__Output)[];
  /**
   * Incremented on every change the plugin accepts, so a reader can tell whether anything
   * changed since its last look. 0 for a plugin that never accepted a change.
   */
  'revision': (number);
  /**
   * What a node needs to join this provider's dataplane, passed by Merak as is to every node's
   * agent and endpoint plugin before the node is created at the plugin (e.g. the OVN plugin:
   * where its southbound database listens). Empty for providers whose nodes need nothing.
   */
  'node_config': ({[key: string]: string});
}
