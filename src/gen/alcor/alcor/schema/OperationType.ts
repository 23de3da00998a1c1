// Original file: proto/alcor/common.proto

export const OperationType = {
  INFO: 'INFO',
  CREATE: 'CREATE',
  UPDATE: 'UPDATE',
  GET: 'GET',
  DELETE: 'DELETE',
} as const;

export type OperationType =
  | 'INFO'
  | 0
  | 'CREATE'
  | 1
  | 'UPDATE'
  | 2
  | 'GET'
  | 3
  | 'DELETE'
  | 4

export type OperationType__Output = typeof OperationType[keyof typeof OperationType]
