/**
 * Alcor's failures as the network plugin's gRPC statuses (docs/network-plugin.md, "Status codes
 * say what went wrong"). Pure.
 *
 * Alcor answers nearly every refusal with HTTP 500 and tells them apart only by the message; the
 * few exceptions that carry @ResponseStatus answer 404, 409 or 412. The table below is the
 * observed messages of Alcor 21f11b5 (../shared/providers/alcor/README.md, "Error and validation
 * behaviour", and the exception classes under services/* and web/), most specific first. A 500
 * whose message is not in the table is INTERNAL: Merak retries it (bounded by the activity's
 * retry window), which is right for Alcor's transient failures (a service restarting, an Ignite
 * cache handle gone stale) and at worst slow for a refusal we have not seen yet.
 */
import { Status, type StatusName } from '../errors';

/** One classification rule: HTTP status (any when undefined) and a pattern of Alcor's message (any, even empty, when undefined). */
interface Rule {
  status?: number;
  pattern?: RegExp;
  code: StatusName;
  /** Why this code, for the reader of the table and the message sent back. */
  why: string;
}

const RULES: readonly Rule[] = [
  // A missing or not-yet-created parent: the request is fine, the order of operations is not.
  { pattern: /fallback request/i, code: 'FAILED_PRECONDITION', why: "Alcor could not read the subnet's VPC (it does not exist)" },
  { pattern: /Get VpcEntity exception/i, code: 'FAILED_PRECONDITION', why: 'the VPC does not exist in Alcor' },
  { pattern: /Get SubnetEntity exception/i, code: 'FAILED_PRECONDITION', why: 'the subnet does not exist in Alcor' },
  { pattern: /Get node information exception/i, code: 'FAILED_PRECONDITION', why: 'no Alcor node has that binding:host_id (node_name)' },
  { pattern: /No available ip range in vpc/i, code: 'FAILED_PRECONDITION', why: 'the VPC has no subnet to take an address from' },
  { status: 409, code: 'FAILED_PRECONDITION', why: 'the object is still in use (a subnet with ports)' },
  // Unique values held by another object.
  { pattern: /cidr overlap/i, code: 'ALREADY_EXISTS', why: 'the CIDR overlaps another subnet of the VPC' },
  // Malformed or out-of-range fields.
  { pattern: /cidr is not within network cidr/i, code: 'INVALID_ARGUMENT', why: 'the subnet lies outside its VPC' },
  { pattern: /cidr is invalid/i, code: 'INVALID_ARGUMENT', why: 'the CIDR is malformed' },
  { pattern: /not in range \[0,\s*255\]/i, code: 'INVALID_ARGUMENT', why: 'the CIDR is malformed' },
  { pattern: /GatewayIp is unsupported/i, code: 'INVALID_ARGUMENT', why: 'the gateway lies outside the subnet' },
  { pattern: /Invalid IP address format/i, code: 'INVALID_ARGUMENT', why: 'the IP address is malformed' },
  { pattern: /Ip address invalid/i, code: 'INVALID_ARGUMENT', why: 'the fixed IP lies outside the subnet' },
  { pattern: /Mac address invalid/i, code: 'INVALID_ARGUMENT', why: 'the MAC address is malformed' },
  { pattern: /Network id is required/i, code: 'INVALID_ARGUMENT', why: 'network_id is missing' },
  { pattern: /Parameter is null or empty/i, code: 'INVALID_ARGUMENT', why: 'a required field is empty' },
  { pattern: /request resource is invalid/i, code: 'INVALID_ARGUMENT', why: 'Alcor refused the fields (missing cidr or network_id, unknown network type)' },
  // Updates of objects that do not exist.
  { pattern: /not found/i, code: 'NOT_FOUND', why: 'the object does not exist in Alcor' },
  { pattern: /is not existing/i, code: 'NOT_FOUND', why: 'the object does not exist in Alcor' },
  { status: 404, code: 'NOT_FOUND', why: 'the object does not exist in Alcor' },
  // Alcor is reachable but not well: a gateway or an overloaded service.
  { status: 502, code: 'UNAVAILABLE', why: 'Alcor is not serving' },
  { status: 503, code: 'UNAVAILABLE', why: 'Alcor is not serving' },
  { status: 504, code: 'UNAVAILABLE', why: 'Alcor is not serving' },
];

/** What a failure of an Alcor call means for the plugin's caller. */
export interface AlcorFailureClass {
  code: StatusName;
  grpcCode: Status;
  why: string;
}

/**
 * Classifies an HTTP answer of Alcor (or `status` undefined: no answer at all, which is
 * UNAVAILABLE). Any other unmatched status is INTERNAL.
 */
export function classifyAlcorFailure(status: number | undefined, message: string): AlcorFailureClass {
  if (status === undefined) return { code: 'UNAVAILABLE', grpcCode: Status.UNAVAILABLE, why: 'Alcor did not answer' };
  for (const r of RULES) {
    if ((r.status === undefined || r.status === status) && (r.pattern === undefined || r.pattern.test(message))) {
      return { code: r.code, grpcCode: Status[r.code], why: r.why };
    }
  }
  return { code: 'INTERNAL', grpcCode: Status.INTERNAL, why: `Alcor failed (HTTP ${status})` };
}
