# Generated from spec/ipv6frag.py by codegen/templates/header.py.j2 - DO NOT EDIT. inputs-sha256: 802bde77606bfb7ae75b41e476b4215b002417cff436b7f2ff4673bcc2799c31
"""IPv6 Fragment header (RFC 8200 section 4.5).

Generated offsets, enums and the `Ipv6FragHeader` packet view over the fixed header. The
hand-written ``smoltcp.wire.ipv6frag`` subclasses the view and adds what a layout cannot
say: variable-length parts, payload, checksums, representations.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import NamedTuple, TypeVar, cast

from smoltcp.wire._generated.ipv4 import IpProtocol
from smoltcp.wire.errors import MalformedPacket

__all__ = [
    "Fields",
    "HEADER",
    "HEADER_FIELDS",
    "HEADER_LEN",
    "Ipv6FragHeader",
    "OCTETS",
    "PROTOCOL",
    "WORDS",
    "WORDS_RX",
    "pack_fields",
    "unpack_fields",
]

#: The protocol's name in `MalformedPacket` errors.
PROTOCOL = "ipv6frag"

# Octet offsets of the fixed header's fields, in 8 octets.
NEXT_HEADER = slice(0, 1)  # Next Header of the original packet's fragmentable part (4.5)
RESERVED = slice(1, 2)  # Reserved, zero on send, ignored on receipt (RFC 8200 4.5)
OFFSET_FLAGS = slice(2, 4)  # Fragment Offset, Res and M (RFC 8200 4.5)
IDENT = slice(4, 8)  # Identification (RFC 8200 4.5)

# Bit fields of the 16-bit word at OFFSET_FLAGS: mask in place, shift of the lowest bit.
FRAG_OFFSET_MASK = 0xFFF8
FRAG_OFFSET_SHIFT = 3
FRAG_OFFSET_UNIT = 8  # the field counts units of this many octets
RES_MASK = 0x0006
RES_SHIFT = 1
MORE_FRAGS_MASK = 0x0001
MORE_FRAGS_SHIFT = 0

#: Octets of the fixed header.
HEADER_LEN = 8
#: The fields that `HEADER` unpacks, in order (bit groups unpack as one integer word).
HEADER_FIELDS = (
    "next_header",
    "reserved",
    "offset_flags",
    "ident",
)
#: The whole fixed header at once: ``HEADER.unpack_from(buffer)`` / ``HEADER.pack_into(...)``.
HEADER = struct.Struct("!BBHL")

# The fixed header as words: one-octet fields paired into 16-bit words, so that the words of an
# aligned header add up to its RFC 1071 sum (modulo 0xffff) and a parse unpacks it once.
#: The words, in order: next_header_reserved, offset_flags, ident.
WORDS = struct.Struct("!HHL")
#: `WORDS` without those no representation field or check reads (padding instead).
WORDS_RX = struct.Struct("!HHL")
#: The fixed header as one octet string (the key of a cache of parsed headers).
OCTETS = struct.Struct("8s")

# The octet offset of each field (of the octet that holds a bit field), from the header start.
NEXT_HEADER_AT = 0
RESERVED_AT = 1
MORE_FRAGS_AT = 3
RES_AT = 3
IDENT_AT = 4

# Bit fields within one octet: shift and mask within the octet at ``NAME_AT``.
RES_OCTET_SHIFT = 1
RES_OCTET_MASK = 0x06
MORE_FRAGS_OCTET_SHIFT = 0
MORE_FRAGS_OCTET_MASK = 0x01

_U16 = struct.Struct("!H")
_U32 = struct.Struct("!L")
# Typed unpackers: one call reads a field, and mypy knows what it returns.
_U16_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[int]] = _U16.unpack_from
_U32_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[int]] = _U32.unpack_from
_tuple_new = tuple.__new__
_IPPROTOCOL_MEMBERS = cast("dict[int, IpProtocol]", IpProtocol._value2member_map_)

# new_unchecked returns the class it is called on, so a subclass's emit can take its own view
# type (typing.Self needs Python 3.11 or typing_extensions).
_ViewT = TypeVar("_ViewT", bound="Ipv6FragHeader")


class Ipv6FragHeader:
    """Read and write the fixed ipv6frag header in place, in a buffer it never copies.

    ``Ipv6FragHeader(buffer)`` checks the length; `new_unchecked` trusts the caller. Setters
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
        if len(self.buffer) < 8:
            raise MalformedPacket(
                PROTOCOL,
                "header",
                f"{len(self.buffer)} octets, fewer than the 8-octet header",
            )

    @property
    def next_header(self) -> IpProtocol:
        """Next Header of the original packet's fragmentable part (4.5)."""
        value = self.buffer[0]
        try:
            return _IPPROTOCOL_MEMBERS[value]
        except KeyError:
            return IpProtocol(value)

    @next_header.setter
    def next_header(self, value: int) -> None:
        self.buffer[0] = value  # type: ignore[index]

    @property
    def reserved(self) -> int:
        """Reserved, zero on send, ignored on receipt (RFC 8200 4.5)."""
        return self.buffer[1]

    @reserved.setter
    def reserved(self, value: int) -> None:
        self.buffer[1] = value  # type: ignore[index]

    @property
    def frag_offset(self) -> int:
        """Fragment Offset, 8-octet units (RFC 8200); read and written in octets."""
        return ((_U16_unpack(self.buffer, 2)[0] >> 3) & 0x1FFF) * 8

    @frag_offset.setter
    def frag_offset(self, value: int) -> None:
        if value % 8 or not 0 <= value <= 65528:
            raise ValueError(f"frag_offset: {value!r} is not a multiple of 8 in range(0, 65529)")
        word = (_U16_unpack(self.buffer, 2)[0] & 0x7) | ((value // 8) << 3)
        _U16.pack_into(self.buffer, 2, word)

    @property
    def res(self) -> int:
        """Res, zero on send, ignored on receipt (RFC 8200 4.5)."""
        return (self.buffer[3] >> 1) & 0x3

    @res.setter
    def res(self, value: int) -> None:
        if not 0 <= value <= 3:
            raise ValueError(f"res: {value!r} is not in range(0, 2**2)")
        buffer = self.buffer
        buffer[3] = (buffer[3] & 0xF9) | (value << 1)  # type: ignore[index]

    @property
    def more_frags(self) -> bool:
        """M flag: more fragments follow (RFC 8200 4.5)."""
        return bool(self.buffer[3] & 0x1)

    @more_frags.setter
    def more_frags(self, value: bool) -> None:
        buffer = self.buffer
        if value:
            buffer[3] |= 0x1  # type: ignore[index]
        else:
            buffer[3] &= 0xFE  # type: ignore[index]

    @property
    def ident(self) -> int:
        """Identification (RFC 8200 4.5)."""
        return _U32_unpack(self.buffer, 4)[0]

    @ident.setter
    def ident(self, value: int) -> None:
        if not 0 <= value <= 0xFFFFFFFF:
            raise ValueError(f"ident: {value!r} is not in range(0, 2**32)")
        _U32.pack_into(self.buffer, 4, value)


class Fields(NamedTuple):
    """Every field of the fixed ipv6frag header (what `unpack_fields` reads)."""

    next_header: IpProtocol
    reserved: int
    frag_offset: int
    res: int
    more_frags: bool
    ident: int


def unpack_fields(buffer: bytes | bytearray | memoryview, offset: int = 0) -> Fields:
    """Return every field of the 8-octet header at ``offset``.

    The caller has checked that the buffer holds it (`struct.error` otherwise).
    """
    (
        w0,
        w1,
        w2,
    ) = WORDS.unpack_from(buffer, offset)
    return _tuple_new(
        Fields,
        (
            _IPPROTOCOL_MEMBERS.get(w0 >> 8) or IpProtocol(w0 >> 8),
            w0 & 0xFF,
            w1 & 0xFFF8,
            (w1 >> 1) & 0x3,
            (w1 & 0x1) != 0,
            w2,
        ),
    )


def pack_fields(
    buffer: bytearray | memoryview,
    offset: int = 0,
    *,
    next_header: int = 0,
    reserved: int = 0,
    frag_offset: int = 0,
    res: int = 0,
    more_frags: bool = False,
    ident: int = 0,
) -> None:
    """Write the 8-octet header at ``offset``; every field by keyword.

    Values are trusted (in range, as after a parse): `emit` paths check their inputs.
    """
    WORDS.pack_into(
        buffer,
        offset,
        (next_header << 8) | reserved,
        frag_offset | (res << 1) | (0x1 if more_frags else 0),
        ident,
    )
