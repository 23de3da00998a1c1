import type { TestResult } from '../../src/model/status';

/** Results as the testing activity returned them in an integration run (addresses shortened). */
export const SAMPLE: TestResult[] = [
  { kind: 'icmp', source: 'n1/vm-0 (10.250.7.1)', destination: 'n2/vm-0 (10.250.7.2)', negative: false, pass: true, latencyMs: 0.131 },
  { kind: 'icmp', source: 'n1/vm-0 (10.250.7.1)', destination: 'n3/vm-0 (10.250.7.3)', negative: false, pass: false, error: 'no reply (100% packet loss)' },
  { kind: 'icmp', source: 'n1/vm-0 (10.250.7.1)', destination: 'n2/vm-0 (10.250.7.2)', negative: true, pass: false, latencyMs: 0.037, error: 'reached a VM of another VPC: isolation is broken' },
  { kind: 'icmp', source: 'n1/vm-0 (10.250.7.1)', destination: 'n3/vm-0 (10.250.7.3)', negative: true, pass: true },
  { kind: 'tcp', source: 'n1/vm-0 (10.250.7.1)', destination: 'n2/vm-0 (10.250.7.2)', negative: false, pass: true, latencyMs: 7.964 },
  {
    kind: 'tcp',
    source: 'n1/vm-0 (10.250.7.1)',
    destination: 'n2/vm-0 (10.250.7.9)',
    negative: false,
    pass: false,
    error: 'not tested: destination address 10.250.7.9 is not configured in VM namespace mk-cti9-n2_0 (Cannot assign requested address (EADDRNOTAVAIL))',
  },
  { kind: 'iperf', source: 'n1/vm-0 (10.250.7.1)', destination: 'n2/vm-0 (10.250.7.2)', negative: false, pass: true, throughputBps: 11556598893 },
];
