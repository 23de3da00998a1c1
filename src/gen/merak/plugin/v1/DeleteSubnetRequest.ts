// Original file: proto/merak/plugin/v1/network_plugin.proto


export interface DeleteSubnetRequest {
  /**
   * Key of the subnet to delete (the id the provider returned on create).
   */
  'id'?: (string);
  /**
   * The scenario asking: an object another scenario owns is left alone ("" = any owner).
   */
  'scenario'?: (string);
}

export interface DeleteSubnetRequest__Output {
  /**
   * Key of the subnet to delete (the id the provider returned on create).
   */
  'id': (string);
  /**
   * The scenario asking: an object another scenario owns is left alone ("" = any owner).
   */
  'scenario': (string);
}
