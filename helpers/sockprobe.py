#!/usr/bin/env python3
# Merak socket helper for the connectivity tests. Node cannot call setns(2), and starting a
# process per probe inside each VM namespace costs tens of milliseconds; this helper creates
# each socket inside a VM's network namespace (setns there, socket(), setns back: a socket
# stays in the namespace it was created in) and uses it from one long-lived process.
#
# Started as `sockprobe.py --protocol N ROLE ...` (src/activities/testing/socket-checks.ts). The
# first stdout line is {"helper": "sockprobe", "protocol": PROTOCOL}; when N is another protocol
# the helper stops there.
#
# Protocol 1: two roles, one JSON request per stdin line, one JSON reply per stdout line (matched by "id"):
#
#   sockprobe.py serve DEADLINE_S
#     {"id": N, "ns": "/run/netns/VM", "ip": "10.0.0.5"}
#       -> {"id": N, "ok": true, "tcp": PORT, "udp": PORT}    TCP and UDP echo on ephemeral ports
#     Echoes until stdin closes or DEADLINE_S seconds pass, then closes every socket and exits.
#
#   sockprobe.py probe DEADLINE_S WORKERS
#     {"id": N, "op": "owns", "ns": "/run/netns/VM", "ip": "10.0.0.5"}
#       -> ok when the address is configured in that namespace (bind succeeds), so traffic is
#          only ever sent from and to the scenario's own VM addresses
#     {"id": N, "op": "tcp"|"udp", "ns": SRC, "ip": DST_IP, "port": P, "bytes": B, "timeoutMs": T}
#       -> {"id": N, "ok": true, "rttMs": F} | {"id": N, "ok": false, "error": "..."}
#     {"id": N, "op": "icmp", "ns": SRC, "ip": DST_IP, "intervalMs": I, "timeoutMs": T}
#       -> {"id": N, "ok": true, "rttMs": F, "sent": K, "arp": A}
#        | {"id": N, "ok": false, "error": "...", "sent": K, "arp": A}
#          ICMP echo requests from SRC every I ms (a raw socket, as ping does) until the first
#          echo reply from DST_IP or T ms; rttMs is counted from the request that was answered.
#          A send the kernel refuses (no route, neighbour table full) is retried at the next
#          interval; the last such error is named when no reply came.
#          From the second interval on, while no reply came, each request is followed by an ARP
#          request for the route's next hop (DST_IP, or its gateway) from SRC's outgoing
#          interface, with that interface's MAC and the route's source address (A counts them):
#          the kernel resends its own only every retrans_time (1 s by default), so without them
#          a target that became answerable just after an unanswered ARP was measured up to 1 s
#          late. The kernel takes the reply into its incomplete neighbour entry and sends the
#          requests it held. None when the next hop is not on an Ethernet interface.
#
# Protocol 2 had no "arp" in the icmp replies and sent no ARP requests of its own.
#     Runs up to WORKERS requests at once; exits when stdin closes and the last reply is out,
#     or after DEADLINE_S seconds whatever happens.
import ctypes
import errno
import fcntl
import json
import os
import selectors
import socket
import struct
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

# The version of the request and reply lines above; bump it with any change to them, and
# HELPER_PROTOCOL in src/install/helpers.ts with it.
HELPER = 'sockprobe'
PROTOCOL = 3

CLONE_NEWNET = 0x40000000
MAX_PAYLOAD = 65536
MAX_CONNECTIONS = 512
# Requests the probe role runs at once, whatever the caller asks: each is a thread and a socket
# (time to reachable keeps up to this many echo probes waiting on endpoints that are not up yet).
MAX_WORKERS = 256
CONNECTION_IDLE_S = 5.0

libc = ctypes.CDLL(None, use_errno=True)
home = os.open('/proc/self/ns/net', os.O_RDONLY)
out_lock = threading.Lock()


def reply(obj):
    with out_lock:
        sys.stdout.write(json.dumps(obj) + '\n')
        sys.stdout.flush()


def socket_in(ns, kind, proto=0, family=socket.AF_INET):
    """A socket created inside namespace file `ns` (setns is per thread; we always come back)."""
    fd = os.open(ns, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, 'setns %s: %s' % (ns, os.strerror(e)))
        try:
            return socket.socket(family, kind, proto)
        finally:
            if libc.setns(home, CLONE_NEWNET) != 0:
                # Never go on acting from the wrong namespace.
                os._exit(70)
    finally:
        os.close(fd)


def describe(e):
    if isinstance(e, socket.timeout):
        return 'timed out'
    if isinstance(e, ConnectionRefusedError):
        return 'connection refused'
    if isinstance(e, OSError) and e.errno is not None:
        return '%s (%s)' % (os.strerror(e.errno), errno.errorcode.get(e.errno, e.errno))
    return str(e)


# ------------------------------------------------------------------ serve

def serve(deadline_s):
    end = time.monotonic() + deadline_s
    sel = selectors.DefaultSelector()
    os.set_blocking(0, False)
    sel.register(0, selectors.EVENT_READ, ('stdin', None))
    pending = b''
    conns = {}  # socket -> last activity
    owned = []

    def open_pair(req):
        tcp = socket_in(req['ns'], socket.SOCK_STREAM)
        udp = socket_in(req['ns'], socket.SOCK_DGRAM)
        owned.extend([tcp, udp])
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind((req['ip'], 0))
        tcp.listen(64)
        tcp.setblocking(False)
        udp.bind((req['ip'], 0))
        udp.setblocking(False)
        sel.register(tcp, selectors.EVENT_READ, ('listen', None))
        sel.register(udp, selectors.EVENT_READ, ('udp', None))
        return tcp.getsockname()[1], udp.getsockname()[1]

    def drop(c):
        sel.unregister(c)
        conns.pop(c, None)
        c.close()

    running = True
    while running and time.monotonic() < end:
        for key, _ in sel.select(timeout=0.25):
            role, _ = key.data
            s = key.fileobj
            if role == 'stdin':
                try:
                    chunk = os.read(0, 65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    running = False
                    break
                pending += chunk
                while b'\n' in pending:
                    line, pending = pending.split(b'\n', 1)
                    if not line.strip():
                        continue
                    try:
                        req = json.loads(line)
                    except ValueError:
                        continue
                    try:
                        tcp_port, udp_port = open_pair(req)
                        reply({'id': req['id'], 'ok': True, 'tcp': tcp_port, 'udp': udp_port})
                    except Exception as e:  # reported to the caller, who fails that test
                        reply({'id': req['id'], 'ok': False, 'error': describe(e)})
            elif role == 'listen':
                try:
                    c, _ = s.accept()
                except OSError:
                    continue
                if len(conns) >= MAX_CONNECTIONS:
                    c.close()
                    continue
                c.settimeout(1.0)
                conns[c] = time.monotonic()
                sel.register(c, selectors.EVENT_READ, ('conn', None))
            elif role == 'conn':
                try:
                    data = s.recv(MAX_PAYLOAD)
                    if data:
                        s.sendall(data)
                        conns[s] = time.monotonic()
                    else:
                        drop(s)
                except OSError:
                    drop(s)
            elif role == 'udp':
                try:
                    data, addr = s.recvfrom(MAX_PAYLOAD)
                    s.sendto(data, addr)
                except OSError:
                    pass
        now = time.monotonic()
        for c, seen in list(conns.items()):
            if now - seen > CONNECTION_IDLE_S:
                drop(c)
    for c in list(conns):
        drop(c)
    for s in owned:
        s.close()


# ------------------------------------------------------------------ probe

def owns(req):
    s = socket_in(req['ns'], socket.SOCK_DGRAM)
    try:
        s.bind((req['ip'], 0))
    finally:
        s.close()
    return {}


def probe_tcp(req, timeout, payload):
    s = socket_in(req['ns'], socket.SOCK_STREAM)
    try:
        end = time.monotonic() + timeout
        t0 = time.monotonic()
        s.settimeout(timeout)
        s.connect((req['ip'], req['port']))
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        got = b''
        while len(got) < len(payload):
            left = end - time.monotonic()
            if left <= 0:
                raise socket.timeout()
            s.settimeout(left)
            chunk = s.recv(MAX_PAYLOAD)
            if not chunk:
                break
            got += chunk
        rtt = (time.monotonic() - t0) * 1000
        if got != payload:
            raise ValueError('echo mismatch: sent %d bytes, got %d back' % (len(payload), len(got)))
        return {'rttMs': rtt}
    finally:
        s.close()


def probe_udp(req, timeout, payload):
    s = socket_in(req['ns'], socket.SOCK_DGRAM)
    try:
        end = time.monotonic() + timeout
        s.connect((req['ip'], req['port']))
        # Up to three sends within the timeout: the first datagram may wait on ARP.
        for _ in range(3):
            left = end - time.monotonic()
            if left <= 0:
                break
            t0 = time.monotonic()
            s.send(payload)
            s.settimeout(min(left, timeout / 3))
            try:
                while True:
                    data = s.recv(MAX_PAYLOAD)
                    if data == payload:
                        return {'rttMs': (time.monotonic() - t0) * 1000}
            except socket.timeout:
                continue
        raise socket.timeout()
    finally:
        s.close()


ICMP_ECHO_REPLY = 0
ICMP_ECHO_REQUEST = 8
SOL_RAW = 255
ICMP_FILTER = 1  # linux/icmp.h: a bit per ICMP type the raw socket does not receive
MIN_INTERVAL_S = 0.01


def icmp_checksum(data):
    if len(data) % 2:
        data += b'\0'
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xffff)
    total += total >> 16
    return ~total & 0xffff


def echo_request(ident, seq):
    payload = struct.pack('!d', time.monotonic())
    head = struct.pack('!BBHHH', ICMP_ECHO_REQUEST, 0, 0, ident, seq)
    return struct.pack('!BBHHH', ICMP_ECHO_REQUEST, 0, icmp_checksum(head + payload), ident, seq) + payload


# ------------------------------------------------------------------ ARP from the probing namespace
# rtnetlink (linux/rtnetlink.h, linux/netlink.h) and ARP (RFC 826, linux/if_arp.h) constants.
NLMSG_ERROR = 2
NLM_F_REQUEST = 1
RTM_NEWROUTE = 24
RTM_GETROUTE = 26
RTA_DST = 1
RTA_OIF = 4
RTA_GATEWAY = 5
RTA_PREFSRC = 7
RTN_UNICAST = 1
SIOCGIFNAME = 0x8910
SIOCGIFHWADDR = 0x8927
ARPHRD_ETHER = 1
ETH_P_ARP = 0x0806
ETH_P_IP = 0x0800
ARPOP_REQUEST = 1
BROADCAST_MAC = b'\xff' * 6


class ArpSender:
    """Sends ARP requests for a route's next hop from the probing namespace's outgoing interface.

    The route is the kernel's own (RTM_GETROUTE, as `ip route get` asks), so the next hop, the
    interface and the source address are what the kernel itself uses for the echo requests.
    A packet socket with protocol 0 only sends: it receives nothing, and the reply goes to the
    kernel, which updates the neighbour entry its echo requests wait on.
    """

    def __init__(self, ns, dst):
        self.sock = None
        self.frame = None
        self.addr = None
        self.routed = False
        nl = socket_in(ns, socket.SOCK_RAW, 0, socket.AF_NETLINK)  # NETLINK_ROUTE
        try:
            route = route_get(nl, dst)
        finally:
            nl.close()
        self.routed = route is not None
        if route is None or route.get('type') != RTN_UNICAST or 'oif' not in route:
            return  # no route yet (asked again), a local address, a blackhole: nothing to resolve
        hop = route.get('gateway', dst)
        pkt = socket_in(ns, socket.SOCK_DGRAM, 0, socket.AF_PACKET)
        try:
            ifreq = fcntl.ioctl(pkt.fileno(), SIOCGIFNAME, struct.pack('16si20x', b'', route['oif']))
            name = ifreq[:16].split(b'\0', 1)[0]
            hw = fcntl.ioctl(pkt.fileno(), SIOCGIFHWADDR, struct.pack('16s24x', name))
            hatype, mac = struct.unpack('H6s', hw[16:24])
            if hatype != ARPHRD_ETHER:
                pkt.close()
                return
            src = route.get('prefsrc') or source_for(ns, dst)
        except BaseException:
            pkt.close()
            raise
        self.sock = pkt
        self.addr = (name.decode(), ETH_P_ARP, 0, 0, BROADCAST_MAC)
        self.frame = struct.pack('!HHBBH6s4s6s4s', ARPHRD_ETHER, ETH_P_IP, 6, 4, ARPOP_REQUEST,
                                 mac, socket.inet_aton(src), b'\0' * 6, socket.inet_aton(hop))

    def send(self):
        """One request; False when there is no interface to send it from (or the send failed)."""
        if self.sock is None:
            return False
        try:
            self.sock.sendto(self.frame, self.addr)
            return True
        except OSError:
            return False

    def close(self):
        if self.sock is not None:
            self.sock.close()


def route_get(nl, dst):
    """The kernel's route to IPv4 `dst` in the netlink socket's namespace:
    {'type', 'oif', 'gateway'?, 'prefsrc'?}, or None when there is none (ENETUNREACH and alike)."""
    rtmsg = struct.pack('BBBBBBBBI', socket.AF_INET, 32, 0, 0, 0, 0, 0, 0, 0)
    attr = struct.pack('HH', 8, RTA_DST) + socket.inet_aton(dst)
    body = rtmsg + attr
    nl.sendto(struct.pack('IHHII', 16 + len(body), RTM_GETROUTE, NLM_F_REQUEST, 1, 0) + body, (0, 0))
    nl.settimeout(1.0)
    data = nl.recv(65536)
    length, kind = struct.unpack('IH', data[:6])
    if kind == NLMSG_ERROR:
        return None
    if kind != RTM_NEWROUTE:
        raise OSError(errno.EPROTO, 'rtnetlink answered message type %d to RTM_GETROUTE' % kind)
    out = {'type': data[16 + 7]}
    at = 16 + 12
    while at + 4 <= length:
        alen, atype = struct.unpack('HH', data[at:at + 4])
        if alen < 4:
            break
        value = data[at + 4:at + alen]
        if atype == RTA_OIF:
            out['oif'] = struct.unpack('I', value)[0]
        elif atype == RTA_GATEWAY:
            out['gateway'] = socket.inet_ntoa(value)
        elif atype == RTA_PREFSRC:
            out['prefsrc'] = socket.inet_ntoa(value)
        at += (alen + 3) & ~3
    return out


def source_for(ns, dst):
    """The source address the namespace's kernel picks towards `dst` (a connected UDP socket's)."""
    s = socket_in(ns, socket.SOCK_DGRAM)
    try:
        s.connect((dst, 9))
        return s.getsockname()[0]
    finally:
        s.close()



def probe_icmp(req, timeout):
    """Echo requests every intervalMs until the first reply from req['ip'] (time to reachable)."""
    interval = max(MIN_INTERVAL_S, float(req.get('intervalMs', 50)) / 1000.0)
    s = socket_in(req['ns'], socket.SOCK_RAW, socket.IPPROTO_ICMP)
    arp = None
    arps = 0
    try:
        # A raw ICMP socket gets every ICMP packet of its namespace: only echo replies are let in,
        # and of those only ours (identifier, source) count.
        s.setsockopt(SOL_RAW, ICMP_FILTER, struct.pack('I', ~(1 << ICMP_ECHO_REPLY) & 0xffffffff))
        ident = int(req['id']) & 0xffff
        end = time.monotonic() + timeout
        sent = {}
        last_error = None
        seq = 0
        ticks = 0
        next_send = time.monotonic()
        while True:
            now = time.monotonic()
            if now >= end:
                break
            if now >= next_send:
                seq = (seq + 1) & 0xffff
                ticks += 1
                try:
                    s.sendto(echo_request(ident, seq), (req['ip'], 0))
                    sent[seq] = now
                except OSError as e:
                    last_error = describe(e)
                # The first request finds the neighbour resolved, or makes the kernel send an
                # ARP request itself; from the second on ours go at the probe's pace. The route
                # is looked up again until there is one (the namespace may still be being made).
                if ticks >= 2:
                    if arp is None or not arp.routed:
                        if arp is not None:
                            arp.close()
                        try:
                            arp = ArpSender(req['ns'], req['ip'])
                        except OSError as e:
                            last_error = 'ARP: ' + describe(e)
                    if arp is not None and arp.send():
                        arps += 1
                next_send += interval
                if next_send < now:
                    next_send = now + interval
            s.settimeout(max(0.0, min(next_send, end) - time.monotonic()))
            try:
                data, addr = s.recvfrom(1500)
            except socket.timeout:
                continue
            ihl = (data[0] & 0x0f) * 4
            if addr[0] != req['ip'] or len(data) < ihl + 8:
                continue
            kind, _, _, rid, rseq = struct.unpack('!BBHHH', data[ihl:ihl + 8])
            if kind == ICMP_ECHO_REPLY and rid == ident and rseq in sent:
                return {'rttMs': (time.monotonic() - sent[rseq]) * 1000, 'sent': len(sent), 'arp': arps}
        detail = 'no echo reply within %d ms (%d requests sent)' % (timeout * 1000, len(sent))
        if last_error:
            detail += '; last send error: %s' % last_error
        raise ProbeFailed(detail, len(sent), arps)
    finally:
        s.close()
        if arp is not None:
            arp.close()


class ProbeFailed(Exception):
    def __init__(self, detail, sent, arps=0):
        super().__init__(detail)
        self.sent = sent
        self.arps = arps


def run_probe(req):
    try:
        op = req.get('op')
        if op == 'owns':
            result = owns(req)
        else:
            timeout = max(0.01, min(float(req['timeoutMs']), 60000.0) / 1000.0)
            payload = os.urandom(max(1, min(int(req.get('bytes', 64)), MAX_PAYLOAD)))
            if op == 'tcp':
                result = probe_tcp(req, timeout, payload)
            elif op == 'udp':
                result = probe_udp(req, timeout, payload)
            elif op == 'icmp':
                result = probe_icmp(req, timeout)
            else:
                raise ValueError('unknown op %r' % op)
        result.update({'id': req['id'], 'ok': True})
        reply(result)
    except ProbeFailed as e:
        reply({'id': req.get('id'), 'ok': False, 'error': str(e), 'sent': e.sent, 'arp': e.arps})
    except Exception as e:
        reply({'id': req.get('id'), 'ok': False, 'error': describe(e)})


def probe(deadline_s, workers):
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for line in sys.stdin:
            if line.strip():
                try:
                    req = json.loads(line)
                except ValueError:
                    continue
                pool.submit(run_probe, req)


def watchdog(deadline_s):
    time.sleep(deadline_s)
    os._exit(75)


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


if __name__ == '__main__':
    args = hello(sys.argv[1:])
    if len(args) < 2:
        sys.exit('usage: sockprobe.py [--protocol N] serve DEADLINE_S | probe DEADLINE_S WORKERS')
    role = args[0]
    deadline = float(args[1])
    threading.Thread(target=watchdog, args=(deadline + 1,), daemon=True).start()
    if role == 'serve':
        serve(deadline)
    elif role == 'probe':
        probe(deadline, max(1, min(int(args[2]), MAX_WORKERS)))
    else:
        sys.exit('usage: sockprobe.py [--protocol N] serve DEADLINE_S | probe DEADLINE_S WORKERS')
