// Original file: proto/merak/plugin/v1/network_plugin.proto


export interface DeleteSubnetResponse {
}

export interface DeleteSubnetResponse__Output {
}
