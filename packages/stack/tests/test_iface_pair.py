"""Two interfaces joined by an in-memory link: ARP, UDP, ICMP (and TCP) end to end."""

from __future__ import annotations

import hashlib
import random
import struct

import pytest

from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.socket import IcmpSocket, SocketSet, UdpSocket
from smoltcp.stack.storage import PacketBuffer
from smoltcp.stack.testing import LinkDevice, link
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import EthernetAddress, IpCidr, IpEndpoint, Ipv4Address, Medium

A_ADDR, B_ADDR = Ipv4Address("10.0.0.1"), Ipv4Address("10.0.0.2")


class Node:
    def __init__(self, dev: LinkDevice, mac: str, cidr: str, seed: int) -> None:
        self.dev = dev
        hw = EthernetAddress.parse(mac) if dev.capabilities().medium is Medium.ETHERNET else None
        self.iface = Interface(Config(hardware_addr=hw, random_seed=seed), dev, Instant.ZERO)
        self.iface.update_ip_addrs(lambda a: a.append(IpCidr.parse(cidr)))
        self.sockets = SocketSet()

    def poll(self, now: Instant) -> bool:
        return self.iface.poll(now, self.dev, self.sockets)


def pair(medium: Medium = Medium.ETHERNET) -> tuple[Node, Node]:
    da, db = link(medium)
    return (
        Node(da, "02-00-00-00-00-0a", "10.0.0.1/24", 1),
        Node(db, "02-00-00-00-00-0b", "10.0.0.2/24", 2),
    )


def run(
    a: Node, b: Node, until: object, start: Instant = Instant.ZERO, limit: int = 10000
) -> Instant:
    """Poll both until ``until()`` is true, jumping the clock to the next timer when idle."""
    now = start
    for _ in range(limit):
        if until():  # type: ignore[operator]
            return now
        busy = a.poll(now) | b.poll(now)
        if busy:
            continue
        delays = [
            d
            for d in (a.iface.poll_delay(now, a.sockets), b.iface.poll_delay(now, b.sockets))
            if d is not None
        ]
        now = now + (min(delays) if delays and min(delays).micros > 0 else Duration.from_millis(1))
    raise AssertionError("did not finish")


@pytest.mark.parametrize("medium", [Medium.ETHERNET, Medium.IP])
def test_udp_both_ways(medium: Medium) -> None:
    a, b = pair(medium)
    sa = UdpSocket(PacketBuffer(64, 65536), PacketBuffer(64, 65536))
    sb = UdpSocket(PacketBuffer(64, 65536), PacketBuffer(64, 65536))
    sa.bind(1000)
    sb.bind(2000)
    a.sockets.add(sa)
    b.sockets.add(sb)
    sent = [bytes([i]) * (i * 10) for i in range(1, 40)]
    got: list[bytes] = []
    # The first datagram waits for ARP (and at most arp_queue_per_destination could); the
    # rest go out at once.
    sa.send_to(sent[0], IpEndpoint(B_ADDR, 2000))
    run(a, b, sb.can_recv)
    for d in sent[1:]:
        sa.send_to(d, IpEndpoint(B_ADDR, 2000))

    def echo() -> bool:
        while sb.can_recv():
            data, src = sb.recv_from()
            got.append(data)
            sb.send_to(data[::-1], src)
        return len(got) == len(sent) and sa.recv_queue == len(sent)

    run(a, b, echo)
    assert got == sent
    assert [sa.recv_from()[0] for _ in sent] == [d[::-1] for d in sent]
    if medium is Medium.ETHERNET:
        # One ARP exchange each way at most; everything else went straight out.
        assert a.iface.counters.arp_requests_sent == 1
        assert b.iface.counters.arp_requests_sent == 0
    assert a.iface.counters.total_dropped() == 0 and b.iface.counters.total_dropped() == 0


def test_ping_with_an_icmp_socket() -> None:
    a, b = pair()
    ping = IcmpSocket(PacketBuffer(8, 2048), PacketBuffer(8, 2048))
    ping.bind(0x4321)
    a.sockets.add(ping)
    for seq in range(3):
        ping.send_to(struct.pack("!BBHHH", 8, 0, 0, 0x4321, seq) + b"payload", B_ADDR)
    replies: list[bytes] = []

    def done() -> bool:
        while ping.can_recv():
            replies.append(ping.recv_from()[0])
        return len(replies) == 3

    run(a, b, done)
    assert [struct.unpack_from("!BBHHH", r)[4] for r in replies] == [0, 1, 2]
    assert all(r[0] == 0 and r[8:] == b"payload" for r in replies)
    assert b.iface.counters.icmp_echo_replies_sent == 3


def test_udp_to_a_closed_port_reaches_an_icmp_socket_bound_to_the_source() -> None:
    a, b = pair()
    sa = UdpSocket(PacketBuffer(4, 512), PacketBuffer(4, 512))
    sa.bind(5555)
    errors = IcmpSocket(PacketBuffer(4, 512), PacketBuffer(4, 512))
    errors.bind(IpEndpoint(None, 5555))
    a.sockets.add(sa)
    a.sockets.add(errors)
    sa.send_to(b"anyone?", IpEndpoint(B_ADDR, 9))
    run(a, b, errors.can_recv)
    data, src = errors.recv_from()
    assert src == B_ADDR and data[0] == 3 and data[1] == 3


def test_poll_delay_follows_arp_retries_when_the_peer_is_silent() -> None:
    a, _b = pair()
    a.dev.drop = lambda frame: True  # the link is cut
    s = UdpSocket(PacketBuffer(4, 512), PacketBuffer(4, 512))
    s.bind(1)
    a.sockets.add(s)
    s.send_to(b"x", IpEndpoint(B_ADDR, 2))
    a.poll(Instant.ZERO)
    assert a.iface.poll_delay(Instant.from_millis(300), a.sockets) == Duration.from_millis(700)
    a.poll(Instant.from_secs(1))
    a.poll(Instant.from_secs(2))
    assert a.iface.counters.arp_requests_sent == 3
    a.poll(Instant.from_secs(3))
    assert a.iface.poll_delay(Instant.from_secs(3), a.sockets) is None
    assert a.iface.counters.dropped["arp-timeout"] == 1


def test_tcp_transfer_with_loss() -> None:
    tcp = pytest.importorskip("smoltcp.stack.tcp")
    a, b = pair()
    rng = random.Random(7)
    a.dev.drop = lambda frame: rng.random() < 0.05
    b.dev.drop = lambda frame: rng.random() < 0.05
    server = tcp.TcpSocket(65536, 65536)
    client = tcp.TcpSocket(65536, 65536)
    b.sockets.add(server)
    a.sockets.add(client)
    server.listen(IpEndpoint(None, 80))
    client.connect(a.iface.context, IpEndpoint(B_ADDR, 80), 40000)
    data = random.Random(1).randbytes(300_000)
    state = {"sent": 0, "got": bytearray()}

    def step() -> bool:
        if client.can_send() and state["sent"] < len(data):
            state["sent"] += client.send(data[state["sent"] : state["sent"] + 16384])
        if state["sent"] == len(data):
            client.close()
        while server.can_recv():
            state["got"] += server.recv(65536)
        return len(state["got"]) == len(data)

    run(a, b, step, limit=200000)
    assert hashlib.sha256(state["got"]).digest() == hashlib.sha256(data).digest()
