# Unit tests of helpers/loopforward.py that need no root: its announcement and its refusals. The
# forwarding itself enters a namespace (setns needs root) and is covered by the Alcor suite
# (test/integration/alcor.test.ts talks to Alcor through it).
import json
import subprocess
import sys

import loopforward
from conftest import HELPERS


def run(*args):
    return subprocess.run([sys.executable, '-I', '-S', str(HELPERS / 'loopforward.py'), *args], capture_output=True, text=True, timeout=30)


def test_another_protocol_stops_after_the_announcement():
    r = run('--protocol', '0', '/run/netns/x', '127.0.0.1', '9001')
    assert r.returncode == 3
    assert [json.loads(line) for line in r.stdout.splitlines()] == [{'helper': 'loopforward', 'protocol': loopforward.PROTOCOL}]


def test_missing_or_bad_ports_are_a_usage_error():
    for args in (['/run/netns/x', '127.0.0.1'], ['/run/netns/x', '127.0.0.1', 'http'], ['/run/netns/x', '127.0.0.1', '70000']):
        r = run('--protocol', str(loopforward.PROTOCOL), *args)
        assert r.returncode == 1, args
        assert 'usage: loopforward.py' in r.stderr


def test_only_loopback_addresses_are_listened_on():
    r = run('--protocol', str(loopforward.PROTOCOL), '/run/netns/x', '10.0.0.1', '9001')
    assert r.returncode == 1
    assert '10.0.0.1 is not a loopback address' in r.stderr


def test_the_pidfile_argument_only_names_the_process():
    # Anywhere (Merak puts it last): the same refusal as without it, not a usage error.
    r = run('--protocol', str(loopforward.PROTOCOL), '/run/netns/x', '10.0.0.1', '9001', '--pidfile=/run/merak/x/loopforward.pid')
    assert r.returncode == 1
    assert '10.0.0.1 is not a loopback address' in r.stderr
    r = run('--protocol', str(loopforward.PROTOCOL), '--pidfile=/run/merak/x/loopforward.pid', '/run/netns/x', '127.0.0.1')
    assert r.returncode == 1
    assert 'usage: loopforward.py' in r.stderr
