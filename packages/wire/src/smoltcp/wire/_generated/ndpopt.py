# Generated from spec/ndpopt.py by codegen/templates/header.py.j2 - DO NOT EDIT. inputs-sha256: e766b4f2e191803df723a77a83680b53c3b0dc0de46d41f07e067198617dd69a
"""The type and length that start every NDP option (RFC 4861 section 4.6).

Generated offsets, enums and the `NdpOption` packet view over the fixed header. The
hand-written ``smoltcp.wire.ndpopt`` subclasses the view and adds what a layout cannot
say: variable-length parts, payload, checksums, representations.
"""

from __future__ import annotations

import struct
from typing import NamedTuple, TypeVar, cast

from smoltcp.wire._generated._base import UnknownKeepingIntEnum
from smoltcp.wire.errors import MalformedPacket

__all__ = [
    "Fields",
    "HEADER",
    "HEADER_FIELDS",
    "HEADER_LEN",
    "NdpOption",
    "NdpOptionType",
    "OCTETS",
    "PROTOCOL",
    "WORDS",
    "WORDS_RX",
    "pack_fields",
    "unpack_fields",
]

#: The protocol's name in `MalformedPacket` errors.
PROTOCOL = "ndp"

# Constants declared in spec/ndpopt.py.
#: The Length field counts units of 8 octets, type and length included (RFC 4861 4.6).
OPTION_UNIT = 8

# Octet offsets of the fixed header's fields, in 2 octets.
OPTION_TYPE = slice(0, 1)  # Type (RFC 4861 4.6)
LENGTH = slice(1, 2)  # Length in units of 8 octets; 0 is invalid (RFC 4861 4.6)

#: Octets of the fixed header.
HEADER_LEN = 2
#: The fields that `HEADER` unpacks, in order (bit groups unpack as one integer word).
HEADER_FIELDS = (
    "option_type",
    "length",
)
#: The whole fixed header at once: ``HEADER.unpack_from(buffer)`` / ``HEADER.pack_into(...)``.
HEADER = struct.Struct("!BB")

# The fixed header as words: one-octet fields paired into 16-bit words, so that the words of an
# aligned header add up to its RFC 1071 sum (modulo 0xffff) and a parse unpacks it once.
#: The words, in order: option_type_length.
WORDS = struct.Struct("!H")
#: `WORDS` without those no representation field or check reads (padding instead).
WORDS_RX = struct.Struct("!H")
#: The fixed header as one octet string (the key of a cache of parsed headers).
OCTETS = struct.Struct("2s")

# The octet offset of each field (of the octet that holds a bit field), from the header start.
OPTION_TYPE_AT = 0
LENGTH_AT = 1


class NdpOptionType(UnknownKeepingIntEnum):
    """NDP option type (RFC 4861 4.6); unknown options are skipped.

    A value without a name reads as the pseudo-member ``Unknown(value)``; it is not an error.
    """

    SOURCE_LL_ADDR = 1  # RFC 4861 4.6.1 Source Link-Layer Address
    TARGET_LL_ADDR = 2  # RFC 4861 4.6.1 Target Link-Layer Address
    PREFIX_INFO = 3  # RFC 4861 4.6.2 Prefix Information
    REDIRECTED_HEADER = 4  # RFC 4861 4.6.3 Redirected Header
    MTU = 5  # RFC 4861 4.6.4 MTU
    NONCE = 14  # RFC 3971 5.3.2 Nonce (RFC 7527: duplicate address detection)


NdpOptionType._value_limit = 256  # the field is 8 bits wide

_tuple_new = tuple.__new__
_NDPOPTIONTYPE_MEMBERS = cast("dict[int, NdpOptionType]", NdpOptionType._value2member_map_)

# new_unchecked returns the class it is called on, so a subclass's emit can take its own view
# type (typing.Self needs Python 3.11 or typing_extensions).
_ViewT = TypeVar("_ViewT", bound="NdpOption")


class NdpOption:
    """Read and write the fixed ndp header in place, in a buffer it never copies.

    ``NdpOption(buffer)`` checks the length; `new_unchecked` trusts the caller. Setters
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
    def option_type(self) -> NdpOptionType:
        """Type (RFC 4861 4.6)."""
        value = self.buffer[0]
        try:
            return _NDPOPTIONTYPE_MEMBERS[value]
        except KeyError:
            return NdpOptionType(value)

    @option_type.setter
    def option_type(self, value: int) -> None:
        self.buffer[0] = value  # type: ignore[index]

    @property
    def length(self) -> int:
        """Length in units of 8 octets; 0 is invalid (RFC 4861 4.6)."""
        return self.buffer[1]

    @length.setter
    def length(self, value: int) -> None:
        self.buffer[1] = value  # type: ignore[index]


class Fields(NamedTuple):
    """Every field of the fixed ndp header (what `unpack_fields` reads)."""

    option_type: NdpOptionType
    length: int


def unpack_fields(buffer: bytes | bytearray | memoryview, offset: int = 0) -> Fields:
    """Return every field of the 2-octet header at ``offset``.

    The caller has checked that the buffer holds it (`struct.error` otherwise).
    """
    (w0,) = WORDS.unpack_from(buffer, offset)
    return _tuple_new(
        Fields,
        (
            _NDPOPTIONTYPE_MEMBERS.get(w0 >> 8) or NdpOptionType(w0 >> 8),
            w0 & 0xFF,
        ),
    )


def pack_fields(
    buffer: bytearray | memoryview,
    offset: int = 0,
    *,
    option_type: int = 0,
    length: int = 0,
) -> None:
    """Write the 2-octet header at ``offset``; every field by keyword.

    Values are trusted (in range, as after a parse): `emit` paths check their inputs.
    """
    WORDS.pack_into(
        buffer,
        offset,
        (option_type << 8) | length,
    )
