"""Software segmentation (GSO): a TCP super-segment handed to an interface whose device has
no TSO leaves as the very frames that sending its pieces one by one would produce.

The oracle is the interface itself with GSO off (``Config(gso_size=0)``), sending the pieces
of `smoltcp.stack.iface.gso.pieces` as ordinary segments; scapy checks every frame's
checksums independently.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.iface.gso import can_cut, piece, pieces
from smoltcp.stack.socket import Socket, SocketSet
from smoltcp.stack.testing import TestingDevice, arp, ethernet, mac
from smoltcp.stack.time import Instant
from smoltcp.wire import (
    ChecksumCapabilities,
    EthernetAddress,
    IpCidr,
    IpProtocol,
    Ipv4Address,
    Medium,
    TcpControl,
    TcpRepr,
    TcpSeqNumber,
    TcpTimestampRepr,
    ip_repr,
)

US, PEER = Ipv4Address("10.0.0.1"), Ipv4Address("10.0.0.2")
US_MAC, PEER_MAC = "02-00-00-00-00-01", "02-00-00-00-00-02"
NOW = Instant.from_millis(1)


class Emitter(Socket):
    """A socket that emits the packets it is given, one per dispatch."""

    def __init__(self, packets: list[tuple[Any, Any]]) -> None:
        super().__init__()
        self.packets = list(packets)

    def process(self, cx: Any, now: Instant, ip_repr: Any, repr: Any) -> None:
        return None

    def dispatch(self, cx: Any, now: Instant, emit: Any) -> bool:
        if not self.packets:
            return False
        emit(*self.packets.pop(0))
        return True

    def poll_at(self, cx: Any) -> Instant | None:
        return Instant.ZERO if self.packets else None


def interface(
    medium: Medium, mtu: int, gso: bool, caps: ChecksumCapabilities | None = None
) -> tuple[Interface, TestingDevice]:
    kwargs = {} if caps is None else {"checksum": caps}
    dev = TestingDevice(medium, mtu, **kwargs)
    hw = EthernetAddress.parse(US_MAC) if medium is Medium.ETHERNET else None
    config = Config(hardware_addr=hw, gso_size=65535 if gso else 0)
    iface = Interface(config, dev, Instant.ZERO)
    iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("10.0.0.1/24")))
    return iface, dev


def send(iface: Interface, dev: TestingDevice, packets: list[tuple[Any, Any]]) -> list[bytes]:
    sockets = SocketSet()
    emitter = Emitter(packets)
    sockets.add(emitter)
    emitter._wake()
    iface.poll(NOW, dev, sockets)
    return dev.take()


def segment(
    size: int,
    control: TcpControl = TcpControl.PSH,
    *,
    cwr: bool = False,
    ece: bool = False,
    timestamp: bool = True,
    sack: int = 0,
    seq: int = 0xFFFF_F000,
) -> TcpRepr:
    payload = bytes(i * 7 % 251 for i in range(size))
    return TcpRepr(
        src_port=40000,
        dst_port=80,
        control=control,
        seq_number=TcpSeqNumber(seq),
        ack_number=TcpSeqNumber(12345),
        window_len=5000,
        sack_ranges=tuple((1000 * i + 1, 1000 * i + 500) for i in range(sack)),
        timestamp=TcpTimestampRepr(77, 88) if timestamp else None,
        payload=payload,
        ece=ece,
        cwr=cwr,
    )


def ip_of(seg: TcpRepr) -> Any:
    return ip_repr(US, PEER, IpProtocol.TCP, seg.buffer_len(), 64)


def ordinary(medium: Medium, mtu: int, seg: TcpRepr, caps: Any = None) -> list[bytes]:
    """The frames of ``seg``'s pieces sent one by one, GSO off."""
    iface, dev = interface(medium, mtu, gso=False, caps=caps)
    if medium is Medium.ETHERNET:
        iface.neighbor_cache.fill(PEER, EthernetAddress.parse(PEER_MAC), Instant.ZERO)
    size = iface.context.ip_mtu - 20 - (seg.buffer_len() - len(seg.payload))
    parts = list(pieces(seg, size))
    return send(iface, dev, [(ip_of(p), p) for p in parts])


def gso(medium: Medium, mtu: int, seg: TcpRepr, caps: Any = None) -> list[bytes]:
    iface, dev = interface(medium, mtu, gso=True, caps=caps)
    if medium is Medium.ETHERNET:
        iface.neighbor_cache.fill(PEER, EthernetAddress.parse(PEER_MAC), Instant.ZERO)
    frames = send(iface, dev, [(ip_of(seg), seg)])
    assert not iface.counters.dropped
    return frames


# -- cutting ------------------------------------------------------------------------------------


@given(
    size=st.integers(1, 70000),
    piece=st.integers(1, 9000),
    control=st.sampled_from([TcpControl.NONE, TcpControl.PSH, TcpControl.FIN]),
    cwr=st.booleans(),
    seq=st.integers(0, 2**32 - 1),
)
@settings(max_examples=200, deadline=None)
def test_pieces_carry_the_payload_in_order_with_the_flags_split(
    size: int, piece: int, control: TcpControl, cwr: bool, seq: int
) -> None:
    seg = segment(size, control, cwr=cwr, seq=seq)
    parts = list(pieces(seg, piece))
    assert b"".join(bytes(p.payload) for p in parts) == seg.payload
    assert len(parts) == -(-size // piece)
    offset = 0
    for i, p in enumerate(parts):
        assert p.seq_number == TcpSeqNumber(seq) + offset
        assert 0 < len(p.payload) <= piece
        last = i == len(parts) - 1
        assert p.control is (control if last else TcpControl.NONE)
        assert p.cwr == (cwr and i == 0)
        assert (p.ack_number, p.window_len, p.timestamp) == (
            seg.ack_number,
            seg.window_len,
            seg.timestamp,
        )
        offset += len(p.payload)


def replaced_piece(seg: TcpRepr, size: int, offset: int) -> TcpRepr:
    """`piece` as it was written with ``_replace`` (the oracle of its positional build)."""
    payload = seg.payload
    end = offset + size
    if end >= len(payload):
        if offset == 0:
            return seg
        return seg._replace(seq_number=seg.seq_number + offset, payload=payload[offset:], cwr=False)
    part = payload[offset:end]
    if offset == 0:
        return seg._replace(control=TcpControl.NONE, payload=part)
    return seg._replace(
        control=TcpControl.NONE, cwr=False, seq_number=seg.seq_number + offset, payload=part
    )


@given(
    size=st.integers(1, 9000),
    piece_size=st.integers(1, 3000),
    control=st.sampled_from([TcpControl.NONE, TcpControl.PSH, TcpControl.FIN]),
    cwr=st.booleans(),
    ece=st.booleans(),
    sack=st.integers(0, 3),
    timestamp=st.booleans(),
    seq=st.integers(0, 2**32 - 1),
)
@settings(max_examples=200, deadline=None)
def test_pieces_are_the_segment_with_the_fields_of_their_place_replaced(
    size: int,
    piece_size: int,
    control: TcpControl,
    cwr: bool,
    ece: bool,
    sack: int,
    timestamp: bool,
    seq: int,
) -> None:
    seg = segment(size, control, cwr=cwr, ece=ece, sack=sack, timestamp=timestamp, seq=seq)
    seg = seg._replace(payload=memoryview(seg.payload))  # as TCP hands it: a view of its ring
    for offset in range(0, size, piece_size):
        got = piece(seg, piece_size, offset)
        want = replaced_piece(seg, piece_size, offset)
        assert type(got) is type(want)
        assert got._asdict().keys() == want._asdict().keys()
        for name, value in want._asdict().items():
            other = getattr(got, name)
            assert type(other) is type(value), name
            assert other == value, name


def test_only_data_segments_are_cut() -> None:
    for control in (TcpControl.SYN, TcpControl.RST):
        seg = segment(3000)._replace(control=control)
        assert not can_cut(seg)
        with pytest.raises(ValueError, match="not cut"):
            list(pieces(seg, 1000))
    with pytest.raises(ValueError, match="positive"):
        list(pieces(segment(3000), 0))


# -- on the wire ----------------------------------------------------------------------------------


# What a super-segment can carry besides its payload, and how it is sent.
_OPTIONS = st.fixed_dictionaries(
    {
        "control": st.sampled_from([TcpControl.NONE, TcpControl.PSH, TcpControl.FIN]),
        "cwr": st.booleans(),
        "ece": st.booleans(),
        "timestamp": st.booleans(),
        "sack": st.integers(0, 3),
    }
)
_MEDIA = st.sampled_from([Medium.ETHERNET, Medium.IP])


def _compare(medium: Medium, mtu: int, seg: TcpRepr, offload: bool) -> list[bytes]:
    """Assert that GSO sends ``seg`` as the ordinary frames of its pieces; return those."""
    caps = ChecksumCapabilities.ignored() if offload else None
    frame_mtu = mtu + (14 if medium is Medium.ETHERNET else 0)
    expected = ordinary(medium, frame_mtu, seg, caps)
    got = gso(medium, frame_mtu, seg, caps)
    assert got == expected
    assert all(len(f) <= frame_mtu for f in got)
    return got


@given(
    size=st.integers(1, 64000),
    mtu=st.sampled_from([576, 1500, 1280, 9000]),
    medium=_MEDIA,
    options=_OPTIONS,
    offload=st.booleans(),
    seq=st.integers(0, 2**32 - 1),
)
@settings(max_examples=150, deadline=None)
def test_gso_frames_are_the_ordinary_frames_of_the_pieces(
    size: int, mtu: int, medium: Medium, options: dict[str, Any], offload: bool, seq: int
) -> None:
    _compare(medium, mtu, segment(size, **options, seq=seq), offload)


@given(
    extra=st.integers(1, 2**20),
    mtu=st.sampled_from([576, 1500, 9000]),
    medium=_MEDIA,
    options=_OPTIONS,
    offload=st.booleans(),
    seq=st.integers(0, 2**32 - 1),
)
@settings(max_examples=150, deadline=None)
def test_a_super_segment_of_two_pieces_is_the_ordinary_frames_of_its_pieces(
    extra: int, mtu: int, medium: Medium, options: dict[str, Any], offload: bool, seq: int
) -> None:
    # The last of two pieces is written from the first's headers (`Egress._fill_last`): a
    # last piece as long as the first, or shorter (its own IP length and checksum).
    size = mtu - 20 - segment(0, **options).buffer_len()
    total = size + 1 + extra % size
    assert len(_compare(medium, mtu, segment(total, **options, seq=seq), offload)) == 2


class _FirstUnwritten(TestingDevice):
    """A device that drops its first frame without calling the stack to write it."""

    def __init__(self) -> None:
        super().__init__(Medium.ETHERNET, 1514)
        self.dropped = 0

    def transmit(self, now: Instant) -> Any:
        token = super().transmit(now)
        if self.dropped or token is None:
            return token
        self.dropped += 1
        return _Unwritten()


class _Unwritten:
    def consume(self, length: int, f: Any) -> None:
        return None


def test_the_last_of_two_pieces_is_written_whole_when_the_first_went_unwritten() -> None:
    seg = segment(2000, TcpControl.FIN, cwr=True)
    expected = ordinary(Medium.ETHERNET, 1514, seg)
    dev = _FirstUnwritten()
    config = Config(hardware_addr=EthernetAddress.parse(US_MAC), gso_size=65535)
    iface = Interface(config, dev, Instant.ZERO)
    iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("10.0.0.1/24")))
    iface.neighbor_cache.fill(PEER, EthernetAddress.parse(PEER_MAC), Instant.ZERO)
    assert send(iface, dev, [(ip_of(seg), seg)]) == expected[1:]


def test_scapy_finds_every_piece_valid() -> None:
    scapy = pytest.importorskip("scapy.all")
    seg = segment(20000, TcpControl.FIN, cwr=True, sack=2)
    frames = gso(Medium.ETHERNET, 1514, seg)
    piece = 1500 - 20 - (seg.buffer_len() - len(seg.payload))  # 1428: TS and 2 SACK blocks
    assert len(frames) == -(-20000 // piece) == 15
    data = b""
    for i, frame in enumerate(frames):
        pkt = scapy.Ether(frame)
        ip, tcp = pkt[scapy.IP], pkt[scapy.TCP]
        # scapy recomputes both checksums from scratch when they are deleted.
        rebuilt = scapy.Ether(bytes(pkt.__class__(frame)))
        del rebuilt[scapy.IP].chksum, rebuilt[scapy.TCP].chksum
        rebuilt = scapy.Ether(bytes(rebuilt))
        assert (ip.chksum, tcp.chksum) == (rebuilt[scapy.IP].chksum, rebuilt[scapy.TCP].chksum)
        assert ip.flags.DF and ip.len == len(frame) - 14
        flags = str(tcp.flags)
        assert ("F" in flags) == (i == len(frames) - 1)
        assert ("C" in flags) == (i == 0)
        assert tcp.seq == (0xFFFF_F000 + len(data)) & 0xFFFFFFFF
        data += bytes(tcp.payload)
    assert data == seg.payload


def test_pieces_the_device_has_no_room_for_wait_and_go_first_in_order() -> None:
    seg = segment(30000)
    expected = ordinary(Medium.ETHERNET, 1514, seg)
    iface, dev = interface(Medium.ETHERNET, 1514, gso=True)
    iface.neighbor_cache.fill(PEER, EthernetAddress.parse(PEER_MAC), Instant.ZERO)
    dev.tx_budget = 3
    later = segment(100, seq=0xFFFF_F000 + 30000)
    sockets = SocketSet()
    emitter = Emitter([(ip_of(seg), seg), (ip_of(later), later)])
    sockets.add(emitter)
    emitter._wake()
    iface.poll(NOW, dev, sockets)
    assert dev.take() == expected[:3]
    for _ in range(30):
        dev.tx_budget = 4
        iface.poll(NOW, dev, sockets)
    frames = dev.take()
    assert frames[: len(expected) - 3] == expected[3:]
    assert len(frames) == len(expected) - 3 + 1  # then the later segment, once
    assert not iface.counters.dropped


def test_pieces_wait_for_arp_with_the_rest() -> None:
    seg = segment(5000)
    expected = ordinary(Medium.ETHERNET, 1514, seg)
    iface, dev = interface(Medium.ETHERNET, 1514, gso=True)
    frames = send(iface, dev, [(ip_of(seg), seg)])
    assert len(frames) == 1 and frames[0][12:14] == b"\x08\x06"  # an ARP request only
    reply = arp(2, PEER_MAC, PEER, US_MAC, US)
    dev.push(ethernet(mac(US_MAC), mac(PEER_MAC), 0x0806, reply))
    iface.poll(NOW, dev, SocketSet())
    assert dev.take() == expected


def test_gso_off_or_hardware_tso_leaves_the_cutting_to_others() -> None:
    iface, _ = interface(Medium.ETHERNET, 1514, gso=True)
    assert iface.context.max_tso_size == 65535
    iface, dev = interface(Medium.ETHERNET, 1514, gso=False)
    assert iface.context.max_tso_size == 0
    iface.neighbor_cache.fill(PEER, EthernetAddress.parse(PEER_MAC), Instant.ZERO)
    seg = segment(3000)
    assert send(iface, dev, [(ip_of(seg), seg)]) == []
    assert iface.counters.dropped["too-big"] == 1
    with pytest.raises(ValueError, match="gso_size"):
        Config(gso_size=70000)


class _SubclassedSegment(TcpRepr):
    __slots__ = ()


def test_a_segment_of_a_tcprepr_subclass_is_never_fragmented() -> None:
    # TCP never fragments: a segment past the MTU that GSO cannot take (a subclass's) is
    # dropped as too big, counted, like an exact TcpRepr's; it used to reach the fragmenter,
    # which raised out of poll.
    iface, dev = interface(Medium.IP, 1500, gso=False)
    seg = _SubclassedSegment(*segment(3000))
    assert send(iface, dev, [(ip_of(seg), seg)]) == []
    assert iface.counters.dropped == {"too-big": 1}
