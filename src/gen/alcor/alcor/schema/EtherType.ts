// Original file: proto/alcor/common.proto

export const EtherType = {
  IPV4: 'IPV4',
  IPV6: 'IPV6',
} as const;

export type EtherType =
  | 'IPV4'
  | 0
  | 'IPV6'
  | 1

export type EtherType__Output = typeof EtherType[keyof typeof EtherType]
