"""`Interface.poll` never raises for what the network sends: hypothesis over every layer.

Frames are built layer by layer, each layer either well formed or broken in one field
(lengths, versions, checksums, truncation), with sockets of every non-TCP kind bound, ARP
resolutions pending and time moving, on both media. The harness is strict: an exception
swallowed inside `poll` (counted as ``internal-error``) fails the test, so a bug cannot
hide behind the catch-all.
"""

from __future__ import annotations

import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smoltcp.stack.socket import IcmpEndpoint, IcmpSocket, RawIpSocket, UdpSocket
from smoltcp.stack.storage import PacketBuffer
from smoltcp.stack.testing import Harness, arp, ethernet, icmp_message, ipv4, mac, tcp, udp
from smoltcp.stack.time import Duration
from smoltcp.wire import (
    EthernetAddress,
    Icmpv6Message,
    Icmpv6Repr,
    IpCidr,
    IpEndpoint,
    IpProtocol,
    Ipv4Address,
    Ipv6Address,
    Ipv6OptionRepr,
    Ipv6OptionType,
    Ipv6Repr,
    Medium,
    NdpRepr,
)
from smoltcp.wire.ipv6ext import emit_options_header, options_header_len

US = "192.168.69.1"
PEER = "192.168.69.2"
US_MAC = "02-00-00-00-00-01"
PEER_MAC = "02-00-00-00-00-02"

addresses = st.one_of(
    st.sampled_from(
        [US, PEER, "192.168.69.255", "255.255.255.255", "0.0.0.0", "224.0.0.1", "10.0.0.9"]
    ),
    st.binary(min_size=4, max_size=4),
)
ports = st.one_of(st.sampled_from([0, 7, 53, 4000, 7000]), st.integers(0, 65535))


def _transport(src: object, dst: object) -> st.SearchStrategy[tuple[int, bytes]]:
    """(protocol, payload): a UDP, TCP or ICMP message, or random octets of any protocol."""
    quoted = st.builds(
        lambda proto, sport: ipv4(US, PEER, proto, udp(US, PEER, sport, 53, b"q"))[:28],
        st.sampled_from([17, 1, 6]),
        ports,
    )
    return st.one_of(
        st.tuples(st.integers(0, 255), st.binary(max_size=64)),
        st.builds(
            lambda a, b, d, cs: (17, udp(src, dst, a, b, d, checksum=cs)),
            ports,
            ports,
            st.binary(max_size=48),
            st.one_of(st.none(), st.integers(0, 0xFFFF)),
        ),
        st.builds(
            lambda t, c, rest, cs: (1, icmp_message(t, c, rest, checksum=cs)),
            st.sampled_from([0, 3, 4, 5, 8, 11, 12, 13, 14, 255]),
            st.integers(0, 16),
            st.one_of(
                st.binary(max_size=48),
                st.builds(lambda q, w: w + q, quoted, st.binary(min_size=4, max_size=4)),
            ),
            st.one_of(st.none(), st.integers(0, 0xFFFF)),
        ),
        st.builds(
            lambda a, b, seq, flags, opts, d: (
                6,
                tcp(src, dst, a, b, seq, seq, flags, payload=d, options=opts),
            ),
            ports,
            ports,
            st.integers(0, 2**32 - 1),
            st.sampled_from(["S", "SA", "A", "R", "RA", "FA", "PA", "", "FSRPAU"]),
            st.sampled_from(
                [b"", b"\x02\x04\x05\xb4", b"\x01\x01\x08\x0a" + bytes(8), b"\xff" * 4]
            ),
            st.binary(max_size=16),
        ),
    )


@st.composite
def ipv4_packets(draw: st.DrawFn) -> bytes:
    """An IPv4 packet, well formed or broken in one header field, possibly truncated."""
    src = draw(addresses)
    dst = draw(addresses)
    proto, payload = draw(_transport(src, dst))
    options = draw(st.sampled_from([b"", b"\x01\x01\x01\x00", b"\x94\x04\x00\x00", b"\x07" * 8]))
    broken = draw(st.sampled_from(["", "", "", "version_ihl", "total_len", "checksum"]))
    packet = ipv4(
        src,
        dst,
        proto,
        payload,
        ttl=draw(st.integers(0, 255)),
        ident=draw(st.integers(0, 0xFFFF)),
        flags_frag=draw(st.sampled_from([0x4000, 0x0000, 0x2000, 0x0004, 0x2004, 0x8000])),
        options=options,
        version_ihl=draw(st.integers(0, 255)) if broken == "version_ihl" else None,
        total_len=draw(st.integers(0, 0xFFFF)) if broken == "total_len" else None,
        checksum=draw(st.integers(0, 0xFFFF)) if broken == "checksum" else None,
    )
    cut = draw(st.one_of(st.none(), st.integers(0, len(packet))))
    return packet if cut is None else packet[:cut]


US6 = "fdaa::1"
addresses6 = st.one_of(
    st.sampled_from(
        [US6, "fdaa::100", "fe80::ff:fe00:1", "fe80::2", "ff02::1", "ff02::1:ff00:1", "::", "::1"]
    ).map(Ipv6Address),
    st.binary(min_size=16, max_size=16).map(Ipv6Address),
)


@st.composite
def _icmpv6(draw: st.DrawFn, src: Ipv6Address, dst: Ipv6Address) -> bytes:
    """An ICMPv6 message with a right checksum: echo, NS, NA, or any type with random data."""
    kind = draw(st.sampled_from(["echo", "ns", "na", "mld", "other"]))
    target = draw(addresses6)
    ll = draw(st.one_of(st.none(), st.just(EthernetAddress.parse(PEER_MAC))))
    msg: Icmpv6Repr | NdpRepr
    if kind == "echo":
        msg = Icmpv6Repr.echo_request(draw(ports), draw(ports), draw(st.binary(max_size=32)))
    elif kind == "ns":
        msg = NdpRepr(Icmpv6Message.NEIGHBOR_SOLICIT, target, source_ll_addr=ll)
    elif kind == "na":
        flags = draw(st.tuples(st.booleans(), st.booleans()))
        msg = NdpRepr(
            Icmpv6Message.NEIGHBOR_ADVERT,
            target,
            target_ll_addr=ll,
            solicited=flags[0],
            override=flags[1],
        )
    elif kind == "mld":
        # A query of MLDv1's or MLDv2's length, or one in between, or sources past the end.
        body = draw(st.binary(min_size=20, max_size=44))
        msg = Icmpv6Repr(Icmpv6Message.MLD_QUERY, 0, 0, 0, body)
    else:
        msg = Icmpv6Repr(
            Icmpv6Message(draw(st.integers(0, 255))), 0, 0, 0, draw(st.binary(max_size=48))
        )
    buf = bytearray(msg.buffer_len())
    msg.emit_buffer(buf, src, dst)
    return bytes(buf)


@st.composite
def ipv6_packets(draw: st.DrawFn) -> bytes:
    """An IPv6 packet: any addresses and hop limit, a chain of extension headers (well formed
    or not), then ICMPv6, UDP/TCP octets or anything; maybe a wrong length or truncated."""
    src = draw(addresses6)
    dst = draw(addresses6)
    upper = draw(
        st.one_of(
            st.tuples(st.just(58), _icmpv6(src, dst)),
            st.tuples(st.sampled_from([6, 17, 59, 253]), st.binary(max_size=48)),
        )
    )
    nh, body = upper
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from([0, 60, 43, 44, 0xFF]))
        if kind in (0, 60):
            opts = tuple(
                Ipv6OptionRepr(Ipv6OptionType(t), d)
                for t, d in draw(
                    st.lists(
                        st.tuples(
                            st.sampled_from([1, 5, 0x1E, 0x5E, 0x9E, 0xDE]),
                            st.binary(max_size=6),
                        ),
                        max_size=2,
                    )
                )
            )
            header = bytearray(options_header_len(opts))
            emit_options_header(header, nh, opts)
        elif kind == 43:
            header = bytearray([nh, 0, draw(st.integers(0, 4)), draw(st.integers(0, 2))]) + bytes(4)
        elif kind == 44:
            header = bytearray([nh, 0]) + draw(st.binary(min_size=6, max_size=6))
        else:
            kind = draw(st.sampled_from([0, 60, 43]))
            header = bytearray([nh, draw(st.integers(0, 255))]) + draw(st.binary(max_size=14))
        body = bytes(header) + body
        nh = kind
    plen = len(body)
    if draw(st.integers(0, 5)) == 0:
        plen = draw(st.integers(0, 0xFFFF))
    hop = draw(st.sampled_from([255, 255, 64, 1, 0]))
    header = bytearray(40)
    Ipv6Repr(src, dst, IpProtocol(nh), plen, hop).emit_buffer(header)
    packet = bytes(header) + body
    cut = draw(st.one_of(st.none(), st.none(), st.integers(0, len(packet))))
    return packet if cut is None else packet[:cut]


@st.composite
def arp_packets(draw: st.DrawFn) -> bytes:
    """An ARP packet with any operation and addresses; some with foreign hardware or lengths."""
    packet = arp(
        draw(st.integers(0, 4)),
        draw(
            st.one_of(
                st.sampled_from([mac(PEER_MAC), b"\xff" * 6, b"\0" * 6]),
                st.binary(min_size=6, max_size=6),
            )
        ),
        draw(addresses),
        draw(st.binary(min_size=6, max_size=6)),
        draw(addresses),
    )
    if draw(st.booleans()):
        # Another hardware type, protocol type or address lengths.
        offset, fmt = draw(st.sampled_from([(0, "!H"), (2, "!H"), (4, "!B"), (5, "!B")]))
        value = draw(st.integers(0, 0xFF if fmt == "!B" else 0xFFFF))
        packet = packet[:offset] + struct.pack(fmt, value) + packet[offset + struct.calcsize(fmt) :]
    cut = draw(st.one_of(st.none(), st.integers(0, len(packet))))
    return packet if cut is None else packet[:cut]


@st.composite
def ethernet_frames(draw: st.DrawFn) -> bytes:
    """An Ethernet frame to us, broadcast, multicast or elsewhere, of any EtherType."""
    dst = draw(
        st.sampled_from(
            [
                US_MAC,
                US_MAC,
                "ff-ff-ff-ff-ff-ff",
                "01-00-5e-00-00-01",
                "02-00-00-00-00-99",
                "33-33-00-00-00-01",
                "33-33-ff-00-00-01",
            ]
        )
    )
    src = draw(st.one_of(st.just(mac(PEER_MAC)), st.binary(min_size=6, max_size=6)))
    ethertype, payload = draw(
        st.one_of(
            st.tuples(st.just(0x0800), ipv4_packets()),
            st.tuples(st.just(0x0806), arp_packets()),
            st.tuples(st.just(0x86DD), ipv6_packets()),
            st.tuples(
                st.sampled_from([0x86DD, 0x8100, 0x88A8, 0x05DC, 0x0600, 0x0000, 0xFFFF]),
                st.binary(max_size=64),
            ),
        )
    )
    frame = ethernet(mac(dst), src, ethertype, payload)
    cut = draw(st.one_of(st.none(), st.none(), st.integers(0, len(frame))))
    return frame if cut is None else frame[:cut]


def _harness(medium: Medium) -> tuple[Harness, list[UdpSocket | IcmpSocket | RawIpSocket]]:
    # SLAAC on: router advertisements, a tentative link-local address and MLD reports too.
    h = Harness(medium=medium, neighbor_cache_capacity=4, arp_queue_total=8, slaac=True)
    h.iface.routes.add_default_ipv4_route(Ipv4Address("192.168.69.100"))
    h.iface.update_ip_addrs(lambda addrs: addrs.append(IpCidr.parse(f"{US6}/64")))
    h.iface.add_ip_addr(IpCidr.parse("fdaa::5/64"), h.now, probe=True)  # tentative a while
    h.iface.join_multicast_group(Ipv6Address("ff12::4242"), h.now)
    socks: list[UdpSocket | IcmpSocket | RawIpSocket] = []
    for port in (7, 53, 7000):
        s = UdpSocket(PacketBuffer(4, 512), PacketBuffer(4, 512))
        s.bind(port)
        socks.append(s)
    for ep in (IcmpEndpoint.ident(1), IcmpEndpoint.udp(IpEndpoint(None, 4000))):
        s2 = IcmpSocket(PacketBuffer(4, 512), PacketBuffer(4, 512))
        s2.bind(ep)
        socks.append(s2)
    socks.extend(
        RawIpSocket(version, proto, PacketBuffer(4, 512), PacketBuffer(4, 512))
        for version, proto in ((4, 17), (4, 253), (6, 17), (6, 58), (6, 253))
    )
    for s in socks:
        h.sockets.add(s)
    return h, socks


def _drain(socks: list[UdpSocket | IcmpSocket | RawIpSocket]) -> None:
    for s in socks:
        while s.can_recv():
            s.recv()


# An event: a frame from the network, time passing, or one of our sockets sending somewhere.
events = st.one_of(
    ethernet_frames(),
    st.integers(0, 70_000).map(Duration.from_millis),
    st.tuples(addresses, ports),
    st.tuples(addresses6, ports),
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(events, min_size=1, max_size=8))
def test_ethernet_interface_never_raises(script: list[object]) -> None:
    h, socks = _harness(Medium.ETHERNET)
    sender = socks[0]
    for event in script:
        if isinstance(event, bytes):
            h.feed(event)  # strict: raises if poll swallowed an unexpected exception
        elif isinstance(event, Duration):
            h.poll(h.now + event)
        else:
            addr, port = event  # type: ignore[misc]
            if not isinstance(addr, Ipv6Address):
                addr = Ipv4Address(addr if isinstance(addr, str) else bytes(addr))
            if port and not addr.is_unspecified and sender.can_send():
                sender.send_to(b"out", IpEndpoint(addr, port))
            h.poll()
        _drain(socks)
        delay = h.iface.poll_delay(h.now, h.sockets)
        assert delay is None or delay >= Duration.ZERO


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(
        st.one_of(ipv4_packets(), ipv6_packets(), st.binary(max_size=64)), min_size=1, max_size=6
    )
)
def test_ip_interface_never_raises(packets: list[bytes]) -> None:
    h, socks = _harness(Medium.IP)
    for packet in packets:
        h.feed(packet)
        _drain(socks)
    assert h.iface.counters.received == len(packets)
