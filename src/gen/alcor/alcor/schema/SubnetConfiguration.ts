// Original file: proto/alcor/subnet.proto

import type { UpdateType as _alcor_schema_UpdateType, UpdateType__Output as _alcor_schema_UpdateType__Output } from '../../alcor/schema/UpdateType';
import type { NetworkType as _alcor_schema_NetworkType, NetworkType__Output as _alcor_schema_NetworkType__Output } from '../../alcor/schema/NetworkType';
import type { Long } from '@grpc/proto-loader';

export interface _alcor_schema_SubnetConfiguration_DnsEntry {
  'entry'?: (string);
}

export interface _alcor_schema_SubnetConfiguration_DnsEntry__Output {
  'entry': (string);
}

export interface _alcor_schema_SubnetConfiguration_ExtraDhcpOption {
  'name'?: (string);
  'value'?: (string);
}

export interface _alcor_schema_SubnetConfiguration_ExtraDhcpOption__Output {
  'name': (string);
  'value': (string);
}

export interface _alcor_schema_SubnetConfiguration_Gateway {
  'ip_address'?: (string);
  'mac_address'?: (string);
}

export interface _alcor_schema_SubnetConfiguration_Gateway__Output {
  'ip_address': (string);
  'mac_address': (string);
}

export interface SubnetConfiguration {
  'revision_number'?: (number);
  'request_id'?: (string);
  'id'?: (string);
  /**
   * DELTA (default) or FULL
   */
  'update_type'?: (_alcor_schema_UpdateType);
  /**
   * DEPRECATING: use the one in VPCConfiguration
   */
  'network_type'?: (_alcor_schema_NetworkType);
  'vpc_id'?: (string);
  'name'?: (string);
  'cidr'?: (string);
  /**
   * TODO: change to uint32 but that would require change in DPM
   * DEPRECATING: use the tunnel_id in VPCConfiguration
   */
  'tunnel_id'?: (number | string | Long);
  'gateway'?: (_alcor_schema_SubnetConfiguration_Gateway | null);
  'dhcp_enable'?: (boolean);
  'extra_dhcp_options'?: (_alcor_schema_SubnetConfiguration_ExtraDhcpOption)[];
  'dns_entry_list'?: (_alcor_schema_SubnetConfiguration_DnsEntry)[];
  'availability_zone'?: (string);
}

export interface SubnetConfiguration__Output {
  'revision_number': (number);
  'request_id': (string);
  'id': (string);
  /**
   * DELTA (default) or FULL
   */
  'update_type': (_alcor_schema_UpdateType__Output);
  /**
   * DEPRECATING: use the one in VPCConfiguration
   */
  'network_type': (_alcor_schema_NetworkType__Output);
  'vpc_id': (string);
  'name': (string);
  'cidr': (string);
  /**
   * TODO: change to uint32 but that would require change in DPM
   * DEPRECATING: use the tunnel_id in VPCConfiguration
   */
  'tunnel_id': (number);
  'gateway': (_alcor_schema_SubnetConfiguration_Gateway__Output | null);
  'dhcp_enable': (boolean);
  'extra_dhcp_options': (_alcor_schema_SubnetConfiguration_ExtraDhcpOption__Output)[];
  'dns_entry_list': (_alcor_schema_SubnetConfiguration_DnsEntry__Output)[];
  'availability_zone': (string);
}
