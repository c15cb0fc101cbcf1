# Generated from spec/ipv6.py by codegen/templates/header.py.j2 - DO NOT EDIT. inputs-sha256: 58dc10fef28150ab6872d9d63ffe8e47680467114a593fe5327261465fc8e2e2
"""IPv6 fixed header (RFC 8200 section 3, with DSCP and ECN from RFC 2474 and RFC 3168).

Generated offsets, enums and the `Ipv6Packet` packet view over the fixed header. The
hand-written ``smoltcp.wire.ipv6`` subclasses the view and adds what a layout cannot
say: variable-length parts, payload, checksums, representations.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import NamedTuple, TypeVar, cast

from smoltcp.wire._generated.ipv4 import IpProtocol
from smoltcp.wire.address import Ipv6Address
from smoltcp.wire.errors import MalformedPacket

__all__ = [
    "Fields",
    "HEADER",
    "HEADER_FIELDS",
    "HEADER_LEN",
    "Ipv6Packet",
    "OCTETS",
    "PROTOCOL",
    "WORDS",
    "WORDS_RX",
    "pack_fields",
    "unpack_fields",
]

#: The protocol's name in `MalformedPacket` errors.
PROTOCOL = "ipv6"

# Constants declared in spec/ipv6.py.
#: The smallest link MTU an IPv6 link may have (RFC 8200 section 5).
MIN_MTU = 1280

# Octet offsets of the fixed header's fields, in 40 octets.
VER_TC_FLOW = slice(0, 4)  # Version, Traffic Class and Flow Label (RFC 8200 section 3)
PAYLOAD_LEN = slice(4, 6)  # Payload Length after this header, in octets (RFC 8200 section 3)
NEXT_HEADER = slice(6, 7)  # Next Header: the header after this one (RFC 8200 section 3)
HOP_LIMIT = slice(7, 8)  # Hop Limit (RFC 8200 section 3)
SRC_ADDR = slice(8, 24)  # Source Address (RFC 8200 section 3)
DST_ADDR = slice(24, 40)  # Destination Address (RFC 8200 section 3)

# Bit fields of the 32-bit word at VER_TC_FLOW: mask in place, shift of the lowest bit.
VERSION_MASK = 0xF0000000
VERSION_SHIFT = 28
DSCP_MASK = 0x0FC00000
DSCP_SHIFT = 22
ECN_MASK = 0x00300000
ECN_SHIFT = 20
FLOW_LABEL_MASK = 0x000FFFFF
FLOW_LABEL_SHIFT = 0

#: Octets of the fixed header.
HEADER_LEN = 40
#: The fields that `HEADER` unpacks, in order (bit groups unpack as one integer word).
HEADER_FIELDS = (
    "ver_tc_flow",
    "payload_len",
    "next_header",
    "hop_limit",
    "src_addr",
    "dst_addr",
)
#: The whole fixed header at once: ``HEADER.unpack_from(buffer)`` / ``HEADER.pack_into(...)``.
HEADER = struct.Struct("!LHBB16s16s")

# The fixed header as words: one-octet fields paired into 16-bit words, so that the words of an
# aligned header add up to its RFC 1071 sum (modulo 0xffff) and a parse unpacks it once.
#: The words, in order: ver_tc_flow, payload_len, next_header_hop_limit, src_addr, dst_addr.
WORDS = struct.Struct("!LHH16s16s")
#: `WORDS` without those no representation field or check reads (padding instead).
WORDS_RX = struct.Struct("!LHH16s16s")
#: The fixed header as one octet string (the key of a cache of parsed headers).
OCTETS = struct.Struct("40s")

# The octet offset of each field (of the octet that holds a bit field), from the header start.
VERSION_AT = 0
ECN_AT = 1
PAYLOAD_LEN_AT = 4
NEXT_HEADER_AT = 6
HOP_LIMIT_AT = 7
SRC_ADDR_AT = 8
DST_ADDR_AT = 24

# Bit fields within one octet: shift and mask within the octet at ``NAME_AT``.
VERSION_OCTET_SHIFT = 4
VERSION_OCTET_MASK = 0xF0
ECN_OCTET_SHIFT = 4
ECN_OCTET_MASK = 0x30

_S16 = struct.Struct("!16s")
_U16 = struct.Struct("!H")
_U32 = struct.Struct("!L")
# Typed unpackers: one call reads a field, and mypy knows what it returns.
_S16_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[bytes]] = _S16.unpack_from
_U16_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[int]] = _U16.unpack_from
_U32_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[int]] = _U32.unpack_from
_tuple_new = tuple.__new__
_IPPROTOCOL_MEMBERS = cast("dict[int, IpProtocol]", IpProtocol._value2member_map_)

# new_unchecked returns the class it is called on, so a subclass's emit can take its own view
# type (typing.Self needs Python 3.11 or typing_extensions).
_ViewT = TypeVar("_ViewT", bound="Ipv6Packet")


class Ipv6Packet:
    """Read and write the fixed ipv6 header in place, in a buffer it never copies.

    ``Ipv6Packet(buffer)`` checks the length; `new_unchecked` trusts the caller. Setters
    need a writable buffer (``bytearray`` or a writable ``memoryview``).
    """

    __slots__ = ("buffer",)

    def __init__(self, buffer: bytes | bytearray | memoryview) -> None:
        """Wrap ``buffer``; raise `MalformedPacket` if it cannot hold the fixed header."""
        self.buffer = buffer
        self.check_len()

    @classmethod
    def new_unchecked(cls: type[_ViewT], buffer: bytes | bytearray | memoryview) -> _ViewT:
        """Wrap ``buffer`` without checking it: accessors may then raise on short buffers."""
        self = cls.__new__(cls)
        self.buffer = buffer
        return self

    def check_len(self) -> None:
        """Raise `MalformedPacket` if the buffer is shorter than the fixed header."""
        if len(self.buffer) < 40:
            raise MalformedPacket(
                PROTOCOL,
                "header",
                f"{len(self.buffer)} octets, fewer than the 40-octet header",
            )

    @property
    def version(self) -> int:
        """Version, 6 for IPv6 (RFC 8200 section 3)."""
        return (self.buffer[0] >> 4) & 0xF

    @version.setter
    def version(self, value: int) -> None:
        if not 0 <= value <= 15:
            raise ValueError(f"version: {value!r} is not in range(0, 2**4)")
        buffer = self.buffer
        buffer[0] = (buffer[0] & 0xF) | (value << 4)  # type: ignore[index]

    @property
    def dscp(self) -> int:
        """Traffic Class: Differentiated Services (RFC 2474 section 3)."""
        return (_U32_unpack(self.buffer, 0)[0] >> 22) & 0x3F

    @dscp.setter
    def dscp(self, value: int) -> None:
        if not 0 <= value <= 63:
            raise ValueError(f"dscp: {value!r} is not in range(0, 2**6)")
        word = (_U32_unpack(self.buffer, 0)[0] & 0xF03FFFFF) | (value << 22)
        _U32.pack_into(self.buffer, 0, word)

    @property
    def ecn(self) -> int:
        """Traffic Class: Explicit Congestion Notification (RFC 3168)."""
        return (self.buffer[1] >> 4) & 0x3

    @ecn.setter
    def ecn(self, value: int) -> None:
        if not 0 <= value <= 3:
            raise ValueError(f"ecn: {value!r} is not in range(0, 2**2)")
        buffer = self.buffer
        buffer[1] = (buffer[1] & 0xCF) | (value << 4)  # type: ignore[index]

    @property
    def flow_label(self) -> int:
        """Flow Label (RFC 8200 section 6, RFC 6437)."""
        return _U32_unpack(self.buffer, 0)[0] & 0xFFFFF

    @flow_label.setter
    def flow_label(self, value: int) -> None:
        if not 0 <= value <= 1048575:
            raise ValueError(f"flow_label: {value!r} is not in range(0, 2**20)")
        word = (_U32_unpack(self.buffer, 0)[0] & 0xFFF00000) | value
        _U32.pack_into(self.buffer, 0, word)

    @property
    def payload_len(self) -> int:
        """Payload Length after this header, in octets (RFC 8200 section 3)."""
        return _U16_unpack(self.buffer, 4)[0]

    @payload_len.setter
    def payload_len(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"payload_len: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 4, value)

    @property
    def next_header(self) -> IpProtocol:
        """Next Header: the header after this one (RFC 8200 section 3)."""
        value = self.buffer[6]
        try:
            return _IPPROTOCOL_MEMBERS[value]
        except KeyError:
            return IpProtocol(value)

    @next_header.setter
    def next_header(self, value: int) -> None:
        self.buffer[6] = value  # type: ignore[index]

    @property
    def hop_limit(self) -> int:
        """Hop Limit (RFC 8200 section 3)."""
        return self.buffer[7]

    @hop_limit.setter
    def hop_limit(self, value: int) -> None:
        self.buffer[7] = value  # type: ignore[index]

    @property
    def src_addr(self) -> Ipv6Address:
        """Source Address (RFC 8200 section 3)."""
        return Ipv6Address(_S16_unpack(self.buffer, 8)[0])

    @src_addr.setter
    def src_addr(self, value: Ipv6Address) -> None:
        octets = value.packed
        if len(octets) != 16:
            raise ValueError(f"src_addr: {len(octets)} octets, not 16")
        self.buffer[8:24] = octets  # type: ignore[index]

    @property
    def dst_addr(self) -> Ipv6Address:
        """Destination Address (RFC 8200 section 3)."""
        return Ipv6Address(_S16_unpack(self.buffer, 24)[0])

    @dst_addr.setter
    def dst_addr(self, value: Ipv6Address) -> None:
        octets = value.packed
        if len(octets) != 16:
            raise ValueError(f"dst_addr: {len(octets)} octets, not 16")
        self.buffer[24:40] = octets  # type: ignore[index]


class Fields(NamedTuple):
    """Every field of the fixed ipv6 header (what `unpack_fields` reads)."""

    version: int
    dscp: int
    ecn: int
    flow_label: int
    payload_len: int
    next_header: IpProtocol
    hop_limit: int
    src_addr: Ipv6Address
    dst_addr: Ipv6Address


def unpack_fields(buffer: bytes | bytearray | memoryview, offset: int = 0) -> Fields:
    """Return every field of the 40-octet header at ``offset``.

    The caller has checked that the buffer holds it (`struct.error` otherwise).
    """
    (
        w0,
        w1,
        w2,
        w3,
        w4,
    ) = WORDS.unpack_from(buffer, offset)
    return _tuple_new(
        Fields,
        (
            w0 >> 28,
            (w0 >> 22) & 0x3F,
            (w0 >> 20) & 0x3,
            w0 & 0xFFFFF,
            w1,
            _IPPROTOCOL_MEMBERS.get(w2 >> 8) or IpProtocol(w2 >> 8),
            w2 & 0xFF,
            Ipv6Address(w3),
            Ipv6Address(w4),
        ),
    )


def pack_fields(
    buffer: bytearray | memoryview,
    offset: int = 0,
    *,
    src_addr: Ipv6Address,
    dst_addr: Ipv6Address,
    version: int = 0,
    dscp: int = 0,
    ecn: int = 0,
    flow_label: int = 0,
    payload_len: int = 0,
    next_header: int = 0,
    hop_limit: int = 0,
) -> None:
    """Write the 40-octet header at ``offset``; every field by keyword.

    Values are trusted (in range, as after a parse): `emit` paths check their inputs.
    """
    WORDS.pack_into(
        buffer,
        offset,
        (version << 28) | (dscp << 22) | (ecn << 20) | flow_label,
        payload_len,
        (next_header << 8) | hop_limit,
        src_addr.packed,
        dst_addr.packed,
    )
