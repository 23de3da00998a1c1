import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { DHCPConfiguration as _alcor_schema_DHCPConfiguration, DHCPConfiguration__Output as _alcor_schema_DHCPConfiguration__Output } from './alcor/schema/DHCPConfiguration';
import type { DHCPState as _alcor_schema_DHCPState, DHCPState__Output as _alcor_schema_DHCPState__Output } from './alcor/schema/DHCPState';
import type { GatewayConfiguration as _alcor_schema_GatewayConfiguration, GatewayConfiguration__Output as _alcor_schema_GatewayConfiguration__Output } from './alcor/schema/GatewayConfiguration';
import type { GatewayState as _alcor_schema_GatewayState, GatewayState__Output as _alcor_schema_GatewayState__Output } from './alcor/schema/GatewayState';
import type { GoalState as _alcor_schema_GoalState, GoalState__Output as _alcor_schema_GoalState__Output } from './alcor/schema/GoalState';
import type { GoalStateOperationReply as _alcor_schema_GoalStateOperationReply, GoalStateOperationReply__Output as _alcor_schema_GoalStateOperationReply__Output } from './alcor/schema/GoalStateOperationReply';
import type { GoalStateProvisionerClient as _alcor_schema_GoalStateProvisionerClient, GoalStateProvisionerDefinition as _alcor_schema_GoalStateProvisionerDefinition } from './alcor/schema/GoalStateProvisioner';
import type { GoalStateV2 as _alcor_schema_GoalStateV2, GoalStateV2__Output as _alcor_schema_GoalStateV2__Output } from './alcor/schema/GoalStateV2';
import type { HostRequest as _alcor_schema_HostRequest, HostRequest__Output as _alcor_schema_HostRequest__Output } from './alcor/schema/HostRequest';
import type { HostRequestReply as _alcor_schema_HostRequestReply, HostRequestReply__Output as _alcor_schema_HostRequestReply__Output } from './alcor/schema/HostRequestReply';
import type { HostResources as _alcor_schema_HostResources, HostResources__Output as _alcor_schema_HostResources__Output } from './alcor/schema/HostResources';
import type { NeighborConfiguration as _alcor_schema_NeighborConfiguration, NeighborConfiguration__Output as _alcor_schema_NeighborConfiguration__Output } from './alcor/schema/NeighborConfiguration';
import type { NeighborRulesRequest as _alcor_schema_NeighborRulesRequest, NeighborRulesRequest__Output as _alcor_schema_NeighborRulesRequest__Output } from './alcor/schema/NeighborRulesRequest';
import type { NeighborState as _alcor_schema_NeighborState, NeighborState__Output as _alcor_schema_NeighborState__Output } from './alcor/schema/NeighborState';
import type { PortConfiguration as _alcor_schema_PortConfiguration, PortConfiguration__Output as _alcor_schema_PortConfiguration__Output } from './alcor/schema/PortConfiguration';
import type { PortState as _alcor_schema_PortState, PortState__Output as _alcor_schema_PortState__Output } from './alcor/schema/PortState';
import type { ResourceIdType as _alcor_schema_ResourceIdType, ResourceIdType__Output as _alcor_schema_ResourceIdType__Output } from './alcor/schema/ResourceIdType';
import type { RouterConfiguration as _alcor_schema_RouterConfiguration, RouterConfiguration__Output as _alcor_schema_RouterConfiguration__Output } from './alcor/schema/RouterConfiguration';
import type { RouterState as _alcor_schema_RouterState, RouterState__Output as _alcor_schema_RouterState__Output } from './alcor/schema/RouterState';
import type { SecurityGroupConfiguration as _alcor_schema_SecurityGroupConfiguration, SecurityGroupConfiguration__Output as _alcor_schema_SecurityGroupConfiguration__Output } from './alcor/schema/SecurityGroupConfiguration';
import type { SecurityGroupState as _alcor_schema_SecurityGroupState, SecurityGroupState__Output as _alcor_schema_SecurityGroupState__Output } from './alcor/schema/SecurityGroupState';
import type { SubnetConfiguration as _alcor_schema_SubnetConfiguration, SubnetConfiguration__Output as _alcor_schema_SubnetConfiguration__Output } from './alcor/schema/SubnetConfiguration';
import type { SubnetState as _alcor_schema_SubnetState, SubnetState__Output as _alcor_schema_SubnetState__Output } from './alcor/schema/SubnetState';
import type { VpcConfiguration as _alcor_schema_VpcConfiguration, VpcConfiguration__Output as _alcor_schema_VpcConfiguration__Output } from './alcor/schema/VpcConfiguration';
import type { VpcState as _alcor_schema_VpcState, VpcState__Output as _alcor_schema_VpcState__Output } from './alcor/schema/VpcState';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  alcor: {
    schema: {
      DHCPConfiguration: MessageTypeDefinition<_alcor_schema_DHCPConfiguration, _alcor_schema_DHCPConfiguration__Output>
      DHCPState: MessageTypeDefinition<_alcor_schema_DHCPState, _alcor_schema_DHCPState__Output>
      DestinationType: EnumTypeDefinition
      EtherType: EnumTypeDefinition
      GatewayConfiguration: MessageTypeDefinition<_alcor_schema_GatewayConfiguration, _alcor_schema_GatewayConfiguration__Output>
      GatewayState: MessageTypeDefinition<_alcor_schema_GatewayState, _alcor_schema_GatewayState__Output>
      GatewayType: EnumTypeDefinition
      GoalState: MessageTypeDefinition<_alcor_schema_GoalState, _alcor_schema_GoalState__Output>
      GoalStateOperationReply: MessageTypeDefinition<_alcor_schema_GoalStateOperationReply, _alcor_schema_GoalStateOperationReply__Output>
      GoalStateProvisioner: SubtypeConstructor<typeof grpc.Client, _alcor_schema_GoalStateProvisionerClient> & { service: _alcor_schema_GoalStateProvisionerDefinition }
      GoalStateV2: MessageTypeDefinition<_alcor_schema_GoalStateV2, _alcor_schema_GoalStateV2__Output>
      HostRequest: MessageTypeDefinition<_alcor_schema_HostRequest, _alcor_schema_HostRequest__Output>
      HostRequestReply: MessageTypeDefinition<_alcor_schema_HostRequestReply, _alcor_schema_HostRequestReply__Output>
      HostResources: MessageTypeDefinition<_alcor_schema_HostResources, _alcor_schema_HostResources__Output>
      NeighborConfiguration: MessageTypeDefinition<_alcor_schema_NeighborConfiguration, _alcor_schema_NeighborConfiguration__Output>
      NeighborRulesRequest: MessageTypeDefinition<_alcor_schema_NeighborRulesRequest, _alcor_schema_NeighborRulesRequest__Output>
      NeighborState: MessageTypeDefinition<_alcor_schema_NeighborState, _alcor_schema_NeighborState__Output>
      NeighborType: EnumTypeDefinition
      NetworkType: EnumTypeDefinition
      OperationStatus: EnumTypeDefinition
      OperationType: EnumTypeDefinition
      PortConfiguration: MessageTypeDefinition<_alcor_schema_PortConfiguration, _alcor_schema_PortConfiguration__Output>
      PortState: MessageTypeDefinition<_alcor_schema_PortState, _alcor_schema_PortState__Output>
      Protocol: EnumTypeDefinition
      RequestType: EnumTypeDefinition
      ResourceIdType: MessageTypeDefinition<_alcor_schema_ResourceIdType, _alcor_schema_ResourceIdType__Output>
      ResourceType: EnumTypeDefinition
      RouterConfiguration: MessageTypeDefinition<_alcor_schema_RouterConfiguration, _alcor_schema_RouterConfiguration__Output>
      RouterState: MessageTypeDefinition<_alcor_schema_RouterState, _alcor_schema_RouterState__Output>
      SecurityGroupConfiguration: MessageTypeDefinition<_alcor_schema_SecurityGroupConfiguration, _alcor_schema_SecurityGroupConfiguration__Output>
      SecurityGroupState: MessageTypeDefinition<_alcor_schema_SecurityGroupState, _alcor_schema_SecurityGroupState__Output>
      SubnetConfiguration: MessageTypeDefinition<_alcor_schema_SubnetConfiguration, _alcor_schema_SubnetConfiguration__Output>
      SubnetState: MessageTypeDefinition<_alcor_schema_SubnetState, _alcor_schema_SubnetState__Output>
      UpdateType: EnumTypeDefinition
      VpcConfiguration: MessageTypeDefinition<_alcor_schema_VpcConfiguration, _alcor_schema_VpcConfiguration__Output>
      VpcState: MessageTypeDefinition<_alcor_schema_VpcState, _alcor_schema_VpcState__Output>
    }
  }
}

