// Original file: proto/alcor/neighbor.proto

export const NeighborType = {
  /**
   * the default type
   */
  L2: 'L2',
  L3: 'L3',
} as const;

export type NeighborType =
  /**
   * the default type
   */
  | 'L2'
  | 0
  | 'L3'
  | 1

export type NeighborType__Output = typeof NeighborType[keyof typeof NeighborType]
