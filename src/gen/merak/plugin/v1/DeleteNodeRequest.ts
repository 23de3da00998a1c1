// Original file: proto/merak/plugin/v1/network_plugin.proto


export interface DeleteNodeRequest {
  /**
   * Key of the node to delete.
   */
  'name'?: (string);
}

export interface DeleteNodeRequest__Output {
  /**
   * Key of the node to delete.
   */
  'name': (string);
}
