// Original file: proto/merak/plugin/v1/network_plugin_state.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GetStateRequest as _merak_plugin_v1_GetStateRequest, GetStateRequest__Output as _merak_plugin_v1_GetStateRequest__Output } from '../../../merak/plugin/v1/GetStateRequest';
import type { GetStateResponse as _merak_plugin_v1_GetStateResponse, GetStateResponse__Output as _merak_plugin_v1_GetStateResponse__Output } from '../../../merak/plugin/v1/GetStateResponse';

/**
 * NetworkPluginStateService answers what a plugin holds. It never changes anything.
 */
export interface NetworkPluginStateServiceClient extends grpc.Client {
  /**
   * GetState returns every VPC, subnet and node the plugin holds.
   */
  GetState(argument: _merak_plugin_v1_GetStateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_GetStateResponse__Output>): grpc.ClientUnaryCall;
  GetState(argument: _merak_plugin_v1_GetStateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_merak_plugin_v1_GetStateResponse__Output>): grpc.ClientUnaryCall;
  GetState(argument: _merak_plugin_v1_GetStateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_GetStateResponse__Output>): grpc.ClientUnaryCall;
  GetState(argument: _merak_plugin_v1_GetStateRequest, callback: grpc.requestCallback<_merak_plugin_v1_GetStateResponse__Output>): grpc.ClientUnaryCall;
  /**
   * GetState returns every VPC, subnet and node the plugin holds.
   */
  getState(argument: _merak_plugin_v1_GetStateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_GetStateResponse__Output>): grpc.ClientUnaryCall;
  getState(argument: _merak_plugin_v1_GetStateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_merak_plugin_v1_GetStateResponse__Output>): grpc.ClientUnaryCall;
  getState(argument: _merak_plugin_v1_GetStateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_GetStateResponse__Output>): grpc.ClientUnaryCall;
  getState(argument: _merak_plugin_v1_GetStateRequest, callback: grpc.requestCallback<_merak_plugin_v1_GetStateResponse__Output>): grpc.ClientUnaryCall;
  
}

/**
 * NetworkPluginStateService answers what a plugin holds. It never changes anything.
 */
export interface NetworkPluginStateServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * GetState returns every VPC, subnet and node the plugin holds.
   */
  GetState: grpc.handleUnaryCall<_merak_plugin_v1_GetStateRequest__Output, _merak_plugin_v1_GetStateResponse>;
  
}

export interface NetworkPluginStateServiceDefinition extends grpc.ServiceDefinition {
  GetState: MethodDefinition<_merak_plugin_v1_GetStateRequest, _merak_plugin_v1_GetStateResponse, _merak_plugin_v1_GetStateRequest__Output, _merak_plugin_v1_GetStateResponse__Output>
}
