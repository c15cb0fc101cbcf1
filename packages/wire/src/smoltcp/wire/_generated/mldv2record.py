# Generated from spec/mldv2record.py by codegen/templates/header.py.j2 - DO NOT EDIT. inputs-sha256: 499ff78138a68742d694f5991fbaf51e42ee7483fcbfa13325b92a6ab55680dc
"""MLDv2 Multicast Address Record, fixed part (RFC 3810 section 5.2.4).

Generated offsets, enums and the `Mldv2Record` packet view over the fixed header. The
hand-written ``smoltcp.wire.mldv2record`` subclasses the view and adds what a layout cannot
say: variable-length parts, payload, checksums, representations.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import NamedTuple, TypeVar, cast

from smoltcp.wire._generated._base import UnknownKeepingIntEnum
from smoltcp.wire.address import Ipv6Address
from smoltcp.wire.errors import MalformedPacket

__all__ = [
    "Fields",
    "HEADER",
    "HEADER_FIELDS",
    "HEADER_LEN",
    "Mldv2Record",
    "Mldv2RecordType",
    "OCTETS",
    "PROTOCOL",
    "WORDS",
    "WORDS_RX",
    "pack_fields",
    "unpack_fields",
]

#: The protocol's name in `MalformedPacket` errors.
PROTOCOL = "mldv2"

# Constants declared in spec/mldv2record.py.
#: Aux Data Len counts 32-bit words (RFC 3810 5.2.6).
AUX_DATA_UNIT = 4
#: Octets of one source address after the fixed part (RFC 3810 5.2.9).
SOURCE_LEN = 16

# Octet offsets of the fixed header's fields, in 20 octets.
RECORD_TYPE = slice(0, 1)  # Record Type (RFC 3810 5.2.5)
AUX_DATA_LEN = slice(1, 2)  # Aux Data Len in 32-bit words, zero on send (RFC 3810 5.2.6)
NUM_SOURCES = slice(2, 4)  # Number of Sources (RFC 3810 5.2.7)
MCAST_ADDR = slice(4, 20)  # Multicast Address (RFC 3810 5.2.8)

#: Octets of the fixed header.
HEADER_LEN = 20
#: The fields that `HEADER` unpacks, in order (bit groups unpack as one integer word).
HEADER_FIELDS = (
    "record_type",
    "aux_data_len",
    "num_sources",
    "mcast_addr",
)
#: The whole fixed header at once: ``HEADER.unpack_from(buffer)`` / ``HEADER.pack_into(...)``.
HEADER = struct.Struct("!BBH16s")

# The fixed header as words: one-octet fields paired into 16-bit words, so that the words of an
# aligned header add up to its RFC 1071 sum (modulo 0xffff) and a parse unpacks it once.
#: The words, in order: record_type_aux_data_len, num_sources, mcast_addr.
WORDS = struct.Struct("!HH16s")
#: `WORDS` without those no representation field or check reads (padding instead).
WORDS_RX = struct.Struct("!HH16s")
#: The fixed header as one octet string (the key of a cache of parsed headers).
OCTETS = struct.Struct("20s")

# The octet offset of each field (of the octet that holds a bit field), from the header start.
RECORD_TYPE_AT = 0
AUX_DATA_LEN_AT = 1
NUM_SOURCES_AT = 2
MCAST_ADDR_AT = 4


class Mldv2RecordType(UnknownKeepingIntEnum):
    """MLDv2 Multicast Address Record type (RFC 3810 5.2.12).

    A value without a name reads as the pseudo-member ``Unknown(value)``; it is not an error.
    """

    MODE_IS_INCLUDE = 1  # RFC 3810 5.2.12 current state
    MODE_IS_EXCLUDE = 2  # RFC 3810 5.2.12 current state
    CHANGE_TO_INCLUDE = 3  # RFC 3810 5.2.12 filter mode change
    CHANGE_TO_EXCLUDE = 4  # RFC 3810 5.2.12 filter mode change
    ALLOW_NEW_SOURCES = 5  # RFC 3810 5.2.12 source list change
    BLOCK_OLD_SOURCES = 6  # RFC 3810 5.2.12 source list change


Mldv2RecordType._value_limit = 256  # the field is 8 bits wide

_S16 = struct.Struct("!16s")
_U16 = struct.Struct("!H")
# Typed unpackers: one call reads a field, and mypy knows what it returns.
_S16_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[bytes]] = _S16.unpack_from
_U16_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[int]] = _U16.unpack_from
_tuple_new = tuple.__new__
_MLDV2RECORDTYPE_MEMBERS = cast("dict[int, Mldv2RecordType]", Mldv2RecordType._value2member_map_)

# new_unchecked returns the class it is called on, so a subclass's emit can take its own view
# type (typing.Self needs Python 3.11 or typing_extensions).
_ViewT = TypeVar("_ViewT", bound="Mldv2Record")


class Mldv2Record:
    """Read and write the fixed mldv2 header in place, in a buffer it never copies.

    ``Mldv2Record(buffer)`` checks the length; `new_unchecked` trusts the caller. Setters
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
    def record_type(self) -> Mldv2RecordType:
        """Record Type (RFC 3810 5.2.5)."""
        value = self.buffer[0]
        try:
            return _MLDV2RECORDTYPE_MEMBERS[value]
        except KeyError:
            return Mldv2RecordType(value)

    @record_type.setter
    def record_type(self, value: int) -> None:
        self.buffer[0] = value  # type: ignore[index]

    @property
    def aux_data_len(self) -> int:
        """Aux Data Len in 32-bit words, zero on send (RFC 3810 5.2.6)."""
        return self.buffer[1]

    @aux_data_len.setter
    def aux_data_len(self, value: int) -> None:
        self.buffer[1] = value  # type: ignore[index]

    @property
    def num_sources(self) -> int:
        """Number of Sources (RFC 3810 5.2.7)."""
        return _U16_unpack(self.buffer, 2)[0]

    @num_sources.setter
    def num_sources(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"num_sources: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 2, value)

    @property
    def mcast_addr(self) -> Ipv6Address:
        """Multicast Address (RFC 3810 5.2.8)."""
        return Ipv6Address(_S16_unpack(self.buffer, 4)[0])

    @mcast_addr.setter
    def mcast_addr(self, value: Ipv6Address) -> None:
        octets = value.packed
        if len(octets) != 16:
            raise ValueError(f"mcast_addr: {len(octets)} octets, not 16")
        self.buffer[4:20] = octets  # type: ignore[index]


class Fields(NamedTuple):
    """Every field of the fixed mldv2 header (what `unpack_fields` reads)."""

    record_type: Mldv2RecordType
    aux_data_len: int
    num_sources: int
    mcast_addr: Ipv6Address


def unpack_fields(buffer: bytes | bytearray | memoryview, offset: int = 0) -> Fields:
    """Return every field of the 20-octet header at ``offset``.

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
            _MLDV2RECORDTYPE_MEMBERS.get(w0 >> 8) or Mldv2RecordType(w0 >> 8),
            w0 & 0xFF,
            w1,
            Ipv6Address(w2),
        ),
    )


def pack_fields(
    buffer: bytearray | memoryview,
    offset: int = 0,
    *,
    mcast_addr: Ipv6Address,
    record_type: int = 0,
    aux_data_len: int = 0,
    num_sources: int = 0,
) -> None:
    """Write the 20-octet header at ``offset``; every field by keyword.

    Values are trusted (in range, as after a parse): `emit` paths check their inputs.
    """
    WORDS.pack_into(
        buffer,
        offset,
        (record_type << 8) | aux_data_len,
        num_sources,
        mcast_addr.packed,
    )
