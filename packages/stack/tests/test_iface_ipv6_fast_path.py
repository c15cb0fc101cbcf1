"""IPv6 ingress takes TCP right after the fixed header without the extension-header walk; every
other packet walks. The two must accept and drop alike: the same frame, fed to two interfaces
that differ only in that one of them walks for every packet, gives the same frames sent, the
same counters and the same socket-visible state. Frames with extension headers, bad checksums,
wrong payload lengths, truncations, other Next Headers and foreign or multicast addresses are
generated among well-formed segments (scapy builds them: an independent encoder)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scapy.layers.inet import TCP, UDP
from scapy.layers.inet6 import (
    HBHOptUnknown,
    IPv6,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
    PadN,
)
from scapy.layers.l2 import Ether

from smoltcp.stack.iface import ipv6 as ipv6_ingress
from smoltcp.stack.socket import UdpSocket
from smoltcp.stack.socket.raw import RawIpSocket
from smoltcp.stack.storage import PacketBuffer
from smoltcp.stack.tcp import TcpSocket
from smoltcp.stack.testing import Harness, TestingDevice
from smoltcp.stack.time import Instant
from smoltcp.wire import Medium

US_MAC = "02:00:00:00:00:01"
PEER_MAC = "02:00:00:00:00:02"
US = "fdaa::1"
US_LL = "fe80::ff:fe00:1"
PEER = "fdaa::100"
PORT = 80
PEER_PORT = 40000
PEER_ISN = 1000
OUR_ISN = 5000


@contextmanager
def walking() -> Iterator[None]:
    """Send every IPv6 packet through the extension-header walk while inside."""
    saved = ipv6_ingress._FAST_NEXT_HEADER
    ipv6_ingress._FAST_NEXT_HEADER = None
    try:
        yield
    finally:
        ipv6_ingress._FAST_NEXT_HEADER = saved


def link(ip: IPv6, medium: Medium, dst_mac: str = US_MAC) -> bytes:
    if medium is Medium.IP:
        return bytes(ip)
    return bytes(Ether(src=PEER_MAC, dst=dst_mac) / ip)


class Host:
    """A harness with a connection from PEER established to its listener, and a raw socket
    for IPv6 TCP when ``raw``."""

    def __init__(self, medium: Medium, raw: bool) -> None:
        self.medium = medium
        self.h = Harness(cidr=f"{US}/64", medium=medium)
        self.sock = TcpSocket(65536, 65536, initial_seq=OUR_ISN)
        self.sock.listen(PORT)
        self.h.sockets.add(self.sock)
        self.raw: RawIpSocket | None = None
        if raw:
            self.raw = RawIpSocket(6, 6, 4096, 4096)
            self.h.sockets.add(self.raw)
        syn = IPv6(src=PEER, dst=US) / TCP(
            sport=PEER_PORT, dport=PORT, flags="S", seq=PEER_ISN, window=65535
        )
        self.handshake = self.h.feed(link(syn, medium))
        ack = IPv6(src=PEER, dst=US) / TCP(
            sport=PEER_PORT,
            dport=PORT,
            flags="A",
            seq=PEER_ISN + 1,
            ack=OUR_ISN + 1,
            window=65535,
        )
        self.handshake += self.h.feed(link(ack, medium))
        while self.raw is not None and self.raw.can_recv():
            self.raw.recv()  # the handshake's copies

    def feed(self, frame: bytes) -> tuple[object, ...]:
        """Feed ``frame``; return everything an application or the peer could see."""
        sent = self.h.feed(frame)
        sock = self.sock
        data = sock.recv() if sock.can_recv() else b""
        raws: list[bytes] = []
        while self.raw is not None and self.raw.can_recv():
            raws.append(self.raw.recv())
        counters = self.h.iface.counters.as_dict()
        return sent, str(sock.state), data, raws, counters


def pair(medium: Medium, raw: bool) -> tuple[Host, Host]:
    fast = Host(medium, raw)
    with walking():
        walk = Host(medium, raw)
    assert fast.handshake == walk.handshake and len(fast.handshake) == 1
    return fast, walk


def same_answer(medium: Medium, raw: bool, frame: bytes) -> tuple[object, ...]:
    fast, walk = pair(medium, raw)
    got = fast.feed(frame)
    with walking():
        want = walk.feed(frame)
    assert got == want
    return got


# -- the generated frames -----------------------------------------------------------------------

flags = st.sampled_from(["A", "PA", "FA", "RA", "R", "S", "SA", "", "UA"])
ext_headers = st.sampled_from(
    ["none", "hbh-pad", "hbh-skip", "hbh-discard", "dest", "frag", "route"]
)
mutations = st.sampled_from(["none", "none", "flip", "truncate", "plen", "nh", "csum"])


@st.composite
def frames(draw: st.DrawFn) -> tuple[Medium, bool, bytes]:
    medium = draw(st.sampled_from([Medium.ETHERNET, Medium.IP]))
    raw = draw(st.booleans())
    src = draw(st.sampled_from([PEER, PEER, "fe80::2", "ff02::2"]))
    dst = draw(st.sampled_from([US, US, US_LL, "fdaa::5", "ff02::1"]))
    in_window = draw(st.booleans())
    seq = PEER_ISN + 1 if in_window else draw(st.integers(0, 2**32 - 1))
    tcp = TCP(
        sport=draw(st.sampled_from([PEER_PORT, PEER_PORT + 1])),
        dport=draw(st.sampled_from([PORT, PORT + 1])),
        flags=draw(flags),
        seq=seq,
        ack=OUR_ISN + 1,
        window=draw(st.integers(0, 65535)),
        options=draw(st.sampled_from([[], [("Timestamp", (1, 2))], [("MSS", 1440)]])),
    ) / draw(st.binary(max_size=64))
    ext = draw(ext_headers)
    ip = IPv6(src=src, dst=dst, hlim=draw(st.sampled_from([64, 255, 1])))
    if ext == "hbh-pad":
        ip = ip / IPv6ExtHdrHopByHop(options=[PadN(optdata=b"\x00\x00\x00\x00")])
    elif ext == "hbh-skip":
        ip = ip / IPv6ExtHdrHopByHop(options=[HBHOptUnknown(otype=0x1E, optdata=b"ab")])
    elif ext == "hbh-discard":
        otype = draw(st.sampled_from([0x5E, 0x9E, 0xDE]))
        ip = ip / IPv6ExtHdrHopByHop(options=[HBHOptUnknown(otype=otype, optdata=b"ab")])
    elif ext == "dest":
        ip = ip / IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\x00\x00\x00\x00")])
    elif ext == "frag":
        ip = ip / IPv6ExtHdrFragment(offset=0, m=0, id=draw(st.integers(0, 2**32 - 1)))
    elif ext == "route":
        ip = ip / IPv6ExtHdrRouting(segleft=draw(st.integers(0, 1)), addresses=["fdaa::9"])
    out = bytearray(
        link(ip / tcp, medium, draw(st.sampled_from([US_MAC, US_MAC, "33:33:00:00:00:01"])))
    )
    l3 = 0 if medium is Medium.IP else 14
    mutation = draw(mutations)
    if mutation == "flip":
        at = draw(st.integers(l3, len(out) - 1))
        out[at] ^= draw(st.integers(1, 255))
    elif mutation == "truncate":
        del out[draw(st.integers(0, len(out) - 1)) :]
    elif mutation == "plen":
        plen = draw(st.integers(0, 0xFFFF))
        out[l3 + 4 : l3 + 6] = plen.to_bytes(2, "big")
    elif mutation == "nh":
        out[l3 + 6] = draw(st.sampled_from([0, 6, 17, 43, 44, 58, 59, 60, 253]))
    elif mutation == "csum" and ext == "none":
        at = l3 + 40 + 16  # the TCP checksum
        out[at] ^= 0x01
    return medium, raw, bytes(out)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames())
def test_the_fast_path_and_the_walk_give_the_same_answer(case: tuple[Medium, bool, bytes]) -> None:
    medium, raw, frame = case
    same_answer(medium, raw, frame)


# -- examples that must take each side, and must still be checked ------------------------------


def _segment(payload: bytes = b"hello", **ip: object) -> IPv6:
    fields = {"src": PEER, "dst": US, **ip}
    return (
        IPv6(**fields)
        / TCP(sport=PEER_PORT, dport=PORT, flags="PA", seq=PEER_ISN + 1, ack=OUR_ISN + 1)
        / payload
    )


@pytest.mark.parametrize("medium", [Medium.ETHERNET, Medium.IP])
def test_data_after_the_fixed_header_reaches_the_socket(medium: Medium) -> None:
    _sent, state, data, _raws, counters = same_answer(medium, True, link(_segment(), medium))
    assert data == b"hello" and state == "ESTABLISHED"
    assert not counters["dropped"]


def test_data_after_an_extension_header_reaches_the_socket_too() -> None:
    ip = IPv6(src=PEER, dst=US) / IPv6ExtHdrHopByHop(options=[PadN(optdata=b"\x00\x00")])
    seg = TCP(sport=PEER_PORT, dport=PORT, flags="PA", seq=PEER_ISN + 1, ack=OUR_ISN + 1)
    _sent, _state, data, raws, _counters = same_answer(
        Medium.ETHERNET, True, link(ip / seg / b"hello", Medium.ETHERNET)
    )
    assert data == b"hello" and len(raws) == 1


@pytest.mark.parametrize(
    ("why", "damage", "reason"),
    [
        ("bad checksum", lambda b: b[:70] + bytes([b[70] ^ 1]) + b[71:], "checksum-tcp"),
        (
            "payload length past the frame",
            lambda b: b[:18] + b"\x04\x00" + b[20:],
            "malformed-ipv6",
        ),
        ("truncated fixed header", lambda b: b[:40], "malformed-ipv6"),
        ("truncated TCP header", lambda b: b[:18] + b"\x00\x0a" + b[20:64], "malformed-tcp"),
    ],
)
def test_damaged_segments_are_counted_drops_on_both_paths(why, damage, reason) -> None:
    frame = damage(link(_segment(), Medium.ETHERNET))
    _sent, _state, data, _raws, counters = same_answer(Medium.ETHERNET, False, frame)
    assert data == b"", why
    assert counters["dropped"] == {reason: 1}, why


def test_an_unknown_option_that_must_be_understood_is_still_refused() -> None:
    ip = IPv6(src=PEER, dst=US) / IPv6ExtHdrHopByHop(
        options=[HBHOptUnknown(otype=0x9E, optdata=b"ab")]
    )
    seg = TCP(sport=PEER_PORT, dport=PORT, flags="PA", seq=PEER_ISN + 1, ack=OUR_ISN + 1)
    sent, _state, data, _raws, counters = same_answer(
        Medium.ETHERNET, False, link(ip / seg / b"hello", Medium.ETHERNET)
    )
    assert data == b"" and counters["dropped"] == {"unknown-ipv6-option": 1}
    assert len(sent) == 1  # the Parameter Problem


def test_the_fast_path_is_taken_for_tcp_after_the_fixed_header(monkeypatch) -> None:
    walks: list[int] = []
    real = ipv6_ingress.walk_ext_headers

    def counting(*args, **kw):
        walks.append(1)
        return real(*args, **kw)

    monkeypatch.setattr(ipv6_ingress, "walk_ext_headers", counting)
    host = Host(Medium.ETHERNET, False)
    host.feed(link(_segment(), Medium.ETHERNET))
    assert walks == []
    ip = IPv6(src=PEER, dst=US) / IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\x00\x00")])
    host.feed(link(ip / TCP(sport=PEER_PORT, dport=PORT), Medium.ETHERNET))
    assert walks == [1]


# -- a device's word on the checksum (``RxToken.checksum_valid``) -------------------------------

R = TypeVar("R")


class _VouchedToken:
    __slots__ = ("checksum_valid", "frame")

    def __init__(self, frame: bytes) -> None:
        self.frame = frame
        self.checksum_valid = True

    def consume(self, f: Callable[[memoryview], R]) -> R:
        return f(memoryview(bytearray(self.frame)))


class VouchingDevice(TestingDevice):
    """Hands every frame over as one whose TCP or UDP checksum the device vouches for."""

    def receive(self, now: Instant):  # type: ignore[no-untyped-def]
        pair = super().receive(now)
        if pair is None:
            return None
        return _VouchedToken(pair[0].frame), pair[1]


def test_a_vouched_segment_after_the_fixed_header_is_not_summed_again() -> None:
    h = Harness(cidr=f"{US}/64", device=VouchingDevice())
    sock = TcpSocket(65536, 65536, initial_seq=OUR_ISN)
    sock.listen(PORT)
    h.sockets.add(sock)
    syn = IPv6(src=PEER, dst=US) / TCP(sport=PEER_PORT, dport=PORT, flags="S", seq=PEER_ISN)
    frame = bytearray(link(syn, Medium.ETHERNET))
    frame[14 + 40 + 16] ^= 0x01  # a wrong checksum no such device would hand over: the skip
    assert len(h.feed(bytes(frame))) == 1  # the SYN-ACK
    assert not h.dropped


def test_a_reassembled_datagram_is_verified_whatever_the_device_said() -> None:
    h = Harness(cidr=f"{US}/64", device=VouchingDevice())
    sock = UdpSocket(PacketBuffer(8, 4096), PacketBuffer(8, 4096))
    sock.bind(7000)
    h.sockets.add(sock)
    dgram = bytearray(bytes(UDP(sport=5000, dport=7000) / (b"x" * 40)))
    dgram[6] ^= 0x01  # a wrong checksum
    frames = [
        IPv6(src=PEER, dst=US) / IPv6ExtHdrFragment(offset=0, m=1, id=9, nh=17) / dgram[:24],
        IPv6(src=PEER, dst=US) / IPv6ExtHdrFragment(offset=3, m=0, id=9, nh=17) / dgram[24:],
    ]
    h.feed(*(link(f, Medium.ETHERNET) for f in frames))
    assert not sock.can_recv()
    assert h.dropped["checksum-udp"] == 1
