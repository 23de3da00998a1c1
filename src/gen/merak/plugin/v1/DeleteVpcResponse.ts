// Original file: proto/merak/plugin/v1/network_plugin.proto


export interface DeleteVpcResponse {
}

export interface DeleteVpcResponse__Output {
}
