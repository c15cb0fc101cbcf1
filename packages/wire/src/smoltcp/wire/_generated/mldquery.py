# Generated from spec/mldquery.py by codegen/templates/header.py.j2 - DO NOT EDIT. inputs-sha256: a931ce5d41c91b61edbb4dd2ecf77b9fe71adb818a249cbd4b9e92b8b64b97be
"""MLD Multicast Listener Query, MLDv2 form (RFC 3810 section 5.1); its first 24 octets are

Generated offsets, enums and the `MldQuery` packet view over the fixed header. The
hand-written ``smoltcp.wire.mldquery`` subclasses the view and adds what a layout cannot
say: variable-length parts, payload, checksums, representations.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import NamedTuple, TypeVar, cast

from smoltcp.wire._generated.icmpv6 import Icmpv6Message
from smoltcp.wire.address import Ipv6Address
from smoltcp.wire.errors import MalformedPacket

__all__ = [
    "Fields",
    "HEADER",
    "HEADER_FIELDS",
    "HEADER_LEN",
    "MldQuery",
    "OCTETS",
    "PROTOCOL",
    "WORDS",
    "WORDS_RX",
    "pack_fields",
    "unpack_fields",
]

#: The protocol's name in `MalformedPacket` errors.
PROTOCOL = "mldv2"

# Constants declared in spec/mldquery.py.
#: Octets of an MLDv1 query (RFC 2710 3): it ends after the Multicast Address.
V1_LEN = 24
#: Octets of one Source Address after the fixed part (RFC 3810 5.1.10).
SOURCE_LEN = 16

# Octet offsets of the fixed header's fields, in 28 octets.
MSG_TYPE = slice(0, 1)  # Type, 130 (RFC 3810 5.1)
MSG_CODE = slice(1, 2)  # Code, zero on send (RFC 3810 5.1)
CHECKSUM = slice(2, 4)  # ICMPv6 checksum (RFC 4443 2.3)
MAX_RESP_CODE = slice(4, 6)  # Maximum Response Code (RFC 3810 5.1.3)
RESERVED = slice(6, 8)  # Reserved, zero on send (RFC 3810 5.1.4)
MCAST_ADDR = slice(8, 24)  # Multicast Address, :: in a general query (5.1.5)
QUERY_FLAGS = slice(24, 25)  # Resv, S and QRV (RFC 3810 5.1.6 to 5.1.8)
QQIC = slice(25, 26)  # QQIC: Querier's Query Interval Code (RFC 3810 5.1.9)
NUM_SOURCES = slice(26, 28)  # Number of Sources (RFC 3810 5.1.10)

# Bit fields of the 8-bit word at QUERY_FLAGS: mask in place, shift of the lowest bit.
RESV_MASK = 0xF0
RESV_SHIFT = 4
S_FLAG_MASK = 0x08
S_FLAG_SHIFT = 3
QRV_MASK = 0x07
QRV_SHIFT = 0

#: Octets of the fixed header.
HEADER_LEN = 28
#: The fields that `HEADER` unpacks, in order (bit groups unpack as one integer word).
HEADER_FIELDS = (
    "msg_type",
    "msg_code",
    "checksum",
    "max_resp_code",
    "reserved",
    "mcast_addr",
    "query_flags",
    "qqic",
    "num_sources",
)
#: The whole fixed header at once: ``HEADER.unpack_from(buffer)`` / ``HEADER.pack_into(...)``.
HEADER = struct.Struct("!BBHHH16sBBH")

# The fixed header as words: one-octet fields paired into 16-bit words, so that the words of an
# aligned header add up to its RFC 1071 sum (modulo 0xffff) and a parse unpacks it once.
#: The words, in order: msg_type_msg_code, checksum, max_resp_code, reserved, mcast_addr, query_flags_qqic, num_sources.
WORDS = struct.Struct("!HHHH16sHH")
#: `WORDS` without those no representation field or check reads (padding instead).
WORDS_RX = struct.Struct("!HHHH16sHH")
#: The fixed header as one octet string (the key of a cache of parsed headers).
OCTETS = struct.Struct("28s")

# The octet offset of each field (of the octet that holds a bit field), from the header start.
MSG_TYPE_AT = 0
MSG_CODE_AT = 1
CHECKSUM_AT = 2
MAX_RESP_CODE_AT = 4
RESERVED_AT = 6
MCAST_ADDR_AT = 8
QRV_AT = 24
RESV_AT = 24
S_FLAG_AT = 24
QQIC_AT = 25
NUM_SOURCES_AT = 26

# Bit fields within one octet: shift and mask within the octet at ``NAME_AT``.
RESV_OCTET_SHIFT = 4
RESV_OCTET_MASK = 0xF0
S_FLAG_OCTET_SHIFT = 3
S_FLAG_OCTET_MASK = 0x08
QRV_OCTET_SHIFT = 0
QRV_OCTET_MASK = 0x07

_S16 = struct.Struct("!16s")
_U16 = struct.Struct("!H")
# Typed unpackers: one call reads a field, and mypy knows what it returns.
_S16_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[bytes]] = _S16.unpack_from
_U16_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[int]] = _U16.unpack_from
_tuple_new = tuple.__new__
_ICMPV6MESSAGE_MEMBERS = cast("dict[int, Icmpv6Message]", Icmpv6Message._value2member_map_)

# new_unchecked returns the class it is called on, so a subclass's emit can take its own view
# type (typing.Self needs Python 3.11 or typing_extensions).
_ViewT = TypeVar("_ViewT", bound="MldQuery")


class MldQuery:
    """Read and write the fixed mldv2 header in place, in a buffer it never copies.

    ``MldQuery(buffer)`` checks the length; `new_unchecked` trusts the caller. Setters
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
        if len(self.buffer) < 28:
            raise MalformedPacket(
                PROTOCOL,
                "header",
                f"{len(self.buffer)} octets, fewer than the 28-octet header",
            )

    @property
    def msg_type(self) -> Icmpv6Message:
        """Type, 130 (RFC 3810 5.1)."""
        value = self.buffer[0]
        try:
            return _ICMPV6MESSAGE_MEMBERS[value]
        except KeyError:
            return Icmpv6Message(value)

    @msg_type.setter
    def msg_type(self, value: int) -> None:
        self.buffer[0] = value  # type: ignore[index]

    @property
    def msg_code(self) -> int:
        """Code, zero on send (RFC 3810 5.1)."""
        return self.buffer[1]

    @msg_code.setter
    def msg_code(self, value: int) -> None:
        self.buffer[1] = value  # type: ignore[index]

    @property
    def checksum(self) -> int:
        """ICMPv6 checksum (RFC 4443 2.3)."""
        return _U16_unpack(self.buffer, 2)[0]

    @checksum.setter
    def checksum(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"checksum: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 2, value)

    @property
    def max_resp_code(self) -> int:
        """Maximum Response Code (RFC 3810 5.1.3)."""
        return _U16_unpack(self.buffer, 4)[0]

    @max_resp_code.setter
    def max_resp_code(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"max_resp_code: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 4, value)

    @property
    def reserved(self) -> int:
        """Reserved, zero on send (RFC 3810 5.1.4)."""
        return _U16_unpack(self.buffer, 6)[0]

    @reserved.setter
    def reserved(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"reserved: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 6, value)

    @property
    def mcast_addr(self) -> Ipv6Address:
        """Multicast Address, :: in a general query (5.1.5)."""
        return Ipv6Address(_S16_unpack(self.buffer, 8)[0])

    @mcast_addr.setter
    def mcast_addr(self, value: Ipv6Address) -> None:
        octets = value.packed
        if len(octets) != 16:
            raise ValueError(f"mcast_addr: {len(octets)} octets, not 16")
        self.buffer[8:24] = octets  # type: ignore[index]

    @property
    def resv(self) -> int:
        """Resv, zero on send (RFC 3810 5.1.6)."""
        return (self.buffer[24] >> 4) & 0xF

    @resv.setter
    def resv(self, value: int) -> None:
        if not 0 <= value <= 15:
            raise ValueError(f"resv: {value!r} is not in range(0, 2**4)")
        buffer = self.buffer
        buffer[24] = (buffer[24] & 0xF) | (value << 4)  # type: ignore[index]

    @property
    def s_flag(self) -> bool:
        """S: suppress router-side processing (RFC 3810 5.1.7)."""
        return bool(self.buffer[24] & 0x8)

    @s_flag.setter
    def s_flag(self, value: bool) -> None:
        buffer = self.buffer
        if value:
            buffer[24] |= 0x8  # type: ignore[index]
        else:
            buffer[24] &= 0xF7  # type: ignore[index]

    @property
    def qrv(self) -> int:
        """QRV: Querier's Robustness Variable (RFC 3810 5.1.8)."""
        return self.buffer[24] & 0x7

    @qrv.setter
    def qrv(self, value: int) -> None:
        if not 0 <= value <= 7:
            raise ValueError(f"qrv: {value!r} is not in range(0, 2**3)")
        buffer = self.buffer
        buffer[24] = (buffer[24] & 0xF8) | value  # type: ignore[index]

    @property
    def qqic(self) -> int:
        """QQIC: Querier's Query Interval Code (RFC 3810 5.1.9)."""
        return self.buffer[25]

    @qqic.setter
    def qqic(self, value: int) -> None:
        self.buffer[25] = value  # type: ignore[index]

    @property
    def num_sources(self) -> int:
        """Number of Sources (RFC 3810 5.1.10)."""
        return _U16_unpack(self.buffer, 26)[0]

    @num_sources.setter
    def num_sources(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"num_sources: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 26, value)


class Fields(NamedTuple):
    """Every field of the fixed mldv2 header (what `unpack_fields` reads)."""

    msg_type: Icmpv6Message
    msg_code: int
    checksum: int
    max_resp_code: int
    reserved: int
    mcast_addr: Ipv6Address
    resv: int
    s_flag: bool
    qrv: int
    qqic: int
    num_sources: int


def unpack_fields(buffer: bytes | bytearray | memoryview, offset: int = 0) -> Fields:
    """Return every field of the 28-octet header at ``offset``.

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
    ) = WORDS.unpack_from(buffer, offset)
    return _tuple_new(
        Fields,
        (
            _ICMPV6MESSAGE_MEMBERS.get(w0 >> 8) or Icmpv6Message(w0 >> 8),
            w0 & 0xFF,
            w1,
            w2,
            w3,
            Ipv6Address(w4),
            w5 >> 12,
            (w5 & 0x800) != 0,
            (w5 >> 8) & 0x7,
            w5 & 0xFF,
            w6,
        ),
    )


def pack_fields(
    buffer: bytearray | memoryview,
    offset: int = 0,
    *,
    mcast_addr: Ipv6Address,
    msg_type: int = 0,
    msg_code: int = 0,
    checksum: int = 0,
    max_resp_code: int = 0,
    reserved: int = 0,
    resv: int = 0,
    s_flag: bool = False,
    qrv: int = 0,
    qqic: int = 0,
    num_sources: int = 0,
) -> None:
    """Write the 28-octet header at ``offset``; every field by keyword.

    Values are trusted (in range, as after a parse): `emit` paths check their inputs.
    """
    WORDS.pack_into(
        buffer,
        offset,
        (msg_type << 8) | msg_code,
        checksum,
        max_resp_code,
        reserved,
        mcast_addr.packed,
        (resv << 12) | (0x800 if s_flag else 0) | (qrv << 8) | qqic,
        num_sources,
    )
