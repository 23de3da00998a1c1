// Original file: proto/alcor/goalstate.proto

import type { HostResources as _alcor_schema_HostResources, HostResources__Output as _alcor_schema_HostResources__Output } from '../../alcor/schema/HostResources';
import type { VpcState as _alcor_schema_VpcState, VpcState__Output as _alcor_schema_VpcState__Output } from '../../alcor/schema/VpcState';
import type { SubnetState as _alcor_schema_SubnetState, SubnetState__Output as _alcor_schema_SubnetState__Output } from '../../alcor/schema/SubnetState';
import type { PortState as _alcor_schema_PortState, PortState__Output as _alcor_schema_PortState__Output } from '../../alcor/schema/PortState';
import type { DHCPState as _alcor_schema_DHCPState, DHCPState__Output as _alcor_schema_DHCPState__Output } from '../../alcor/schema/DHCPState';
import type { NeighborState as _alcor_schema_NeighborState, NeighborState__Output as _alcor_schema_NeighborState__Output } from '../../alcor/schema/NeighborState';
import type { SecurityGroupState as _alcor_schema_SecurityGroupState, SecurityGroupState__Output as _alcor_schema_SecurityGroupState__Output } from '../../alcor/schema/SecurityGroupState';
import type { RouterState as _alcor_schema_RouterState, RouterState__Output as _alcor_schema_RouterState__Output } from '../../alcor/schema/RouterState';
import type { GatewayState as _alcor_schema_GatewayState, GatewayState__Output as _alcor_schema_GatewayState__Output } from '../../alcor/schema/GatewayState';

export interface GoalStateV2 {
  'format_version'?: (number);
  /**
   * ist of resources deployed to a target host
   */
  'host_resources'?: ({[key: string]: _alcor_schema_HostResources});
  /**
   * esource id
   */
  'vpc_states'?: ({[key: string]: _alcor_schema_VpcState});
  /**
   * esource id
   */
  'subnet_states'?: ({[key: string]: _alcor_schema_SubnetState});
  /**
   * PortState and DHCPState is applicable to one host only
   */
  'port_states'?: ({[key: string]: _alcor_schema_PortState});
  /**
   * esource id
   */
  'dhcp_states'?: ({[key: string]: _alcor_schema_DHCPState});
  /**
   * esource id
   */
  'neighbor_states'?: ({[key: string]: _alcor_schema_NeighborState});
  /**
   * esource id
   */
  'security_group_states'?: ({[key: string]: _alcor_schema_SecurityGroupState});
  /**
   * esource id
   */
  'router_states'?: ({[key: string]: _alcor_schema_RouterState});
  /**
   * esource id
   */
  'gateway_states'?: ({[key: string]: _alcor_schema_GatewayState});
}

export interface GoalStateV2__Output {
  'format_version': (number);
  /**
   * ist of resources deployed to a target host
   */
  'host_resources': ({[key: string]: _alcor_schema_HostResources__Output});
  /**
   * esource id
   */
  'vpc_states': ({[key: string]: _alcor_schema_VpcState__Output});
  /**
   * esource id
   */
  'subnet_states': ({[key: string]: _alcor_schema_SubnetState__Output});
  /**
   * PortState and DHCPState is applicable to one host only
   */
  'port_states': ({[key: string]: _alcor_schema_PortState__Output});
  /**
   * esource id
   */
  'dhcp_states': ({[key: string]: _alcor_schema_DHCPState__Output});
  /**
   * esource id
   */
  'neighbor_states': ({[key: string]: _alcor_schema_NeighborState__Output});
  /**
   * esource id
   */
  'security_group_states': ({[key: string]: _alcor_schema_SecurityGroupState__Output});
  /**
   * esource id
   */
  'router_states': ({[key: string]: _alcor_schema_RouterState__Output});
  /**
   * esource id
   */
  'gateway_states': ({[key: string]: _alcor_schema_GatewayState__Output});
}
