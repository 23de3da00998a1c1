// Original file: proto/merak/plugin/v1/network_plugin.proto


export interface DeleteVpcRequest {
  /**
   * Key of the VPC to delete (the id the provider returned on create).
   */
  'id'?: (string);
  /**
   * The scenario asking: an object another scenario owns is left alone ("" = any owner).
   */
  'scenario'?: (string);
}

export interface DeleteVpcRequest__Output {
  /**
   * Key of the VPC to delete (the id the provider returned on create).
   */
  'id': (string);
  /**
   * The scenario asking: an object another scenario owns is left alone ("" = any owner).
   */
  'scenario': (string);
}
