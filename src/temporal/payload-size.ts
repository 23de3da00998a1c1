/**
 * How big a workflow input is on the wire, and Temporal's limit for it, so `merak up` can refuse
 * an oversized scenario before it starts anything (the server would refuse the start with
 * `Failed to start Workflow` and no reason a user can act on).
 */
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/**
 * Temporal's error limit for a payload (each workflow and activity argument, the workflow input
 * included): 2 MB, 2 × 1024 × 1024 bytes, the server's default `limit.blobSize.error`.
 * Source: Temporal docs, "Self-hosted Temporal Service defaults" (https://docs.temporal.io/self-hosted-guide/defaults):
 * "Temporal errors at 2 MB: ErrBlobSizeExceedsLimit"; and "Troubleshoot the blob size limit
 * error" (https://docs.temporal.io/troubleshooting/blob-size-limit-error). The frontend compares
 * the protobuf size of the request's `input` (a Payloads message) with it, which is what
 * {@link workflowInputBytes} measures. test/integration/cli-validate.test.ts checks both sides of
 * the limit against the dev server.
 */
export const TEMPORAL_PAYLOAD_LIMIT_BYTES = 2 * 1024 * 1024;

/**
 * Size in bytes of a workflow's arguments as the server sees them: the protobuf encoding of the
 * Payloads the SDK's default converter makes of them (JSON, UTF-8, with its metadata). Merak's
 * client uses the default converter.
 */
export function workflowInputBytes(args: readonly unknown[]): number {
  const payloads = args.map((a) => defaultPayloadConverter.toPayload(a));
  return temporal.api.common.v1.Payloads.encode({ payloads }).finish().length;
}

/**
 * The rule an input of `bytes` breaks, written to follow the byte count ("3145728 bytes as a
 * workflow input (3.00 MiB) is above …"), or undefined when it fits. The server refuses only
 * inputs strictly above the limit.
 */
export function payloadSizeProblem(bytes: number, limit = TEMPORAL_PAYLOAD_LIMIT_BYTES): string | undefined {
  if (bytes <= limit) return undefined;
  const mib = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MiB`;
  return `bytes as a workflow input (${mib(bytes)}) is above Temporal's payload limit of ${limit} bytes (${mib(limit)}, the server's limit.blobSize.error), so the server would refuse to start it; make the scenario smaller (fewer or shorter optional maps, fewer explicit node objects)`;
}
