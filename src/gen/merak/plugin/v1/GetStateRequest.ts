// Original file: proto/merak/plugin/v1/network_plugin_state.proto


export interface GetStateRequest {
}

export interface GetStateRequest__Output {
}
