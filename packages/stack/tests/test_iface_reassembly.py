"""IP reassembly on the interface: scapy cuts the datagrams (an independent oracle), the
interface puts them back together, drops what the policy says and counts every drop."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.inet import ICMP, IP, TCP, UDP, fragment
from scapy.layers.inet6 import ICMPv6TimeExceeded, IPv6, IPv6ExtHdrFragment, fragment6
from scapy.layers.l2 import Ether

from smoltcp.stack.iface.fragment import FRAGMENT_OVERHEAD, Reassembler
from smoltcp.stack.socket import UdpSocket
from smoltcp.stack.storage import PacketBuffer
from smoltcp.stack.testing import Harness, arp, ethernet
from smoltcp.stack.time import Duration
from smoltcp.wire import EthernetAddress, IpAddress, IpCidr

US = "192.168.69.1"
PEER = "192.168.69.2"
US_MAC = "02:00:00:00:00:01"
PEER_MAC = "02:00:00:00:00:02"
US6 = "fdaa::1"
PEER6 = "fdaa::100"
ZERO = "00-00-00-00-00-00"


def harness(**config: object) -> Harness:
    """A dual-stack host that already knows PEER's MAC."""
    h = Harness(**config)  # type: ignore[arg-type]
    h.feed(ethernet("ff-ff-ff-ff-ff-ff", PEER_MAC, 0x0806, arp(1, PEER_MAC, PEER, ZERO, US)))
    h.iface.update_ip_addrs(lambda a: a.append(IpCidr.parse(f"{US6}/64")))
    h.iface.neighbor_cache.learn(IpAddress.parse(PEER6), EthernetAddress.parse(PEER_MAC), h.now)
    return h


def udp_socket(h: Harness, port: int = 7000) -> UdpSocket:
    sock = UdpSocket(PacketBuffer(16, 262144), PacketBuffer(16, 262144))
    sock.bind(port)
    h.sockets.add(sock)
    return sock


def eth(pkt: object) -> bytes:
    return bytes(Ether(src=PEER_MAC, dst=US_MAC) / pkt)


def datagram(size: int, ident: int = 1234, seed: int = 0) -> tuple[IP, bytes]:
    data = random.Random(seed).randbytes(size)
    return IP(src=PEER, dst=US, id=ident) / UDP(sport=9, dport=7000) / data, data


def test_in_order_fragments_are_one_datagram() -> None:
    h = harness()
    sock = udp_socket(h)
    pkt, data = datagram(4000)
    frags = fragment(pkt, fragsize=1480)
    assert len(frags) == 3
    for f in frags:
        assert h.feed(eth(f)) == []
    assert sock.recv_from()[0] == data
    assert not sock.can_recv()
    assert h.iface.reassembler.reassembled == 1
    assert len(h.iface.reassembler) == 0 and h.iface.reassembler.held == 0
    assert sum(h.dropped.values()) == 0, h.dropped


@pytest.mark.parametrize("seed", range(5))
def test_reordered_fragments_are_one_datagram(seed: int) -> None:
    h = harness()
    sock = udp_socket(h)
    pkt, data = datagram(9000, seed=seed)
    frags = fragment(pkt, fragsize=1480)
    random.Random(seed).shuffle(frags)
    h.feed(*(eth(f) for f in frags))
    assert sock.recv_from()[0] == data
    assert sum(h.dropped.values()) == 0, h.dropped


def test_duplicated_fragments_are_dropped_alone() -> None:
    h = harness()
    sock = udp_socket(h)
    pkt, data = datagram(4000)
    frags = fragment(pkt, fragsize=1480)
    # Every fragment but the last twice (the last completes the datagram).
    h.feed(*(eth(f) for f in frags[:-1] for _ in range(2)), eth(frags[-1]))
    assert sock.recv_from()[0] == data
    assert not sock.can_recv()
    assert dict(h.dropped) == {"fragment-duplicate": 2}


def test_overlapping_fragments_drop_the_whole_datagram() -> None:
    h = harness()
    sock = udp_socket(h)
    pkt, _ = datagram(4000)
    frags = fragment(pkt, fragsize=1480)
    # A fragment that rewrites 8 octets of the first one's data (a different reading).
    evil = IP(src=PEER, dst=US, id=1234, proto=17, frag=1, flags="MF") / (b"Z" * 16)
    h.feed(eth(frags[0]), eth(evil))
    assert dict(h.dropped) == {"fragment-overlap": 2}
    # The rest cannot complete it: the datagram stays abandoned until it times out.
    h.feed(*(eth(f) for f in frags[1:]))
    assert not sock.can_recv()
    assert h.dropped["fragment-overlap"] == 2 + len(frags) - 1
    # Nothing answered about the abandoned datagram when it times out.
    h.advance(Duration.from_secs(31))
    assert h.poll() == []
    assert len(h.iface.reassembler) == 0 and h.iface.reassembler.held == 0


def test_ipv4_fragments_differing_only_in_content_overlap() -> None:
    h = harness()
    udp_socket(h)
    pkt, _ = datagram(4000)
    first = fragment(pkt, fragsize=1480)[0]
    body = bytes(first[IP].payload)
    other = IP(src=PEER, dst=US, id=1234, proto=17, flags="MF") / (body[:-1] + b"!")
    h.feed(eth(first), eth(other))
    assert dict(h.dropped) == {"fragment-overlap": 2}


@pytest.mark.parametrize(
    ("pkt", "why"),
    [
        # RFC 1858: a first fragment too short for the TCP header (8 of 20 octets)...
        (IP(src=PEER, dst=US, id=7, proto=6, flags="MF") / (b"\0" * 8), "fragment-tiny"),
        # ...or the UDP header, and a TCP fragment at offset 8 (could rewrite the flags).
        (IP(src=PEER, dst=US, id=7, proto=17, flags="MF") / (b"\0" * 0), "fragment-malformed"),
        (IP(src=PEER, dst=US, id=7, proto=6, frag=1) / (b"\0" * 16), "fragment-tiny"),
        # Not a multiple of 8 octets while more follow.
        (IP(src=PEER, dst=US, id=7, proto=17, flags="MF") / (b"\0" * 12), "fragment-malformed"),
        # Ends past the 65535 octets a datagram can hold.
        (IP(src=PEER, dst=US, id=7, proto=17, frag=8189) / (b"\0" * 64), "fragment-too-big"),
    ],
    ids=["tiny-tcp", "empty-first", "tcp-offset-8", "unaligned", "too-big"],
)
def test_bad_fragments_are_counted_drops(pkt: IP, why: str) -> None:
    h = harness()
    assert h.feed(eth(pkt)) == []
    assert dict(h.dropped) == {why: 1}
    assert len(h.iface.reassembler) == 0


def test_a_datagram_never_completed_times_out_with_time_exceeded() -> None:
    h = harness(reassembly_timeout=Duration.from_secs(15))
    udp_socket(h)
    pkt, _ = datagram(4000)
    first = fragment(pkt, fragsize=1480)[0]
    assert h.feed(eth(first)) == []
    assert h.iface.poll_at(h.now, h.sockets).micros == 15_000_000
    h.advance(Duration.from_secs(14))
    assert h.poll() == []
    h.advance(Duration.from_secs(1))
    (out,) = h.poll()
    icmp = Ether(out)[ICMP]
    assert (icmp.type, icmp.code) == (11, 1)
    # It quotes the first fragment's header and the first 8 octets of its data.
    quoted = icmp.payload  # scapy's IPerror
    assert quoted.id == 1234 and quoted.src == PEER and quoted.flags == "MF"
    assert bytes(quoted.payload) == bytes(first[IP].payload)[:8]
    assert dict(h.dropped) == {"fragment-timeout": 1}
    assert h.iface.counters.icmp_errors_sent == 1


def test_no_time_exceeded_without_the_first_fragment() -> None:
    h = harness()
    pkt, _ = datagram(4000)
    frags = fragment(pkt, fragsize=1480)
    h.feed(eth(frags[1]), eth(frags[2]))
    h.advance(Duration.from_secs(30))
    assert h.poll() == []
    assert dict(h.dropped) == {"fragment-timeout": 2}


def test_a_flood_of_incomplete_datagrams_stays_within_bounds() -> None:
    h = harness(reassembly_max_packets=16, reassembly_max_octets=65536)
    sock = udp_socket(h)
    reasm = h.iface.reassembler
    peak = 0
    for ident in range(2000):
        # Only the first fragment of each: none ever completes.
        first = IP(src=PEER, dst=US, id=ident, proto=17, flags="MF") / (b"\0" * 1480)
        h.feed(eth(first))
        peak = max(peak, reasm.held)
        assert len(reasm) <= 16
    assert peak <= 65536
    # Each datagram evicted is counted with its fragment; those still held are not drops.
    assert dict(h.dropped) == {"fragment-evicted": 2000 - len(reasm)}
    assert reasm.held == len(reasm) * (1480 + FRAGMENT_OVERHEAD)
    # A real datagram still gets through the flood.
    pkt, data = datagram(3000, ident=60000)
    h.feed(*(eth(f) for f in fragment(pkt, fragsize=1480)))
    assert sock.recv_from()[0] == data


def test_one_datagram_larger_than_the_octet_bound_is_dropped() -> None:
    h = harness(reassembly_max_octets=4096)
    sock = udp_socket(h)
    pkt, _ = datagram(8000)
    h.feed(*(eth(f) for f in fragment(pkt, fragsize=1480)))
    assert not sock.can_recv()
    assert h.dropped["fragment-evicted"] >= 1
    assert h.iface.reassembler.held <= 4096


def test_a_second_different_end_is_inconsistent() -> None:
    h = harness()
    a = IP(src=PEER, dst=US, id=9, proto=17, frag=10) / (b"\0" * 8)
    b = IP(src=PEER, dst=US, id=9, proto=17, frag=20) / (b"\0" * 8)
    h.feed(eth(a), eth(b))
    assert dict(h.dropped) == {"fragment-inconsistent": 2}


def test_reassembly_off_drops_every_fragment() -> None:
    h = harness(reassembly_max_packets=0)
    pkt, _ = datagram(3000)
    h.feed(*(eth(f) for f in fragment(pkt, fragsize=1480)))
    assert dict(h.dropped) == {"fragment-evicted": 3}


def test_a_fragmented_echo_request_is_answered() -> None:
    h = harness()
    data = bytes(range(256)) * 4
    ping = IP(src=PEER, dst=US, id=77) / ICMP(type=8, id=5, seq=1) / data
    outs = h.feed(*(eth(f) for f in fragment(ping, fragsize=512)))
    assert outs, h.dropped
    # The reply fits the MTU: one packet, the same data.
    (out,) = outs
    assert Ether(out)[ICMP].type == 0 and bytes(Ether(out)[ICMP].payload) == data


# -- IPv6 -------------------------------------------------------------------------------------


def datagram6(size: int, ident: int = 99, seed: int = 0) -> tuple[IPv6, bytes]:
    data = random.Random(seed).randbytes(size)
    pkt = IPv6(src=PEER6, dst=US6) / IPv6ExtHdrFragment(id=ident) / UDP(sport=9, dport=7000) / data
    return pkt, data


@pytest.mark.parametrize("shuffle", [False, True])
def test_ipv6_fragments_are_one_datagram(shuffle: bool) -> None:
    h = harness()
    sock = udp_socket(h)
    pkt, data = datagram6(5000)
    frags = fragment6(pkt, 1280)
    assert len(frags) == 5
    if shuffle:
        random.Random(3).shuffle(frags)
    h.feed(*(eth(f) for f in frags))
    assert sock.recv_from()[0] == data
    assert sum(h.dropped.values()) == 0, h.dropped


def test_ipv6_overlap_drops_the_whole_packet() -> None:
    h = harness()
    sock = udp_socket(h)
    pkt, _ = datagram6(3000)
    frags = fragment6(pkt, 1280)
    evil = IPv6(src=PEER6, dst=US6) / IPv6ExtHdrFragment(id=99, nh=17, offset=2, m=1) / (b"X" * 8)
    h.feed(eth(frags[0]), eth(evil), *(eth(f) for f in frags[1:]))
    assert not sock.can_recv()
    assert dict(h.dropped) == {"fragment-overlap": 2 + len(frags) - 1}


def test_ipv6_atomic_fragment_is_handled_at_once() -> None:
    h = harness()
    sock = udp_socket(h)
    pkt = IPv6(src=PEER6, dst=US6) / IPv6ExtHdrFragment(id=1, m=0) / UDP(dport=7000) / b"atomic"
    h.feed(eth(pkt))
    assert sock.recv_from()[0] == b"atomic"
    assert len(h.iface.reassembler) == 0


def test_ipv6_tiny_first_fragment_is_dropped() -> None:
    h = harness()
    # RFC 7112: the first fragment must hold the upper-layer header (here 0 of UDP's 8).
    pkt = IPv6(src=PEER6, dst=US6) / IPv6ExtHdrFragment(id=5, nh=17, m=1)
    h.feed(eth(pkt))
    assert dict(h.dropped) == {"fragment-malformed": 1}
    pkt = IPv6(src=PEER6, dst=US6) / IPv6ExtHdrFragment(id=5, nh=6, m=1) / (b"\0" * 8)
    h.feed(eth(pkt))
    assert h.dropped["fragment-tiny"] == 1


def test_ipv6_timeout_sends_time_exceeded() -> None:
    h = harness()
    pkt, _ = datagram6(3000)
    first = fragment6(pkt, 1280)[0]
    h.feed(eth(first))
    h.advance(Duration.from_secs(30))
    (out,) = h.poll()
    te = Ether(out)[ICMPv6TimeExceeded]
    assert te.code == 1
    assert te.payload.src == PEER6 and te.payload.nh == 44  # the first fragment, quoted
    assert dict(h.dropped) == {"fragment-timeout": 1}


def test_reassembler_rejects_bad_bounds() -> None:
    from collections import Counter

    with pytest.raises(ValueError, match="max_octets"):
        Reassembler(1, -1, 0, Counter())
    with pytest.raises(TypeError, match="max_packets"):
        Reassembler(1.0, 1, 0, Counter())  # type: ignore[arg-type]


def test_tcp_syn_split_at_offset_0_and_8() -> None:
    # A TCP header in two pieces: first fragment 8 octets (tiny), then offset 8.
    seg = bytes(TCP(sport=1, dport=80, flags="S"))
    a = IP(src=PEER, dst=US, id=3, proto=6, flags="MF") / seg[:8]
    b = IP(src=PEER, dst=US, id=3, proto=6, frag=1) / seg[8:]
    h = harness()
    h.feed(eth(a), eth(b))
    assert dict(h.dropped) == {"fragment-tiny": 2}


@settings(max_examples=40, deadline=None)
@given(
    size=st.integers(min_value=1, max_value=20000),
    fragsize=st.integers(min_value=1, max_value=185).map(lambda n: n * 8),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    dup=st.booleans(),
)
def test_any_cut_in_any_order_reassembles(size: int, fragsize: int, seed: int, dup: bool) -> None:
    """Round trip: scapy cuts a datagram anywhere, shuffled (and duplicated); the interface
    delivers exactly the original, within its bounds."""
    h = harness()
    sock = udp_socket(h)
    pkt, data = datagram(size, ident=seed & 0xFFFF, seed=seed)
    frags = fragment(pkt, fragsize=fragsize)
    if len(frags) > 256:
        frags = fragment(pkt, fragsize=1480)
    rng = random.Random(seed)
    order = frags + (rng.sample(frags, min(3, len(frags))) if dup else [])
    rng.shuffle(order)
    h.feed(*(eth(f) for f in order))
    # A poll takes at most a burst of frames (Config.ingress_burst, 256): up to 256 fragments
    # and 3 duplicates can need a second one.
    while h.device.rx:
        h.poll()
    got = []
    while sock.can_recv():
        got.append(sock.recv_from()[0])
    # Exactly the datagram; a duplicate of it only if duplicates arrived after it completed
    # (they start again, as on any host: IP may duplicate a datagram).
    assert got and all(g == data for g in got)
    assert dup or len(got) == 1
    assert set(h.dropped) <= {"fragment-duplicate"}
    assert h.iface.reassembler.held <= sum(len(f) for f in frags) + 64 * len(frags)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.booleans(),  # IPv6
            st.integers(0, 3),  # identification
            st.integers(0, 8191),  # offset, 8-octet units
            st.booleans(),  # more fragments
            st.integers(0, 1600),  # data length
            st.sampled_from([6, 17, 1, 58, 253]),  # protocol
        ),
        max_size=40,
    )
)
def test_arbitrary_fragments_never_escape_the_bounds(frags: list[tuple[Any, ...]]) -> None:
    h = harness(reassembly_max_packets=4, reassembly_max_octets=8192)
    udp_socket(h)
    reasm = h.iface.reassembler
    for v6, ident, offset, more, length, proto in frags:
        body = bytes(length)
        if v6:
            nh = 17 if proto == 1 else proto
            pkt: Any = IPv6(src=PEER6, dst=US6) / IPv6ExtHdrFragment(
                id=ident, nh=nh, offset=offset, m=int(more)
            )
        else:
            pkt = IP(src=PEER, dst=US, id=ident, proto=proto, frag=offset, flags=int(more))
        h.feed(eth(pkt / body))  # strict: an internal error fails the test
        assert len(reasm) <= 4 and reasm.held <= 8192
    h.advance(Duration.from_secs(31))
    h.poll()
    assert len(reasm) == 0 and reasm.held == 0
