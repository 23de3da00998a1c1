// Original file: proto/alcor/common.proto

export const RequestType = {
  ON_DEMAND: 'ON_DEMAND',
  AGENT_RESTARTED: 'AGENT_RESTARTED',
} as const;

export type RequestType =
  | 'ON_DEMAND'
  | 0
  | 'AGENT_RESTARTED'
  | 1

export type RequestType__Output = typeof RequestType[keyof typeof RequestType]
