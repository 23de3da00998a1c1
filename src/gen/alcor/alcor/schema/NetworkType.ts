// Original file: proto/alcor/common.proto

export const NetworkType = {
  /**
   * the default type
   */
  VXLAN: 'VXLAN',
  VLAN: 'VLAN',
  GRE: 'GRE',
  GENEVE: 'GENEVE',
  VXLAN_GPE: 'VXLAN_GPE',
} as const;

export type NetworkType =
  /**
   * the default type
   */
  | 'VXLAN'
  | 0
  | 'VLAN'
  | 1
  | 'GRE'
  | 2
  | 'GENEVE'
  | 3
  | 'VXLAN_GPE'
  | 4

export type NetworkType__Output = typeof NetworkType[keyof typeof NetworkType]
