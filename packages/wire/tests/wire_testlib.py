"""Helpers shared by the wire tests: a pcap reader, hypothesis strategies and a naive checksum."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

from hypothesis import strategies as st

from smoltcp.wire import (
    ArpOperation,
    ArpRepr,
    EthernetAddress,
    EthernetProtocol,
    EthernetRepr,
    Icmpv4DstUnreachable,
    Icmpv4Message,
    Icmpv4ParamProblem,
    Icmpv4Repr,
    Icmpv4TimeExceeded,
    IpProtocol,
    Ipv4Address,
    Ipv4Repr,
    TcpControl,
    TcpRepr,
    TcpSeqNumber,
    TcpTimestampRepr,
    UdpRepr,
)

# packages/wire/tests/x.py -> parents[3] is the repository; the captures are its test data.
CAPTURES = Path(__file__).resolve().parents[3] / "tests" / "data"


def read_pcap(path: Path) -> Iterator[bytes]:
    """Yield the frames of a classic libpcap file (either byte order, us or ns timestamps)."""
    data = path.read_bytes()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError(f"{path}: not a pcap file")
    (linktype,) = struct.unpack_from(endian + "I", data, 20)
    if linktype != 1:
        raise ValueError(f"{path}: link type {linktype}, not Ethernet")
    offset = 24
    while offset + 16 <= len(data):
        _, _, incl_len, _ = struct.unpack_from(endian + "IIII", data, offset)
        offset += 16
        yield data[offset : offset + incl_len]
        offset += incl_len


def naive_sum(data: bytes, initial: int = 0) -> int:
    """Return the folded 16-bit one's complement sum, word by word (RFC 1071)."""
    if len(data) % 2:
        data += b"\x00"
    total = initial
    for i in range(0, len(data), 2):
        total += (data[i] << 8) | data[i + 1]
        total = (total & 0xFFFF) + (total >> 16)
    return total


def naive_checksum(data: bytes, initial: int = 0) -> int:
    """Return the checksum to store: the complement of the naive sum."""
    return ~naive_sum(data, initial) & 0xFFFF


def pseudo(src: bytes, dst: bytes, proto: int, length: int) -> bytes:
    """Return the IPv4 pseudo header (RFC 9293 3.1)."""
    return src + dst + bytes([0, proto]) + length.to_bytes(2, "big")


u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
ethernet_addrs = st.binary(min_size=6, max_size=6).map(EthernetAddress)
ipv4_addrs = st.binary(min_size=4, max_size=4).map(Ipv4Address)
ethertypes = st.integers(0x0600, 0xFFFF).filter(lambda v: v not in (0x8100, 0x88A8, 0x9100))

ethernet_reprs = st.builds(
    EthernetRepr, ethernet_addrs, ethernet_addrs, ethertypes.map(EthernetProtocol)
)
arp_reprs = st.builds(
    ArpRepr, u16.map(ArpOperation), ethernet_addrs, ipv4_addrs, ethernet_addrs, ipv4_addrs
)
ipv4_reprs = st.builds(
    Ipv4Repr,
    src_addr=ipv4_addrs,
    dst_addr=ipv4_addrs,
    next_header=u8.map(IpProtocol),
    payload_len=st.integers(0, 0xFFFF - 20),
    hop_limit=u8,
    dscp=st.integers(0, 63),
    ecn=st.integers(0, 3),
    ident=u16,
    dont_frag=st.booleans(),
    more_frags=st.booleans(),
    frag_offset=st.integers(0, 0x1FFF).map(lambda v: v * 8),
)
payloads = st.binary(max_size=64)
udp_reprs = st.builds(UdpRepr, u16, u16, payloads)

_ERROR_CODES = {
    Icmpv4Message.DST_UNREACHABLE: Icmpv4DstUnreachable,
    Icmpv4Message.TIME_EXCEEDED: Icmpv4TimeExceeded,
    Icmpv4Message.PARAM_PROBLEM: Icmpv4ParamProblem,
}
_OTHER_TYPES = st.integers(0, 255).filter(lambda t: t not in (0, 3, 8, 11, 12))


@st.composite
def icmpv4_reprs(draw: st.DrawFn) -> Icmpv4Repr:
    """Draw echo, error (with a quoted header) and other ICMPv4 messages."""
    kind = draw(st.sampled_from(["echo", "error", "other"]))
    if kind == "echo":
        message = draw(st.sampled_from([Icmpv4Message.ECHO_REQUEST, Icmpv4Message.ECHO_REPLY]))
        return Icmpv4Repr(message, 0, draw(u16), draw(u16), draw(payloads))
    if kind == "error":
        message = draw(st.sampled_from(sorted(_ERROR_CODES)))
        code = _ERROR_CODES[message](draw(u8))
        header = draw(ipv4_reprs)
        return Icmpv4Repr(message, code, draw(u16), draw(u16), draw(payloads), header)
    # Other types: the body after type/code/checksum is kept raw; a message has >= 8 octets.
    message = Icmpv4Message(draw(_OTHER_TYPES))
    return Icmpv4Repr(message, draw(u8), 0, 0, draw(st.binary(min_size=4, max_size=64)))


seq_numbers = u32.map(TcpSeqNumber)
_KNOWN_KINDS = (0, 1, 2, 3, 4, 5, 8)
unknown_options = st.lists(
    st.tuples(
        st.integers(6, 255).filter(lambda k: k not in _KNOWN_KINDS),
        st.binary(max_size=6),
    ),
    max_size=2,
).map(tuple)


@st.composite
def tcp_reprs(draw: st.DrawFn) -> TcpRepr:
    """Draw TCP segments with every option kind and combination that fits 40 octets."""
    control = draw(st.sampled_from(list(TcpControl)))
    while True:
        timestamp = draw(st.none() | st.builds(TcpTimestampRepr, u32, u32))
        repr_ = TcpRepr(
            src_port=draw(u16),
            dst_port=draw(u16),
            control=control,
            seq_number=draw(seq_numbers),
            ack_number=draw(st.none() | seq_numbers),
            window_len=draw(u16),
            window_scale=draw(st.none() | u8),
            max_seg_size=draw(st.none() | u16),
            sack_permitted=draw(st.booleans()),
            sack_ranges=tuple(draw(st.lists(st.tuples(seq_numbers, seq_numbers), max_size=4))),
            timestamp=timestamp,
            payload=draw(payloads),
            unknown_options=draw(unknown_options),
            ece=draw(st.booleans()),
            cwr=draw(st.booleans()),
            ns=draw(st.booleans()),
            # PSH beside SYN/FIN/RST only: PSH alone is TcpControl.PSH (the canonical form).
            psh=control in (TcpControl.SYN, TcpControl.FIN, TcpControl.RST) and draw(st.booleans()),
        )
        if repr_.header_len() <= 60:
            return repr_
