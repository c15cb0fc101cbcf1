"""CPU per TCP connection of the stack alone, set-up to tear-down (prints figures; asserts nothing).

    python3 bench/tcp_connect_bench.py [--connections N] [--buffer OCTETS] [--profile]

Two interfaces over an in-memory link, one after the other, ``--connections`` times: the
client opens a new socket and connects to a listener with a backlog, sends a
``--message``-octet request, the server accepts the child and echoes the request, the client
reads the answer and closes, the server closes after the client's FIN, and each side drops its
socket from the set once it is done with it (the client's in TIME-WAIT, the server's once
CLOSED), as ``smoltcp-benchmark connect`` does against the kernel (like netperf's TCP_CRR).
Both sockets have ``--buffer``-octet buffers both ways. Prints the CPU time per connection of
both stacks together and the frames per connection, so that the cost of creating, opening,
closing and dropping a connection can be compared between two versions without a TAP or a
kernel peer. ``--profile`` prints the hottest functions.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import sys
import time

from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.socket import SocketSet
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.testing import link
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import EthernetAddress, IpCidr, IpEndpoint, Ipv4Address

SERVER, CLIENT = "192.168.69.1", "192.168.69.100"
PORT = 1400
# The clock advances this much per exchange, so that the delayed-ACK timers run as on a link.
_STEP = Duration.from_micros(50)
# Exchanges one connection may take before the benchmark gives up on it (it needs about 6).
_MAX_ROUNDS = 200
_DONE = (TcpState.CLOSED, TcpState.TIME_WAIT)


def run(connections: int, message: int, buffer: int, profile: bool) -> None:
    ds, dc = link()
    now = Instant.from_secs(1)
    iserver = Interface(Config(hardware_addr=EthernetAddress.parse("02-00-00-00-00-01")), ds, now)
    iclient = Interface(Config(hardware_addr=EthernetAddress.parse("02-00-00-00-00-02")), dc, now)
    iserver.update_ip_addrs(lambda a: a.append(IpCidr.parse(SERVER + "/24")))
    iclient.update_ip_addrs(lambda a: a.append(IpCidr.parse(CLIENT + "/24")))
    ss, sc = SocketSet(), SocketSet()
    listener = TcpSocket(buffer, buffer)
    ss.add(listener)
    listener.listen(IpEndpoint(None, PORT), 128)
    request = bytes(message)
    sink = bytearray(max(buffer, message))
    view = memoryview(sink)
    remote = (Ipv4Address(SERVER), PORT)
    children: list[int] = []

    def serve() -> None:
        # Accept, echo, close after the peer's FIN, drop what is done: the benchmark's server.
        while (handle := listener.accept()) is not None:
            children.append(handle)
        kept = []
        for handle in children:
            child = ss.get(handle)
            while child.can_recv() and child.can_send():
                n = child.recv_into(view)
                if not n:
                    break
                child.send(view[:n])
            if child.state is TcpState.CLOSE_WAIT and not child.can_recv():
                child.close()
            if child.state in _DONE:
                ss.remove(handle)
            else:
                kept.append(handle)
        children[:] = kept

    def one() -> int:
        # One connection from the client's socket to its removal; return the frames it took.
        nonlocal now
        client = TcpSocket(buffer, buffer)
        handle = sc.add(client)
        client.connect(iclient.context, remote, 0)
        frames = 0
        sent = received = 0
        for _ in range(_MAX_ROUNDS):
            iclient.poll(now, dc, sc)
            frames += len(ds.rx)
            iserver.poll(now, ds, ss)
            serve()
            iserver.poll(now, ds, ss)
            frames += len(dc.rx)
            iclient.poll(now, dc, sc)
            if client.state is TcpState.ESTABLISHED and not sent:
                sent = client.send(request)
            while client.can_recv():
                received += client.recv_into(view)
            if received >= message and client.state is TcpState.ESTABLISHED:
                client.close()
            now = now + _STEP
            if client.state in _DONE and not children:
                break
        else:
            raise RuntimeError(f"a connection did not finish: {client!r}, {len(children)} left")
        sc.remove(handle)
        ds.tx.clear()
        dc.tx.clear()
        return frames

    for _ in range(200):  # warm up
        one()
    gc.collect()
    prof = cProfile.Profile() if profile else None
    if prof is not None:
        prof.enable()
    t0 = time.process_time()
    frames = 0
    for _ in range(connections):
        frames += one()
    cpu = time.process_time() - t0
    if prof is not None:
        prof.disable()
    print(
        f"{connections} connections, {message}-octet messages, {buffer}-octet buffers: "
        f"{cpu / connections * 1e6:.1f} us CPU per connection (both stacks), "
        f"{connections / cpu:,.0f} per CPU second, {frames / connections:.2f} frames per "
        "connection"
    )
    if prof is not None:
        pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(40)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--connections", type=int, default=3000)
    p.add_argument("--message", type=int, default=1)
    p.add_argument("--buffer", type=int, default=65536)
    p.add_argument("--profile", action="store_true")
    args = p.parse_args()
    run(args.connections, args.message, args.buffer, args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
