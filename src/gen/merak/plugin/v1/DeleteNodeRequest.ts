// Original file: proto/merak/plugin/v1/network_plugin.proto


export interface DeleteNodeRequest {
  /**
   * Key of the node to delete.
   */
  'name'?: (string);
  /**
   * The scenario asking: an object another scenario owns is left alone ("" = any owner).
   */
  'scenario'?: (string);
}

export interface DeleteNodeRequest__Output {
  /**
   * Key of the node to delete.
   */
  'name': (string);
  /**
   * The scenario asking: an object another scenario owns is left alone ("" = any owner).
   */
  'scenario': (string);
}
