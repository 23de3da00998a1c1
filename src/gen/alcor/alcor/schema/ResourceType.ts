// Original file: proto/alcor/common.proto

export const ResourceType = {
  VPC: 'VPC',
  SUBNET: 'SUBNET',
  PORT: 'PORT',
  NEIGHBOR: 'NEIGHBOR',
  SECURITYGROUP: 'SECURITYGROUP',
  DHCP: 'DHCP',
  ROUTER: 'ROUTER',
  GATEWAY: 'GATEWAY',
} as const;

export type ResourceType =
  | 'VPC'
  | 0
  | 'SUBNET'
  | 1
  | 'PORT'
  | 2
  | 'NEIGHBOR'
  | 3
  | 'SECURITYGROUP'
  | 4
  | 'DHCP'
  | 5
  | 'ROUTER'
  | 6
  | 'GATEWAY'
  | 7

export type ResourceType__Output = typeof ResourceType[keyof typeof ResourceType]
