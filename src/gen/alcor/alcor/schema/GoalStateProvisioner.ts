// Original file: proto/alcor/goalstateprovisioner.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GoalState as _alcor_schema_GoalState, GoalState__Output as _alcor_schema_GoalState__Output } from '../../alcor/schema/GoalState';
import type { GoalStateOperationReply as _alcor_schema_GoalStateOperationReply, GoalStateOperationReply__Output as _alcor_schema_GoalStateOperationReply__Output } from '../../alcor/schema/GoalStateOperationReply';
import type { GoalStateV2 as _alcor_schema_GoalStateV2, GoalStateV2__Output as _alcor_schema_GoalStateV2__Output } from '../../alcor/schema/GoalStateV2';
import type { HostRequest as _alcor_schema_HostRequest, HostRequest__Output as _alcor_schema_HostRequest__Output } from '../../alcor/schema/HostRequest';
import type { HostRequestReply as _alcor_schema_HostRequestReply, HostRequestReply__Output as _alcor_schema_HostRequestReply__Output } from '../../alcor/schema/HostRequestReply';
import type { NeighborRulesRequest as _alcor_schema_NeighborRulesRequest, NeighborRulesRequest__Output as _alcor_schema_NeighborRulesRequest__Output } from '../../alcor/schema/NeighborRulesRequest';

export interface GoalStateProvisionerClient extends grpc.Client {
  /**
   * similar to PushGoalStatesStream with streaming GoalStateV2 and streaming GoalStateOperationReply
   * this is for DPM->NCM, and NCM->ACA
   */
  PushGoalStatesStream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_alcor_schema_GoalStateV2, _alcor_schema_GoalStateOperationReply__Output>;
  PushGoalStatesStream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_alcor_schema_GoalStateV2, _alcor_schema_GoalStateOperationReply__Output>;
  /**
   * similar to PushGoalStatesStream with streaming GoalStateV2 and streaming GoalStateOperationReply
   * this is for DPM->NCM, and NCM->ACA
   */
  pushGoalStatesStream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_alcor_schema_GoalStateV2, _alcor_schema_GoalStateOperationReply__Output>;
  pushGoalStatesStream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_alcor_schema_GoalStateV2, _alcor_schema_GoalStateOperationReply__Output>;
  
  PushGoalstates(argument: _alcor_schema_NeighborRulesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_alcor_schema_GoalStateOperationReply__Output>): grpc.ClientUnaryCall;
  PushGoalstates(argument: _alcor_schema_NeighborRulesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_alcor_schema_GoalStateOperationReply__Output>): grpc.ClientUnaryCall;
  PushGoalstates(argument: _alcor_schema_NeighborRulesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_alcor_schema_GoalStateOperationReply__Output>): grpc.ClientUnaryCall;
  PushGoalstates(argument: _alcor_schema_NeighborRulesRequest, callback: grpc.requestCallback<_alcor_schema_GoalStateOperationReply__Output>): grpc.ClientUnaryCall;
  pushGoalstates(argument: _alcor_schema_NeighborRulesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_alcor_schema_GoalStateOperationReply__Output>): grpc.ClientUnaryCall;
  pushGoalstates(argument: _alcor_schema_NeighborRulesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_alcor_schema_GoalStateOperationReply__Output>): grpc.ClientUnaryCall;
  pushGoalstates(argument: _alcor_schema_NeighborRulesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_alcor_schema_GoalStateOperationReply__Output>): grpc.ClientUnaryCall;
  pushGoalstates(argument: _alcor_schema_NeighborRulesRequest, callback: grpc.requestCallback<_alcor_schema_GoalStateOperationReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * Push a group of network resource states
   * 
   * Input: a GoalState object consists of a list of operation requests, and each request contains an operation type and a resource configuration
   * Results consist of a list of operation statuses, and each status is a response to one operation request in the input
   * 
   * Note: It is a NoOps for Control Agents when the operation type is INFO or GET.
   * Use RetrieveNetworkResourceStates for state query.
   * this is for DPM->ACA
   */
  PushNetworkResourceStates(argument: _alcor_schema_GoalState, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_alcor_schema_GoalStateOperationReply__Output>): grpc.ClientUnaryCall;
  PushNetworkResourceStates(argument: _alcor_schema_GoalState, metadata: grpc.Metadata, callback: grpc.requestCallback<_alcor_schema_GoalStateOperationReply__Output>): grpc.ClientUnaryCall;
  PushNetworkResourceStates(argument: _alcor_schema_GoalState, options: grpc.CallOptions, callback: grpc.requestCallback<_alcor_schema_GoalStateOperationReply__Output>): grpc.ClientUnaryCall;
  PushNetworkResourceStates(argument: _alcor_schema_GoalState, callback: grpc.requestCallback<_alcor_schema_GoalStateOperationReply__Output>): grpc.ClientUnaryCall;
  /**
   * Push a group of network resource states
   * 
   * Input: a GoalState object consists of a list of operation requests, and each request contains an operation type and a resource configuration
   * Results consist of a list of operation statuses, and each status is a response to one operation request in the input
   * 
   * Note: It is a NoOps for Control Agents when the operation type is INFO or GET.
   * Use RetrieveNetworkResourceStates for state query.
   * this is for DPM->ACA
   */
  pushNetworkResourceStates(argument: _alcor_schema_GoalState, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_alcor_schema_GoalStateOperationReply__Output>): grpc.ClientUnaryCall;
  pushNetworkResourceStates(argument: _alcor_schema_GoalState, metadata: grpc.Metadata, callback: grpc.requestCallback<_alcor_schema_GoalStateOperationReply__Output>): grpc.ClientUnaryCall;
  pushNetworkResourceStates(argument: _alcor_schema_GoalState, options: grpc.CallOptions, callback: grpc.requestCallback<_alcor_schema_GoalStateOperationReply__Output>): grpc.ClientUnaryCall;
  pushNetworkResourceStates(argument: _alcor_schema_GoalState, callback: grpc.requestCallback<_alcor_schema_GoalStateOperationReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * Request goal states for ACA on-demand processing and also agent restart handling
   * 
   * Input: a HostRequest object consists of a list of ResourceStateRequest, and each request contains a RequestType
   * Results consist of a list of HostRequestOperationStatus, and each status is a reply to each request in the input
   * this is for ACA->NCM
   */
  RequestGoalStates(argument: _alcor_schema_HostRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_alcor_schema_HostRequestReply__Output>): grpc.ClientUnaryCall;
  RequestGoalStates(argument: _alcor_schema_HostRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_alcor_schema_HostRequestReply__Output>): grpc.ClientUnaryCall;
  RequestGoalStates(argument: _alcor_schema_HostRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_alcor_schema_HostRequestReply__Output>): grpc.ClientUnaryCall;
  RequestGoalStates(argument: _alcor_schema_HostRequest, callback: grpc.requestCallback<_alcor_schema_HostRequestReply__Output>): grpc.ClientUnaryCall;
  /**
   * Request goal states for ACA on-demand processing and also agent restart handling
   * 
   * Input: a HostRequest object consists of a list of ResourceStateRequest, and each request contains a RequestType
   * Results consist of a list of HostRequestOperationStatus, and each status is a reply to each request in the input
   * this is for ACA->NCM
   */
  requestGoalStates(argument: _alcor_schema_HostRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_alcor_schema_HostRequestReply__Output>): grpc.ClientUnaryCall;
  requestGoalStates(argument: _alcor_schema_HostRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_alcor_schema_HostRequestReply__Output>): grpc.ClientUnaryCall;
  requestGoalStates(argument: _alcor_schema_HostRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_alcor_schema_HostRequestReply__Output>): grpc.ClientUnaryCall;
  requestGoalStates(argument: _alcor_schema_HostRequest, callback: grpc.requestCallback<_alcor_schema_HostRequestReply__Output>): grpc.ClientUnaryCall;
  
}

export interface GoalStateProvisionerHandlers extends grpc.UntypedServiceImplementation {
  /**
   * similar to PushGoalStatesStream with streaming GoalStateV2 and streaming GoalStateOperationReply
   * this is for DPM->NCM, and NCM->ACA
   */
  PushGoalStatesStream: grpc.handleBidiStreamingCall<_alcor_schema_GoalStateV2__Output, _alcor_schema_GoalStateOperationReply>;
  
  PushGoalstates: grpc.handleUnaryCall<_alcor_schema_NeighborRulesRequest__Output, _alcor_schema_GoalStateOperationReply>;
  
  /**
   * Push a group of network resource states
   * 
   * Input: a GoalState object consists of a list of operation requests, and each request contains an operation type and a resource configuration
   * Results consist of a list of operation statuses, and each status is a response to one operation request in the input
   * 
   * Note: It is a NoOps for Control Agents when the operation type is INFO or GET.
   * Use RetrieveNetworkResourceStates for state query.
   * this is for DPM->ACA
   */
  PushNetworkResourceStates: grpc.handleUnaryCall<_alcor_schema_GoalState__Output, _alcor_schema_GoalStateOperationReply>;
  
  /**
   * Request goal states for ACA on-demand processing and also agent restart handling
   * 
   * Input: a HostRequest object consists of a list of ResourceStateRequest, and each request contains a RequestType
   * Results consist of a list of HostRequestOperationStatus, and each status is a reply to each request in the input
   * this is for ACA->NCM
   */
  RequestGoalStates: grpc.handleUnaryCall<_alcor_schema_HostRequest__Output, _alcor_schema_HostRequestReply>;
  
}

export interface GoalStateProvisionerDefinition extends grpc.ServiceDefinition {
  PushGoalStatesStream: MethodDefinition<_alcor_schema_GoalStateV2, _alcor_schema_GoalStateOperationReply, _alcor_schema_GoalStateV2__Output, _alcor_schema_GoalStateOperationReply__Output>
  PushGoalstates: MethodDefinition<_alcor_schema_NeighborRulesRequest, _alcor_schema_GoalStateOperationReply, _alcor_schema_NeighborRulesRequest__Output, _alcor_schema_GoalStateOperationReply__Output>
  PushNetworkResourceStates: MethodDefinition<_alcor_schema_GoalState, _alcor_schema_GoalStateOperationReply, _alcor_schema_GoalState__Output, _alcor_schema_GoalStateOperationReply__Output>
  RequestGoalStates: MethodDefinition<_alcor_schema_HostRequest, _alcor_schema_HostRequestReply, _alcor_schema_HostRequest__Output, _alcor_schema_HostRequestReply__Output>
}
