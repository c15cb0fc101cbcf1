"""Without --seed the examples draw the stack's secret from the operating system.

The initial sequence numbers derive from `Config.random_seed` (RFC 6528 asks for a secret):
two runs of a program without ``--seed`` must give unrelated ISNs for the same four-tuple at
the same clock, and two runs with the same ``--seed`` the same ones (repeatable runs).
"""

from __future__ import annotations

import struct

from smoltcp.examples import options, server
from smoltcp.phy import Loopback, Tracer
from smoltcp.phy.direction import Direction
from smoltcp.stack.socket import SocketSet
from smoltcp.stack.tcp import TcpSocket
from smoltcp.stack.time import Instant
from smoltcp.wire import IpEndpoint, Ipv4Address
from smoltcp.wire.capabilities import Medium


def first_isn(*argv: str) -> int:
    """Build the server's interface from its command line; return the ISN of a fixed SYN."""
    args = server.build_parser().parse_args(["tap0", "--address", "192.168.69.1/24", *argv])
    syns: list[int] = []

    def trace(direction, now, frame) -> None:
        if direction is Direction.TX:
            (seq,) = struct.unpack_from("!I", frame, 20 + 4)  # IPv4 header, then TCP seq
            syns.append(seq)

    device = Tracer(Loopback(Medium.IP), trace)
    now = Instant.from_secs(1_700_000_000)
    iface = options.host_interface(args, device, now)
    sockets = SocketSet()
    sock = TcpSocket(1024, 1024)
    sockets.add(sock)
    remote = IpEndpoint(Ipv4Address("192.168.69.100"), 6969)
    sock.connect(iface.context, remote, 40000)
    iface.poll(now, device, sockets)
    assert syns, "no SYN was sent"
    return syns[0]


def test_two_runs_without_a_seed_give_unrelated_isns():
    isns = {first_isn() for _ in range(4)}
    assert len(isns) == 4


def test_the_same_seed_gives_the_same_isn():
    assert first_isn("--seed", "7") == first_isn("--seed", "7")
    assert first_isn("--seed", "7") != first_isn("--seed", "8")


def test_the_seed_drawn_is_shared_by_every_user_in_one_run():
    args = server.build_parser().parse_args(["tap0"])
    assert args.seed is None
    first = options.random_seed(args)
    assert options.random_seed(args) == first == args.seed
