import { classifyAlcorFailure } from '../../src/plugin/alcor/classify';

// Alcor 21f11b5's observed answers (../shared/providers/alcor/README.md, "Error and validation
// behaviour", and the exception classes of its services), with the status each must become.
const OBSERVED: Array<[number, string, string]> = [
  [500, 'fallback request', 'FAILED_PRECONDITION'],
  [500, 'Get VpcEntity exception', 'FAILED_PRECONDITION'],
  [500, 'Get SubnetEntity exception', 'FAILED_PRECONDITION'],
  [500, 'Get node information exception', 'FAILED_PRECONDITION'],
  [500, 'No available ip range in vpc', 'FAILED_PRECONDITION'],
  [409, 'There is some ports in the subnet, so the subnet can not be deleted', 'FAILED_PRECONDITION'],
  [500, 'cidr overlap with other subnets in the same network', 'ALREADY_EXISTS'],
  [500, 'cidr is not within network cidr', 'INVALID_ARGUMENT'],
  [500, 'cidr is invalid : 10.0.0.0/33', 'INVALID_ARGUMENT'],
  [500, 'Value [300] not in range [0,255]', 'INVALID_ARGUMENT'],
  [500, 'GatewayIp is unsupported', 'INVALID_ARGUMENT'],
  [500, 'Invalid IP address format', 'INVALID_ARGUMENT'],
  [500, '400 : [{"status":400,"message":"Ip address invalid"}]', 'INVALID_ARGUMENT'],
  [412, 'Mac address invalid', 'INVALID_ARGUMENT'],
  [412, 'Network id is required', 'INVALID_ARGUMENT'],
  [500, 'Parameter is null or empty', 'INVALID_ARGUMENT'],
  [500, 'request resource is invalid', 'INVALID_ARGUMENT'],
  [404, 'Vpc not found', 'NOT_FOUND'],
  [500, 'Subnet not found', 'NOT_FOUND'],
  [404, 'Port not found', 'NOT_FOUND'],
  [500, 'The node to update or delete is not existing.', 'NOT_FOUND'],
  [503, 'Service Unavailable', 'UNAVAILABLE'],
  [502, '', 'UNAVAILABLE'],
  [504, 'Gateway Timeout', 'UNAVAILABLE'],
  // Not in the table: Alcor's own failures, retried (a service restarting, a stale Ignite handle).
  [500, 'DPM Failed Handle Request', 'INTERNAL'],
  [500, 'Cannot invoke "java.util.Map.get(Object)" because ... is null', 'INTERNAL'],
  [500, '', 'INTERNAL'],
  [418, "I'm a teapot", 'INTERNAL'],
];

describe("Alcor's failures as the plugin's gRPC statuses", () => {
  test.each(OBSERVED)('HTTP %i "%s" -> %s', (status, message, code) => {
    const c = classifyAlcorFailure(status, message);
    expect(c.code).toBe(code);
    expect(c.why.length).toBeGreaterThan(5);
  });

  test('no answer at all is UNAVAILABLE (retried)', () => {
    expect(classifyAlcorFailure(undefined, 'ECONNREFUSED')).toMatchObject({ code: 'UNAVAILABLE', grpcCode: 14 });
  });

  test('a missing parent wins over the "not found" in its wording', () => {
    // "Get VpcEntity exception" bodies often quote a nested "not found": the parent rule comes first.
    expect(classifyAlcorFailure(500, 'Get VpcEntity exception: Vpc not found').code).toBe('FAILED_PRECONDITION');
  });
});
