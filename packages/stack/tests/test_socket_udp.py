"""UDP sockets through the interface: bind, send, receive, buffers, errors, hop limit."""

from __future__ import annotations

from typing import Any

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether

from smoltcp.stack.socket import BindError, RecvError, SendError, UdpSocket
from smoltcp.stack.storage import PacketBuffer
from smoltcp.stack.testing import Harness, TestingDevice, arp, ethernet, ipv4, udp
from smoltcp.stack.time import Instant
from smoltcp.wire import (
    EthernetAddress,
    IpAddress,
    IpCidr,
    IpEndpoint,
    Ipv4Address,
    Ipv6Address,
    Medium,
)

US = "192.168.69.1"
PEER = "192.168.69.2"
PEER_MAC = "02-00-00-00-00-02"


def setup(port: object = 7000, rx: tuple[int, int] = (8, 4096)) -> tuple[Harness, UdpSocket]:
    h = Harness()
    h.feed(
        ethernet(
            "ff-ff-ff-ff-ff-ff", PEER_MAC, 0x0806, arp(1, PEER_MAC, PEER, "00-00-00-00-00-00", US)
        )
    )
    sock = UdpSocket(PacketBuffer(*rx), PacketBuffer(8, 4096))
    if port is not None:
        sock.bind(port)
    h.sockets.add(sock)
    return h, sock


def datagram(payload: bytes, sport: int = 5000, dport: int = 7000, dst: str = US) -> bytes:
    dst_mac = "ff-ff-ff-ff-ff-ff" if dst.endswith("255") else "02-00-00-00-00-01"
    return ethernet(
        dst_mac, PEER_MAC, 0x0800, ipv4(PEER, dst, 17, udp(PEER, dst, sport, dport, payload))
    )


def test_receive_and_reply() -> None:
    h, sock = setup()
    assert not sock.can_recv()
    h.feed(datagram(b"hello"))
    assert sock.can_recv()
    data, src = sock.recv_from()
    assert data == b"hello" and src == IpEndpoint(Ipv4Address(PEER), 5000)
    sock.send_to(b"world", src)
    (out,) = h.decode(h.poll())
    assert out.udp == dict(sport=7000, dport=5000, len=13) and out.payload == b"world"
    assert out.ip["src"] == US and out.ip["ttl"] == 64 and not out.errors


def test_bound_address_filters_and_is_the_source() -> None:
    h, sock = setup(port=(US, 7000))
    h.feed(datagram(b"a"))
    assert sock.recv_from()[0] == b"a"
    # A broadcast to the port does not reach a socket bound to the unicast address...
    h.feed(datagram(b"b", dst="192.168.69.255"))
    assert not sock.can_recv()
    # ...but reaches one bound to any address.
    any_sock = UdpSocket(PacketBuffer(4, 256), PacketBuffer(4, 256))
    any_sock.bind(7000)
    h.sockets.add(any_sock)
    h.feed(datagram(b"c", dst="192.168.69.255"))
    assert any_sock.recv_from()[0] == b"c"
    assert not sock.can_recv()


def test_specific_binding_wins_over_wildcard() -> None:
    h, wildcard = setup(port=7000)
    specific = UdpSocket(PacketBuffer(4, 256), PacketBuffer(4, 256))
    specific.bind(IpEndpoint(Ipv4Address(US), 7000))
    h.sockets.add(specific)
    h.feed(datagram(b"x"))
    assert specific.can_recv() and not wildcard.can_recv()


def test_a_broadcast_reaches_every_socket_on_its_port() -> None:
    h, wildcard = setup(port=7000)
    on_broadcast = UdpSocket(PacketBuffer(4, 256), PacketBuffer(4, 256))
    on_broadcast.bind(("192.168.69.255", 7000))
    h.sockets.add(on_broadcast)
    other_port = UdpSocket(PacketBuffer(4, 256), PacketBuffer(4, 256))
    other_port.bind(7001)
    h.sockets.add(other_port)
    assert h.feed(datagram(b"all", dst="192.168.69.255")) == []
    assert wildcard.recv_from()[0] == b"all" and on_broadcast.recv_from()[0] == b"all"
    assert not other_port.can_recv()
    # A unicast datagram still goes to one socket only.
    h.feed(datagram(b"one"))
    assert wildcard.recv_from()[0] == b"one" and not on_broadcast.can_recv()


def test_full_receive_buffer_drops_and_counts() -> None:
    h, sock = setup(rx=(2, 4096))
    for i in range(3):
        h.feed(datagram(b"%d" % i))
    assert sock.rx_dropped == 1
    assert [sock.recv_from()[0] for _ in range(2)] == [b"0", b"1"]
    with pytest.raises(RecvError) as err:
        sock.recv_from()
    assert "exhausted" in err.value.reason


def test_recv_into_and_peek_and_zero_copy_recv() -> None:
    h, sock = setup()
    h.feed(datagram(b"0123456789"))
    h.feed(datagram(b"abc"))
    view, src = sock.peek()
    assert bytes(view) == b"0123456789" and src.port == 5000
    buf = bytearray(4)
    n, _ = sock.recv_into(buf)
    assert n == 4 and buf == b"0123"
    view, _ = sock.recv()
    assert bytes(view) == b"abc"


def test_send_errors() -> None:
    _h, sock = setup(port=None)
    with pytest.raises(SendError, match="unaddressable"):
        sock.send_to(b"x", (PEER, 1))
    sock.bind(1234)
    with pytest.raises(SendError, match="unaddressable"):
        sock.send_to(b"x", (PEER, 0))
    with pytest.raises(SendError, match="unaddressable"):
        sock.send_to(b"x", IpEndpoint(None, 5))
    # RFC 4291 2.5.5.2: ::ffff:0:0/96 never appears on the wire; it left as an IPv6
    # destination (the stack has no dual-stack sockets).
    with pytest.raises(SendError, match="IPv4-mapped"):
        sock.send_to(b"x", ("::ffff:192.168.69.2", 1))
    with pytest.raises(SendError, match="buffer full"):
        sock.send_to(b"x" * 5000, (PEER, 1))
    # An IpEndpoint does not check its address: a text one was an AttributeError.
    with pytest.raises(TypeError, match="must be an IpAddress"):
        sock.send_to(b"x", IpEndpoint(PEER, 1))  # type: ignore[arg-type]
    for _ in range(8):
        sock.send_to(b"x", (PEER, 1))
    assert not sock.can_send()
    with pytest.raises(SendError, match="buffer full"):
        sock.send_to(b"x", (PEER, 1))


def test_bind_errors() -> None:
    sock = UdpSocket(PacketBuffer(1, 16), PacketBuffer(1, 16))
    with pytest.raises(BindError):
        sock.bind(0)
    # No dual-stack sockets: an IPv4-mapped address would be an IPv6 source on the wire.
    with pytest.raises(BindError, match="unaddressable"):
        sock.bind(("::ffff:192.168.69.1", 53))
    sock.bind(("0.0.0.0", 53))
    assert sock.endpoint == IpEndpoint(None, 53)
    with pytest.raises(BindError, match="already bound"):
        sock.bind(54)
    with pytest.raises(ValueError):
        UdpSocket(PacketBuffer(1, 16), PacketBuffer(1, 16)).bind(70000)
    with pytest.raises(TypeError):
        UdpSocket(b"", b"")  # type: ignore[arg-type]


def test_close_unbinds_so_the_port_is_unreachable_again() -> None:
    h, sock = setup()
    h.feed(datagram(b"queued"))
    sock.close()
    assert not sock.is_open() and not sock.can_recv()
    (out,) = h.decode(h.feed(datagram(b"late")))
    assert out.icmp["type"] == 3 and out.icmp["code"] == 3


def test_hop_limit() -> None:
    h, sock = setup()
    sock.hop_limit = 5
    sock.send_to(b"x", (PEER, 1))
    (out,) = h.decode(h.poll())
    assert out.ip["ttl"] == 5
    with pytest.raises(ValueError):
        sock.hop_limit = 0
    sock.hop_limit = None
    sock.send_to(b"x", (PEER, 1))
    assert h.decode(h.poll())[0].ip["ttl"] == 64


def test_send_zero_copy_view() -> None:
    h, sock = setup()
    view = sock.send(3, IpEndpoint(Ipv4Address(PEER), 9))
    view[:] = b"abc"
    assert h.decode(h.poll())[0].payload == b"abc"


def test_many_datagrams_are_sent_in_one_poll_in_order() -> None:
    h, sock = setup()
    for i in range(8):
        sock.send_to(b"%d" % i, (PEER, 9))
    out = h.decode(h.poll())
    assert [f.payload for f in out] == [b"%d" % i for i in range(8)]
    assert h.iface.poll_at(h.now, h.sockets) is None


def test_poll_at_is_now_while_data_waits() -> None:
    h, sock = setup()
    assert h.iface.poll_at(h.now, h.sockets) is None
    sock.send_to(b"x", (PEER, 9))
    t = Instant.from_secs(3)
    assert h.iface.poll_at(t, h.sockets) == t
    assert h.iface.poll_delay(t, h.sockets).total_micros() == 0


@pytest.mark.parametrize(
    ("bound", "to"),
    [
        ("224.0.0.251", "224.0.0.251"),  # mDNS: a query to the group, from the group's port
        ("224.0.0.251", PEER),  # a unicast answer (RFC 6762 6)
        ("255.255.255.255", "255.255.255.255"),
        ("192.168.69.255", PEER),  # the subnet's directed broadcast, known to the interface
    ],
)
def test_a_socket_bound_to_a_group_or_broadcast_sends_from_the_interface_address(
    bound: str, to: str
) -> None:
    # RFC 1122 3.2.1.3: a source is unicast. The datagrams left from the bound group or
    # broadcast address; Linux sends them from the interface's address for the destination.
    h, sock = setup(port=(bound, 5353))
    for _ in range(2):  # the second through the per-datagram path the first one set up
        sock.send_to(b"q", (to, 5353))
        (out,) = h.decode(h.poll())
        assert out.ip["src"] == US and out.ip["dst"] == to and out.udp["sport"] == 5353
        assert not out.errors
    assert sock.endpoint == IpEndpoint.parse(f"{bound}:5353")  # still filters by it


def test_a_socket_bound_to_an_ipv6_group_sends_from_the_link_local_address() -> None:
    h = Harness(cidr="fdaa::1/64")
    sock = UdpSocket(PacketBuffer(1, 64), PacketBuffer(4, 256))
    sock.bind(("ff02::fb", 5353))
    h.sockets.add(sock)
    sock.send_to(b"q", ("ff02::fb", 5353))
    (out,) = h.poll()
    ip = Ether(out)[IPv6]
    assert (ip.src, ip.dst, ip[UDP].sport) == ("fe80::ff:fe00:1", "ff02::fb", 5353)


def test_a_socket_bound_to_a_group_with_no_source_for_the_destination_drops() -> None:
    # No IPv4 address to send from: dropped and counted, as for an unbound socket.
    h = Harness(cidr="fdaa::1/64")
    sock = UdpSocket(PacketBuffer(1, 64), PacketBuffer(4, 256))
    sock.bind(("224.0.0.251", 5353))
    h.sockets.add(sock)
    sock.send_to(b"q", ("224.0.0.251", 5353))
    assert h.poll() == []
    assert sock.tx_dropped == 1 and sock.send_queue == 0


def test_a_bound_address_that_becomes_a_directed_broadcast_is_no_longer_a_source() -> None:
    # What the bound address is follows the interface's addresses (decided again when they
    # change, not once per socket).
    h, sock = setup(port=("10.0.0.255", 5000))
    sock.send_to(b"a", (PEER, 9))
    assert h.decode(h.poll())[0].ip["src"] == "10.0.0.255"
    h.iface.update_ip_addrs(lambda addrs: addrs.append(IpCidr.parse("10.0.0.1/24")))
    sock.send_to(b"b", (PEER, 9))
    assert h.decode(h.poll())[0].ip["src"] == US


@pytest.mark.parametrize(
    ("cidr", "bound", "to"),
    [
        ("192.168.69.1/24", "127.0.0.1", PEER),
        ("192.168.69.1/24", US, "127.0.0.1"),
        ("192.168.69.1/24", None, "127.0.0.1"),
        ("fdaa::1/64", "::1", "fdaa::100"),
        ("fdaa::1/64", "fdaa::1", "::1"),
        ("fdaa::1/64", None, "::1"),
    ],
)
def test_nothing_leaves_from_or_to_a_loopback_address_off_a_loopback_interface(
    cidr: str, bound: str | None, to: str
) -> None:
    # 127/8 and ::1 never appear outside a host (RFC 1122 3.2.1.3, RFC 4291 2.5.3): a socket
    # bound to 127.0.0.1 sent from it onto the wire, and one bound to its real address sent
    # to 127.0.0.1 through the default router. Dropped on the way out and counted, as a raw
    # socket's packet is. (The peer is the router, its hardware address known.)
    h = Harness(cidr=cidr)
    router: IpAddress
    if ":" in cidr:
        h.iface.routes.add_default_ipv6_route(router := Ipv6Address("fdaa::100"))
    else:
        h.iface.routes.add_default_ipv4_route(router := Ipv4Address(PEER))
    h.iface.neighbor_cache.fill(router, EthernetAddress.parse(PEER_MAC), h.now)
    sock = UdpSocket(PacketBuffer(1, 64), PacketBuffer(4, 256))
    sock.bind((bound, 5000) if bound else 5000)
    h.sockets.add(sock)
    sock.send_to(b"x", (to, 9))
    assert h.poll() == []
    assert sock.tx_dropped == 1 and sock.send_queue == 0


def test_a_datagram_to_loopback_leaves_the_others_of_the_queue_alone() -> None:
    h, sock = setup(port=(US, 5000))
    h.iface.routes.add_default_ipv4_route(Ipv4Address(PEER))  # 127.0.0.1 would go through it
    sock.send_to(b"first", (PEER, 9))
    sock.send_to(b"lo", ("127.0.0.1", 9))
    sock.send_to(b"last", (PEER, 9))
    out = h.decode(h.poll())
    assert [(f.ip["dst"], f.payload) for f in out] == [(PEER, b"first"), (PEER, b"last")]
    assert sock.tx_dropped == 1
    sock.send_to(b"again", (PEER, 9))
    assert h.decode(h.poll())[0].payload == b"again"


@pytest.mark.parametrize(
    ("cidrs", "bound", "to"),
    [
        (["127.0.0.1/8"], "127.0.0.1", "127.0.0.1"),
        (["127.0.0.1/8"], None, "127.0.0.2"),
        (["127.0.0.1/8", "::1/128"], "::1", "::1"),
        # A loopback interface that also holds a real address: the two talk.
        (["127.0.0.1/8", "10.0.0.1/8"], "10.0.0.1", "127.0.0.1"),
    ],
)
def test_a_loopback_interface_carries_loopback_datagrams(
    cidrs: list[str], bound: str | None, to: str
) -> None:
    h = Harness(cidr="", medium=Medium.IP)
    h.iface.update_ip_addrs(lambda addrs: addrs.extend(IpCidr.parse(c) for c in cidrs))
    sock = UdpSocket(PacketBuffer(1, 64), PacketBuffer(4, 256))
    sock.bind((bound, 5000) if bound else 5000)
    h.sockets.add(sock)
    for _ in range(2):
        sock.send_to(b"lo", (to, 9))
        (out,) = h.poll()
        ip = (IPv6 if ":" in to else IP)(out)
        assert (ip.src, ip.dst, ip[UDP].sport) == (bound or "127.0.0.1", to, 5000)
    assert sock.tx_dropped == 0


def test_a_datagram_longer_than_ip_carries_is_refused_at_send() -> None:
    # It was queued, and every poll then failed on it (the IP length field is 16 bits), so
    # nothing else left the interface.
    h = Harness(cidr="192.168.69.1/24")
    h.iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("fdaa::1/64")))
    sock = UdpSocket(PacketBuffer(4, 1 << 18), PacketBuffer(4, 1 << 18))
    sock.bind(5000)
    h.sockets.add(sock)
    with pytest.raises(SendError, match="too long: 65508 octets, at most 65507"):
        sock.send(65508, (PEER, 9))
    with pytest.raises(SendError, match="too long: 65528 octets, at most 65527"):
        sock.send(65528, ("fdaa::2", 9))
    sock.send(65527, ("fdaa::2", 9))  # IPv6 carries 20 octets more (no IPv4 header)
    assert sock.send_queue == 1


def test_a_datagram_of_the_other_ip_version_than_the_bound_address_is_refused() -> None:
    # An IPv4-bound socket queued a datagram to an IPv6 address, and every poll then failed
    # on it ("mixed versions"), so nothing else left the interface (Linux: EINVAL/EAFNOSUPPORT).
    h = Harness(cidr="192.168.69.1/24")
    h.iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("fdaa::1/64")))
    for bound, other in ((US, "fdaa::2"), ("224.0.0.251", "fdaa::2"), ("fdaa::1", PEER)):
        sock = UdpSocket(PacketBuffer(4, 256), PacketBuffer(4, 256))
        sock.bind((bound, 5000))
        h.sockets.add(sock)
        with pytest.raises(SendError, match=r"unaddressable: .* from a socket bound to IPv"):
            sock.send_to(b"x", (other, 9))
        assert sock.send_queue == 0
    h.poll()  # and the interface goes on


def test_a_loopback_datagram_after_the_socket_sent_others_is_still_checked() -> None:
    # The socket had found its bound address fit (the path that checks no more); a datagram
    # to 127.0.0.1 queued after that must still be checked, not sent through the router.
    h, sock = setup(port=(US, 5000))
    h.iface.routes.add_default_ipv4_route(Ipv4Address(PEER))
    sock.send_to(b"a", (PEER, 9))
    assert [f.ip["dst"] for f in h.decode(h.poll())] == [PEER]
    sock.send_to(b"b", ("127.0.0.1", 9))
    assert h.poll() == []
    assert sock.tx_dropped == 1


class _FailsOnce(TestingDevice):
    """A device whose next transmission fails once (as a TAP write may, with ENOBUFS)."""

    fail = 0

    def transmit(self, now: Instant) -> Any:
        token = super().transmit(now)
        if token is not None and self.fail:
            self.fail -= 1
            return _FailingToken()
        return token


class _FailingToken:
    def consume(self, length: int, fill: Any) -> Any:
        raise OSError("ENOBUFS")


def test_a_failed_send_does_not_let_a_later_loopback_datagram_through() -> None:
    # A datagram to a loopback address was counted off when checked, not when it left the
    # queue: a send that failed and was retried counted it twice, and the last datagram to
    # 127.0.0.2 (the interface holds only 127.0.0.1/32) then left through the router.
    dev = _FailsOnce()
    h = Harness(device=dev)
    h.iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("127.0.0.1/32")))
    h.iface.routes.add_default_ipv4_route(Ipv4Address(PEER))
    h.iface.neighbor_cache.fill(Ipv4Address(PEER), EthernetAddress.parse(PEER_MAC), h.now)
    sock = UdpSocket(PacketBuffer(8, 512), PacketBuffer(8, 512))
    sock.bind((US, 5000))
    h.sockets.add(sock)
    for dst in ("127.0.0.1", "127.0.0.1", "127.0.0.2"):
        sock.send_to(dst.encode(), (dst, 9))
    dev.fail = 1
    with pytest.raises(OSError, match="ENOBUFS"):
        h.poll()
    out = h.decode(h.poll())
    assert [f.ip["dst"] for f in out] == ["127.0.0.1", "127.0.0.1"]
    assert sock.tx_dropped == 1 and sock.send_queue == 0


def test_an_endpoint_with_a_bad_port_is_refused_at_send() -> None:
    # IpEndpoint does not check its port: such a datagram was queued and made every poll fail.
    h, sock = setup(port=(US, 5000))
    for port in ("9", 70000, -1, 9.0):
        with pytest.raises(ValueError, match="endpoint port must be an int"):
            sock.send_to(b"x", IpEndpoint(Ipv4Address(PEER), port))  # type: ignore[arg-type]
    assert sock.send_queue == 0
    h.poll()
