// Original file: proto/merak/plugin/v1/network_plugin.proto


export interface DeleteNodeResponse {
}

export interface DeleteNodeResponse__Output {
}
