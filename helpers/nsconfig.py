#!/usr/bin/env python3
# Merak namespace helper: configures interfaces inside many network namespaces from one
# long-lived process. Node cannot call setns(2), and spawning `ip -n NS` per namespace costs
# milliseconds each; this helper enters each namespace with setns and speaks rtnetlink directly.
#
# Started as `nsconfig.py --protocol N` (src/dataplane/ns-helper.ts). The first stdout line is
# {"helper": "nsconfig", "protocol": PROTOCOL}; when N is another protocol the helper stops there.
# Protocol 2: one JSON request per stdin line, one JSON reply per stdout line, in order.
#   {"ns": "/run/netns/NAME" | "", "ops": [OP, ...]}        ("" = stay in the current namespace)
#   {"ns": "/run/netns/NAME", "create": true, "ops": [...]}  (make the named namespace first when it is
#            not mounted yet, as `ip netns add` does, then apply the ops inside it)
#   OP = {"op": "up", "ifname": "lo"}
#      | {"op": "addr", "ifname": "eth0", "cidr": "10.0.0.5/24"}      (replace: idempotent)
#      | {"op": "route", "ifname": "eth0", "gateway": "10.0.0.1"}     (default route, replace)
#      | {"op": "no-ipv6-addrgen", "ifname": "eth0"}                   (no IPv6 link-local address: set before up)
#      | {"op": "sysctl", "key": "net.ipv6.conf.all.disable_ipv6", "value": "1"}
#            (the namespace's own copy of a net.* setting; a key the kernel lacks is skipped)
#   reply: {"ok": true} | {"ok": false, "error": "...", "op": N}
import ctypes
import json
import os
import socket
import struct
import sys

# Constants from the kernel's uapi headers: linux/netlink.h, linux/rtnetlink.h, linux/if_link.h,
# linux/if_addr.h, linux/if.h, linux/sched.h.
CLONE_NEWNET, CLONE_NEWNS = 0x40000000, 0x00020000
MS_BIND, MS_REC, MS_PRIVATE, MS_SHARED = 0x1000, 0x4000, 0x40000, 0x100000
EROFS, EINVAL = 30, 22
NLM_F_REQUEST, NLM_F_ACK, NLM_F_REPLACE, NLM_F_CREATE = 0x1, 0x4, 0x100, 0x400
RTM_NEWLINK, RTM_SETLINK, RTM_NEWADDR, RTM_NEWROUTE, NLMSG_ERROR = 16, 19, 20, 24, 2
IFLA_AF_SPEC, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE, NLA_F_NESTED = 26, 8, 1, 0x8000
EAFNOSUPPORT = 97
IFF_UP = 1
IFA_ADDRESS, IFA_LOCAL = 1, 2
RTA_OIF, RTA_GATEWAY = 4, 5
RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST = 254, 3, 0, 1
NLMSG_HDRLEN = 16

# The version of the request and reply lines above; bump it with any change to them, and
# HELPER_PROTOCOL in src/install/helpers.ts with it.
HELPER = 'nsconfig'
PROTOCOL = 2

libc = ctypes.CDLL(None, use_errno=True)
setns = libc.setns
home = os.open('/proc/self/ns/net', os.O_RDONLY)
seq = 0


# ------------------------------------------------------------------ encoding (pure)

def attr(kind, data):
    """One netlink attribute (struct nlattr): length, type, data, padded to 4 bytes."""
    length = 4 + len(data)
    return struct.pack('=HH', length, kind) + data + b'\0' * ((4 - length % 4) % 4)


def message(msg_type, seq, body):
    """One netlink request (struct nlmsghdr + body), asking for an ack. New addresses and routes
    replace an existing one (idempotent); link messages change the link in place."""
    flags = NLM_F_REQUEST | NLM_F_ACK
    if msg_type not in (RTM_NEWLINK, RTM_SETLINK):
        flags |= NLM_F_CREATE | NLM_F_REPLACE
    return struct.pack('=IHHII', NLMSG_HDRLEN + len(body), msg_type, flags, seq, 0) + body


def ack_error(data, seq):
    """Scans one receive buffer for the ack of request `seq`: None when it is not in there,
    else the kernel's answer (0 = done, else a negative errno)."""
    off = 0
    while off + NLMSG_HDRLEN <= len(data):
        length, kind, _flags, rseq, _pid = struct.unpack_from('=IHHII', data, off)
        if kind == NLMSG_ERROR and rseq == seq:
            return struct.unpack_from('=i', data, off + NLMSG_HDRLEN)[0]
        if length < NLMSG_HDRLEN:
            break  # malformed: never loop on it
        off += (length + 3) & ~3
    return None


def parse_ip(text):
    fam = socket.AF_INET6 if ':' in text else socket.AF_INET
    return fam, socket.inet_pton(fam, text)


def link_body(idx, flags=0, change=0):
    """struct ifinfomsg: family AF_UNSPEC, type 0, index, flags, change mask."""
    return struct.pack('=BxHiII', socket.AF_UNSPEC, 0, idx, flags, change)


def encode_op(op, idx):
    """(message type, body) of an interface op on interface index `idx`."""
    kind = op['op']
    if kind == 'up':
        return RTM_NEWLINK, link_body(idx, IFF_UP, IFF_UP)
    if kind == 'no-ipv6-addrgen':
        # IFLA_AF_SPEC { AF_INET6 { IFLA_INET6_ADDR_GEN_MODE = NONE } }: the interface gets no IPv6
        # link-local address when it comes up, so it sends no DAD, router solicitation or MLD.
        # Netlink, not /proc/sys: a sysctl path looked up in thousands of namespaces got slower
        # with every namespace (0.2 ms at first, 6.7 ms after 5000; measured).
        inner = attr(NLA_F_NESTED | socket.AF_INET6, attr(IFLA_INET6_ADDR_GEN_MODE, struct.pack('=B', IN6_ADDR_GEN_MODE_NONE)))
        return RTM_SETLINK, link_body(idx) + attr(NLA_F_NESTED | IFLA_AF_SPEC, inner)
    if kind == 'addr':
        addr, _, plen = op['cidr'].partition('/')
        fam, raw = parse_ip(addr)
        # struct ifaddrmsg: family, prefix length, flags, scope, index.
        body = struct.pack('=BBBBI', fam, int(plen), 0, RT_SCOPE_UNIVERSE, idx)
        return RTM_NEWADDR, body + attr(IFA_LOCAL, raw) + attr(IFA_ADDRESS, raw)
    if kind == 'route':
        fam, raw = parse_ip(op['gateway'])
        # struct rtmsg: family, dst_len 0 (default route), src_len, tos, table, protocol, scope, type, flags.
        body = struct.pack('=BBBBBBBBI', fam, 0, 0, 0, RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST, 0)
        return RTM_NEWROUTE, body + attr(RTA_GATEWAY, raw) + attr(RTA_OIF, struct.pack('=i', idx))
    raise ValueError('unknown op %r' % kind)


def sysctl_path(key):
    """/proc/sys path of a net.* key; other keys are refused (the helper only touches the namespace's network)."""
    if not key.startswith('net.') or '/' in key or '..' in key:
        raise ValueError('sysctl key %r: only net.* settings' % key)
    return '/proc/sys/' + key.replace('.', '/')


# ------------------------------------------------------------------ applying (kernel)

def request(sock, msg_type, body):
    global seq
    seq += 1
    sock.send(message(msg_type, seq, body))
    while True:
        err = ack_error(sock.recv(65536), seq)
        if err is None:
            continue
        if err != 0:
            raise OSError(-err, os.strerror(-err))
        return


def index_of(name):
    try:
        return socket.if_nametoindex(name)
    except OSError:
        raise OSError(19, 'no interface %s in this namespace' % name) from None


own_proc = False


def writable_proc():
    """A container (podman, a Kubernetes pod) mounts /proc/sys read-only, so a sysctl of a
    namespace Merak made (a VPC router's IPv4 forwarding) cannot be written there. This helper
    then moves to a mount namespace of its own, private so nothing reaches the container's, and
    mounts a fresh proc on /proc (CAP_SYS_ADMIN, which the agent has): its /proc/sys/net is the
    current network namespace's, writable. Once per process."""
    global own_proc
    if own_proc:
        return
    for rc, what in (
        (libc.unshare(CLONE_NEWNS), 'unshare(CLONE_NEWNS)'),
        (libc.mount(None, b'/', None, MS_REC | MS_PRIVATE, None), 'mount --make-rprivate /'),
        (libc.mount(b'proc', b'/proc', b'proc', 0, None), 'mount -t proc proc /proc'),
    ):
        if rc != 0:
            e = ctypes.get_errno()
            raise OSError(e, '/proc/sys is read-only and %s failed: %s' % (what, os.strerror(e)))
    own_proc = True


def write_sysctl(key, value):
    # /proc/sys/net is the namespace of the process that opens it: this one, after setns.
    try:
        fd = os.open(sysctl_path(key), os.O_WRONLY)
    except FileNotFoundError:
        return
    try:
        os.write(fd, str(value).encode())
    finally:
        os.close(fd)


def run_op(sock, op, indexes):
    """Applies one op in the current namespace; `indexes` memoises interface indexes per request
    (names repeat across ops)."""
    if op['op'] == 'sysctl':
        try:
            write_sysctl(op['key'], op['value'])
        except OSError as e:
            if e.errno != EROFS or own_proc:
                raise
            writable_proc()
            write_sysctl(op['key'], op['value'])
        return
    name = op['ifname']
    idx = indexes.get(name)
    if idx is None:
        # lo is always index 1 in a namespace; anything else is looked up once.
        idx = 1 if name == 'lo' else index_of(name)
        indexes[name] = idx
    msg_type, body = encode_op(op, idx)
    try:
        request(sock, msg_type, body)
    except OSError as e:
        # A kernel without IPv6 has no link-local address to turn off.
        if not (op['op'] == 'no-ipv6-addrgen' and e.errno == EAFNOSUPPORT):
            raise


netns_dir_ready = False


def check(rc, what):
    if rc != 0:
        e = ctypes.get_errno()
        raise OSError(e, '%s: %s' % (what, os.strerror(e)))


def netns_dir(path):
    """Makes the folder of named namespaces a shared mount point, as `ip netns add` does (so an
    unmount in one mount namespace reaches the others), once per process. iproute2 does it at
    every `netns add`, recursively: that walks every namespace mounted there, a cost per namespace
    that grows with all the namespaces on the machine."""
    global netns_dir_ready
    if netns_dir_ready:
        return
    d = os.path.dirname(path)
    os.makedirs(d, mode=0o755, exist_ok=True)
    if libc.mount(b'', d.encode(), b'none', MS_SHARED | MS_REC, None) != 0:
        if ctypes.get_errno() != EINVAL:
            check(-1, 'mount --make-rshared %s' % d)
        # Not a mount point yet: make it one, then shared (iproute2's order).
        check(libc.mount(d.encode(), d.encode(), b'none', MS_BIND | MS_REC, None), 'mount --rbind %s %s' % (d, d))
        check(libc.mount(b'', d.encode(), b'none', MS_SHARED | MS_REC, None), 'mount --make-rshared %s' % d)
    netns_dir_ready = True


def is_mounted_ns(path):
    """A namespace bind-mounted on `path` (its file is on nsfs, not on the folder's file system)."""
    try:
        return os.stat(path).st_dev != os.stat(os.path.dirname(path)).st_dev
    except FileNotFoundError:
        return False


def create_ns(path):
    """`ip netns add`: a new network namespace, bind-mounted on `path`; the helper is inside it
    afterwards. An empty file left by an interrupted create is reused."""
    if own_proc:
        # A private mount namespace of this helper: a mount made here would be seen by nobody.
        raise OSError(EINVAL, 'cannot create %s after moving to a private mount namespace' % path)
    netns_dir(path)
    os.close(os.open(path, os.O_RDONLY | os.O_CREAT, 0))
    check(libc.unshare(CLONE_NEWNET), 'unshare(CLONE_NEWNET) for %s' % path)
    check(libc.mount(b'/proc/thread-self/ns/net', path.encode(), b'none', MS_BIND, None), 'mount --bind /proc/thread-self/ns/net %s' % path)


def handle(req):
    ns = req.get('ns') or ''
    fd = None
    entered = False
    if ns and req.get('create') and not is_mounted_ns(ns):
        entered = True  # set before: a failed mount leaves the helper in the new namespace
        try:
            create_ns(ns)
        except Exception:
            setns(home, CLONE_NEWNET)
            raise
    elif ns:
        fd = os.open(ns, os.O_RDONLY)
        if setns(fd, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            os.close(fd)
            raise OSError(e, 'setns %s: %s' % (ns, os.strerror(e)))
        entered = True
    try:
        # The socket must be created after setns: a netlink socket talks to the namespace it was made in.
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
        try:
            indexes = {}
            for i, op in enumerate(req.get('ops', [])):
                try:
                    run_op(sock, op, indexes)
                except Exception as e:
                    return {'ok': False, 'op': i, 'error': '%s: %s' % (op.get('op'), e)}
        finally:
            sock.close()
    finally:
        if fd is not None:
            os.close(fd)
        if entered:
            setns(home, CLONE_NEWNET)
    return {'ok': True}


def hello(argv):
    """Announces this helper and its protocol on the first stdout line, before anything else.
    Returns the arguments after `--protocol N`. When N is not PROTOCOL the caller is another
    version of Merak: exit (status 3) having done nothing; the caller refuses this helper."""
    sys.stdout.write(json.dumps({'helper': HELPER, 'protocol': PROTOCOL}) + '\n')
    sys.stdout.flush()
    if argv[:1] == ['--protocol']:
        if argv[1:2] != [str(PROTOCOL)]:
            asked = argv[1] if len(argv) > 1 else '(none)'
            sys.stderr.write('%s.py speaks protocol %d, the caller asked for %s\n' % (HELPER, PROTOCOL, asked))
            sys.exit(3)
        argv = argv[2:]
    return argv


def main():
    hello(sys.argv[1:])
    out = sys.stdout
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            reply = handle(json.loads(line))
        except Exception as e:
            reply = {'ok': False, 'error': str(e)}
        # The agent reads the replies when the helper exits: no flush per line.
        out.write('{"ok": true}\n' if reply.get('ok') else json.dumps(reply) + '\n')
    out.flush()


if __name__ == '__main__':
    main()
