# Generated from spec/ipv6option.py by codegen/templates/header.py.j2 - DO NOT EDIT. inputs-sha256: 440f1ed0cc9c9ea8fe76bbda0e3f377f25c9076ffd400a1258b596fda522afb6
"""An IPv6 option of a Hop-by-Hop or Destination Options header (RFC 8200 section 4.2).

Generated offsets, enums and the `Ipv6Option` packet view over the fixed header. The
hand-written ``smoltcp.wire.ipv6option`` subclasses the view and adds what a layout cannot
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
    "Ipv6Option",
    "Ipv6OptionAction",
    "Ipv6OptionType",
    "OCTETS",
    "PROTOCOL",
    "WORDS",
    "WORDS_RX",
    "pack_fields",
    "unpack_fields",
]

#: The protocol's name in `MalformedPacket` errors.
PROTOCOL = "ipv6option"

# Constants declared in spec/ipv6option.py.
#: Option types whose two high bits are this do not change en route (RFC 8200 4.2).
ACTION_SHIFT = 6

# Octet offsets of the fixed header's fields, in 2 octets.
OPTION_TYPE = slice(0, 1)  # Option Type (RFC 8200 4.2)
DATA_LEN = slice(1, 2)  # Opt Data Len, octets of data after this field (RFC 8200 4.2)

#: Octets of the fixed header.
HEADER_LEN = 2
#: The fields that `HEADER` unpacks, in order (bit groups unpack as one integer word).
HEADER_FIELDS = (
    "option_type",
    "data_len",
)
#: The whole fixed header at once: ``HEADER.unpack_from(buffer)`` / ``HEADER.pack_into(...)``.
HEADER = struct.Struct("!BB")

# The fixed header as words: one-octet fields paired into 16-bit words, so that the words of an
# aligned header add up to its RFC 1071 sum (modulo 0xffff) and a parse unpacks it once.
#: The words, in order: option_type_data_len.
WORDS = struct.Struct("!H")
#: `WORDS` without those no representation field or check reads (padding instead).
WORDS_RX = struct.Struct("!H")
#: The fixed header as one octet string (the key of a cache of parsed headers).
OCTETS = struct.Struct("2s")

# The octet offset of each field (of the octet that holds a bit field), from the header start.
OPTION_TYPE_AT = 0
DATA_LEN_AT = 1


class Ipv6OptionType(UnknownKeepingIntEnum):
    """IPv6 option type; its two high bits say what to do when unknown (RFC 8200 4.2).

    A value without a name reads as the pseudo-member ``Unknown(value)``; it is not an error.
    """

    PAD1 = 0  # RFC 8200 4.2 one octet of padding, no length or data
    PADN = 1  # RFC 8200 4.2 two or more octets of padding
    ROUTER_ALERT = 5  # RFC 2711


Ipv6OptionType._value_limit = 256  # the field is 8 bits wide


class Ipv6OptionAction(UnknownKeepingIntEnum):
    """What a node does with an option type it does not know: its two high bits (RFC 8200 4.2).

    A value without a name reads as the pseudo-member ``Unknown(value)``; it is not an error.
    """

    SKIP = 0  # RFC 8200 4.2 skip over this option
    DISCARD = 1  # RFC 8200 4.2 discard the packet
    DISCARD_ICMP = 2  # RFC 8200 4.2 discard, send Parameter Problem code 2 even to multicast
    DISCARD_ICMP_UNICAST = 3  # RFC 8200 4.2 discard, Parameter Problem unless multicast


Ipv6OptionAction._value_limit = 256  # the field is 8 bits wide

_tuple_new = tuple.__new__
_IPV6OPTIONTYPE_MEMBERS = cast("dict[int, Ipv6OptionType]", Ipv6OptionType._value2member_map_)

# new_unchecked returns the class it is called on, so a subclass's emit can take its own view
# type (typing.Self needs Python 3.11 or typing_extensions).
_ViewT = TypeVar("_ViewT", bound="Ipv6Option")


class Ipv6Option:
    """Read and write the fixed ipv6option header in place, in a buffer it never copies.

    ``Ipv6Option(buffer)`` checks the length; `new_unchecked` trusts the caller. Setters
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
    def option_type(self) -> Ipv6OptionType:
        """Option Type (RFC 8200 4.2)."""
        value = self.buffer[0]
        try:
            return _IPV6OPTIONTYPE_MEMBERS[value]
        except KeyError:
            return Ipv6OptionType(value)

    @option_type.setter
    def option_type(self, value: int) -> None:
        self.buffer[0] = value  # type: ignore[index]

    @property
    def data_len(self) -> int:
        """Opt Data Len, octets of data after this field (RFC 8200 4.2)."""
        return self.buffer[1]

    @data_len.setter
    def data_len(self, value: int) -> None:
        self.buffer[1] = value  # type: ignore[index]


class Fields(NamedTuple):
    """Every field of the fixed ipv6option header (what `unpack_fields` reads)."""

    option_type: Ipv6OptionType
    data_len: int


def unpack_fields(buffer: bytes | bytearray | memoryview, offset: int = 0) -> Fields:
    """Return every field of the 2-octet header at ``offset``.

    The caller has checked that the buffer holds it (`struct.error` otherwise).
    """
    (w0,) = WORDS.unpack_from(buffer, offset)
    return _tuple_new(
        Fields,
        (
            _IPV6OPTIONTYPE_MEMBERS.get(w0 >> 8) or Ipv6OptionType(w0 >> 8),
            w0 & 0xFF,
        ),
    )


def pack_fields(
    buffer: bytearray | memoryview,
    offset: int = 0,
    *,
    option_type: int = 0,
    data_len: int = 0,
) -> None:
    """Write the 2-octet header at ``offset``; every field by keyword.

    Values are trusted (in range, as after a parse): `emit` paths check their inputs.
    """
    WORDS.pack_into(
        buffer,
        offset,
        (option_type << 8) | data_len,
    )
