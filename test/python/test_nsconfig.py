# Unit tests of helpers/nsconfig.py that need no root: the rtnetlink messages it builds, byte for
# byte against the kernel's struct layouts (linux/netlink.h, rtnetlink.h, if_link.h, if_addr.h),
# how it reads acks, and its line protocol. The integration tests (dataplane-*.test.ts) prove the
# kernel accepts these messages; these pin the encoding so a change to it is seen without root.
import json
import struct
import subprocess
import sys

import nsconfig
import pytest
from conftest import HELPERS

pytestmark = pytest.mark.skipif(sys.byteorder != 'little', reason='expected bytes are written for a little-endian host')

# struct nlmsghdr: u32 length, u16 type, u16 flags, u32 seq, u32 pid.
LINK_FLAGS = '0500'  # NLM_F_REQUEST | NLM_F_ACK
CREATE_FLAGS = '0505'  # ... | NLM_F_REPLACE | NLM_F_CREATE


def hexmsg(op, idx, seq=1):
    msg_type, body = nsconfig.encode_op(op, idx)
    return nsconfig.message(msg_type, seq, body).hex()


def test_attr_is_padded_to_four_bytes_and_keeps_its_unpadded_length():
    assert nsconfig.attr(1, b'').hex() == '04000100'
    assert nsconfig.attr(1, b'\x01').hex() == '05000100' + '01000000'
    assert nsconfig.attr(1, b'ab').hex() == '06000100' + '61620000'
    assert nsconfig.attr(2, b'abcd').hex() == '08000200' + '61626364'


def test_up_sets_iff_up_in_flags_and_change_mask():
    assert hexmsg({'op': 'up', 'ifname': 'eth0'}, 7, seq=1) == (
        '20000000' '1000' + LINK_FLAGS + '01000000' '00000000'  # 32 bytes, RTM_NEWLINK, seq 1
        '00' '00' '0000' '07000000' '01000000' '01000000'  # ifinfomsg: AF_UNSPEC, index 7, IFF_UP, change IFF_UP
    )


def test_ipv4_address_replaces_with_local_and_address_attributes():
    assert hexmsg({'op': 'addr', 'ifname': 'eth0', 'cidr': '10.0.0.5/24'}, 7, seq=9) == (
        '28000000' '1400' + CREATE_FLAGS + '09000000' '00000000'  # 40 bytes, RTM_NEWADDR, seq 9
        '02' '18' '00' '00' '07000000'  # ifaddrmsg: AF_INET, /24, flags 0, RT_SCOPE_UNIVERSE, index 7
        '08000200' '0a000005'  # IFA_LOCAL 10.0.0.5
        '08000100' '0a000005'  # IFA_ADDRESS 10.0.0.5
    )


def test_ipv6_address_uses_af_inet6_and_sixteen_byte_attributes():
    raw = 'fd000000000000000000000000000005'
    assert hexmsg({'op': 'addr', 'ifname': 'eth0', 'cidr': 'fd00::5/64'}, 3) == (
        '40000000' '1400' + CREATE_FLAGS + '01000000' '00000000'  # 64 bytes
        '0a' '40' '00' '00' '03000000'  # AF_INET6, /64, index 3
        '14000200' + raw + '14000100' + raw
    )


def test_default_route_goes_to_the_main_table_through_the_gateway_and_interface():
    assert hexmsg({'op': 'route', 'ifname': 'eth0', 'gateway': '10.0.0.1'}, 7) == (
        '2c000000' '1800' + CREATE_FLAGS + '01000000' '00000000'  # 44 bytes, RTM_NEWROUTE
        '02' '00' '00' '00' 'fe' '03' '00' '01' '00000000'  # rtmsg: AF_INET, dst_len 0, main, boot, universe, unicast
        '08000500' '0a000001'  # RTA_GATEWAY 10.0.0.1
        '08000400' '07000000'  # RTA_OIF 7
    )


def test_no_ipv6_addrgen_nests_addr_gen_mode_none_under_af_spec_inet6():
    assert hexmsg({'op': 'no-ipv6-addrgen', 'ifname': 'eth0'}, 7) == (
        '30000000' '1300' + LINK_FLAGS + '01000000' '00000000'  # 48 bytes, RTM_SETLINK
        '00' '00' '0000' '07000000' '00000000' '00000000'  # ifinfomsg: index 7, no flag changes
        '1000' '1a80'  # IFLA_AF_SPEC | NLA_F_NESTED, 16 bytes
        '0c00' '0a80'  # AF_INET6 | NLA_F_NESTED, 12 bytes
        '0500' '0800' '01' '000000'  # IFLA_INET6_ADDR_GEN_MODE = IN6_ADDR_GEN_MODE_NONE (u8, padded)
    )


def test_unknown_op_is_refused():
    with pytest.raises(ValueError, match="unknown op 'nonesuch'"):
        nsconfig.encode_op({'op': 'nonesuch', 'ifname': 'eth0'}, 1)


@pytest.mark.parametrize('key', ['kernel.hostname', 'net/../kernel/hostname', 'net..ipv4', 'net.ipv4/../../x'])
def test_sysctl_refuses_keys_outside_net(key):
    with pytest.raises(ValueError, match='only net'):
        nsconfig.sysctl_path(key)


def test_sysctl_key_maps_to_proc_sys():
    assert nsconfig.sysctl_path('net.ipv6.conf.default.disable_ipv6') == '/proc/sys/net/ipv6/conf/default/disable_ipv6'


# ------------------------------------------------------------------ acks

def nlmsg(kind, seq, payload=b''):
    return struct.pack('=IHHII', 16 + len(payload), kind, 0, seq, 0) + payload


def ack(seq, error):
    # NLMSG_ERROR: the error (0 = ack), then the header of the request it answers.
    return nlmsg(nsconfig.NLMSG_ERROR, seq, struct.pack('=i', error) + nlmsg(nsconfig.RTM_NEWLINK, seq))


def test_ack_error_finds_the_ack_of_its_request_among_other_messages():
    data = nlmsg(nsconfig.RTM_NEWLINK, 0, b'\0' * 16) + ack(4, -17) + ack(5, 0)
    assert nsconfig.ack_error(data, 4) == -17
    assert nsconfig.ack_error(data, 5) == 0
    assert nsconfig.ack_error(data, 6) is None


def test_ack_error_stops_at_a_message_claiming_zero_length():
    data = struct.pack('=IHHII', 0, 16, 0, 0, 0) + ack(1, 0)
    assert nsconfig.ack_error(data, 1) is None


class FakeSocket:
    """Stands in for the netlink socket: records what is sent, answers with canned buffers."""

    def __init__(self, replies):
        self.sent = []
        self.replies = list(replies)

    def send(self, data):
        self.sent.append(data)

    def recv(self, _size):
        return self.replies.pop(0)


def test_request_waits_for_its_own_ack_and_raises_the_kernel_errno(monkeypatch):
    monkeypatch.setattr(nsconfig, 'seq', 41)
    body = nsconfig.link_body(7, 1, 1)
    sock = FakeSocket([ack(41, 0), nlmsg(nsconfig.RTM_NEWLINK, 0), ack(42, -17)])
    with pytest.raises(OSError) as raised:
        nsconfig.request(sock, nsconfig.RTM_NEWLINK, body)
    assert raised.value.errno == 17
    assert sock.sent == [nsconfig.message(nsconfig.RTM_NEWLINK, 42, body)]
    assert sock.replies == []


def test_request_returns_on_a_zero_ack(monkeypatch):
    monkeypatch.setattr(nsconfig, 'seq', 0)
    sock = FakeSocket([ack(1, 0)])
    nsconfig.request(sock, nsconfig.RTM_NEWADDR, b'')
    assert len(sock.sent) == 1


def test_no_ipv6_addrgen_on_a_kernel_without_ipv6_is_no_error(monkeypatch):
    def no_ipv6(_sock, _msg_type, _body):
        raise OSError(nsconfig.EAFNOSUPPORT, 'Address family not supported by protocol')

    monkeypatch.setattr(nsconfig, 'request', no_ipv6)
    nsconfig.run_op(None, {'op': 'no-ipv6-addrgen', 'ifname': 'lo'}, {})
    with pytest.raises(OSError):
        nsconfig.run_op(None, {'op': 'up', 'ifname': 'lo'}, {})


# ------------------------------------------------------------------ the line protocol

def run_helper(*lines, args=('--protocol', str(nsconfig.PROTOCOL))):
    return subprocess.run([sys.executable, '-I', '-S', str(HELPERS / 'nsconfig.py'), *args],
                          input=''.join(line + '\n' for line in lines), capture_output=True, text=True, timeout=30)


def test_replies_follow_the_announcement_one_per_request_in_order():
    r = run_helper(
        json.dumps({'ns': '', 'ops': []}),
        json.dumps({'ns': '', 'ops': [{'op': 'sysctl', 'key': 'net.merak.no_such_key', 'value': '1'}]}),  # skipped
        json.dumps({'ns': '', 'ops': [{'op': 'sysctl', 'key': 'kernel.hostname', 'value': 'x'}]}),
        'not json',
        json.dumps({'ns': '', 'ops': [{'op': 'up', 'ifname': 'lo'}, {'op': 'up', 'ifname': 'merak-none0'}]}),
    )
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert lines[0] == {'helper': 'nsconfig', 'protocol': nsconfig.PROTOCOL}
    assert lines[1] == {'ok': True}
    assert lines[2] == {'ok': True}
    assert lines[3]['ok'] is False and lines[3]['op'] == 0 and 'only net.* settings' in lines[3]['error']
    assert lines[4]['ok'] is False and 'op' not in lines[4]
    # Bringing lo up needs CAP_NET_ADMIN: as root it succeeds and the next op fails; without root the first fails.
    assert lines[5]['ok'] is False and lines[5]['op'] in (0, 1)
    assert len(lines) == 6


def test_another_protocol_is_announced_and_nothing_is_done():
    r = run_helper(json.dumps({'ns': '', 'ops': [{'op': 'up', 'ifname': 'merak-none0'}]}), args=('--protocol', str(nsconfig.PROTOCOL + 1)))
    assert r.returncode == 3
    assert [json.loads(line) for line in r.stdout.splitlines()] == [{'helper': 'nsconfig', 'protocol': nsconfig.PROTOCOL}]
    assert 'the caller asked for %d' % (nsconfig.PROTOCOL + 1) in r.stderr


# ------------------------------------------------------------------ making namespaces (create: true)

def test_a_mounted_namespace_is_told_from_a_plain_or_missing_file(tmp_path):
    plain = tmp_path / 'vm'
    plain.write_text('')
    assert nsconfig.is_mounted_ns(str(plain)) is False  # an empty file left by an interrupted create
    assert nsconfig.is_mounted_ns(str(tmp_path / 'missing')) is False
    # /proc/self/ns/net is on nsfs, its folder on proc: what a namespace bind-mounted on a file looks like.
    assert nsconfig.is_mounted_ns('/proc/self/ns/net') is True


def test_create_after_moving_to_a_private_mount_namespace_is_refused_before_anything_is_made(tmp_path, monkeypatch):
    monkeypatch.setattr(nsconfig, 'own_proc', True)
    target = tmp_path / 'vm'
    with pytest.raises(OSError, match='private mount namespace'):
        nsconfig.create_ns(str(target))
    assert not target.exists()


class FakeLibc:
    def __init__(self):
        self.mounts = []

    def mount(self, source, target, fstype, flags, data):
        self.mounts.append((source, target, flags))
        return 0


def test_the_namespace_folder_is_made_shared_once_per_process_not_once_per_namespace(tmp_path, monkeypatch):
    fake = FakeLibc()
    monkeypatch.setattr(nsconfig, 'libc', fake)
    monkeypatch.setattr(nsconfig, 'netns_dir_ready', False)
    for name in ('a', 'b', 'c'):
        nsconfig.netns_dir(str(tmp_path / 'netns' / name))
    assert (tmp_path / 'netns').is_dir()
    assert fake.mounts == [(b'', str(tmp_path / 'netns').encode(), nsconfig.MS_SHARED | nsconfig.MS_REC)]
