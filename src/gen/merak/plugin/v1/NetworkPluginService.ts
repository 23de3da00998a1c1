// Original file: proto/merak/plugin/v1/network_plugin.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CreateNodeRequest as _merak_plugin_v1_CreateNodeRequest, CreateNodeRequest__Output as _merak_plugin_v1_CreateNodeRequest__Output } from '../../../merak/plugin/v1/CreateNodeRequest';
import type { CreateNodeResponse as _merak_plugin_v1_CreateNodeResponse, CreateNodeResponse__Output as _merak_plugin_v1_CreateNodeResponse__Output } from '../../../merak/plugin/v1/CreateNodeResponse';
import type { CreateSubnetRequest as _merak_plugin_v1_CreateSubnetRequest, CreateSubnetRequest__Output as _merak_plugin_v1_CreateSubnetRequest__Output } from '../../../merak/plugin/v1/CreateSubnetRequest';
import type { CreateSubnetResponse as _merak_plugin_v1_CreateSubnetResponse, CreateSubnetResponse__Output as _merak_plugin_v1_CreateSubnetResponse__Output } from '../../../merak/plugin/v1/CreateSubnetResponse';
import type { CreateVpcRequest as _merak_plugin_v1_CreateVpcRequest, CreateVpcRequest__Output as _merak_plugin_v1_CreateVpcRequest__Output } from '../../../merak/plugin/v1/CreateVpcRequest';
import type { CreateVpcResponse as _merak_plugin_v1_CreateVpcResponse, CreateVpcResponse__Output as _merak_plugin_v1_CreateVpcResponse__Output } from '../../../merak/plugin/v1/CreateVpcResponse';
import type { DeleteNodeRequest as _merak_plugin_v1_DeleteNodeRequest, DeleteNodeRequest__Output as _merak_plugin_v1_DeleteNodeRequest__Output } from '../../../merak/plugin/v1/DeleteNodeRequest';
import type { DeleteNodeResponse as _merak_plugin_v1_DeleteNodeResponse, DeleteNodeResponse__Output as _merak_plugin_v1_DeleteNodeResponse__Output } from '../../../merak/plugin/v1/DeleteNodeResponse';
import type { DeleteSubnetRequest as _merak_plugin_v1_DeleteSubnetRequest, DeleteSubnetRequest__Output as _merak_plugin_v1_DeleteSubnetRequest__Output } from '../../../merak/plugin/v1/DeleteSubnetRequest';
import type { DeleteSubnetResponse as _merak_plugin_v1_DeleteSubnetResponse, DeleteSubnetResponse__Output as _merak_plugin_v1_DeleteSubnetResponse__Output } from '../../../merak/plugin/v1/DeleteSubnetResponse';
import type { DeleteVpcRequest as _merak_plugin_v1_DeleteVpcRequest, DeleteVpcRequest__Output as _merak_plugin_v1_DeleteVpcRequest__Output } from '../../../merak/plugin/v1/DeleteVpcRequest';
import type { DeleteVpcResponse as _merak_plugin_v1_DeleteVpcResponse, DeleteVpcResponse__Output as _merak_plugin_v1_DeleteVpcResponse__Output } from '../../../merak/plugin/v1/DeleteVpcResponse';
import type { UpdateNodeRequest as _merak_plugin_v1_UpdateNodeRequest, UpdateNodeRequest__Output as _merak_plugin_v1_UpdateNodeRequest__Output } from '../../../merak/plugin/v1/UpdateNodeRequest';
import type { UpdateNodeResponse as _merak_plugin_v1_UpdateNodeResponse, UpdateNodeResponse__Output as _merak_plugin_v1_UpdateNodeResponse__Output } from '../../../merak/plugin/v1/UpdateNodeResponse';
import type { UpdateSubnetRequest as _merak_plugin_v1_UpdateSubnetRequest, UpdateSubnetRequest__Output as _merak_plugin_v1_UpdateSubnetRequest__Output } from '../../../merak/plugin/v1/UpdateSubnetRequest';
import type { UpdateSubnetResponse as _merak_plugin_v1_UpdateSubnetResponse, UpdateSubnetResponse__Output as _merak_plugin_v1_UpdateSubnetResponse__Output } from '../../../merak/plugin/v1/UpdateSubnetResponse';
import type { UpdateVpcRequest as _merak_plugin_v1_UpdateVpcRequest, UpdateVpcRequest__Output as _merak_plugin_v1_UpdateVpcRequest__Output } from '../../../merak/plugin/v1/UpdateVpcRequest';
import type { UpdateVpcResponse as _merak_plugin_v1_UpdateVpcResponse, UpdateVpcResponse__Output as _merak_plugin_v1_UpdateVpcResponse__Output } from '../../../merak/plugin/v1/UpdateVpcResponse';

/**
 * NetworkPluginService is implemented by every network provider plugin.
 */
export interface NetworkPluginServiceClient extends grpc.Client {
  /**
   * CreateNode registers a compute node (a host that will carry VMs), or returns the existing
   * identical one.
   */
  CreateNode(argument: _merak_plugin_v1_CreateNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_CreateNodeResponse__Output>): grpc.ClientUnaryCall;
  CreateNode(argument: _merak_plugin_v1_CreateNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_merak_plugin_v1_CreateNodeResponse__Output>): grpc.ClientUnaryCall;
  CreateNode(argument: _merak_plugin_v1_CreateNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_CreateNodeResponse__Output>): grpc.ClientUnaryCall;
  CreateNode(argument: _merak_plugin_v1_CreateNodeRequest, callback: grpc.requestCallback<_merak_plugin_v1_CreateNodeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * CreateNode registers a compute node (a host that will carry VMs), or returns the existing
   * identical one.
   */
  createNode(argument: _merak_plugin_v1_CreateNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_CreateNodeResponse__Output>): grpc.ClientUnaryCall;
  createNode(argument: _merak_plugin_v1_CreateNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_merak_plugin_v1_CreateNodeResponse__Output>): grpc.ClientUnaryCall;
  createNode(argument: _merak_plugin_v1_CreateNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_CreateNodeResponse__Output>): grpc.ClientUnaryCall;
  createNode(argument: _merak_plugin_v1_CreateNodeRequest, callback: grpc.requestCallback<_merak_plugin_v1_CreateNodeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * CreateSubnet creates a subnet inside an existing VPC, or returns the existing identical one.
   */
  CreateSubnet(argument: _merak_plugin_v1_CreateSubnetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_CreateSubnetResponse__Output>): grpc.ClientUnaryCall;
  CreateSubnet(argument: _merak_plugin_v1_CreateSubnetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_merak_plugin_v1_CreateSubnetResponse__Output>): grpc.ClientUnaryCall;
  CreateSubnet(argument: _merak_plugin_v1_CreateSubnetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_CreateSubnetResponse__Output>): grpc.ClientUnaryCall;
  CreateSubnet(argument: _merak_plugin_v1_CreateSubnetRequest, callback: grpc.requestCallback<_merak_plugin_v1_CreateSubnetResponse__Output>): grpc.ClientUnaryCall;
  /**
   * CreateSubnet creates a subnet inside an existing VPC, or returns the existing identical one.
   */
  createSubnet(argument: _merak_plugin_v1_CreateSubnetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_CreateSubnetResponse__Output>): grpc.ClientUnaryCall;
  createSubnet(argument: _merak_plugin_v1_CreateSubnetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_merak_plugin_v1_CreateSubnetResponse__Output>): grpc.ClientUnaryCall;
  createSubnet(argument: _merak_plugin_v1_CreateSubnetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_CreateSubnetResponse__Output>): grpc.ClientUnaryCall;
  createSubnet(argument: _merak_plugin_v1_CreateSubnetRequest, callback: grpc.requestCallback<_merak_plugin_v1_CreateSubnetResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * CreateVpc creates a VPC, or returns the existing identical one.
   */
  CreateVpc(argument: _merak_plugin_v1_CreateVpcRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_CreateVpcResponse__Output>): grpc.ClientUnaryCall;
  CreateVpc(argument: _merak_plugin_v1_CreateVpcRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_merak_plugin_v1_CreateVpcResponse__Output>): grpc.ClientUnaryCall;
  CreateVpc(argument: _merak_plugin_v1_CreateVpcRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_CreateVpcResponse__Output>): grpc.ClientUnaryCall;
  CreateVpc(argument: _merak_plugin_v1_CreateVpcRequest, callback: grpc.requestCallback<_merak_plugin_v1_CreateVpcResponse__Output>): grpc.ClientUnaryCall;
  /**
   * CreateVpc creates a VPC, or returns the existing identical one.
   */
  createVpc(argument: _merak_plugin_v1_CreateVpcRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_CreateVpcResponse__Output>): grpc.ClientUnaryCall;
  createVpc(argument: _merak_plugin_v1_CreateVpcRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_merak_plugin_v1_CreateVpcResponse__Output>): grpc.ClientUnaryCall;
  createVpc(argument: _merak_plugin_v1_CreateVpcRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_CreateVpcResponse__Output>): grpc.ClientUnaryCall;
  createVpc(argument: _merak_plugin_v1_CreateVpcRequest, callback: grpc.requestCallback<_merak_plugin_v1_CreateVpcResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * DeleteNode removes a node. A missing node is not an error.
   */
  DeleteNode(argument: _merak_plugin_v1_DeleteNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_DeleteNodeResponse__Output>): grpc.ClientUnaryCall;
  DeleteNode(argument: _merak_plugin_v1_DeleteNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_merak_plugin_v1_DeleteNodeResponse__Output>): grpc.ClientUnaryCall;
  DeleteNode(argument: _merak_plugin_v1_DeleteNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_DeleteNodeResponse__Output>): grpc.ClientUnaryCall;
  DeleteNode(argument: _merak_plugin_v1_DeleteNodeRequest, callback: grpc.requestCallback<_merak_plugin_v1_DeleteNodeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * DeleteNode removes a node. A missing node is not an error.
   */
  deleteNode(argument: _merak_plugin_v1_DeleteNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_DeleteNodeResponse__Output>): grpc.ClientUnaryCall;
  deleteNode(argument: _merak_plugin_v1_DeleteNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_merak_plugin_v1_DeleteNodeResponse__Output>): grpc.ClientUnaryCall;
  deleteNode(argument: _merak_plugin_v1_DeleteNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_DeleteNodeResponse__Output>): grpc.ClientUnaryCall;
  deleteNode(argument: _merak_plugin_v1_DeleteNodeRequest, callback: grpc.requestCallback<_merak_plugin_v1_DeleteNodeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * DeleteSubnet deletes a subnet. A missing subnet is not an error.
   */
  DeleteSubnet(argument: _merak_plugin_v1_DeleteSubnetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_DeleteSubnetResponse__Output>): grpc.ClientUnaryCall;
  DeleteSubnet(argument: _merak_plugin_v1_DeleteSubnetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_merak_plugin_v1_DeleteSubnetResponse__Output>): grpc.ClientUnaryCall;
  DeleteSubnet(argument: _merak_plugin_v1_DeleteSubnetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_DeleteSubnetResponse__Output>): grpc.ClientUnaryCall;
  DeleteSubnet(argument: _merak_plugin_v1_DeleteSubnetRequest, callback: grpc.requestCallback<_merak_plugin_v1_DeleteSubnetResponse__Output>): grpc.ClientUnaryCall;
  /**
   * DeleteSubnet deletes a subnet. A missing subnet is not an error.
   */
  deleteSubnet(argument: _merak_plugin_v1_DeleteSubnetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_DeleteSubnetResponse__Output>): grpc.ClientUnaryCall;
  deleteSubnet(argument: _merak_plugin_v1_DeleteSubnetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_merak_plugin_v1_DeleteSubnetResponse__Output>): grpc.ClientUnaryCall;
  deleteSubnet(argument: _merak_plugin_v1_DeleteSubnetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_DeleteSubnetResponse__Output>): grpc.ClientUnaryCall;
  deleteSubnet(argument: _merak_plugin_v1_DeleteSubnetRequest, callback: grpc.requestCallback<_merak_plugin_v1_DeleteSubnetResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * DeleteVpc deletes a VPC. A VPC that still has subnets cannot be deleted
   * (FAILED_PRECONDITION). A missing VPC is not an error.
   */
  DeleteVpc(argument: _merak_plugin_v1_DeleteVpcRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_DeleteVpcResponse__Output>): grpc.ClientUnaryCall;
  DeleteVpc(argument: _merak_plugin_v1_DeleteVpcRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_merak_plugin_v1_DeleteVpcResponse__Output>): grpc.ClientUnaryCall;
  DeleteVpc(argument: _merak_plugin_v1_DeleteVpcRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_DeleteVpcResponse__Output>): grpc.ClientUnaryCall;
  DeleteVpc(argument: _merak_plugin_v1_DeleteVpcRequest, callback: grpc.requestCallback<_merak_plugin_v1_DeleteVpcResponse__Output>): grpc.ClientUnaryCall;
  /**
   * DeleteVpc deletes a VPC. A VPC that still has subnets cannot be deleted
   * (FAILED_PRECONDITION). A missing VPC is not an error.
   */
  deleteVpc(argument: _merak_plugin_v1_DeleteVpcRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_DeleteVpcResponse__Output>): grpc.ClientUnaryCall;
  deleteVpc(argument: _merak_plugin_v1_DeleteVpcRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_merak_plugin_v1_DeleteVpcResponse__Output>): grpc.ClientUnaryCall;
  deleteVpc(argument: _merak_plugin_v1_DeleteVpcRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_DeleteVpcResponse__Output>): grpc.ClientUnaryCall;
  deleteVpc(argument: _merak_plugin_v1_DeleteVpcRequest, callback: grpc.requestCallback<_merak_plugin_v1_DeleteVpcResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * UpdateNode replaces the mutable fields of an existing node (found by name).
   */
  UpdateNode(argument: _merak_plugin_v1_UpdateNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_UpdateNodeResponse__Output>): grpc.ClientUnaryCall;
  UpdateNode(argument: _merak_plugin_v1_UpdateNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_merak_plugin_v1_UpdateNodeResponse__Output>): grpc.ClientUnaryCall;
  UpdateNode(argument: _merak_plugin_v1_UpdateNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_UpdateNodeResponse__Output>): grpc.ClientUnaryCall;
  UpdateNode(argument: _merak_plugin_v1_UpdateNodeRequest, callback: grpc.requestCallback<_merak_plugin_v1_UpdateNodeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * UpdateNode replaces the mutable fields of an existing node (found by name).
   */
  updateNode(argument: _merak_plugin_v1_UpdateNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_UpdateNodeResponse__Output>): grpc.ClientUnaryCall;
  updateNode(argument: _merak_plugin_v1_UpdateNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_merak_plugin_v1_UpdateNodeResponse__Output>): grpc.ClientUnaryCall;
  updateNode(argument: _merak_plugin_v1_UpdateNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_UpdateNodeResponse__Output>): grpc.ClientUnaryCall;
  updateNode(argument: _merak_plugin_v1_UpdateNodeRequest, callback: grpc.requestCallback<_merak_plugin_v1_UpdateNodeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * UpdateSubnet replaces the mutable fields of an existing subnet (found by id). A subnet
   * cannot move to another VPC: delete it and create it again.
   */
  UpdateSubnet(argument: _merak_plugin_v1_UpdateSubnetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_UpdateSubnetResponse__Output>): grpc.ClientUnaryCall;
  UpdateSubnet(argument: _merak_plugin_v1_UpdateSubnetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_merak_plugin_v1_UpdateSubnetResponse__Output>): grpc.ClientUnaryCall;
  UpdateSubnet(argument: _merak_plugin_v1_UpdateSubnetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_UpdateSubnetResponse__Output>): grpc.ClientUnaryCall;
  UpdateSubnet(argument: _merak_plugin_v1_UpdateSubnetRequest, callback: grpc.requestCallback<_merak_plugin_v1_UpdateSubnetResponse__Output>): grpc.ClientUnaryCall;
  /**
   * UpdateSubnet replaces the mutable fields of an existing subnet (found by id). A subnet
   * cannot move to another VPC: delete it and create it again.
   */
  updateSubnet(argument: _merak_plugin_v1_UpdateSubnetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_UpdateSubnetResponse__Output>): grpc.ClientUnaryCall;
  updateSubnet(argument: _merak_plugin_v1_UpdateSubnetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_merak_plugin_v1_UpdateSubnetResponse__Output>): grpc.ClientUnaryCall;
  updateSubnet(argument: _merak_plugin_v1_UpdateSubnetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_UpdateSubnetResponse__Output>): grpc.ClientUnaryCall;
  updateSubnet(argument: _merak_plugin_v1_UpdateSubnetRequest, callback: grpc.requestCallback<_merak_plugin_v1_UpdateSubnetResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * UpdateVpc replaces the mutable fields of an existing VPC (found by id).
   */
  UpdateVpc(argument: _merak_plugin_v1_UpdateVpcRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_UpdateVpcResponse__Output>): grpc.ClientUnaryCall;
  UpdateVpc(argument: _merak_plugin_v1_UpdateVpcRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_merak_plugin_v1_UpdateVpcResponse__Output>): grpc.ClientUnaryCall;
  UpdateVpc(argument: _merak_plugin_v1_UpdateVpcRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_UpdateVpcResponse__Output>): grpc.ClientUnaryCall;
  UpdateVpc(argument: _merak_plugin_v1_UpdateVpcRequest, callback: grpc.requestCallback<_merak_plugin_v1_UpdateVpcResponse__Output>): grpc.ClientUnaryCall;
  /**
   * UpdateVpc replaces the mutable fields of an existing VPC (found by id).
   */
  updateVpc(argument: _merak_plugin_v1_UpdateVpcRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_UpdateVpcResponse__Output>): grpc.ClientUnaryCall;
  updateVpc(argument: _merak_plugin_v1_UpdateVpcRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_merak_plugin_v1_UpdateVpcResponse__Output>): grpc.ClientUnaryCall;
  updateVpc(argument: _merak_plugin_v1_UpdateVpcRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_merak_plugin_v1_UpdateVpcResponse__Output>): grpc.ClientUnaryCall;
  updateVpc(argument: _merak_plugin_v1_UpdateVpcRequest, callback: grpc.requestCallback<_merak_plugin_v1_UpdateVpcResponse__Output>): grpc.ClientUnaryCall;
  
}

/**
 * NetworkPluginService is implemented by every network provider plugin.
 */
export interface NetworkPluginServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * CreateNode registers a compute node (a host that will carry VMs), or returns the existing
   * identical one.
   */
  CreateNode: grpc.handleUnaryCall<_merak_plugin_v1_CreateNodeRequest__Output, _merak_plugin_v1_CreateNodeResponse>;
  
  /**
   * CreateSubnet creates a subnet inside an existing VPC, or returns the existing identical one.
   */
  CreateSubnet: grpc.handleUnaryCall<_merak_plugin_v1_CreateSubnetRequest__Output, _merak_plugin_v1_CreateSubnetResponse>;
  
  /**
   * CreateVpc creates a VPC, or returns the existing identical one.
   */
  CreateVpc: grpc.handleUnaryCall<_merak_plugin_v1_CreateVpcRequest__Output, _merak_plugin_v1_CreateVpcResponse>;
  
  /**
   * DeleteNode removes a node. A missing node is not an error.
   */
  DeleteNode: grpc.handleUnaryCall<_merak_plugin_v1_DeleteNodeRequest__Output, _merak_plugin_v1_DeleteNodeResponse>;
  
  /**
   * DeleteSubnet deletes a subnet. A missing subnet is not an error.
   */
  DeleteSubnet: grpc.handleUnaryCall<_merak_plugin_v1_DeleteSubnetRequest__Output, _merak_plugin_v1_DeleteSubnetResponse>;
  
  /**
   * DeleteVpc deletes a VPC. A VPC that still has subnets cannot be deleted
   * (FAILED_PRECONDITION). A missing VPC is not an error.
   */
  DeleteVpc: grpc.handleUnaryCall<_merak_plugin_v1_DeleteVpcRequest__Output, _merak_plugin_v1_DeleteVpcResponse>;
  
  /**
   * UpdateNode replaces the mutable fields of an existing node (found by name).
   */
  UpdateNode: grpc.handleUnaryCall<_merak_plugin_v1_UpdateNodeRequest__Output, _merak_plugin_v1_UpdateNodeResponse>;
  
  /**
   * UpdateSubnet replaces the mutable fields of an existing subnet (found by id). A subnet
   * cannot move to another VPC: delete it and create it again.
   */
  UpdateSubnet: grpc.handleUnaryCall<_merak_plugin_v1_UpdateSubnetRequest__Output, _merak_plugin_v1_UpdateSubnetResponse>;
  
  /**
   * UpdateVpc replaces the mutable fields of an existing VPC (found by id).
   */
  UpdateVpc: grpc.handleUnaryCall<_merak_plugin_v1_UpdateVpcRequest__Output, _merak_plugin_v1_UpdateVpcResponse>;
  
}

export interface NetworkPluginServiceDefinition extends grpc.ServiceDefinition {
  CreateNode: MethodDefinition<_merak_plugin_v1_CreateNodeRequest, _merak_plugin_v1_CreateNodeResponse, _merak_plugin_v1_CreateNodeRequest__Output, _merak_plugin_v1_CreateNodeResponse__Output>
  CreateSubnet: MethodDefinition<_merak_plugin_v1_CreateSubnetRequest, _merak_plugin_v1_CreateSubnetResponse, _merak_plugin_v1_CreateSubnetRequest__Output, _merak_plugin_v1_CreateSubnetResponse__Output>
  CreateVpc: MethodDefinition<_merak_plugin_v1_CreateVpcRequest, _merak_plugin_v1_CreateVpcResponse, _merak_plugin_v1_CreateVpcRequest__Output, _merak_plugin_v1_CreateVpcResponse__Output>
  DeleteNode: MethodDefinition<_merak_plugin_v1_DeleteNodeRequest, _merak_plugin_v1_DeleteNodeResponse, _merak_plugin_v1_DeleteNodeRequest__Output, _merak_plugin_v1_DeleteNodeResponse__Output>
  DeleteSubnet: MethodDefinition<_merak_plugin_v1_DeleteSubnetRequest, _merak_plugin_v1_DeleteSubnetResponse, _merak_plugin_v1_DeleteSubnetRequest__Output, _merak_plugin_v1_DeleteSubnetResponse__Output>
  DeleteVpc: MethodDefinition<_merak_plugin_v1_DeleteVpcRequest, _merak_plugin_v1_DeleteVpcResponse, _merak_plugin_v1_DeleteVpcRequest__Output, _merak_plugin_v1_DeleteVpcResponse__Output>
  UpdateNode: MethodDefinition<_merak_plugin_v1_UpdateNodeRequest, _merak_plugin_v1_UpdateNodeResponse, _merak_plugin_v1_UpdateNodeRequest__Output, _merak_plugin_v1_UpdateNodeResponse__Output>
  UpdateSubnet: MethodDefinition<_merak_plugin_v1_UpdateSubnetRequest, _merak_plugin_v1_UpdateSubnetResponse, _merak_plugin_v1_UpdateSubnetRequest__Output, _merak_plugin_v1_UpdateSubnetResponse__Output>
  UpdateVpc: MethodDefinition<_merak_plugin_v1_UpdateVpcRequest, _merak_plugin_v1_UpdateVpcResponse, _merak_plugin_v1_UpdateVpcRequest__Output, _merak_plugin_v1_UpdateVpcResponse__Output>
}
