"""ICMP sockets (echo identifier and UDP-error bindings) and raw sockets."""

from __future__ import annotations

import struct

import pytest
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether

from smoltcp.stack.socket import (
    BindError,
    IcmpEndpoint,
    IcmpSocket,
    RawIpSocket,
    RecvError,
    SendError,
    UdpSocket,
)
from smoltcp.stack.storage import PacketBuffer
from smoltcp.stack.testing import Harness, arp, ethernet, icmp_echo, icmp_message, ipv4, udp
from smoltcp.wire import EthernetAddress, IpAddress, IpCidr, IpEndpoint, Ipv4Address, Ipv6Address
from smoltcp.wire.ipv4 import IpProtocol

US = "192.168.69.1"
PEER = "192.168.69.2"
PEER_MAC = "02-00-00-00-00-02"


def harness() -> Harness:
    h = Harness()
    h.feed(
        ethernet(
            "ff-ff-ff-ff-ff-ff", PEER_MAC, 0x0806, arp(1, PEER_MAC, PEER, "00-00-00-00-00-00", US)
        )
    )
    return h


def to_us(packet: bytes) -> bytes:
    return ethernet("02-00-00-00-00-01", PEER_MAC, 0x0800, packet)


def icmp_socket(h: Harness, endpoint: object) -> IcmpSocket:
    sock = IcmpSocket(PacketBuffer(8, 4096), PacketBuffer(8, 4096))
    sock.bind(endpoint)  # type: ignore[arg-type]
    h.sockets.add(sock)
    return sock


def test_ping_out_and_receive_the_reply() -> None:
    h = harness()
    sock = icmp_socket(h, IcmpEndpoint.ident(0x77))
    # The checksum may be left zero: it is recomputed on the way out.
    request = struct.pack("!BBHHH", 8, 0, 0, 0x77, 1) + b"ping"
    sock.send_to(request, Ipv4Address(PEER))
    (out,) = h.decode(h.poll())
    assert not out.errors
    assert out.icmp["type"] == 8 and out.icmp["ident"] == 0x77 and out.payload == b"ping"
    h.feed(to_us(ipv4(PEER, US, 1, icmp_echo(0x77, 1, b"ping", request=False))))
    data, src = sock.recv_from()
    assert src == Ipv4Address(PEER) and data[0] == 0 and data[8:] == b"ping"
    # Another identifier is not delivered.
    h.feed(to_us(ipv4(PEER, US, 1, icmp_echo(0x78, 1, b"", request=False))))
    assert not sock.can_recv()
    assert h.dropped["no-socket-icmp"] == 1


def test_echo_requests_reach_the_socket_and_are_still_answered() -> None:
    h = harness()
    sock = icmp_socket(h, 0x10)
    out = h.feed(to_us(ipv4(PEER, US, 1, icmp_echo(0x10, 5, b"x"))))
    assert len(out) == 1
    assert sock.recv_from()[0][0] == 8


def test_udp_binding_receives_port_unreachable_about_our_datagrams() -> None:
    h = harness()
    sock = icmp_socket(h, IpEndpoint(None, 4000))
    # What we sent: UDP from US:4000 to PEER:53. PEER says the port is unreachable.
    quoted = ipv4(US, PEER, 17, udp(US, PEER, 4000, 53, b"query"))[:28]
    error = icmp_message(3, 3, b"\0\0\0\0" + quoted)
    assert h.feed(to_us(ipv4(PEER, US, 1, error))) == []
    data, src = sock.recv_from()
    assert src == Ipv4Address(PEER) and data == error
    # An error about another port is not delivered.
    other = icmp_message(3, 3, b"\0\0\0\0" + ipv4(US, PEER, 17, udp(US, PEER, 4001, 53, b""))[:28])
    h.feed(to_us(ipv4(PEER, US, 1, other)))
    assert not sock.can_recv()


def test_udp_binding_to_an_address_receives_only_errors_about_that_source() -> None:
    h = harness()
    h.iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("10.0.0.1/8")))
    sock = icmp_socket(h, IpEndpoint(Ipv4Address(US), 4000))

    def error_about(src: str) -> bytes:
        quoted = ipv4(src, PEER, 17, udp(src, PEER, 4000, 53, b"query"))[:28]
        return icmp_message(3, 3, b"\0\0\0\0" + quoted)

    h.feed(to_us(ipv4(PEER, US, 1, error_about("10.0.0.1"))))
    assert not sock.can_recv()
    h.feed(to_us(ipv4(PEER, US, 1, error_about(US))))
    assert sock.recv_from() == (error_about(US), Ipv4Address(PEER))


def test_hop_limit_defaults_to_64_and_is_per_socket() -> None:
    h = harness()
    sock = icmp_socket(h, 0x77)
    other = icmp_socket(h, 0x78)
    assert sock.hop_limit is None
    sock.send_to(icmp_echo(0x77, 1), Ipv4Address(PEER))
    assert h.decode(h.poll())[0].ip["ttl"] == 64
    sock.hop_limit = 3
    sock.send_to(icmp_echo(0x77, 2), Ipv4Address(PEER))
    other.send_to(icmp_echo(0x78, 1), Ipv4Address(PEER))
    assert [f.ip["ttl"] for f in h.decode(h.poll())] == [3, 64]
    with pytest.raises(ValueError):
        sock.hop_limit = 256


def test_ident_binding_receives_errors_about_its_pings() -> None:
    h = harness()
    sock = icmp_socket(h, 0x99)
    quoted = ipv4(US, "10.9.9.9", 1, icmp_echo(0x99, 3, b"ping"))[:28]
    error = icmp_message(3, 1, b"\0\0\0\0" + quoted)  # host unreachable, from a router
    h.feed(to_us(ipv4(PEER, US, 1, error)))
    data, src = sock.recv_from()
    assert data == error and src == Ipv4Address(PEER)
    other = icmp_message(3, 1, b"\0\0\0\0" + ipv4(US, "10.9.9.9", 1, icmp_echo(0x98, 3))[:28])
    h.feed(to_us(ipv4(PEER, US, 1, other)))
    # Nor one quoting an echo *reply* with the identifier (we never sent it as a ping).
    reply = ipv4(US, "10.9.9.9", 1, icmp_echo(0x99, 3, request=False))[:28]
    h.feed(to_us(ipv4(PEER, US, 1, icmp_message(3, 1, b"\0\0\0\0" + reply))))
    assert not sock.can_recv()


def test_icmp_socket_errors() -> None:
    sock = IcmpSocket(PacketBuffer(1, 64), PacketBuffer(1, 64))
    with pytest.raises(SendError):
        sock.send_to(b"\x08\0\0\0\0\0\0\0", Ipv4Address("0.0.0.0"))
    # ::ffff:0:0/96 never appears on the wire (RFC 4291 2.5.5.2): an ICMPv6 echo left for it.
    with pytest.raises(SendError, match="IPv4-mapped"):
        sock.send_to(b"\x80\0\0\0\0\0\0\0", IpAddress.parse("::ffff:192.168.69.2"))
    with pytest.raises(SendError, match="malformed"):
        sock.send_to(b"\x08", Ipv4Address(PEER))
    with pytest.raises(RecvError):
        sock.recv_from()
    sock.bind(1)
    with pytest.raises(BindError):
        sock.bind(2)
    with pytest.raises(ValueError):
        IcmpEndpoint.ident(1 << 16)


def test_malformed_outgoing_icmp_is_dropped_not_sent() -> None:
    h = harness()
    sock = icmp_socket(h, 1)
    # An echo with a non-zero code is malformed (RFC 792).
    sock.send_to(struct.pack("!BBHHH", 8, 5, 0, 1, 1), Ipv4Address(PEER))
    assert h.poll() == []
    assert sock.tx_dropped == 1


def raw_socket(h: Harness, protocol: int) -> RawIpSocket:
    sock = RawIpSocket(4, protocol, PacketBuffer(8, 4096), PacketBuffer(8, 4096))
    h.sockets.add(sock)
    return sock


def test_raw_socket_receives_whole_packets_and_suppresses_protocol_unreachable() -> None:
    h = harness()
    sock = raw_socket(h, 253)
    packet = ipv4(PEER, US, 253, b"experimental")
    assert h.feed(to_us(packet)) == []  # delivered: no protocol unreachable
    assert sock.recv() == packet
    assert h.iface.counters.icmp_errors_sent == 0


def test_raw_socket_sees_udp_alongside_the_udp_socket() -> None:
    h = harness()
    raw = raw_socket(h, 17)
    udp_sock = UdpSocket(PacketBuffer(4, 512), PacketBuffer(4, 512))
    udp_sock.bind(9)
    h.sockets.add(udp_sock)
    packet = ipv4(PEER, US, 17, udp(PEER, US, 1, 9, b"both"))
    h.feed(to_us(packet))
    assert raw.recv() == packet and udp_sock.recv_from()[0] == b"both"


def test_raw_socket_sends_a_packet_with_a_fresh_header_checksum() -> None:
    h = harness()
    sock = raw_socket(h, 253)
    sock.send_slice(ipv4(US, PEER, 253, b"raw out", ttl=9, checksum=0))
    (out,) = h.decode(h.poll())
    assert not out.errors and out.ip["ttl"] == 9 and out.payload == b"raw out"
    # A packet of another protocol or a malformed one is dropped.
    sock.send_slice(ipv4(US, PEER, 17, b"x"))
    sock.send_slice(b"junk")
    assert h.poll() == []
    assert sock.tx_dropped == 2


def test_raw_socket_sends_nothing_from_or_to_a_loopback_address() -> None:
    # 127/8 never appears outside a host (RFC 1122 3.2.1.3); such packets left the device
    # (found by the fuzz harness's app target). A loopback interface still sends them.
    h = harness()
    sock = raw_socket(h, 253)
    sock.send_slice(ipv4(US, "127.0.0.1", 253, b"to"))
    sock.send_slice(ipv4("127.0.0.1", PEER, 253, b"from"))
    assert h.poll() == []
    assert sock.tx_dropped == 2
    lo = Harness(cidr="127.0.0.1/8")
    sock = raw_socket(lo, 253)
    sock.send_slice(ipv4("127.0.0.1", "127.0.0.1", 253, b"lo"))
    (out,) = lo.decode(lo.poll())
    assert out.ip["dst"] == "127.0.0.1" and out.payload == b"lo"


@pytest.mark.parametrize(
    ("src", "dst"),
    [
        ("::ffff:192.168.69.1", "fdaa::2"),
        ("fdaa::1", "::ffff:192.168.69.2"),
        ("::ffff:192.168.69.1", "::ffff:192.168.69.2"),
    ],
)
def test_raw_socket_sends_nothing_from_or_to_an_ipv4_mapped_address(src: str, dst: str) -> None:
    # ::ffff:0:0/96 never appears on the wire (RFC 4291 2.5.5.2, RFC 4942 2.2): such a packet
    # left as IPv6 (to the router for a mapped destination). `send` takes octets, so the
    # packet is dropped when it would leave and counted, as one with a loopback end is.
    h = Harness(cidr="fdaa::1/64")
    h.iface.routes.add_default_ipv6_route(router := Ipv6Address("fdaa::100"))
    for neighbor in (router, Ipv6Address("fdaa::2")):
        h.iface.neighbor_cache.fill(neighbor, EthernetAddress.parse(PEER_MAC), h.now)
    sock = RawIpSocket(6, 253, PacketBuffer(8, 4096), PacketBuffer(8, 4096))
    h.sockets.add(sock)
    sock.send_slice(bytes(IPv6(src=src, dst=dst, nh=253) / b"mapped"))
    sock.send_slice(bytes(IPv6(src="fdaa::1", dst="fdaa::2", nh=253) / b"fine"))
    (out,) = h.poll()
    assert Ether(out)[IPv6].dst == "fdaa::2" and Ether(out)[IPv6].load == b"fine"
    assert sock.tx_dropped == 1 and h.poll() == []


def test_raw_socket_arguments() -> None:
    with pytest.raises(ValueError):
        RawIpSocket(5, 17, PacketBuffer(1, 1), PacketBuffer(1, 1))
    sock = RawIpSocket(4, IpProtocol.UDP, PacketBuffer(1, 1), PacketBuffer(1, 1))
    assert sock.ip_protocol is IpProtocol.UDP
    with pytest.raises(RecvError):
        sock.recv()
    with pytest.raises(RecvError):
        sock.recv_into(bytearray(4))


def test_raw_socket_recv_into_truncates() -> None:
    h = harness()
    sock = RawIpSocket(4, 253, PacketBuffer(4, 1024), PacketBuffer(4, 1024))
    h.sockets.add(sock)
    packet = ipv4(PEER, US, 253, b"0123456789")
    h.feed(to_us(packet))
    buf = bytearray(8)
    assert sock.recv_into(buf) == 8 and buf == packet[:8]
    assert not sock.can_recv()


@pytest.mark.parametrize("to", ["127.0.0.1", "::1"])
def test_icmp_socket_sends_nothing_to_a_loopback_address_off_a_loopback_interface(to: str) -> None:
    # As for UDP and raw sockets: the interface has no source address for it (an ICMP
    # socket never sends from a bound address), so the message is dropped and counted.
    h = harness()
    h.iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("fdaa::1/64")))
    sock = icmp_socket(h, 0x77)
    echo = icmp_echo(0x77, 1) if ":" not in to else struct.pack("!BBHHH", 128, 0, 0, 0x77, 1)
    sock.send_to(echo, IpAddress.parse(to))
    assert h.poll() == []
    assert sock.tx_dropped == 1
