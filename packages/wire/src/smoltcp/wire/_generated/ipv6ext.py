# Generated from spec/ipv6ext.py by codegen/templates/header.py.j2 - DO NOT EDIT. inputs-sha256: 7d57d8e0893c73ae9dc560a0b7215ff4fc0fdf195d2392137da83970ccf388a5
"""IPv6 options headers: Hop-by-Hop Options and Destination Options (RFC 8200 4.3 and 4.6).

Generated offsets, enums and the `Ipv6ExtHeader` packet view over the fixed header. The
hand-written ``smoltcp.wire.ipv6ext`` subclasses the view and adds what a layout cannot
say: variable-length parts, payload, checksums, representations.
"""

from __future__ import annotations

import struct
from typing import NamedTuple, TypeVar, cast

from smoltcp.wire._generated.ipv4 import IpProtocol
from smoltcp.wire.errors import MalformedPacket

__all__ = [
    "Fields",
    "HEADER",
    "HEADER_FIELDS",
    "HEADER_LEN",
    "Ipv6ExtHeader",
    "OCTETS",
    "PROTOCOL",
    "WORDS",
    "WORDS_RX",
    "pack_fields",
    "unpack_fields",
]

#: The protocol's name in `MalformedPacket` errors.
PROTOCOL = "ipv6ext"

# Constants declared in spec/ipv6ext.py.
#: Hdr Ext Len counts 8-octet units, not counting the first 8 octets (RFC 8200 4.3).
EXT_LEN_UNIT = 8

# Octet offsets of the fixed header's fields, in 2 octets.
NEXT_HEADER = slice(0, 1)  # Next Header: the header after this one (RFC 8200 4.3)
HDR_EXT_LEN = slice(1, 2)  # Length in 8-octet units, not counting the first 8 (RFC 8200 4.3)

#: Octets of the fixed header.
HEADER_LEN = 2
#: The fields that `HEADER` unpacks, in order (bit groups unpack as one integer word).
HEADER_FIELDS = (
    "next_header",
    "hdr_ext_len",
)
#: The whole fixed header at once: ``HEADER.unpack_from(buffer)`` / ``HEADER.pack_into(...)``.
HEADER = struct.Struct("!BB")

# The fixed header as words: one-octet fields paired into 16-bit words, so that the words of an
# aligned header add up to its RFC 1071 sum (modulo 0xffff) and a parse unpacks it once.
#: The words, in order: next_header_hdr_ext_len.
WORDS = struct.Struct("!H")
#: `WORDS` without those no representation field or check reads (padding instead).
WORDS_RX = struct.Struct("!H")
#: The fixed header as one octet string (the key of a cache of parsed headers).
OCTETS = struct.Struct("2s")

# The octet offset of each field (of the octet that holds a bit field), from the header start.
NEXT_HEADER_AT = 0
HDR_EXT_LEN_AT = 1

_tuple_new = tuple.__new__
_IPPROTOCOL_MEMBERS = cast("dict[int, IpProtocol]", IpProtocol._value2member_map_)

# new_unchecked returns the class it is called on, so a subclass's emit can take its own view
# type (typing.Self needs Python 3.11 or typing_extensions).
_ViewT = TypeVar("_ViewT", bound="Ipv6ExtHeader")


class Ipv6ExtHeader:
    """Read and write the fixed ipv6ext header in place, in a buffer it never copies.

    ``Ipv6ExtHeader(buffer)`` checks the length; `new_unchecked` trusts the caller. Setters
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
        if len(self.buffer) < 2:
            raise MalformedPacket(
                PROTOCOL,
                "header",
                f"{len(self.buffer)} octets, fewer than the 2-octet header",
            )

    @property
    def next_header(self) -> IpProtocol:
        """Next Header: the header after this one (RFC 8200 4.3)."""
        value = self.buffer[0]
        try:
            return _IPPROTOCOL_MEMBERS[value]
        except KeyError:
            return IpProtocol(value)

    @next_header.setter
    def next_header(self, value: int) -> None:
        self.buffer[0] = value  # type: ignore[index]

    @property
    def hdr_ext_len(self) -> int:
        """Length in 8-octet units, not counting the first 8 (RFC 8200 4.3)."""
        return self.buffer[1]

    @hdr_ext_len.setter
    def hdr_ext_len(self, value: int) -> None:
        self.buffer[1] = value  # type: ignore[index]


class Fields(NamedTuple):
    """Every field of the fixed ipv6ext header (what `unpack_fields` reads)."""

    next_header: IpProtocol
    hdr_ext_len: int


def unpack_fields(buffer: bytes | bytearray | memoryview, offset: int = 0) -> Fields:
    """Return every field of the 2-octet header at ``offset``.

    The caller has checked that the buffer holds it (`struct.error` otherwise).
    """
    (w0,) = WORDS.unpack_from(buffer, offset)
    return _tuple_new(
        Fields,
        (
            _IPPROTOCOL_MEMBERS.get(w0 >> 8) or IpProtocol(w0 >> 8),
            w0 & 0xFF,
        ),
    )


def pack_fields(
    buffer: bytearray | memoryview,
    offset: int = 0,
    *,
    next_header: int = 0,
    hdr_ext_len: int = 0,
) -> None:
    """Write the 2-octet header at ``offset``; every field by keyword.

    Values are trusted (in range, as after a parse): `emit` paths check their inputs.
    """
    WORDS.pack_into(
        buffer,
        offset,
        (next_header << 8) | hdr_ext_len,
    )
