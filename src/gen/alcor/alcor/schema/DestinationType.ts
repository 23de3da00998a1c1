// Original file: proto/alcor/router.proto

export const DestinationType = {
  INTERNET: 'INTERNET',
  VPC_GW: 'VPC_GW',
} as const;

export type DestinationType =
  | 'INTERNET'
  | 0
  | 'VPC_GW'
  | 1

export type DestinationType__Output = typeof DestinationType[keyof typeof DestinationType]
