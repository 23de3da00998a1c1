#!/usr/bin/env python3
# Merak loopback forwarder: TCP ports of the root namespace's loopback, forwarded into another
# network namespace. A control plane running in a namespace of its own (Merak's local Alcor,
# src/local/alcor-control-plane.ts) is reachable from the root namespace this way without an
# address or a route outside loopback there.
#
# Started as `loopforward.py --protocol N NETNS_FILE LISTEN_HOST PORT [PORT ...] [--pidfile=FILE]`.
# `--pidfile=FILE` only names the process: Merak writes FILE and counts the pid in it as this
# forwarder's while its command line carries the argument (src/dataplane/daemon.ts). The first
# stdout line is {"helper": "loopforward", "protocol": PROTOCOL}; when N is another protocol the
# helper stops there.
#
# Protocol 1: listens on LISTEN_HOST:PORT (a loopback address) in the namespace it was started
# in, then setns(2)es into NETNS_FILE, so every connection it opens from then on (to
# 127.0.0.1:PORT) is made inside that namespace; one process carries every port. Prints "ready"
# once every port listens; SIGTERM or SIGINT stops it.
import asyncio
import ctypes
import ipaddress
import json
import os
import signal
import socket
import sys

HELPER = 'loopforward'
# The lines this helper writes; bump with HELPER_PROTOCOL in src/install/helpers.ts.
PROTOCOL = 1
CLONE_NEWNET = 0x40000000


def setns(path):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, 'setns(%s): %s' % (path, os.strerror(err)))
    finally:
        os.close(fd)


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        try:
            if writer.can_write_eof():
                writer.write_eof()
        except (ConnectionError, OSError):
            pass


def handler(port):
    async def handle(client_reader, client_writer):
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection('127.0.0.1', port)
        except OSError:
            client_writer.close()
            return
        try:
            await asyncio.gather(pipe(client_reader, upstream_writer), pipe(upstream_reader, client_writer))
        finally:
            for w in (client_writer, upstream_writer):
                try:
                    w.close()
                except OSError:
                    pass

    return handle


def listen(host, ports):
    """The listening sockets, made in the namespace this process started in."""
    if not ipaddress.ip_address(host).is_loopback:
        raise SystemExit('loopforward: %s is not a loopback address' % host)
    out = []
    for port in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            raise SystemExit('loopforward: cannot listen on %s:%d: %s' % (host, port, e.strerror)) from e
        s.listen(128)
        s.setblocking(False)
        out.append((s, port))
    return out


async def serve(netns, listeners):
    # From here on, new sockets belong to the target namespace; the listeners stay where they are.
    setns(netns)
    servers = [await asyncio.start_server(handler(port), sock=s) for s, port in listeners]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print('ready', flush=True)
    await stop.wait()
    for server in servers:
        server.close()


def hello(argv):
    """Announces this helper and its protocol on the first stdout line, before anything else.
    Returns the arguments after `--protocol N`. When N is not PROTOCOL the caller is another
    version of Merak: exit (status 3) having done nothing."""
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
    argv = hello(sys.argv[1:])
    argv = [a for a in argv if not a.startswith('--pidfile=')]
    if len(argv) < 3 or not all(p.isdigit() and 0 < int(p) < 65536 for p in argv[2:]):
        sys.stderr.write('usage: loopforward.py --protocol N NETNS_FILE LISTEN_HOST PORT [PORT ...] [--pidfile=FILE]\n')
        sys.exit(1)
    listeners = listen(argv[1], [int(p) for p in argv[2:]])
    asyncio.run(serve(argv[0], listeners))


if __name__ == '__main__':
    main()
