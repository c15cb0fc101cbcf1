# Generated from spec/ipv4.py by codegen/templates/header.py.j2 - DO NOT EDIT. inputs-sha256: c4a74296434dbc570a3d54afe9b57248b90c138c86f5b7ae9e2097ece82ec9a5
"""IPv4 header (RFC 791 section 3.1, with DSCP and ECN from RFC 2474 and RFC 3168).

Generated offsets, enums and the `Ipv4Packet` packet view over the fixed header. The
hand-written ``smoltcp.wire.ipv4`` subclasses the view and adds what a layout cannot
say: variable-length parts, payload, checksums, representations.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import NamedTuple, TypeVar, cast

from smoltcp.wire._generated._base import UnknownKeepingIntEnum
from smoltcp.wire.address import Ipv4Address
from smoltcp.wire.errors import MalformedPacket

__all__ = [
    "Fields",
    "HEADER",
    "HEADER_FIELDS",
    "HEADER_LEN",
    "IpProtocol",
    "Ipv4Packet",
    "OCTETS",
    "PROTOCOL",
    "WORDS",
    "WORDS_RX",
    "pack_fields",
    "unpack_fields",
]

#: The protocol's name in `MalformedPacket` errors.
PROTOCOL = "ipv4"

# Constants declared in spec/ipv4.py.
#: The header length without options (RFC 791: IHL >= 5).
MIN_HEADER_LEN = 20
#: The largest header: IHL is four bits of 32-bit words (RFC 791).
MAX_HEADER_LEN = 60

# Octet offsets of the fixed header's fields, in 20 octets.
VER_IHL = slice(0, 1)  # Version and Internet Header Length nibbles (RFC 791 3.1)
DSCP_ECN = slice(1, 2)  # The former Type of Service octet (RFC 791 3.1, RFC 2474, RFC 3168)
TOTAL_LEN = slice(2, 4)  # Total Length of header and data, in octets (RFC 791 3.1)
IDENT = slice(4, 6)  # Identification, for reassembly (RFC 791 3.1, RFC 6864)
FLAGS_FRAG = slice(6, 8)  # Flags and Fragment Offset (RFC 791 3.1)
HOP_LIMIT = slice(8, 9)  # Time to Live (RFC 791 3.1)
NEXT_HEADER = slice(9, 10)  # Protocol of the payload (RFC 791 3.1, IANA protocol numbers)
CHECKSUM = slice(10, 12)  # Header Checksum (RFC 791 3.1, RFC 1071)
SRC_ADDR = slice(12, 16)  # Source Address (RFC 791 3.1)
DST_ADDR = slice(16, 20)  # Destination Address (RFC 791 3.1)

# Bit fields of the 8-bit word at VER_IHL: mask in place, shift of the lowest bit.
VERSION_MASK = 0xF0
VERSION_SHIFT = 4
HEADER_LEN_MASK = 0x0F
HEADER_LEN_SHIFT = 0
HEADER_LEN_UNIT = 4  # the field counts units of this many octets

# Bit fields of the 8-bit word at DSCP_ECN: mask in place, shift of the lowest bit.
DSCP_MASK = 0xFC
DSCP_SHIFT = 2
ECN_MASK = 0x03
ECN_SHIFT = 0

# Bit fields of the 16-bit word at FLAGS_FRAG: mask in place, shift of the lowest bit.
RESERVED_MASK = 0x8000
RESERVED_SHIFT = 15
DONT_FRAG_MASK = 0x4000
DONT_FRAG_SHIFT = 14
MORE_FRAGS_MASK = 0x2000
MORE_FRAGS_SHIFT = 13
FRAG_OFFSET_MASK = 0x1FFF
FRAG_OFFSET_SHIFT = 0
FRAG_OFFSET_UNIT = 8  # the field counts units of this many octets

#: Octets of the fixed header.
HEADER_LEN = 20
#: The fields that `HEADER` unpacks, in order (bit groups unpack as one integer word).
HEADER_FIELDS = (
    "ver_ihl",
    "dscp_ecn",
    "total_len",
    "ident",
    "flags_frag",
    "hop_limit",
    "next_header",
    "checksum",
    "src_addr",
    "dst_addr",
)
#: The whole fixed header at once: ``HEADER.unpack_from(buffer)`` / ``HEADER.pack_into(...)``.
HEADER = struct.Struct("!BBHHHBBH4s4s")

# The fixed header as words: one-octet fields paired into 16-bit words, so that the words of an
# aligned header add up to its RFC 1071 sum (modulo 0xffff) and a parse unpacks it once.
#: The words, in order: ver_ihl_dscp_ecn, total_len, ident, flags_frag, hop_limit_next_header, checksum, src_addr, dst_addr.
WORDS = struct.Struct("!HHHHHHLL")
#: `WORDS` without those no representation field or check reads (padding instead).
WORDS_RX = struct.Struct("!HHHHHHLL")
#: The fixed header as one octet string (the key of a cache of parsed headers).
OCTETS = struct.Struct("20s")

# The octet offset of each field (of the octet that holds a bit field), from the header start.
HEADER_LEN_AT = 0
VERSION_AT = 0
DSCP_AT = 1
ECN_AT = 1
TOTAL_LEN_AT = 2
IDENT_AT = 4
DONT_FRAG_AT = 6
MORE_FRAGS_AT = 6
RESERVED_AT = 6
HOP_LIMIT_AT = 8
NEXT_HEADER_AT = 9
CHECKSUM_AT = 10
SRC_ADDR_AT = 12
DST_ADDR_AT = 16

# Bit fields within one octet: shift and mask within the octet at ``NAME_AT``.
VERSION_OCTET_SHIFT = 4
VERSION_OCTET_MASK = 0xF0
HEADER_LEN_OCTET_SHIFT = 0
HEADER_LEN_OCTET_MASK = 0x0F
DSCP_OCTET_SHIFT = 2
DSCP_OCTET_MASK = 0xFC
ECN_OCTET_SHIFT = 0
ECN_OCTET_MASK = 0x03
RESERVED_OCTET_SHIFT = 7
RESERVED_OCTET_MASK = 0x80
DONT_FRAG_OCTET_SHIFT = 6
DONT_FRAG_OCTET_MASK = 0x40
MORE_FRAGS_OCTET_SHIFT = 5
MORE_FRAGS_OCTET_MASK = 0x20


class IpProtocol(UnknownKeepingIntEnum):
    """IP protocol number: the payload of IPv4, next header of IPv6 (IANA).

    A value without a name reads as the pseudo-member ``Unknown(value)``; it is not an error.
    """

    HOPOPTS = 0  # RFC 8200 IPv6 Hop-by-Hop Option
    ICMP = 1  # RFC 792
    IGMP = 2  # RFC 1112
    TCP = 6  # RFC 9293
    UDP = 17  # RFC 768
    IPV6_ROUTE = 43  # RFC 8200 Routing Header
    IPV6_FRAG = 44  # RFC 8200 Fragment Header
    ICMPV6 = 58  # RFC 4443
    IPV6_NONXT = 59  # RFC 8200 No Next Header
    IPV6_OPTS = 60  # RFC 8200 Destination Options


IpProtocol._value_limit = 256  # the field is 8 bits wide

_S4 = struct.Struct("!4s")
_U16 = struct.Struct("!H")
# Typed unpackers: one call reads a field, and mypy knows what it returns.
_S4_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[bytes]] = _S4.unpack_from
_U16_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[int]] = _U16.unpack_from
_tuple_new = tuple.__new__
_IPPROTOCOL_MEMBERS = cast("dict[int, IpProtocol]", IpProtocol._value2member_map_)

# new_unchecked returns the class it is called on, so a subclass's emit can take its own view
# type (typing.Self needs Python 3.11 or typing_extensions).
_ViewT = TypeVar("_ViewT", bound="Ipv4Packet")


class Ipv4Packet:
    """Read and write the fixed ipv4 header in place, in a buffer it never copies.

    ``Ipv4Packet(buffer)`` checks the length; `new_unchecked` trusts the caller. Setters
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
        if len(self.buffer) < 20:
            raise MalformedPacket(
                PROTOCOL,
                "header",
                f"{len(self.buffer)} octets, fewer than the 20-octet header",
            )

    @property
    def version(self) -> int:
        """Version, 4 for IPv4 (RFC 791 3.1)."""
        return (self.buffer[0] >> 4) & 0xF

    @version.setter
    def version(self, value: int) -> None:
        if not 0 <= value <= 15:
            raise ValueError(f"version: {value!r} is not in range(0, 2**4)")
        buffer = self.buffer
        buffer[0] = (buffer[0] & 0xF) | (value << 4)  # type: ignore[index]

    @property
    def header_len(self) -> int:
        """IHL, in 32-bit words (RFC 791 3.1); read and written in octets."""
        return (self.buffer[0] & 0xF) * 4

    @header_len.setter
    def header_len(self, value: int) -> None:
        if value % 4 or not 0 <= value <= 60:
            raise ValueError(f"header_len: {value!r} is not a multiple of 4 in range(0, 61)")
        buffer = self.buffer
        buffer[0] = (buffer[0] & 0xF0) | (value // 4)  # type: ignore[index]

    @property
    def dscp(self) -> int:
        """Differentiated Services Codepoint (RFC 2474 section 3)."""
        return (self.buffer[1] >> 2) & 0x3F

    @dscp.setter
    def dscp(self, value: int) -> None:
        if not 0 <= value <= 63:
            raise ValueError(f"dscp: {value!r} is not in range(0, 2**6)")
        buffer = self.buffer
        buffer[1] = (buffer[1] & 0x3) | (value << 2)  # type: ignore[index]

    @property
    def ecn(self) -> int:
        """Explicit Congestion Notification (RFC 3168 section 5)."""
        return self.buffer[1] & 0x3

    @ecn.setter
    def ecn(self, value: int) -> None:
        if not 0 <= value <= 3:
            raise ValueError(f"ecn: {value!r} is not in range(0, 2**2)")
        buffer = self.buffer
        buffer[1] = (buffer[1] & 0xFC) | value  # type: ignore[index]

    @property
    def total_len(self) -> int:
        """Total Length of header and data, in octets (RFC 791 3.1)."""
        return _U16_unpack(self.buffer, 2)[0]

    @total_len.setter
    def total_len(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"total_len: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 2, value)

    @property
    def ident(self) -> int:
        """Identification, for reassembly (RFC 791 3.1, RFC 6864)."""
        return _U16_unpack(self.buffer, 4)[0]

    @ident.setter
    def ident(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"ident: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 4, value)

    @property
    def reserved(self) -> bool:
        """Reserved flag bit 0, must be zero (RFC 791 3.1)."""
        return bool(self.buffer[6] & 0x80)

    @reserved.setter
    def reserved(self, value: bool) -> None:
        buffer = self.buffer
        if value:
            buffer[6] |= 0x80  # type: ignore[index]
        else:
            buffer[6] &= 0x7F  # type: ignore[index]

    @property
    def dont_frag(self) -> bool:
        """DF: Don't Fragment (RFC 791 3.1)."""
        return bool(self.buffer[6] & 0x40)

    @dont_frag.setter
    def dont_frag(self, value: bool) -> None:
        buffer = self.buffer
        if value:
            buffer[6] |= 0x40  # type: ignore[index]
        else:
            buffer[6] &= 0xBF  # type: ignore[index]

    @property
    def more_frags(self) -> bool:
        """MF: More Fragments (RFC 791 3.1)."""
        return bool(self.buffer[6] & 0x20)

    @more_frags.setter
    def more_frags(self, value: bool) -> None:
        buffer = self.buffer
        if value:
            buffer[6] |= 0x20  # type: ignore[index]
        else:
            buffer[6] &= 0xDF  # type: ignore[index]

    @property
    def frag_offset(self) -> int:
        """Fragment Offset, in 8-octet units (RFC 791); read and written in octets."""
        return (_U16_unpack(self.buffer, 6)[0] & 0x1FFF) * 8

    @frag_offset.setter
    def frag_offset(self, value: int) -> None:
        if value % 8 or not 0 <= value <= 65528:
            raise ValueError(f"frag_offset: {value!r} is not a multiple of 8 in range(0, 65529)")
        word = (_U16_unpack(self.buffer, 6)[0] & 0xE000) | (value // 8)
        _U16.pack_into(self.buffer, 6, word)

    @property
    def hop_limit(self) -> int:
        """Time to Live (RFC 791 3.1)."""
        return self.buffer[8]

    @hop_limit.setter
    def hop_limit(self, value: int) -> None:
        self.buffer[8] = value  # type: ignore[index]

    @property
    def next_header(self) -> IpProtocol:
        """Protocol of the payload (RFC 791 3.1, IANA protocol numbers)."""
        value = self.buffer[9]
        try:
            return _IPPROTOCOL_MEMBERS[value]
        except KeyError:
            return IpProtocol(value)

    @next_header.setter
    def next_header(self, value: int) -> None:
        self.buffer[9] = value  # type: ignore[index]

    @property
    def checksum(self) -> int:
        """Header Checksum (RFC 791 3.1, RFC 1071)."""
        return _U16_unpack(self.buffer, 10)[0]

    @checksum.setter
    def checksum(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"checksum: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 10, value)

    @property
    def src_addr(self) -> Ipv4Address:
        """Source Address (RFC 791 3.1)."""
        return Ipv4Address(_S4_unpack(self.buffer, 12)[0])

    @src_addr.setter
    def src_addr(self, value: Ipv4Address) -> None:
        octets = value.packed
        if len(octets) != 4:
            raise ValueError(f"src_addr: {len(octets)} octets, not 4")
        self.buffer[12:16] = octets  # type: ignore[index]

    @property
    def dst_addr(self) -> Ipv4Address:
        """Destination Address (RFC 791 3.1)."""
        return Ipv4Address(_S4_unpack(self.buffer, 16)[0])

    @dst_addr.setter
    def dst_addr(self, value: Ipv4Address) -> None:
        octets = value.packed
        if len(octets) != 4:
            raise ValueError(f"dst_addr: {len(octets)} octets, not 4")
        self.buffer[16:20] = octets  # type: ignore[index]


class Fields(NamedTuple):
    """Every field of the fixed ipv4 header (what `unpack_fields` reads)."""

    version: int
    header_len: int
    dscp: int
    ecn: int
    total_len: int
    ident: int
    reserved: bool
    dont_frag: bool
    more_frags: bool
    frag_offset: int
    hop_limit: int
    next_header: IpProtocol
    checksum: int
    src_addr: Ipv4Address
    dst_addr: Ipv4Address


def unpack_fields(buffer: bytes | bytearray | memoryview, offset: int = 0) -> Fields:
    """Return every field of the 20-octet header at ``offset``.

    The caller has checked that the buffer holds it (`struct.error` otherwise).
    """
    (
        w0,
        w1,
        w2,
        w3,
        w4,
        w5,
        w6,
        w7,
    ) = WORDS.unpack_from(buffer, offset)
    return _tuple_new(
        Fields,
        (
            w0 >> 12,
            (w0 >> 6) & 0x3C,
            (w0 >> 2) & 0x3F,
            w0 & 0x3,
            w1,
            w2,
            (w3 & 0x8000) != 0,
            (w3 & 0x4000) != 0,
            (w3 & 0x2000) != 0,
            (w3 & 0x1FFF) * 8,
            w4 >> 8,
            _IPPROTOCOL_MEMBERS.get(w4 & 0xFF) or IpProtocol(w4 & 0xFF),
            w5,
            Ipv4Address(w6),
            Ipv4Address(w7),
        ),
    )


def pack_fields(
    buffer: bytearray | memoryview,
    offset: int = 0,
    *,
    src_addr: Ipv4Address,
    dst_addr: Ipv4Address,
    version: int = 0,
    header_len: int = 0,
    dscp: int = 0,
    ecn: int = 0,
    total_len: int = 0,
    ident: int = 0,
    reserved: bool = False,
    dont_frag: bool = False,
    more_frags: bool = False,
    frag_offset: int = 0,
    hop_limit: int = 0,
    next_header: int = 0,
    checksum: int = 0,
) -> None:
    """Write the 20-octet header at ``offset``; every field by keyword.

    Values are trusted (in range, as after a parse): `emit` paths check their inputs.
    """
    WORDS.pack_into(
        buffer,
        offset,
        (version << 12) | (header_len << 6) | (dscp << 2) | ecn,
        total_len,
        ident,
        (0x8000 if reserved else 0)
        | (0x4000 if dont_frag else 0)
        | (0x2000 if more_frags else 0)
        | (frag_offset >> 3),
        (hop_limit << 8) | next_header,
        checksum,
        src_addr._int,
        dst_addr._int,
    )
