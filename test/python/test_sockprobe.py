# Unit tests of helpers/sockprobe.py that need no root: its announcement, how it answers
# requests it cannot serve, and the ICMP echo requests it builds. The echo and probe paths enter
# VM namespaces and are covered by the integration tests (testing-*.test.ts, and
# reachability-probe.test.ts for `icmp`).
import json
import socket
import struct
import subprocess
import sys

import sockprobe
from conftest import HELPERS


def run_probe(*requests, args=None):
    argv = args if args is not None else ['--protocol', str(sockprobe.PROTOCOL), 'probe', '10', '2']
    return subprocess.run([sys.executable, '-I', '-S', str(HELPERS / 'sockprobe.py'), *argv],
                          input=''.join(json.dumps(r) + '\n' for r in requests), capture_output=True, text=True, timeout=30)


def test_probe_announces_itself_then_answers_each_request_by_id():
    r = run_probe({'id': 1, 'op': 'nonesuch', 'timeoutMs': 100}, {'id': 2, 'op': 'tcp'})
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert lines[0] == {'helper': 'sockprobe', 'protocol': sockprobe.PROTOCOL}
    replies = sorted(lines[1:], key=lambda x: x['id'])  # answered by worker threads, in any order
    assert replies == [
        {'id': 1, 'ok': False, 'error': "unknown op 'nonesuch'"},
        {'id': 2, 'ok': False, 'error': "'timeoutMs'"},
    ]


def test_another_protocol_stops_after_the_announcement():
    r = run_probe({'id': 1, 'op': 'nonesuch', 'timeoutMs': 100}, args=['--protocol', '0', 'probe', '10', '2'])
    assert r.returncode == 3
    assert [json.loads(line) for line in r.stdout.splitlines()] == [{'helper': 'sockprobe', 'protocol': sockprobe.PROTOCOL}]


def test_missing_role_is_a_usage_error():
    r = run_probe(args=['--protocol', str(sockprobe.PROTOCOL)])
    assert r.returncode == 1
    assert 'usage: sockprobe.py' in r.stderr


def test_describe_names_timeouts_refusals_and_errnos():
    assert sockprobe.describe(socket.timeout()) == 'timed out'
    assert sockprobe.describe(ConnectionRefusedError(111, 'refused')) == 'connection refused'
    assert sockprobe.describe(OSError(101, 'x')) == 'Network is unreachable (ENETUNREACH)'
    assert sockprobe.describe(ValueError('echo mismatch')) == 'echo mismatch'


def test_echo_request_is_a_valid_icmp_echo_request():
    packet = sockprobe.echo_request(0x1234, 7)
    kind, code, _, ident, seq = struct.unpack('!BBHHH', packet[:8])
    assert (kind, code, ident, seq) == (sockprobe.ICMP_ECHO_REQUEST, 0, 0x1234, 7)
    # A packet with its checksum in place sums to zero (RFC 1071), as the receiver checks it.
    assert sockprobe.icmp_checksum(packet) == 0
    assert sockprobe.icmp_checksum(packet[:2] + b'\0\0' + packet[4:]) != 0


def test_checksum_of_an_odd_length_pads_with_zero():
    assert sockprobe.icmp_checksum(b'\x01') == sockprobe.icmp_checksum(b'\x01\x00')


def test_icmp_in_a_namespace_that_does_not_exist_fails_before_sending():
    # No `sent` in the reply: the agent takes it as "could not probe", not "no reply".
    r = run_probe({'id': 1, 'op': 'icmp', 'ns': '/nonexistent/netns', 'ip': '10.0.0.1', 'intervalMs': 50, 'timeoutMs': 100})
    assert r.returncode == 0, r.stderr
    reply = json.loads(r.stdout.splitlines()[1])
    assert reply['id'] == 1 and reply['ok'] is False and 'sent' not in reply
    assert 'No such file or directory' in reply['error']
