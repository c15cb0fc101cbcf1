"""IPv4 and ICMPv4 on the interface: echo, unreachables (and when none is sent), routes,
TCP resets for closed ports, malformed frames of every layer, poll_at."""

from __future__ import annotations

import struct

import pytest

from smoltcp.stack.iface import Config, Interface, tcp_rst_reply
from smoltcp.stack.socket import IcmpSocket, SocketSet, UdpSocket
from smoltcp.stack.storage import PacketBuffer
from smoltcp.stack.tcp import TcpSocket
from smoltcp.stack.testing import (
    Harness,
    TestingDevice,
    arp,
    ethernet,
    icmp_echo,
    icmp_message,
    ipv4,
    mac,
    tcp,
    udp,
)
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import (
    ChecksumCapabilities,
    EthernetAddress,
    IpCidr,
    Ipv4Address,
    Medium,
)

US = "192.168.69.1"
PEER = "192.168.69.2"
PEER_MAC = "02-00-00-00-00-02"
ZERO = "00-00-00-00-00-00"


def known_peer(**config: object) -> Harness:
    """A harness that already knows PEER's MAC (so replies go out at once)."""
    h = Harness(**config)  # type: ignore[arg-type]
    h.feed(ethernet("ff-ff-ff-ff-ff-ff", PEER_MAC, 0x0806, arp(1, PEER_MAC, PEER, ZERO, US)))
    return h


def to_us(packet: bytes, dst_mac: bytes | None = None) -> bytes:
    return ethernet(dst_mac or mac("02-00-00-00-00-01"), PEER_MAC, 0x0800, packet)


def test_echo_request_is_answered_with_the_same_ident_seq_and_data() -> None:
    h = known_peer()
    data = bytes(range(56))
    (out,) = h.decode(h.feed(to_us(ipv4(PEER, US, 1, icmp_echo(0x1234, 7, data), ttl=3))))
    assert not out.errors
    assert out.ip["src"] == US and out.ip["dst"] == PEER and out.ip["ttl"] == 64
    assert out.icmp["type"] == 0 and out.icmp["ident"] == 0x1234 and out.icmp["seq"] == 7
    assert out.payload == data
    assert h.iface.counters.icmp_echo_replies_sent == 1


def test_echo_to_broadcast_is_not_answered_by_default() -> None:
    h = known_peer()
    frame = ethernet(
        "ff-ff-ff-ff-ff-ff", PEER_MAC, 0x800, ipv4(PEER, "192.168.69.255", 1, icmp_echo(1, 1))
    )
    assert h.feed(frame) == []
    assert h.dropped["broadcast-echo"] == 1
    h2 = known_peer(reply_to_broadcast_echo=True)
    (out,) = h2.decode(h2.feed(frame))
    assert out.ip["src"] == US and out.icmp["type"] == 0


def test_udp_to_a_closed_port_gets_port_unreachable_quoting_the_datagram() -> None:
    h = known_peer()
    dgram = udp(PEER, US, 4000, 9999, b"payload!!")
    packet = ipv4(PEER, US, 17, dgram, ident=0x4242)
    (out,) = h.decode(h.feed(to_us(packet)))
    assert not out.errors
    assert out.icmp["type"] == 3 and out.icmp["code"] == 3
    # The quoted IP header (20 octets) and the first 8 octets of the datagram (RFC 792).
    quoted = out.payload
    assert len(quoted) == 28
    assert quoted[12:16] == bytes([192, 168, 69, 2]) and quoted[9] == 17
    assert struct.unpack_from("!H", quoted, 4)[0] == 0x4242
    assert quoted[20:28] == dgram[:8]
    assert h.dropped["no-socket-udp"] == 1


def test_the_quote_is_the_received_header_with_its_options() -> None:
    h = known_peer()
    packet = ipv4(PEER, US, 17, udp(PEER, US, 1, 2, b"abcdefgh"), options=b"\x94\x04\x00\x00")
    (out,) = h.decode(h.feed(to_us(packet)))
    assert out.icmp["type"] == 3 and not out.errors
    assert out.payload == packet[: 24 + 8]


def test_no_error_for_a_link_layer_broadcast() -> None:
    h = known_peer()
    frame = ethernet(
        "ff-ff-ff-ff-ff-ff", PEER_MAC, 0x800, ipv4(PEER, US, 17, udp(PEER, US, 1, 2, b""))
    )
    assert h.feed(frame) == []
    assert h.dropped["no-socket-udp"] == 1


def test_unknown_protocol_gets_protocol_unreachable() -> None:
    h = known_peer()
    packet = ipv4(PEER, US, 253, b"12345678abcdef", ident=0x1717)
    (out,) = h.decode(h.feed(to_us(packet)))
    assert out.icmp["type"] == 3 and out.icmp["code"] == 2 and not out.errors
    # The offending header exactly as received, then the first 8 octets of its payload.
    assert out.payload == packet[:28]
    assert out.ip["src"] == US and out.ip["dst"] == PEER and out.ip["ttl"] == 64
    assert h.dropped["unknown-protocol"] == 1


@pytest.mark.parametrize(
    "frame",
    [
        # A broadcast datagram to a closed port.
        ethernet(
            "ff-ff-ff-ff-ff-ff",
            PEER_MAC,
            0x800,
            ipv4(PEER, "255.255.255.255", 17, udp(PEER, "255.255.255.255", 1, 2, b"")),
        ),
        ethernet("ff-ff-ff-ff-ff-ff", PEER_MAC, 0x800, ipv4(PEER, "192.168.69.255", 253, b"x" * 8)),
        # IP broadcasts in unicast frames: the IP destination alone rules out an error.
        to_us(ipv4(PEER, "192.168.69.255", 253, b"x" * 8)),
        to_us(ipv4(PEER, "255.255.255.255", 17, udp(PEER, "255.255.255.255", 1, 2, b""))),
        to_us(ipv4(PEER, "192.168.69.255", 17, udp(PEER, "192.168.69.255", 1, 2, b""))),
        # A non-first fragment and a first fragment (held for reassembly, no error).
        to_us(ipv4(PEER, US, 17, udp(PEER, US, 1, 2, b"x" * 8), flags_frag=0x0004)),
        to_us(ipv4(PEER, US, 17, udp(PEER, US, 1, 2, b"x" * 16), flags_frag=0x2000)),
        # An ICMP error about something we sent: never answered with an error.
        to_us(
            ipv4(
                PEER,
                US,
                1,
                icmp_message(3, 3, b"\0" * 4 + ipv4(US, PEER, 17, udp(US, PEER, 1, 2, b""))),
            )
        ),
    ],
    ids=[
        "udp-broadcast",
        "proto-broadcast",
        "proto-subnet-broadcast-unicast-mac",
        "udp-broadcast-unicast-mac",
        "udp-subnet-broadcast-unicast-mac",
        "last-fragment",
        "first-fragment",
        "icmp-error",
    ],
)
def test_no_icmp_error_is_sent(frame: bytes) -> None:
    h = known_peer()
    assert h.feed(frame) == []
    assert h.iface.counters.icmp_errors_sent == 0
    assert h.iface.counters.icmp_errors_rate_limited == 0


@pytest.mark.parametrize("flags_frag", [0x2000, 0x0004, 0x2004], ids=["first", "last", "middle"])
def test_a_lone_fragment_waits_for_the_rest(flags_frag: int) -> None:
    h = known_peer()
    sock = udp_socket(h, 2)
    frame = to_us(ipv4(PEER, US, 17, udp(PEER, US, 1, 2, b"x" * 8), flags_frag=flags_frag))
    assert h.feed(frame) == []
    assert not h.dropped
    assert len(h.iface.reassembler) == 1
    assert not sock.can_recv()


def test_icmp_errors_are_rate_limited() -> None:
    h = known_peer(icmp_error_burst=3, icmp_error_interval=Duration.from_millis(100))
    closed = to_us(ipv4(PEER, US, 17, udp(PEER, US, 1, 2, b"")))
    assert sum(len(h.feed(closed)) for _ in range(5)) == 3
    assert h.iface.counters.icmp_errors_rate_limited == 2
    # One token comes back per 100 ms.
    assert len(h.feed(closed, at=Instant.from_millis(100))) == 1
    assert len(h.feed(closed)) == 0
    assert len(h.feed(closed, at=Instant.from_secs(10))) == 1
    # A long silence refills the bucket to its size, no further.
    assert sum(len(h.feed(closed, at=Instant.from_secs(50))) for _ in range(10)) == 3


def test_tcp_to_a_closed_port_gets_rst_per_rfc_9293() -> None:
    h = known_peer()
    # A SYN (no ACK): <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; the SYN counts one.
    (out,) = h.decode(h.feed(to_us(ipv4(PEER, US, 6, tcp(PEER, US, 5000, 81, 1000, flags="S")))))
    assert not out.errors
    assert out.tcp == dict(sport=81, dport=5000, seq=0, ack=1001, flags="RA", window=0)
    # With ACK and data: <SEQ=SEG.ACK><CTL=RST>.
    seg = tcp(PEER, US, 5000, 81, 1000, ack=777, flags="PA", payload=b"abc")
    (out,) = h.decode(h.feed(to_us(ipv4(PEER, US, 6, seg))))
    assert out.tcp["flags"] == "R" and out.tcp["seq"] == 777
    # A RST is never answered.
    assert h.feed(to_us(ipv4(PEER, US, 6, tcp(PEER, US, 5000, 81, 1, flags="R")))) == []
    assert h.iface.counters.rst_sent == 2


def test_tcp_rst_reply_function() -> None:
    from smoltcp.wire import Ipv4Repr, TcpControl, TcpRepr, TcpSeqNumber
    from smoltcp.wire.ipv4 import IpProtocol

    ip = Ipv4Repr(Ipv4Address(PEER), Ipv4Address(US), IpProtocol.TCP, 20, 64)
    fin = TcpRepr(1, 2, TcpControl.FIN, TcpSeqNumber(0xFFFFFFFF), None, 100)
    reply_ip, rst = tcp_rst_reply(ip, fin)  # type: ignore[misc]
    assert rst.ack_number == TcpSeqNumber(0) and rst.seq_number == 0
    assert reply_ip.src_addr == Ipv4Address(US) and rst.src_port == 2
    rst_in = TcpRepr(1, 2, TcpControl.RST, TcpSeqNumber(5), None, 0)
    assert tcp_rst_reply(ip, rst_in) is None


def udp_socket(h: Harness, port: int = 7000) -> UdpSocket:
    sock = UdpSocket(PacketBuffer(16, 8192), PacketBuffer(16, 8192))
    sock.bind(port)
    h.sockets.add(sock)
    return sock


def test_default_gateway_carries_off_link_traffic() -> None:
    h = Harness()
    h.iface.routes.add_default_ipv4_route(Ipv4Address("192.168.69.100"))
    sock = udp_socket(h)
    sock.send_to(b"far", ("8.8.8.8", 53))
    (req,) = h.decode(h.poll())
    assert req.arp["tpa"] == "192.168.69.100"
    gw_mac = "02-00-00-00-00-64"
    out = h.decode(
        h.feed(ethernet(h.mac, gw_mac, 0x806, arp(2, gw_mac, "192.168.69.100", h.mac, US)))
    )
    assert out[0].eth_dst == mac(gw_mac) and out[0].ip["dst"] == "8.8.8.8"


def test_longest_prefix_wins_and_no_route_is_counted() -> None:
    h = Harness()
    routes = h.iface.routes
    routes.add(IpCidr.parse("10.0.0.0/8"), Ipv4Address("192.168.69.10"))
    routes.add(IpCidr.parse("10.1.0.0/16"), Ipv4Address("192.168.69.11"))
    assert routes.lookup(Ipv4Address("10.1.2.3"), h.now) == Ipv4Address("192.168.69.11")
    assert routes.lookup(Ipv4Address("10.2.2.3"), h.now) == Ipv4Address("192.168.69.10")
    sock = udp_socket(h)
    sock.send_to(b"x", ("10.1.9.9", 1))
    (req,) = h.decode(h.poll())
    assert req.arp["tpa"] == "192.168.69.11"
    sock.send_to(b"x", ("172.16.0.1", 1))
    assert h.poll() == []
    assert h.dropped["no-route"] == 1
    routes.remove(IpCidr.parse("10.1.0.0/16"))
    assert routes.lookup(Ipv4Address("10.1.2.3"), h.now) == Ipv4Address("192.168.69.10")


def test_route_expiry() -> None:
    h = Harness()
    h.iface.routes.add(
        IpCidr.parse("10.0.0.0/8"), Ipv4Address("192.168.69.10"), Instant.from_secs(5)
    )
    assert h.iface.routes.lookup(Ipv4Address("10.0.0.1"), Instant.from_secs(4)) is not None
    assert h.iface.routes.lookup(Ipv4Address("10.0.0.1"), Instant.from_secs(5)) is None
    # The interface follows: once the route lapses, packets to 10/8 have no route.
    h.iface.routes.add_default_ipv4_route(Ipv4Address("192.168.69.100"))
    sock = udp_socket(h)
    sock.send_to(b"x", ("10.0.0.1", 9))
    assert h.decode(h.poll(Instant.from_secs(4)))[0].arp["tpa"] == "192.168.69.10"
    sock.send_to(b"x", ("10.0.0.1", 9))
    asked = {f.arp["tpa"] for f in h.decode(h.poll(Instant.from_secs(5)))}
    assert asked == {"192.168.69.10", "192.168.69.100"}  # a retry for the first, and the gateway


def test_packets_for_other_hosts_and_macs_are_dropped() -> None:
    h = known_peer()
    assert h.feed(to_us(ipv4(PEER, "192.168.69.77", 1, icmp_echo(1, 1)))) == []
    assert h.dropped["not-for-us-ipv4"] == 1
    assert h.feed(to_us(ipv4(PEER, US, 1, icmp_echo(1, 1)), dst_mac=mac("02-00-00-00-00-99"))) == []
    assert h.dropped["not-for-us-ethernet"] == 1
    assert h.feed(to_us(ipv4(PEER, US, 1, icmp_echo(1, 1)), dst_mac=mac("01-00-5e-00-00-01"))) == []
    assert h.feed(to_us(ipv4(PEER, "224.0.0.1", 1, icmp_echo(1, 1)))) == []
    assert h.dropped["multicast"] == 2
    # RFC 1122 3.2.1.3: no broadcast, multicast or class E source, nor our subnet broadcast.
    for source in ("255.255.255.255", "224.0.0.5", "240.0.0.1", "192.168.69.255"):
        assert h.feed(to_us(ipv4(source, US, 1, icmp_echo(1, 1)))) == []
    assert h.dropped["bad-source"] == 4


def test_a_loopback_source_is_dropped_and_never_answered() -> None:
    # RFC 1122 3.2.1.3: 127/8 never appears outside a host; Linux drops it as a martian.
    # The stack answered a SYN from 127.0.0.1 with a SYN-ACK to 127.0.0.1 on the wire (found
    # by fuzz/targets.py's app target).
    h = known_peer()
    listener = TcpSocket(64, 64)
    listener.listen(80)
    h.sockets.add(listener)
    for source in ("127.0.0.1", "127.1.2.3"):
        assert h.feed(to_us(ipv4(source, US, 6, tcp(source, US, 4000, 80, 1)))) == []
        assert h.feed(to_us(ipv4(source, US, 1, icmp_echo(1, 1)))) == []
        assert h.feed(to_us(ipv4(source, US, 17, udp(source, US, 4000, 9, b"x")))) == []
    assert h.dropped["bad-source"] == 6
    # A loopback interface (a device whose frames come back) takes its own 127/8 packets.
    lo = Harness(medium=Medium.IP, cidr="127.0.0.1/8")
    (out,) = lo.decode(lo.feed(ipv4("127.0.0.1", "127.0.0.1", 1, icmp_echo(1, 1))))
    assert out.ip["dst"] == "127.0.0.1" and out.icmp["type"] == 0


def test_ip_options_are_ignored() -> None:
    h = known_peer()
    packet = ipv4(PEER, US, 1, icmp_echo(9, 9, b"opt"), options=b"\x01\x01\x01\x00")
    (out,) = h.decode(h.feed(to_us(packet)))
    assert out.icmp["ident"] == 9 and out.payload == b"opt"


GOOD = ipv4(PEER, US, 1, icmp_echo(1, 1, b"abcd"))


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (b"\x02\x00\x00\x00\x00\x01\x02", "malformed-ethernet"),
        (ethernet("02-00-00-00-00-01", PEER_MAC, 0x0050, b"x" * 46), "unsupported-ethernet"),
        (ethernet("02-00-00-00-00-01", PEER_MAC, 0x8100, b"x" * 46), "unsupported-ethernet"),
        (ethernet("02-00-00-00-00-01", PEER_MAC, 0x86DD, b"x" * 46), "malformed-ipv6"),
        (ethernet("02-00-00-00-00-01", PEER_MAC, 0x88B5, b"x" * 46), "unsupported-ethertype"),
        (
            ethernet("ff-ff-ff-ff-ff-ff", PEER_MAC, 0x0806, b"\x00\x01\x08\x00\x06\x04\x00"),
            "malformed-arp",
        ),
        (
            ethernet("ff-ff-ff-ff-ff-ff", PEER_MAC, 0x0806, arp(1, PEER_MAC, PEER, ZERO, US)[:20]),
            "malformed-arp",
        ),
        (to_us(GOOD[:19]), "malformed-ipv4"),
        (to_us(ipv4(PEER, US, 1, icmp_echo(1, 1), version_ihl=0x44)), "malformed-ipv4"),
        (to_us(ipv4(PEER, US, 1, icmp_echo(1, 1), version_ihl=0x35)), "malformed-ipv4"),
        (to_us(ipv4(PEER, US, 1, icmp_echo(1, 1), total_len=200)), "malformed-ipv4"),
        (to_us(ipv4(PEER, US, 1, icmp_echo(1, 1), checksum=0x1234)), "checksum-ipv4"),
        (to_us(ipv4(PEER, US, 1, b"\x08\x00")), "malformed-icmpv4"),
        (
            to_us(ipv4(PEER, US, 1, icmp_message(8, 0, b"\0\1\0\1abc", checksum=7))),
            "checksum-icmpv4",
        ),
        (to_us(ipv4(PEER, US, 17, b"\x00\x01\x00")), "malformed-udp"),
        (to_us(ipv4(PEER, US, 17, struct.pack("!HHHH", 1, 2, 99, 0) + b"abc")), "malformed-udp"),
        (to_us(ipv4(PEER, US, 17, udp(PEER, US, 1, 2, b"abc", checksum=0x5555))), "checksum-udp"),
        (to_us(ipv4(PEER, US, 6, b"\x00" * 12)), "malformed-tcp"),
        (
            to_us(ipv4(PEER, US, 6, tcp(PEER, US, 1, 2, 3)[:16] + b"\x12\x34\x00\x00")),
            "checksum-tcp",
        ),
    ],
)
def test_malformed_frames_are_dropped_and_counted(frame: bytes, reason: str) -> None:
    h = known_peer()
    assert h.feed(frame) == []
    assert h.dropped == {reason: 1}, h.dropped
    # The interface still works afterwards.
    assert len(h.feed(to_us(GOOD))) == 1


def test_random_garbage_never_raises() -> None:
    import random

    rng = random.Random(1)
    h = known_peer()
    good = to_us(ipv4(PEER, US, 17, udp(PEER, US, 1, 2, b"abcdefgh")))
    for _ in range(500):
        frame = bytearray(good)
        for _ in range(rng.randrange(1, 4)):
            frame[rng.randrange(len(frame))] = rng.randrange(256)
        h.feed(bytes(frame[: rng.randrange(1, len(frame) + 1)]))
    assert h.iface.counters.received == 501
    assert h.dropped["internal-error"] == 0


def test_checksums_not_verified_when_the_device_does_it() -> None:
    dev = TestingDevice(checksum=ChecksumCapabilities.ignored())
    h = known_peer(device=dev)
    frame = to_us(ipv4(PEER, US, 1, icmp_message(8, 0, b"\0\1\0\1", checksum=1), checksum=2))
    (out,) = h.feed(frame)
    # Nothing is computed on transmit either: the device fills the checksums.
    assert out[14 + 10 : 14 + 12] == b"\0\0"


def test_ip_medium_echo() -> None:
    h = Harness(medium=Medium.IP)
    (out,) = h.decode(h.feed(ipv4(PEER, US, 1, icmp_echo(3, 4, b"tun"))))
    assert out.icmp["type"] == 0 and out.payload == b"tun" and not out.errors
    # An IPv6 packet on a TUN device without an IPv6 address: not for us.
    h.feed(b"\x60" + b"\0" * 39)
    assert h.dropped["no-ipv6-address"] == 1


def test_oversized_datagram_leaves_in_fragments() -> None:
    h = known_peer()
    sock = UdpSocket(PacketBuffer(4, 4000), PacketBuffer(4, 4000))
    sock.bind(7)
    h.sockets.add(sock)
    sock.send_to(b"x" * 1473, (PEER, 9))  # 20 + 8 + 1473 > 1500: two fragments
    sock.send_to(b"x" * 1472, (PEER, 9))
    frames = h.poll()
    assert len(frames) == 3
    assert len(h.decode(frames[2:])[0].payload) == 1472
    assert h.dropped["too-big"] == 0


def test_device_without_tx_buffers_keeps_sockets_waiting() -> None:
    h = known_peer()
    sock = udp_socket(h)
    sock.send_to(b"1", (PEER, 9))
    sock.send_to(b"2", (PEER, 9))
    h.device.tx_budget = 1
    assert len(h.poll()) == 1
    assert h.iface.poll_delay(h.now, h.sockets) == Duration.ZERO
    h.device.tx_budget = None
    assert h.decode(h.poll())[0].payload == b"2"
    assert h.iface.poll_at(h.now, h.sockets) is None


def test_poll_returns_whether_anything_happened() -> None:
    h = known_peer()
    assert h.iface.poll(h.now, h.device, h.sockets) is False
    h.device.push(to_us(GOOD))
    assert h.iface.poll(h.now, h.device, h.sockets) is True


def test_counters_count_frames_in_and_out() -> None:
    h = Harness()
    c = h.iface.counters
    h.feed(ethernet("ff-ff-ff-ff-ff-ff", PEER_MAC, 0x0806, arp(1, PEER_MAC, PEER, ZERO, US)))
    assert (c.received, c.sent, c.arp_replies_sent) == (1, 1, 1)
    h.feed(to_us(GOOD), to_us(GOOD[:19]))
    assert (c.received, c.sent, c.icmp_echo_replies_sent) == (3, 2, 1)
    assert c.total_dropped() == 1
    sock = udp_socket(h)
    sock.send_to(b"x", ("192.168.69.3", 9))  # waits for ARP: the request is sent
    h.poll()
    assert (c.sent, c.arp_requests_sent, c.queued_for_arp) == (3, 1, 1)


def test_ingress_is_bounded_per_poll() -> None:
    dev = TestingDevice(max_burst_size=3)
    h = known_peer(device=dev)
    h.device.take()
    for _ in range(5):
        dev.push(to_us(GOOD))
    assert len(h.poll()) == 3
    assert len(h.poll()) == 2


def test_configuration_errors() -> None:
    with pytest.raises(ValueError):
        Interface(Config(), TestingDevice(), Instant.ZERO)  # Ethernet needs a MAC
    for group in ("01-00-5e-00-00-01", "ff-ff-ff-ff-ff-ff"):
        with pytest.raises(ValueError):  # ... and a unicast one
            Interface(Config(EthernetAddress.parse(group)), TestingDevice(), Instant.ZERO)
    with pytest.raises(TypeError):
        Interface(object(), TestingDevice(), Instant.ZERO)  # type: ignore[arg-type]
    iface = Interface(
        Config(EthernetAddress.parse("02-00-00-00-00-01")), TestingDevice(), Instant.ZERO
    )
    with pytest.raises(TypeError):
        iface.update_ip_addrs(lambda a: a.append("10.0.0.1/8"))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("0.0.0.0/8")))
    with pytest.raises(ValueError):
        Config(hop_limit=0)
    assert iface.poll_at(Instant.ZERO, SocketSet()) is None


def test_address_change_takes_effect() -> None:
    h = known_peer()
    h.iface.update_ip_addrs(lambda a: a.__setitem__(0, IpCidr.parse("192.168.69.5/24")))
    assert h.feed(to_us(GOOD)) == []  # no longer ours
    ping = to_us(ipv4(PEER, "192.168.69.5", 1, icmp_echo(1, 1)))
    (out,) = h.decode(h.feed(ping))
    assert out.ip["src"] == "192.168.69.5"
    assert h.iface.context.has_ip_addr(Ipv4Address("192.168.69.5"))


def test_next_hops_follow_address_and_hardware_changes() -> None:
    h = known_peer()
    h.iface.routes.add_default_ipv4_route(Ipv4Address("192.168.69.100"))
    sock = udp_socket(h)
    sock.send_to(b"x", ("10.1.1.1", 9))
    assert h.decode(h.poll())[0].arp["tpa"] == "192.168.69.100"  # off-link: the gateway
    h.iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("10.0.0.1/8")))
    sock.send_to(b"x", ("10.1.1.1", 9))
    asked = {f.arp["tpa"]: f.arp["spa"] for f in h.decode(h.poll(Instant.from_secs(2)))}
    assert asked["10.1.1.1"] == "10.0.0.1"  # now on-link, asked from the new address
    new_mac = "02-00-00-00-00-0a"
    h.iface.set_hardware_addr(EthernetAddress.parse(new_mac))
    sock.send_to(b"y", (PEER, 9))
    out = h.decode(h.poll())
    assert {f.eth_src for f in out} == {mac(new_mac)}
    assert [f.payload for f in out if f.arp is None] == [b"y"]
    # Both IPv4 addresses are announced with the new MAC (RFC 5227 2.3).
    announced = {f.arp["spa"] for f in out if f.arp is not None}
    assert announced == {"192.168.69.1", "10.0.0.1"}
    with pytest.raises(ValueError):
        h.iface.set_hardware_addr(EthernetAddress.parse("01-00-5e-00-00-01"))


def test_sockets_drop_what_they_cannot_send_from_an_address() -> None:
    h = Harness(cidr="")
    h.iface.neighbor_cache.fill(Ipv4Address(PEER), EthernetAddress.parse(PEER_MAC), h.now)
    sock = udp_socket(h)
    sock.send_to(b"x", (PEER, 9))
    icmp = IcmpSocket(PacketBuffer(2, 64), PacketBuffer(2, 64))
    icmp.bind(1)
    h.sockets.add(icmp)
    icmp.send_to(icmp_echo(1, 1), Ipv4Address(PEER))
    assert h.poll() == []
    assert sock.tx_dropped == 1 and icmp.tx_dropped == 1
    assert h.iface.poll_at(h.now, h.sockets) is None


def test_a_failing_socket_is_counted_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(UdpSocket):
        def process(self, cx: object, now: Instant, ip_repr: object, repr: object) -> None:
            raise RuntimeError("bug")

    h = known_peer(strict=False)
    sock = Broken(PacketBuffer(1, 64), PacketBuffer(1, 64))
    sock.bind(2)
    h.sockets.add(sock)
    assert h.feed(to_us(ipv4(PEER, US, 17, udp(PEER, US, 1, 2, b"")))) == []
    assert h.dropped["internal-error"] == 1
    assert any("unexpected error" in r.getMessage() for r in caplog.records)
    # The next frame is handled normally.
    assert len(h.feed(to_us(GOOD))) == 1


def test_structured_random_frames_never_hit_an_internal_error() -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    h = known_peer()
    sock = udp_socket(h, 7)
    ports = st.integers(0, 65535)
    bodies = st.one_of(
        st.tuples(st.sampled_from([1, 6, 17, 253]), st.binary(max_size=80)),
        st.builds(
            lambda a, b, d: (17, udp(PEER, US, a, b, d)),
            ports,
            st.sampled_from([7, 9]),
            st.binary(max_size=40),
        ),
        st.builds(
            lambda t, c, rest: (1, icmp_message(t, c, rest)),
            st.sampled_from([0, 3, 5, 8, 11, 12, 13, 42]),
            st.integers(0, 20),
            st.one_of(
                st.binary(max_size=40),
                st.builds(
                    lambda q: b"\0\0\0\0" + q[:28],
                    st.sampled_from(
                        [ipv4(US, PEER, 17, udp(US, PEER, 7, 9, b"")), ipv4(US, PEER, 6, b"x" * 8)]
                    ),
                ),
            ),
        ),
        st.builds(
            lambda a, b, seq, ack, flags, d: (6, tcp(PEER, US, a, b, seq, ack, flags, payload=d)),
            ports,
            ports,
            st.integers(0, 2**32 - 1),
            st.integers(0, 2**32 - 1),
            st.sampled_from(["S", "SA", "A", "R", "RA", "F", "FA", "PA", ""]),
            st.binary(max_size=20),
        ),
    )
    frames = st.builds(
        lambda pb, ttl, ff, dst, bcast: ethernet(
            "ff-ff-ff-ff-ff-ff" if bcast else "02-00-00-00-00-01",
            PEER_MAC,
            0x0800,
            ipv4(PEER, dst, pb[0], pb[1], ttl=ttl, flags_frag=ff),
        ),
        bodies,
        st.integers(0, 255),
        st.sampled_from([0, 0x4000, 0x2000, 0x0001]),
        st.sampled_from([US, US, "192.168.69.255", "255.255.255.255", "192.168.69.3"]),
        st.booleans(),
    )

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(frames)
    def check(frame: bytes) -> None:
        h.feed(frame)  # strict: raises if the interface swallowed an unexpected exception
        while sock.can_recv():
            sock.recv_from()

    check()
