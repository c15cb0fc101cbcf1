"""IPv6 on the interface: echo to the global and link-local addresses, neighbour solicitations
answered, advertisements learned, RFC 8200 extension-header rules, and bad input as counted
drops. scapy builds the frames and dissects the answers (an independent oracle)."""

from __future__ import annotations

import pytest
from scapy.layers.inet import UDP
from scapy.layers.inet6 import (
    HBHOptUnknown,
    ICMPv6DestUnreach,
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    ICMPv6ND_RA,
    ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptPrefixInfo,
    ICMPv6NDOptSrcLLAddr,
    ICMPv6ParamProblem,
    IPv6,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
)
from scapy.layers.l2 import Ether

from smoltcp.stack.iface.dad import DadConfig
from smoltcp.stack.socket import IcmpEndpoint, IcmpSocket, UdpSocket
from smoltcp.stack.storage import PacketBuffer
from smoltcp.stack.testing import Harness
from smoltcp.stack.time import Duration
from smoltcp.wire import EthernetAddress, IpEndpoint, Ipv6Address, Medium

US_MAC = "02:00:00:00:00:01"
PEER_MAC = "02:00:00:00:00:02"
US = "fdaa::1"
US_LL = "fe80::ff:fe00:1"  # modified EUI-64 of 02-00-00-00-00-01
PEER = "fdaa::100"


def harness() -> Harness:
    return Harness(cidr=f"{US}/64")


def frame(ip: IPv6, dst_mac: str = US_MAC) -> bytes:
    return bytes(Ether(src=PEER_MAC, dst=dst_mac) / ip)


def reply(out: bytes) -> Ether:
    pkt = Ether(out)
    # scapy recomputes the checksum on rebuild: the octets we sent must equal its build.
    again = Ether(out)
    del again[IPv6].payload.cksum
    assert bytes(again) == out, "bad ICMPv6 checksum"
    return pkt


def test_link_local_address_comes_from_the_mac() -> None:
    h = harness()
    assert h.iface.ipv6_addrs() == (Ipv6Address(US_LL), Ipv6Address(US))


@pytest.mark.parametrize("dst", [US, US_LL])
def test_echo_is_answered_on_global_and_link_local(dst: str) -> None:
    h = harness()
    src = PEER if dst == US else "fe80::2"
    req = IPv6(src=src, dst=dst) / ICMPv6EchoRequest(id=7, seq=3, data=b"hello v6")
    (out,) = h.feed(frame(req))
    pkt = reply(out)
    assert pkt.dst == PEER_MAC and pkt.type == 0x86DD
    assert (pkt[IPv6].src, pkt[IPv6].dst) == (dst, src)
    echo = pkt[ICMPv6EchoReply]
    assert (echo.id, echo.seq, echo.data) == (7, 3, b"hello v6")
    assert h.iface.counters.icmp_echo_replies_sent == 1


def test_neighbor_solicitation_is_answered_and_its_sender_learned() -> None:
    h = harness()
    group = str(Ipv6Address.solicited_node(Ipv6Address(US)))
    ns = (
        IPv6(src=PEER, dst=group, hlim=255)
        / ICMPv6ND_NS(tgt=US)
        / ICMPv6NDOptSrcLLAddr(lladdr=PEER_MAC)
    )
    (out,) = h.feed(frame(ns, dst_mac="33:33:ff:00:00:01"))
    pkt = reply(out)
    assert pkt.dst == PEER_MAC
    assert (pkt[IPv6].src, pkt[IPv6].dst, pkt[IPv6].hlim) == (US, PEER, 255)
    na = pkt[ICMPv6ND_NA]
    assert (na.tgt, na.R, na.S, na.O) == (US, 0, 1, 1)
    assert pkt[ICMPv6NDOptDstLLAddr].lladdr == US_MAC
    peer = h.iface.neighbor_cache.lookup(Ipv6Address(PEER), h.now)
    assert peer == EthernetAddress.parse(PEER_MAC.replace(":", "-"))


def test_duplicate_address_detection_probe_is_answered_to_all_nodes() -> None:
    h = harness()
    group = str(Ipv6Address.solicited_node(Ipv6Address(US)))
    ns = IPv6(src="::", dst=group, hlim=255) / ICMPv6ND_NS(tgt=US)
    (out,) = h.feed(frame(ns, dst_mac="33:33:ff:00:00:01"))
    pkt = reply(out)
    assert pkt.dst == "33:33:00:00:00:01" and pkt[IPv6].dst == "ff02::1"
    assert pkt[ICMPv6ND_NA].S == 0


def test_ndp_with_a_hop_limit_other_than_255_is_dropped() -> None:
    h = harness()
    ns = IPv6(src=PEER, dst=US, hlim=64) / ICMPv6ND_NS(tgt=US) / ICMPv6NDOptSrcLLAddr()
    assert h.feed(frame(ns)) == []
    assert h.dropped["ndp-hop-limit"] == 1
    na = IPv6(src=PEER, dst=US, hlim=254) / ICMPv6ND_NA(tgt=PEER) / ICMPv6NDOptDstLLAddr()
    assert h.feed(frame(na)) == []
    assert h.dropped["ndp-hop-limit"] == 2


def test_advertisement_updates_only_an_existing_entry() -> None:
    h = harness()
    na = (
        IPv6(src=PEER, dst=US, hlim=255)
        / ICMPv6ND_NA(tgt=PEER, S=1, O=1)
        / ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:00:09")
    )
    h.feed(frame(na))
    assert h.iface.neighbor_cache.lookup(Ipv6Address(PEER), h.now) is None
    ns = (
        IPv6(src=PEER, dst=US, hlim=255)
        / ICMPv6ND_NS(tgt=US)
        / ICMPv6NDOptSrcLLAddr(lladdr=PEER_MAC)
    )
    h.feed(frame(ns))
    h.feed(frame(na))
    new = EthernetAddress.parse("02-00-00-00-00-09")
    assert h.iface.neighbor_cache.lookup(Ipv6Address(PEER), h.now) == new


def test_unknown_next_header_gets_parameter_problem_code_1() -> None:
    h = harness()
    ip = IPv6(src=PEER, dst=US, nh=253) / b"whatever"
    (out,) = h.feed(frame(ip))
    pp = reply(out)[ICMPv6ParamProblem]
    assert (pp.code, pp.ptr) == (1, 6)
    assert h.dropped["unknown-protocol"] == 1


def test_unknown_option_types_act_by_their_two_high_bits() -> None:
    h = harness()

    def with_option(otype: int, dst: str = US) -> bytes:
        opt = HBHOptUnknown(otype=otype, optdata=b"\0\0")
        return frame(
            IPv6(src=PEER, dst=dst) / IPv6ExtHdrHopByHop(options=[opt]) / ICMPv6EchoRequest()
        )

    assert len(h.feed(with_option(0x1E))) == 1  # 00: skip, the echo is answered
    assert h.feed(with_option(0x5E)) == []  # 01: discard silently
    (out,) = h.feed(with_option(0x9E))  # 10: discard, Parameter Problem code 2
    pp = reply(out)[ICMPv6ParamProblem]
    assert (pp.code, pp.ptr) == (2, 42)
    (out,) = h.feed(with_option(0xDE))  # 11: the same to a unicast destination
    assert reply(out)[ICMPv6ParamProblem].code == 2
    assert h.dropped["unknown-ipv6-option"] == 3


def test_routing_header_with_segments_left_is_refused() -> None:
    h = harness()
    ip = IPv6(src=PEER, dst=US) / IPv6ExtHdrRouting(addresses=["fdaa::7"]) / ICMPv6EchoRequest()
    (out,) = h.feed(frame(ip))
    pp = reply(out)[ICMPv6ParamProblem]
    assert (pp.code, pp.ptr) == (0, 42)


def test_no_error_about_an_icmpv6_error() -> None:
    h = harness()
    opt = HBHOptUnknown(otype=0x9E, optdata=b"\0\0")
    err = ICMPv6ParamProblem(code=0, ptr=1) / IPv6(src=US, dst=PEER)
    ip = IPv6(src=PEER, dst=US) / IPv6ExtHdrHopByHop(options=[opt]) / err
    assert h.feed(frame(ip)) == []
    assert h.dropped["unknown-ipv6-option"] == 1


def test_icmpv6_errors_are_rate_limited() -> None:
    h = harness()
    ip = frame(IPv6(src=PEER, dst=US, nh=253) / b"x")
    sent = sum(len(h.feed(ip)) for _ in range(200))
    assert 0 < sent < 200
    assert h.iface.counters.icmp_errors_rate_limited == 200 - sent


def _hbh_bytes(body: bytes, nh: int = 58) -> bytes:
    return bytes([nh, (len(body) + 2) // 8 - 1]) + body


BAD = [
    ("truncated extension header", 0, bytes([58, 3, 1, 0])),
    ("option length past the packet", 0, _hbh_bytes(bytes([0x1E, 200]) + bytes(4))),
    ("a loop of hop-by-hop headers", 0, _hbh_bytes(bytes([1, 4]) + bytes(4), nh=0) * 2),
    ("fragment header twice", 44, bytes([44, 0, 0, 1, 0, 0, 0, 1]) * 2),
    ("truncated ipv6 header", None, b""),
]


@pytest.mark.parametrize(("why", "nh", "payload"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_a_counted_drop(why: str, nh: int | None, payload: bytes) -> None:
    h = harness()
    if nh is None:
        raw = (
            bytes(Ether(src=PEER_MAC, dst=US_MAC, type=0x86DD)) + bytes(IPv6(src=PEER, dst=US))[:30]
        )
    else:
        raw = frame(IPv6(src=PEER, dst=US, nh=nh) / payload)
    assert h.feed(raw) == []
    assert sum(v for k, v in h.dropped.items() if k.startswith("malformed-")) == 1, h.dropped
    assert h.dropped["internal-error"] == 0
    # Still answering afterwards.
    assert len(h.feed(frame(IPv6(src=PEER, dst=US) / ICMPv6EchoRequest()))) == 1


def test_a_lone_fragment_waits_for_the_rest() -> None:
    h = harness()
    ip = IPv6(src=PEER, dst=US) / IPv6ExtHdrFragment(m=1) / UDP() / (b"x" * 8)
    assert h.feed(frame(ip)) == []
    assert not h.dropped
    assert len(h.iface.reassembler) == 1


def test_multicast_for_other_groups_is_dropped() -> None:
    h = harness()
    ip = IPv6(src=PEER, dst="ff02::1:ff00:99", hlim=255) / ICMPv6ND_NS(tgt="fdaa::99")
    assert h.feed(frame(ip, dst_mac="33:33:ff:00:00:99")) == []
    assert h.dropped["multicast"] == 1


def test_a_loopback_source_is_dropped_and_never_answered() -> None:
    # RFC 4291 2.5.3: ::1 never leaves a node. The stack answered an echo request from ::1
    # with a reply to ::1 on the wire (found by fuzz/targets.py's app target).
    h = harness()
    for ip in (
        IPv6(src="::1", dst=US) / ICMPv6EchoRequest(id=1, seq=1),
        IPv6(src="::1", dst=US) / UDP(sport=4000, dport=9),
    ):
        assert h.feed(frame(ip)) == []
    assert h.dropped["bad-source"] == 2
    assert h.iface.counters.icmp_echo_replies_sent == 0


def test_an_ipv4_mapped_source_is_dropped_and_never_answered() -> None:
    # RFC 4291 2.5.5.2, RFC 4942 2.2: ::ffff:0:0/96 never appears on the wire (a forged one
    # passes IPv4 filters of a dual-stack peer). The stack answered such an echo request.
    h = harness()
    for ip in (
        IPv6(src="::ffff:192.0.2.1", dst=US) / ICMPv6EchoRequest(id=1, seq=1),
        IPv6(src="::ffff:192.0.2.1", dst=US) / UDP(sport=4000, dport=9),
    ):
        assert h.feed(frame(ip)) == []
    assert h.dropped["bad-source"] == 2
    assert h.iface.counters.icmp_echo_replies_sent == 0


def test_ip_medium_echo_over_ipv6() -> None:
    h = Harness(medium=Medium.IP, cidr=f"{US}/64")
    (out,) = h.feed(bytes(IPv6(src=PEER, dst=US) / ICMPv6EchoRequest(id=1, seq=2)))
    assert IPv6(out)[ICMPv6EchoReply].seq == 2


def test_ip_medium_answers_a_solicitation_with_a_link_layer_option_as_a_bare_packet() -> None:
    # The option names a link-layer address, but an IP medium has no link-layer header.
    h = Harness(medium=Medium.IP, cidr=f"{US}/64")
    ns = IPv6(src=PEER, dst=US, hlim=255) / ICMPv6ND_NS(tgt=US) / ICMPv6NDOptSrcLLAddr()
    (out,) = h.feed(bytes(ns))
    pkt = IPv6(out)
    assert (pkt.src, pkt.dst) == (US, PEER)
    assert pkt[ICMPv6ND_NA].tgt == US
    assert h.dropped["internal-error"] == 0


def test_default_router_is_resolved_by_ns_and_queued_datagrams_follow_its_na() -> None:
    h = harness()
    h.iface.routes.add_default_ipv6_route(Ipv6Address("fe80::1"))
    sock = UdpSocket(PacketBuffer(4, 1500), PacketBuffer(4, 1500))
    sock.bind(6000)
    h.sockets.add(sock)
    sock.send_to(b"far away", IpEndpoint(Ipv6Address("2001:db8::5"), 53))
    (ns,) = h.poll()
    pkt = reply(ns)
    assert pkt.dst == "33:33:ff:00:00:01" and pkt[IPv6].dst == "ff02::1:ff00:1"
    assert pkt[IPv6].src == US_LL and pkt[IPv6].hlim == 255
    assert pkt[ICMPv6ND_NS].tgt == "fe80::1"
    assert pkt[ICMPv6NDOptSrcLLAddr].lladdr == US_MAC
    na = (
        IPv6(src="fe80::1", dst=US_LL, hlim=255)
        / ICMPv6ND_NA(tgt="fe80::1", R=1, S=1, O=1)
        / ICMPv6NDOptDstLLAddr(lladdr=PEER_MAC)
    )
    (out,) = h.feed(frame(na))
    dgram = Ether(out)
    assert dgram.dst == PEER_MAC and dgram.type == 0x86DD
    assert (dgram[IPv6].src, dgram[IPv6].dst) == (US, "2001:db8::5")
    assert dgram[UDP].dport == 53 and bytes(dgram[UDP].payload) == b"far away"
    again = Ether(out)
    del again[UDP].chksum
    assert bytes(again) == out  # the UDP checksum over the IPv6 pseudo header


def test_udp_to_a_closed_port_gets_icmpv6_port_unreachable() -> None:
    h = harness()
    ip = IPv6(src=PEER, dst=US) / UDP(sport=4000, dport=9999) / b"payload"
    (ns,) = h.feed(frame(ip))  # the error waits for the peer's address
    assert reply(ns)[ICMPv6ND_NS].tgt == PEER
    na = IPv6(src=PEER, dst=US, hlim=255) / ICMPv6ND_NA(tgt=PEER, S=1, O=1)
    (out,) = h.feed(frame(na / ICMPv6NDOptDstLLAddr(lladdr=PEER_MAC)))
    pkt = reply(out)
    unreach = pkt[ICMPv6DestUnreach]
    assert unreach.code == 4
    assert bytes(unreach.payload) == bytes(ip)


def test_udp_socket_receives_over_ipv6() -> None:
    h = harness()
    sock = UdpSocket(PacketBuffer(4, 1500), PacketBuffer(4, 1500))
    sock.bind(7000)
    h.sockets.add(sock)
    assert h.feed(frame(IPv6(src=PEER, dst=US) / UDP(sport=5, dport=7000) / b"hi v6")) == []
    data, source = sock.recv()
    assert bytes(data) == b"hi v6" and str(source) == "[fdaa::100]:5"


def test_icmp_socket_pings_over_ipv6_by_identifier() -> None:
    h = harness()
    # The peer introduces itself first (its solicitation gives its MAC).
    ns = IPv6(src=PEER, dst=US, hlim=255) / ICMPv6ND_NS(tgt=US)
    h.feed(frame(ns / ICMPv6NDOptSrcLLAddr(lladdr=PEER_MAC)))
    sock = IcmpSocket(PacketBuffer(4, 1500), PacketBuffer(4, 1500))
    sock.bind(IcmpEndpoint.ident(0x4242))
    h.sockets.add(sock)
    request = bytes(ICMPv6EchoRequest(id=0x4242, seq=9, data=b"ping6"))
    sock.send_to(request, Ipv6Address(PEER))
    (out,) = h.poll()
    pkt = reply(out)
    assert (pkt[IPv6].src, pkt[IPv6].dst, pkt[IPv6].nh) == (US, PEER, 58)
    assert (pkt[ICMPv6EchoRequest].id, pkt[ICMPv6EchoRequest].seq) == (0x4242, 9)
    answer = IPv6(src=PEER, dst=US) / ICMPv6EchoReply(id=0x4242, seq=9, data=b"ping6")
    assert h.feed(frame(answer)) == []
    data, source = sock.recv_from()
    assert source == Ipv6Address(PEER)
    assert ICMPv6EchoReply(data).seq == 9


def _router_advert(lifetime: int = 1800, valid: int = 7200, hlim: int = 255) -> bytes:
    ra = (
        IPv6(src="fe80::1", dst="ff02::1", hlim=hlim)
        / ICMPv6ND_RA(routerlifetime=lifetime)
        / ICMPv6NDOptSrcLLAddr(lladdr=PEER_MAC)
        / ICMPv6NDOptPrefixInfo(
            prefix="2001:db8:1::",
            prefixlen=64,
            validlifetime=valid,
            preferredlifetime=min(valid, 3600),
        )
    )
    return frame(ra, dst_mac="33:33:00:00:00:01")


def test_router_advertisements_are_ignored_without_slaac() -> None:
    h = harness()
    assert h.feed(_router_advert()) == []
    assert h.dropped["ndp-ignored"] == 1
    assert Ipv6Address("2001:db8:1::ff:fe00:1") not in h.iface.ipv6_addrs()


def test_slaac_configures_an_address_and_the_default_router() -> None:
    h = Harness(cidr=f"{US}/64", slaac=True, dad=DadConfig(max_rtr_solicitation_delay=Duration(0)))
    formed = Ipv6Address("2001:db8:1::ff:fe00:1")
    h.feed(_router_advert())
    # Tentative first: duplicate address detection (RFC 4862 5.4) runs for a second.
    assert formed not in h.iface.ipv6_addrs()
    assert formed in h.iface.dad.tentative
    h.poll(h.advance(1000))
    assert formed in h.iface.ipv6_addrs()
    assert h.iface.routes.lookup(Ipv6Address("2a00::1"), h.now) == Ipv6Address("fe80::1")
    # The router lifetime ends: no default route any more.
    later = h.now + Duration.from_secs(1801)
    assert h.iface.routes.lookup(Ipv6Address("2a00::1"), later) is None
    # A valid lifetime of zero does not take the address away at once (RFC 4862 5.5.3 (e):
    # two more hours), but it is deprecated (preferred lifetime 0).
    h.feed(_router_advert(valid=0))
    assert formed in h.iface.ipv6_addrs()
    assert formed in h.iface.slaac.deprecated
    h.poll(h.advance(Duration.from_secs(7201)))
    assert formed not in h.iface.ipv6_addrs()


def test_router_advertisement_from_beyond_the_link_is_refused() -> None:
    h = Harness(cidr=f"{US}/64", slaac=True, dad=DadConfig(max_rtr_solicitation_delay=Duration(0)))
    h.feed(_router_advert(hlim=64))
    assert h.dropped["ndp-hop-limit"] == 1
    formed = Ipv6Address("2001:db8:1::ff:fe00:1")
    assert formed not in h.iface.ipv6_addrs() and formed not in h.iface.dad.tentative
