// Original file: proto/alcor/common.proto

export const UpdateType = {
  /**
   * the default type
   */
  DELTA: 'DELTA',
  FULL: 'FULL',
} as const;

export type UpdateType =
  /**
   * the default type
   */
  | 'DELTA'
  | 0
  | 'FULL'
  | 1

export type UpdateType__Output = typeof UpdateType[keyof typeof UpdateType]
