// Original file: proto/alcor/gateway.proto

export const GatewayType = {
  DEFAULT: 'DEFAULT',
  ZETA: 'ZETA',
  /**
   * Transit Gateway
   */
  TGW: 'TGW',
  /**
   * Internet Gateway
   */
  IGW: 'IGW',
  /**
   * NAT Gateway
   */
  NGW: 'NGW',
  ARION: 'ARION',
} as const;

export type GatewayType =
  | 'DEFAULT'
  | 0
  | 'ZETA'
  | 1
  /**
   * Transit Gateway
   */
  | 'TGW'
  | 2
  /**
   * Internet Gateway
   */
  | 'IGW'
  | 3
  /**
   * NAT Gateway
   */
  | 'NGW'
  | 4
  | 'ARION'
  | 5

export type GatewayType__Output = typeof GatewayType[keyof typeof GatewayType]
