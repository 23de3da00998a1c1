#!/usr/bin/env python3
"""Forwards TCP ports of the root namespace's loopback into another network namespace.

    loopback-forward.py NETNS_FILE LISTEN_HOST PORT [PORT ...]

Listens on LISTEN_HOST:PORT (a loopback address) in the namespace it was started in, then
setns(2)es into NETNS_FILE, so every connection it opens from then on (to 127.0.0.1:PORT)
is made inside that namespace. One process carries every port; nothing is configured in either
namespace. Prints "ready" on stdout once every port listens; SIGTERM stops it.

This is how a control plane running in its own namespace (Merak's local Alcor) is reachable
from the root namespace without an address or a route outside loopback there.
"""
import asyncio
import ctypes
import ipaddress
import os
import signal
import socket
import sys

CLONE_NEWNET = 0x40000000


def setns(path):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({path}): {os.strerror(err)}")
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
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", port)
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


async def main(netns, host, ports):
    if not ipaddress.ip_address(host).is_loopback:
        raise SystemExit(f"loopback-forward: {host} is not a loopback address")
    listeners = []
    for port in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            raise SystemExit(f"loopback-forward: cannot listen on {host}:{port}: {e.strerror}")
        s.listen(128)
        s.setblocking(False)
        listeners.append((s, port))
    # From here on, new sockets belong to the target namespace; the listeners stay where they are.
    setns(netns)
    servers = [await asyncio.start_server(handler(port), sock=s) for s, port in listeners]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    await stop.wait()
    for server in servers:
        server.close()


if __name__ == "__main__":
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    asyncio.run(main(sys.argv[1], sys.argv[2], [int(p) for p in sys.argv[3:]]))
