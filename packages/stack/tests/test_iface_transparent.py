"""Transparent mode: `Config.any_ip`, the catch-all TCP listener and the catch-all UDP socket.

A client interface routes every destination through a second interface (its gateway); the
second runs in transparent mode and takes connections and datagrams to addresses it does not
own, each keeping the destination the client dialled.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.iface.transparent import accepts_any_destination
from smoltcp.stack.socket import IcmpSocket, SocketSet, TransparentUdpSocket, UdpSocket
from smoltcp.stack.socket.errors import BindError, ListenError, SendError
from smoltcp.stack.tcp import TcpSocket
from smoltcp.stack.testing import LinkDevice, icmp_echo, link
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import (
    EthernetAddress,
    IpAddress,
    IpCidr,
    IpEndpoint,
    Ipv4Address,
    Ipv6Address,
    Medium,
)

CLIENT, GATEWAY = "10.0.0.1", "10.0.0.2"
CLIENT6, GATEWAY6 = "fd00::1", "fd00::2"
FAR_A = IpEndpoint(IpAddress.parse("198.51.100.7"), 80)
FAR_B = IpEndpoint(IpAddress.parse("203.0.113.9"), 4433)


class Node:
    def __init__(self, dev: LinkDevice, mac: str, addrs: list[str], any_ip: bool) -> None:
        self.dev = dev
        hw = EthernetAddress.parse(mac) if dev.capabilities().medium is Medium.ETHERNET else None
        config = Config(hardware_addr=hw, random_seed=len(mac) + any_ip, any_ip=any_ip)
        self.iface = Interface(config, dev, Instant.ZERO)
        self.iface.update_ip_addrs(lambda a: a.extend(IpCidr.parse(c) for c in addrs))
        self.sockets = SocketSet()

    def poll(self, now: Instant) -> bool:
        return self.iface.poll(now, self.dev, self.sockets)


def nodes(medium: Medium = Medium.IP, any_ip: bool = True) -> tuple[Node, Node]:
    """A client whose default routes lead to a gateway that has ``any_ip``."""
    da, db = link(medium)
    client = Node(da, "02-00-00-00-00-0a", [CLIENT + "/24", CLIENT6 + "/64"], False)
    gateway = Node(db, "02-00-00-00-00-0b", [GATEWAY + "/24", GATEWAY6 + "/64"], any_ip)
    client.iface.routes.add_default_ipv4_route(Ipv4Address(GATEWAY))
    client.iface.routes.add_default_ipv6_route(Ipv6Address(GATEWAY6))
    return client, gateway


def run(a: Node, b: Node, until: object, limit: int = 20000) -> None:
    now = Instant.ZERO
    for _ in range(limit):
        if until():  # type: ignore[operator]
            return
        if a.poll(now) | b.poll(now):
            continue
        now = now + Duration.from_millis(1)
    raise AssertionError("did not finish")


def catch_all(node: Node, backlog: int = 8) -> TcpSocket:
    listener = TcpSocket(4096, 4096)
    listener.listen_any(backlog)
    node.sockets.add(listener)
    return listener


def dial(node: Node, remote: IpEndpoint, port: int) -> TcpSocket:
    sock = TcpSocket(4096, 4096)
    node.sockets.add(sock)
    sock.connect(node.iface.context, remote, port)
    return sock


def accept_all(
    gateway: Node, listener: TcpSocket, n: int
) -> tuple[list[TcpSocket], Callable[[], bool]]:
    """Return the list accepted connections go to, and a condition that accepts them."""
    accepted: list[TcpSocket] = []

    def take() -> bool:
        handle = listener.accept()
        if handle is not None:
            accepted.append(gateway.sockets[handle])
        return len(accepted) == n

    return accepted, take


@pytest.mark.parametrize("medium", [Medium.IP, Medium.ETHERNET])
def test_the_catch_all_listener_accepts_two_destinations_and_keeps_them(medium: Medium) -> None:
    client, gateway = nodes(medium)
    listener = catch_all(gateway)
    a = dial(client, FAR_A, 40001)
    b = dial(client, FAR_B, 40002)
    accepted, take = accept_all(gateway, listener, 2)
    run(client, gateway, take)
    by_local = {s.local_endpoint: s for s in accepted}
    assert set(by_local) == {FAR_A, FAR_B}
    assert by_local[FAR_A].remote_endpoint == IpEndpoint(IpAddress.parse(CLIENT), 40001)
    assert by_local[FAR_B].remote_endpoint == IpEndpoint(IpAddress.parse(CLIENT), 40002)
    # Data both ways: the answers leave from the dialled address, or the client would not
    # take them.
    a.send(b"to A")
    b.send(b"to B")
    run(client, gateway, lambda: by_local[FAR_A].can_recv() and by_local[FAR_B].can_recv())
    assert by_local[FAR_A].recv() == b"to A" and by_local[FAR_B].recv() == b"to B"
    by_local[FAR_A].send(b"from A")
    by_local[FAR_B].send(b"from B")
    run(client, gateway, lambda: a.can_recv() and b.can_recv())
    assert a.recv() == b"from A" and b.recv() == b"from B"
    assert listener.local_endpoint == IpEndpoint(None, 0)
    assert gateway.iface.counters.dropped.get("not-for-us-ipv4", 0) == 0


def test_without_any_ip_other_destinations_are_dropped_but_own_ports_are_caught() -> None:
    client, gateway = nodes(any_ip=False)
    listener = catch_all(gateway)
    far = dial(client, FAR_A, 40001)
    own = dial(client, IpEndpoint(IpAddress.parse(GATEWAY), 7777), 40002)
    accepted, take = accept_all(gateway, listener, 1)
    run(client, gateway, take)
    assert accepted[0].local_endpoint == IpEndpoint(IpAddress.parse(GATEWAY), 7777)
    assert str(own.state) == "ESTABLISHED"
    assert str(far.state) == "SYN-SENT"
    assert gateway.iface.counters.dropped["not-for-us-ipv4"] >= 1


def test_an_exact_listener_wins_over_the_catch_all() -> None:
    client, gateway = nodes()
    listener = catch_all(gateway)
    exact = TcpSocket(4096, 4096)
    exact.listen(FAR_A, 4)
    gateway.sockets.add(exact)
    dial(client, FAR_A, 40001)
    dial(client, FAR_B, 40002)
    got: dict[str, IpEndpoint] = {}

    def take() -> bool:
        for name, lst in (("exact", exact), ("any", listener)):
            handle = lst.accept()
            if handle is not None:
                got[name] = gateway.sockets[handle].local_endpoint
        return len(got) == 2

    run(client, gateway, take)
    assert got == {"exact": FAR_A, "any": FAR_B}


def test_the_catch_all_listener_over_ipv6() -> None:
    client, gateway = nodes()
    listener = catch_all(gateway)
    far = IpEndpoint(IpAddress.parse("2001:db8::42"), 443)
    sock = dial(client, far, 40003)
    accepted, take = accept_all(gateway, listener, 1)
    run(client, gateway, take)
    assert accepted[0].local_endpoint == far
    accepted[0].send(b"six")
    run(client, gateway, sock.can_recv)
    assert sock.recv() == b"six"


def test_the_catch_all_udp_socket_answers_from_the_original_destination() -> None:
    client, gateway = nodes()
    relay = TransparentUdpSocket(4096, 4096)
    relay.open()
    gateway.sockets.add(relay)
    own = UdpSocket(4096, 4096)
    own.bind((GATEWAY, 53))  # a socket bound on the gateway keeps its own datagrams
    gateway.sockets.add(own)
    app = UdpSocket(4096, 4096)
    app.bind(5000)
    client.sockets.add(app)
    far_c = IpEndpoint(IpAddress.parse("192.0.2.33"), 53)
    app.send_to(b"q1", FAR_A)
    app.send_to(b"q2", far_c)
    app.send_to(b"q3", IpEndpoint(IpAddress.parse(GATEWAY), 53))
    run(client, gateway, lambda: relay.recv_queue == 2 and own.can_recv())
    me = IpEndpoint(IpAddress.parse(CLIENT), 5000)
    got = [relay.recv_from() for _ in range(2)]
    assert got == [(b"q1", me, FAR_A), (b"q2", me, far_c)]
    assert own.recv_from() == (b"q3", me)
    for data, src, dst in got:
        relay.send_to(data.upper(), src, dst)
    run(client, gateway, lambda: app.recv_queue == 2)
    assert [app.recv_from() for _ in range(2)] == [(b"Q1", FAR_A), (b"Q2", far_c)]
    # A socket bound to a port on every address takes that port at every destination the
    # interface accepts, before the catch-all (as a Linux socket on 0.0.0.0 under TPROXY).
    every = UdpSocket(4096, 4096)
    every.bind(80)
    gateway.sockets.add(every)
    app.send_to(b"q80", FAR_A)
    run(client, gateway, every.can_recv)
    assert every.recv_from() == (b"q80", me) and relay.recv_queue == 0
    relay.close()
    app.send_to(b"q4", far_c)
    run(client, gateway, lambda: gateway.iface.counters.dropped.get("no-socket-udp", 0) == 1)
    assert relay.recv_queue == 0


def test_the_interface_answers_for_accepted_destinations_as_for_its_own() -> None:
    client, gateway = nodes()
    ping = IcmpSocket(512, 512)
    ping.bind(0x77)
    client.sockets.add(ping)
    ping.send_to(icmp_echo(0x77, 1, b"hi"), FAR_A.addr)
    app = UdpSocket(512, 512)
    app.bind(5000)
    client.sockets.add(app)
    errors = IcmpSocket(512, 512)
    errors.bind(IpEndpoint(None, 5000))
    client.sockets.add(errors)
    app.send_to(b"closed?", FAR_B)  # no socket takes it: port unreachable, from FAR_B
    run(client, gateway, lambda: ping.can_recv() and errors.can_recv())
    reply, source = ping.recv_from()
    assert source == FAR_A.addr and reply[0] == 0  # an echo reply
    message, source = errors.recv_from()
    assert source == FAR_B.addr and message[:2] == b"\x03\x03"  # port unreachable
    tcp = dial(client, FAR_A, 40009)  # no listener: reset, from FAR_A
    run(client, gateway, lambda: str(tcp.state) == "CLOSED")
    assert gateway.iface.counters.rst_sent == 1


def test_transparent_udp_socket_misuse() -> None:
    relay = TransparentUdpSocket(512, 512)
    with pytest.raises(SendError):
        relay.send_to(b"x", FAR_A, FAR_B)
    relay.open()
    with pytest.raises(BindError):
        relay.open()
    with pytest.raises(SendError):
        relay.send_to(b"x", FAR_A, IpEndpoint(IpAddress.parse("2001:db8::1"), 53))
    with pytest.raises(SendError):
        relay.send_to(b"x", FAR_A, IpEndpoint(None, 53))
    with pytest.raises(TypeError, match="data"):
        relay.send_to("x", FAR_A, FAR_B)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="remote"):
        relay.send_to(b"x", "nowhere", FAR_B)


@pytest.mark.parametrize("local", ["224.0.0.251:53", "255.255.255.255:53", "[ff02::1]:53"])
def test_transparent_udp_socket_sends_from_no_group_or_broadcast(local: str) -> None:
    # No packet leaves from such a source (RFC 1122 3.2.1.3, RFC 4291 2.7); Linux refuses
    # the route (EINVAL). The socket sent one (found by the fuzz harness's app target): now
    # the call is refused and nothing is queued.
    _, gateway = nodes()
    relay = TransparentUdpSocket(512, 512)
    relay.open()
    gateway.sockets.add(relay)
    source = IpEndpoint.parse(local)
    remote = IpEndpoint(IpAddress.parse(CLIENT6 if source.addr.version == 6 else CLIENT), 4000)
    with pytest.raises(SendError, match="unaddressable"):
        relay.send_to(b"x", remote, source)
    assert relay.send_queue == 0


@pytest.mark.parametrize(
    ("remote", "local"),
    [
        (f"[{CLIENT6}]:4000", "[::ffff:198.51.100.7]:53"),
        ("[::ffff:10.0.0.1]:4000", "[2001:db8::7]:53"),
        ("[::ffff:10.0.0.1]:4000", "[::ffff:198.51.100.7]:53"),
    ],
)
def test_transparent_udp_sends_nothing_from_or_to_an_ipv4_mapped_address(
    remote: str, local: str
) -> None:
    # ::ffff:0:0/96 never appears on the wire (RFC 4291 2.5.5.2, RFC 4942 2.2): such a datagram
    # left as IPv6. Refused at once, whatever the interface, as `UdpSocket.send_to` does.
    client, gateway = nodes()
    relay = TransparentUdpSocket(512, 512)
    relay.open()
    gateway.sockets.add(relay)
    with pytest.raises(SendError, match="unaddressable"):
        relay.send_to(b"x", IpEndpoint.parse(remote), IpEndpoint.parse(local))
    assert relay.send_queue == 0
    gateway.poll(Instant.ZERO)
    assert client.dev.receive(Instant.ZERO) is None


@pytest.mark.parametrize(
    ("remote", "local"),
    [
        ("127.0.0.1:53", "198.51.100.7:80"),
        ("[::1]:53", "[2001:db8::7]:53"),
        (CLIENT + ":4000", "127.0.0.1:53"),
        (f"[{CLIENT6}]:4000", "[::1]:53"),
    ],
)
def test_transparent_udp_sends_nothing_from_or_to_loopback_off_a_loopback_interface(
    remote: str, local: str
) -> None:
    # A datagram to ::1 left the device (found by the fuzz harness's app target). It is
    # dropped on the way out and counted, as a raw socket's is: a loopback interface (next
    # test) carries it.
    client, gateway = nodes()
    relay = TransparentUdpSocket(512, 512)
    relay.open()
    gateway.sockets.add(relay)
    relay.send_to(b"x", IpEndpoint.parse(remote), IpEndpoint.parse(local))
    gateway.poll(Instant.ZERO)
    assert relay.tx_dropped == 1 and relay.send_queue == 0
    assert client.dev.receive(Instant.ZERO) is None


@pytest.mark.parametrize("remote", ["127.0.0.1:4000", "[::1]:4000"])
def test_transparent_udp_answers_on_a_loopback_interface(remote: str) -> None:
    # An interface that holds 127/8 and ::1 (a loopback one) carries their datagrams: the
    # socket refused to answer a query it had received there.
    da, db = link(Medium.IP)
    node = Node(db, "02-00-00-00-00-0b", ["127.0.0.1/8", "::1/128"], True)
    relay = TransparentUdpSocket(512, 512)
    relay.open()
    node.sockets.add(relay)
    destination = IpEndpoint.parse(remote)
    local = "127.0.0.1:53" if destination.addr.version == 4 else "[::1]:53"
    relay.send_to(b"x", destination, IpEndpoint.parse(local))
    node.poll(Instant.ZERO)
    assert relay.tx_dropped == 0
    assert da.receive(Instant.ZERO) is not None


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        ("198.51.100.7", True),
        ("10.1.2.3", True),
        ("0.1.2.3", False),
        ("127.0.0.1", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("2001:db8::1", True),
        ("fd00::9", True),
        ("::", False),
        ("::1", False),
        ("fe80::1", False),
        ("ff02::1", False),
        # Taken, and a SYN-ACK left from it (found by review).
        ("::ffff:198.51.100.7", False),
        ("::1:ffff:198.51.100.7", True),
    ],
)
def test_which_destinations_transparent_mode_takes(text: str, accepted: bool) -> None:
    assert accepts_any_destination(IpAddress.parse(text)) is accepted


def test_any_ip_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match="any_ip"):
        Config(any_ip=1)  # type: ignore[arg-type]


def test_listen_any_checks_its_arguments_as_listen_does() -> None:
    sock = TcpSocket(512, 512)
    with pytest.raises(TypeError, match="backlog"):
        sock.listen_any("4")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="backlog"):
        sock.listen_any(-1)
    sock.listen_any(2)
    with pytest.raises(ListenError):
        sock.listen_any(2)
    assert str(sock.state) == "LISTEN"
