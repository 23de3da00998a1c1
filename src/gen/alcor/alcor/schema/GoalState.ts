// Original file: proto/alcor/goalstate.proto

import type { VpcState as _alcor_schema_VpcState, VpcState__Output as _alcor_schema_VpcState__Output } from '../../alcor/schema/VpcState';
import type { SubnetState as _alcor_schema_SubnetState, SubnetState__Output as _alcor_schema_SubnetState__Output } from '../../alcor/schema/SubnetState';
import type { PortState as _alcor_schema_PortState, PortState__Output as _alcor_schema_PortState__Output } from '../../alcor/schema/PortState';
import type { NeighborState as _alcor_schema_NeighborState, NeighborState__Output as _alcor_schema_NeighborState__Output } from '../../alcor/schema/NeighborState';
import type { SecurityGroupState as _alcor_schema_SecurityGroupState, SecurityGroupState__Output as _alcor_schema_SecurityGroupState__Output } from '../../alcor/schema/SecurityGroupState';
import type { DHCPState as _alcor_schema_DHCPState, DHCPState__Output as _alcor_schema_DHCPState__Output } from '../../alcor/schema/DHCPState';
import type { RouterState as _alcor_schema_RouterState, RouterState__Output as _alcor_schema_RouterState__Output } from '../../alcor/schema/RouterState';
import type { GatewayState as _alcor_schema_GatewayState, GatewayState__Output as _alcor_schema_GatewayState__Output } from '../../alcor/schema/GatewayState';

export interface GoalState {
  'format_version'?: (number);
  'vpc_states'?: (_alcor_schema_VpcState)[];
  'subnet_states'?: (_alcor_schema_SubnetState)[];
  'port_states'?: (_alcor_schema_PortState)[];
  'neighbor_states'?: (_alcor_schema_NeighborState)[];
  'security_group_states'?: (_alcor_schema_SecurityGroupState)[];
  'dhcp_states'?: (_alcor_schema_DHCPState)[];
  'router_states'?: (_alcor_schema_RouterState)[];
  'gateway_states'?: (_alcor_schema_GatewayState)[];
}

export interface GoalState__Output {
  'format_version': (number);
  'vpc_states': (_alcor_schema_VpcState__Output)[];
  'subnet_states': (_alcor_schema_SubnetState__Output)[];
  'port_states': (_alcor_schema_PortState__Output)[];
  'neighbor_states': (_alcor_schema_NeighborState__Output)[];
  'security_group_states': (_alcor_schema_SecurityGroupState__Output)[];
  'dhcp_states': (_alcor_schema_DHCPState__Output)[];
  'router_states': (_alcor_schema_RouterState__Output)[];
  'gateway_states': (_alcor_schema_GatewayState__Output)[];
}
