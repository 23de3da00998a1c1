// Original file: proto/alcor/common.proto

export const Protocol = {
  TCP: 'TCP',
  UDP: 'UDP',
  ICMP: 'ICMP',
  HTTP: 'HTTP',
  ARP: 'ARP',
} as const;

export type Protocol =
  | 'TCP'
  | 0
  | 'UDP'
  | 1
  | 'ICMP'
  | 2
  | 'HTTP'
  | 3
  | 'ARP'
  | 4

export type Protocol__Output = typeof Protocol[keyof typeof Protocol]
