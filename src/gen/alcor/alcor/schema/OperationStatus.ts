// Original file: proto/alcor/common.proto

export const OperationStatus = {
  /**
   * also means ROUTABLE for ON_DEMAND request
   */
  SUCCESS: 'SUCCESS',
  /**
   * also means NOT_ROUTABLE for ON_DEMAND request
   */
  FAILURE: 'FAILURE',
  INVALID_ARG: 'INVALID_ARG',
  PENDING: 'PENDING',
  OUT_OF_ORDER: 'OUT_OF_ORDER',
} as const;

export type OperationStatus =
  /**
   * also means ROUTABLE for ON_DEMAND request
   */
  | 'SUCCESS'
  | 0
  /**
   * also means NOT_ROUTABLE for ON_DEMAND request
   */
  | 'FAILURE'
  | 1
  | 'INVALID_ARG'
  | 2
  | 'PENDING'
  | 3
  | 'OUT_OF_ORDER'
  | 4

export type OperationStatus__Output = typeof OperationStatus[keyof typeof OperationStatus]
