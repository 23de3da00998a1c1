import { iperfPortBusy, parseIperf3Json, parsePingRtt, pingFailure } from '../../src/activities/testing/parse';

const PING_OK = `PING 10.250.7.2 (10.250.7.2) 56(84) bytes of data.
64 bytes from 10.250.7.2: icmp_seq=1 ttl=64 time=0.131 ms

--- 10.250.7.2 ping statistics ---
1 packets transmitted, 1 received, 0% packet loss, time 0ms
rtt min/avg/max/mdev = 0.131/0.131/0.131/0.000 ms
`;
const PING_LOST = `PING 10.250.7.3 (10.250.7.3) 56(84) bytes of data.

--- 10.250.7.3 ping statistics ---
1 packets transmitted, 0 received, 100% packet loss, time 0ms

`;
const PING_UNREACH = `PING 10.250.7.3 (10.250.7.3) 56(84) bytes of data.
From 10.250.7.1 icmp_seq=1 Destination Host Unreachable

--- 10.250.7.3 ping statistics ---
1 packets transmitted, 0 received, +1 errors, 100% packet loss, time 0ms
`;

describe('ping output', () => {
  it('reads the round-trip time', () => {
    expect(parsePingRtt(PING_OK)).toBe(0.131);
    expect(parsePingRtt('64 bytes from 10.0.0.1: icmp_seq=1 ttl=64 time=12 ms')).toBe(12);
    expect(parsePingRtt('64 bytes from 10.0.0.1: icmp_seq=1 ttl=64 time<1 ms')).toBe(1);
    expect(parsePingRtt(PING_LOST)).toBeUndefined();
  });

  it('says why no reply came', () => {
    expect(pingFailure(PING_LOST, '', 1)).toBe('no reply (100% packet loss)');
    expect(pingFailure(PING_UNREACH, '', 1)).toBe('Destination Host Unreachable');
    expect(pingFailure('', 'ping: connect: Network is unreachable\n', 2)).toBe('connect: Network is unreachable');
    expect(pingFailure('', '', null)).toBe('ping exited with a signal');
  });
});

describe('iperf3 JSON', () => {
  it('reads the receiver rate, else the sender rate or the UDP sum', () => {
    const tcp = JSON.stringify({ start: {}, intervals: [], end: { sum_sent: { bits_per_second: 9.2e9 }, sum_received: { bits_per_second: 9.1e9 } } });
    expect(parseIperf3Json(tcp)).toEqual({ ok: true, bitsPerSecond: 9.1e9 });
    expect(parseIperf3Json(JSON.stringify({ end: { sum_sent: { bits_per_second: 5 } } }))).toEqual({ ok: true, bitsPerSecond: 5 });
    expect(parseIperf3Json(JSON.stringify({ end: { sum: { bits_per_second: 1e6 } } }))).toEqual({ ok: true, bitsPerSecond: 1e6 });
  });

  it('turns errors and garbage into failures with a reason', () => {
    expect(parseIperf3Json(JSON.stringify({ start: {}, intervals: [], end: {}, error: 'unable to connect to server: Connection timed out' }))).toEqual({
      ok: false,
      error: 'iperf3: unable to connect to server: Connection timed out',
    });
    expect(parseIperf3Json('')).toEqual({ ok: false, error: 'iperf3 printed nothing' });
    expect(parseIperf3Json('iperf3: error - unable to connect')).toEqual({ ok: false, error: 'iperf3 printed no JSON: iperf3: error - unable to connect' });
    expect(parseIperf3Json('{"end": {}}')).toEqual({ ok: false, error: 'iperf3 JSON has no end.sum_received.bits_per_second' });
  });

  it('recognises a taken port', () => {
    expect(iperfPortBusy('iperf3: error - unable to start listener for connections: Address already in use')).toBe(true);
    expect(iperfPortBusy('Server listening on 5201')).toBe(false);
  });
});
