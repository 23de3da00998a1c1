// Original file: proto/alcor/gateway.proto

import type { GatewayType as _alcor_schema_GatewayType, GatewayType__Output as _alcor_schema_GatewayType__Output } from '../../alcor/schema/GatewayType';

export interface _alcor_schema_GatewayConfiguration_arion {
  'vpc_id'?: (string);
  'vni'?: (number);
  'subnet_id'?: (string);
  /**
   * port for in-band (same NIC channel) operation
   */
  'port_inband_operation'?: (number);
}

export interface _alcor_schema_GatewayConfiguration_arion__Output {
  'vpc_id': (string);
  'vni': (number);
  'subnet_id': (string);
  /**
   * port for in-band (same NIC channel) operation
   */
  'port_inband_operation': (number);
}

export interface _alcor_schema_GatewayConfiguration_destination {
  'ip_address'?: (string);
  'mac_address'?: (string);
}

export interface _alcor_schema_GatewayConfiguration_destination__Output {
  'ip_address': (string);
  'mac_address': (string);
}

export interface _alcor_schema_GatewayConfiguration_zeta {
  /**
   * port for in-band (same NIC channel) operation
   */
  'port_inband_operation'?: (number);
}

export interface _alcor_schema_GatewayConfiguration_zeta__Output {
  /**
   * port for in-band (same NIC channel) operation
   */
  'port_inband_operation': (number);
}

export interface GatewayConfiguration {
  'revision_number'?: (number);
  'request_id'?: (string);
  'id'?: (string);
  'gateway_type'?: (_alcor_schema_GatewayType);
  'destinations'?: (_alcor_schema_GatewayConfiguration_destination)[];
  'zeta_info'?: (_alcor_schema_GatewayConfiguration_zeta | null);
  'arion_info'?: (_alcor_schema_GatewayConfiguration_arion | null);
  'extra_info'?: "zeta_info"|"arion_info";
}

export interface GatewayConfiguration__Output {
  'revision_number': (number);
  'request_id': (string);
  'id': (string);
  'gateway_type': (_alcor_schema_GatewayType__Output);
  'destinations': (_alcor_schema_GatewayConfiguration_destination__Output)[];
  'zeta_info'?: (_alcor_schema_GatewayConfiguration_zeta__Output | null);
  'arion_info'?: (_alcor_schema_GatewayConfiguration_arion__Output | null);
  'extra_info'?: "zeta_info"|"arion_info";
}
