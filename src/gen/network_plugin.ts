import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { CreateNodeRequest as _merak_plugin_v1_CreateNodeRequest, CreateNodeRequest__Output as _merak_plugin_v1_CreateNodeRequest__Output } from './merak/plugin/v1/CreateNodeRequest';
import type { CreateNodeResponse as _merak_plugin_v1_CreateNodeResponse, CreateNodeResponse__Output as _merak_plugin_v1_CreateNodeResponse__Output } from './merak/plugin/v1/CreateNodeResponse';
import type { CreateSubnetRequest as _merak_plugin_v1_CreateSubnetRequest, CreateSubnetRequest__Output as _merak_plugin_v1_CreateSubnetRequest__Output } from './merak/plugin/v1/CreateSubnetRequest';
import type { CreateSubnetResponse as _merak_plugin_v1_CreateSubnetResponse, CreateSubnetResponse__Output as _merak_plugin_v1_CreateSubnetResponse__Output } from './merak/plugin/v1/CreateSubnetResponse';
import type { CreateVpcRequest as _merak_plugin_v1_CreateVpcRequest, CreateVpcRequest__Output as _merak_plugin_v1_CreateVpcRequest__Output } from './merak/plugin/v1/CreateVpcRequest';
import type { CreateVpcResponse as _merak_plugin_v1_CreateVpcResponse, CreateVpcResponse__Output as _merak_plugin_v1_CreateVpcResponse__Output } from './merak/plugin/v1/CreateVpcResponse';
import type { DeleteNodeRequest as _merak_plugin_v1_DeleteNodeRequest, DeleteNodeRequest__Output as _merak_plugin_v1_DeleteNodeRequest__Output } from './merak/plugin/v1/DeleteNodeRequest';
import type { DeleteNodeResponse as _merak_plugin_v1_DeleteNodeResponse, DeleteNodeResponse__Output as _merak_plugin_v1_DeleteNodeResponse__Output } from './merak/plugin/v1/DeleteNodeResponse';
import type { DeleteSubnetRequest as _merak_plugin_v1_DeleteSubnetRequest, DeleteSubnetRequest__Output as _merak_plugin_v1_DeleteSubnetRequest__Output } from './merak/plugin/v1/DeleteSubnetRequest';
import type { DeleteSubnetResponse as _merak_plugin_v1_DeleteSubnetResponse, DeleteSubnetResponse__Output as _merak_plugin_v1_DeleteSubnetResponse__Output } from './merak/plugin/v1/DeleteSubnetResponse';
import type { DeleteVpcRequest as _merak_plugin_v1_DeleteVpcRequest, DeleteVpcRequest__Output as _merak_plugin_v1_DeleteVpcRequest__Output } from './merak/plugin/v1/DeleteVpcRequest';
import type { DeleteVpcResponse as _merak_plugin_v1_DeleteVpcResponse, DeleteVpcResponse__Output as _merak_plugin_v1_DeleteVpcResponse__Output } from './merak/plugin/v1/DeleteVpcResponse';
import type { NetworkPluginServiceClient as _merak_plugin_v1_NetworkPluginServiceClient, NetworkPluginServiceDefinition as _merak_plugin_v1_NetworkPluginServiceDefinition } from './merak/plugin/v1/NetworkPluginService';
import type { Node as _merak_plugin_v1_Node, Node__Output as _merak_plugin_v1_Node__Output } from './merak/plugin/v1/Node';
import type { Subnet as _merak_plugin_v1_Subnet, Subnet__Output as _merak_plugin_v1_Subnet__Output } from './merak/plugin/v1/Subnet';
import type { UpdateNodeRequest as _merak_plugin_v1_UpdateNodeRequest, UpdateNodeRequest__Output as _merak_plugin_v1_UpdateNodeRequest__Output } from './merak/plugin/v1/UpdateNodeRequest';
import type { UpdateNodeResponse as _merak_plugin_v1_UpdateNodeResponse, UpdateNodeResponse__Output as _merak_plugin_v1_UpdateNodeResponse__Output } from './merak/plugin/v1/UpdateNodeResponse';
import type { UpdateSubnetRequest as _merak_plugin_v1_UpdateSubnetRequest, UpdateSubnetRequest__Output as _merak_plugin_v1_UpdateSubnetRequest__Output } from './merak/plugin/v1/UpdateSubnetRequest';
import type { UpdateSubnetResponse as _merak_plugin_v1_UpdateSubnetResponse, UpdateSubnetResponse__Output as _merak_plugin_v1_UpdateSubnetResponse__Output } from './merak/plugin/v1/UpdateSubnetResponse';
import type { UpdateVpcRequest as _merak_plugin_v1_UpdateVpcRequest, UpdateVpcRequest__Output as _merak_plugin_v1_UpdateVpcRequest__Output } from './merak/plugin/v1/UpdateVpcRequest';
import type { UpdateVpcResponse as _merak_plugin_v1_UpdateVpcResponse, UpdateVpcResponse__Output as _merak_plugin_v1_UpdateVpcResponse__Output } from './merak/plugin/v1/UpdateVpcResponse';
import type { Vpc as _merak_plugin_v1_Vpc, Vpc__Output as _merak_plugin_v1_Vpc__Output } from './merak/plugin/v1/Vpc';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  merak: {
    plugin: {
      v1: {
        CreateNodeRequest: MessageTypeDefinition<_merak_plugin_v1_CreateNodeRequest, _merak_plugin_v1_CreateNodeRequest__Output>
        CreateNodeResponse: MessageTypeDefinition<_merak_plugin_v1_CreateNodeResponse, _merak_plugin_v1_CreateNodeResponse__Output>
        CreateSubnetRequest: MessageTypeDefinition<_merak_plugin_v1_CreateSubnetRequest, _merak_plugin_v1_CreateSubnetRequest__Output>
        CreateSubnetResponse: MessageTypeDefinition<_merak_plugin_v1_CreateSubnetResponse, _merak_plugin_v1_CreateSubnetResponse__Output>
        CreateVpcRequest: MessageTypeDefinition<_merak_plugin_v1_CreateVpcRequest, _merak_plugin_v1_CreateVpcRequest__Output>
        CreateVpcResponse: MessageTypeDefinition<_merak_plugin_v1_CreateVpcResponse, _merak_plugin_v1_CreateVpcResponse__Output>
        DeleteNodeRequest: MessageTypeDefinition<_merak_plugin_v1_DeleteNodeRequest, _merak_plugin_v1_DeleteNodeRequest__Output>
        DeleteNodeResponse: MessageTypeDefinition<_merak_plugin_v1_DeleteNodeResponse, _merak_plugin_v1_DeleteNodeResponse__Output>
        DeleteSubnetRequest: MessageTypeDefinition<_merak_plugin_v1_DeleteSubnetRequest, _merak_plugin_v1_DeleteSubnetRequest__Output>
        DeleteSubnetResponse: MessageTypeDefinition<_merak_plugin_v1_DeleteSubnetResponse, _merak_plugin_v1_DeleteSubnetResponse__Output>
        DeleteVpcRequest: MessageTypeDefinition<_merak_plugin_v1_DeleteVpcRequest, _merak_plugin_v1_DeleteVpcRequest__Output>
        DeleteVpcResponse: MessageTypeDefinition<_merak_plugin_v1_DeleteVpcResponse, _merak_plugin_v1_DeleteVpcResponse__Output>
        /**
         * NetworkPluginService is implemented by every network provider plugin.
         */
        NetworkPluginService: SubtypeConstructor<typeof grpc.Client, _merak_plugin_v1_NetworkPluginServiceClient> & { service: _merak_plugin_v1_NetworkPluginServiceDefinition }
        Node: MessageTypeDefinition<_merak_plugin_v1_Node, _merak_plugin_v1_Node__Output>
        Subnet: MessageTypeDefinition<_merak_plugin_v1_Subnet, _merak_plugin_v1_Subnet__Output>
        UpdateNodeRequest: MessageTypeDefinition<_merak_plugin_v1_UpdateNodeRequest, _merak_plugin_v1_UpdateNodeRequest__Output>
        UpdateNodeResponse: MessageTypeDefinition<_merak_plugin_v1_UpdateNodeResponse, _merak_plugin_v1_UpdateNodeResponse__Output>
        UpdateSubnetRequest: MessageTypeDefinition<_merak_plugin_v1_UpdateSubnetRequest, _merak_plugin_v1_UpdateSubnetRequest__Output>
        UpdateSubnetResponse: MessageTypeDefinition<_merak_plugin_v1_UpdateSubnetResponse, _merak_plugin_v1_UpdateSubnetResponse__Output>
        UpdateVpcRequest: MessageTypeDefinition<_merak_plugin_v1_UpdateVpcRequest, _merak_plugin_v1_UpdateVpcRequest__Output>
        UpdateVpcResponse: MessageTypeDefinition<_merak_plugin_v1_UpdateVpcResponse, _merak_plugin_v1_UpdateVpcResponse__Output>
        Vpc: MessageTypeDefinition<_merak_plugin_v1_Vpc, _merak_plugin_v1_Vpc__Output>
      }
    }
  }
}

