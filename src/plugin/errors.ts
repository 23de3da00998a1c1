import { status as Status } from '@grpc/grpc-js';

/**
 * Errors of the network plugin interface, on both sides of the wire.
 *
 * Providers throw `PluginError(code, message)` from their handlers; the SDK sends it as that gRPC
 * status. Merak's client rejects with `PluginCallError`, and `classifyPluginError` tells whether
 * trying again can help: the compute activities turn the non-retryable ones into
 * non-retryable Temporal failures so that a bad spec fails fast instead of retrying for hours.
 */

export { Status };

/** Name of a gRPC status code, e.g. "INVALID_ARGUMENT". */
export type StatusName = keyof typeof Status;

/** Thrown by a plugin handler to answer with a given gRPC status; the message goes to the caller. */
export class PluginError extends Error {
  override readonly name = 'PluginError';
  constructor(
    /** gRPC status code sent to the caller. */
    readonly code: Status,
    message: string,
  ) {
    super(message);
  }

  /** A field is malformed or out of range. */
  static invalidArgument(message: string): PluginError {
    return new PluginError(Status.INVALID_ARGUMENT, message);
  }
  /** The key exists with different fields, or a unique value is held by another object. */
  static alreadyExists(message: string): PluginError {
    return new PluginError(Status.ALREADY_EXISTS, message);
  }
  /** The state forbids the request (missing VPC, VPC still has subnets). */
  static failedPrecondition(message: string): PluginError {
    return new PluginError(Status.FAILED_PRECONDITION, message);
  }
  /** Update of an object that does not exist. */
  static notFound(message: string): PluginError {
    return new PluginError(Status.NOT_FOUND, message);
  }
  /** The provider or its backend is down; the caller retries. */
  static unavailable(message: string): PluginError {
    return new PluginError(Status.UNAVAILABLE, message);
  }
}

/** A call from Merak's client to a plugin failed; carries the gRPC status and where it happened. */
export class PluginCallError extends Error {
  override readonly name = 'PluginCallError';
  constructor(
    /** gRPC status code of the failed call. */
    readonly code: Status,
    /** The plugin's own message (gRPC status details). */
    readonly details: string,
    /** The RPC, e.g. "CreateVpc". */
    readonly method: string,
    /** The plugin address, HOST:PORT. */
    readonly address: string,
  ) {
    super(`${method} on network plugin ${address} failed with ${statusName(code)}: ${details}`);
  }
}

/** What `classifyPluginError` says about an error. */
export interface PluginErrorClass {
  /** True when the same call may succeed later (outage, overload, timeout). */
  readonly retryable: boolean;
  /** gRPC status name; "UNKNOWN" for errors that carry no gRPC status. */
  readonly code: StatusName;
  /** gRPC status number. */
  readonly grpcCode: Status;
  /** Human text: the plugin's message, with the RPC and address when known. */
  readonly message: string;
}

/**
 * Which statuses are worth retrying. The ambiguous ones, decided:
 * - NOT_FOUND: only Update answers it (Delete of a missing object succeeds), and an Update of a
 *   missing object will not find it on a retry either → not retried.
 * - INTERNAL, UNKNOWN: a provider bug or a crash inside a handler, often transient (a race, a
 *   restart of its backend); retried, and the activity's retry policy bounds the attempts.
 * - CANCELLED: the call was cut (plugin shutting down, connection reset) before an answer → retried;
 *   Create is idempotent, so a retry cannot duplicate.
 * - OUT_OF_RANGE, DATA_LOSS, UNAUTHENTICATED, PERMISSION_DENIED, UNIMPLEMENTED: configuration or
 *   input errors that time will not fix → not retried.
 */
export const RETRYABLE_BY_STATUS: Readonly<Record<StatusName, boolean>> = {
  OK: false,
  CANCELLED: true,
  UNKNOWN: true,
  INVALID_ARGUMENT: false,
  DEADLINE_EXCEEDED: true,
  NOT_FOUND: false,
  ALREADY_EXISTS: false,
  PERMISSION_DENIED: false,
  RESOURCE_EXHAUSTED: true,
  FAILED_PRECONDITION: false,
  ABORTED: true,
  OUT_OF_RANGE: false,
  UNIMPLEMENTED: false,
  INTERNAL: true,
  UNAVAILABLE: true,
  DATA_LOSS: false,
  UNAUTHENTICATED: false,
};

/** The status name of a code ("INVALID_ARGUMENT" for 3); "UNKNOWN" for numbers that are no gRPC status. */
export function statusName(code: number): StatusName {
  const name = Status[code] as StatusName | undefined;
  return name ?? 'UNKNOWN';
}

/**
 * Classifies anything a plugin call can throw. Pure. Errors with a gRPC status (PluginCallError,
 * grpc-js ServiceError, PluginError) are classified by it; anything else (no status, or OK, which
 * is no failure at all) is treated as UNKNOWN, retryable.
 */
export function classifyPluginError(err: unknown): PluginErrorClass {
  const code = grpcCodeOf(err);
  const name = statusName(code);
  return { retryable: RETRYABLE_BY_STATUS[name], code: name, grpcCode: Status[name], message: messageOf(err) };
}

function grpcCodeOf(err: unknown): Status {
  if (typeof err !== 'object' || err === null) return Status.UNKNOWN;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'number' || !Number.isInteger(code) || code <= Status.OK || code > Status.UNAUTHENTICATED) {
    return Status.UNKNOWN;
  }
  return code as Status;
}

function messageOf(err: unknown): string {
  if (err instanceof PluginCallError || err instanceof PluginError) return err.message;
  if (typeof err === 'object' && err !== null) {
    const details = (err as { details?: unknown }).details;
    if (typeof details === 'string' && details !== '') return details;
    const message = (err as { message?: unknown }).message;
    if (typeof message === 'string' && message !== '') return message;
  }
  return String(err);
}
