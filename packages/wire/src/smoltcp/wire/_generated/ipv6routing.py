# Generated from spec/ipv6routing.py by codegen/templates/header.py.j2 - DO NOT EDIT. inputs-sha256: 5f19c83b72d190dea5b5166cb98f1c50eceb4c33b9751fa4384e5aea70875cfe
"""IPv6 Routing header, its four common fields (RFC 8200 section 4.4).

Generated offsets, enums and the `Ipv6RoutingHeader` packet view over the fixed header. The
hand-written ``smoltcp.wire.ipv6routing`` subclasses the view and adds what a layout cannot
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
    "Ipv6RoutingHeader",
    "OCTETS",
    "PROTOCOL",
    "WORDS",
    "WORDS_RX",
    "pack_fields",
    "unpack_fields",
]

#: The protocol's name in `MalformedPacket` errors.
PROTOCOL = "ipv6routing"

# Octet offsets of the fixed header's fields, in 4 octets.
NEXT_HEADER = slice(0, 1)  # Next Header (RFC 8200 4.4)
HDR_EXT_LEN = slice(1, 2)  # Length in 8-octet units, not counting the first 8 (RFC 8200 4.4)
ROUTING_TYPE = slice(2, 3)  # Routing Type (RFC 8200 4.4, IANA)
SEGMENTS_LEFT = slice(3, 4)  # Segments Left: route segments still to visit (RFC 8200 4.4)

#: Octets of the fixed header.
HEADER_LEN = 4
#: The fields that `HEADER` unpacks, in order (bit groups unpack as one integer word).
HEADER_FIELDS = (
    "next_header",
    "hdr_ext_len",
    "routing_type",
    "segments_left",
)
#: The whole fixed header at once: ``HEADER.unpack_from(buffer)`` / ``HEADER.pack_into(...)``.
HEADER = struct.Struct("!BBBB")

# The fixed header as words: one-octet fields paired into 16-bit words, so that the words of an
# aligned header add up to its RFC 1071 sum (modulo 0xffff) and a parse unpacks it once.
#: The words, in order: next_header_hdr_ext_len, routing_type_segments_left.
WORDS = struct.Struct("!HH")
#: `WORDS` without those no representation field or check reads (padding instead).
WORDS_RX = struct.Struct("!HH")
#: The fixed header as one octet string (the key of a cache of parsed headers).
OCTETS = struct.Struct("4s")

# The octet offset of each field (of the octet that holds a bit field), from the header start.
NEXT_HEADER_AT = 0
HDR_EXT_LEN_AT = 1
ROUTING_TYPE_AT = 2
SEGMENTS_LEFT_AT = 3

_tuple_new = tuple.__new__
_IPPROTOCOL_MEMBERS = cast("dict[int, IpProtocol]", IpProtocol._value2member_map_)

# new_unchecked returns the class it is called on, so a subclass's emit can take its own view
# type (typing.Self needs Python 3.11 or typing_extensions).
_ViewT = TypeVar("_ViewT", bound="Ipv6RoutingHeader")


class Ipv6RoutingHeader:
    """Read and write the fixed ipv6routing header in place, in a buffer it never copies.

    ``Ipv6RoutingHeader(buffer)`` checks the length; `new_unchecked` trusts the caller. Setters
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
        if len(self.buffer) < 4:
            raise MalformedPacket(
                PROTOCOL,
                "header",
                f"{len(self.buffer)} octets, fewer than the 4-octet header",
            )

    @property
    def next_header(self) -> IpProtocol:
        """Next Header (RFC 8200 4.4)."""
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
        """Length in 8-octet units, not counting the first 8 (RFC 8200 4.4)."""
        return self.buffer[1]

    @hdr_ext_len.setter
    def hdr_ext_len(self, value: int) -> None:
        self.buffer[1] = value  # type: ignore[index]

    @property
    def routing_type(self) -> int:
        """Routing Type (RFC 8200 4.4, IANA)."""
        return self.buffer[2]

    @routing_type.setter
    def routing_type(self, value: int) -> None:
        self.buffer[2] = value  # type: ignore[index]

    @property
    def segments_left(self) -> int:
        """Segments Left: route segments still to visit (RFC 8200 4.4)."""
        return self.buffer[3]

    @segments_left.setter
    def segments_left(self, value: int) -> None:
        self.buffer[3] = value  # type: ignore[index]


class Fields(NamedTuple):
    """Every field of the fixed ipv6routing header (what `unpack_fields` reads)."""

    next_header: IpProtocol
    hdr_ext_len: int
    routing_type: int
    segments_left: int


def unpack_fields(buffer: bytes | bytearray | memoryview, offset: int = 0) -> Fields:
    """Return every field of the 4-octet header at ``offset``.

    The caller has checked that the buffer holds it (`struct.error` otherwise).
    """
    (
        w0,
        w1,
    ) = WORDS.unpack_from(buffer, offset)
    return _tuple_new(
        Fields,
        (
            _IPPROTOCOL_MEMBERS.get(w0 >> 8) or IpProtocol(w0 >> 8),
            w0 & 0xFF,
            w1 >> 8,
            w1 & 0xFF,
        ),
    )


def pack_fields(
    buffer: bytearray | memoryview,
    offset: int = 0,
    *,
    next_header: int = 0,
    hdr_ext_len: int = 0,
    routing_type: int = 0,
    segments_left: int = 0,
) -> None:
    """Write the 4-octet header at ``offset``; every field by keyword.

    Values are trusted (in range, as after a parse): `emit` paths check their inputs.
    """
    WORDS.pack_into(
        buffer,
        offset,
        (next_header << 8) | hdr_ext_len,
        (routing_type << 8) | segments_left,
    )
