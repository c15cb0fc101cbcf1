# Generated from spec/ndpprefix.py by codegen/templates/header.py.j2 - DO NOT EDIT. inputs-sha256: 7772e94ca35f59a42cb0f052237034763d0fe825597b7d93d63e318bd120dacb
"""NDP Prefix Information option (RFC 4861 section 4.6.2).

Generated offsets, enums and the `NdpPrefixInfoOption` packet view over the fixed header. The
hand-written ``smoltcp.wire.ndpprefix`` subclasses the view and adds what a layout cannot
say: variable-length parts, payload, checksums, representations.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import NamedTuple, TypeVar, cast

from smoltcp.wire._generated.ndpopt import NdpOptionType
from smoltcp.wire.address import Ipv6Address
from smoltcp.wire.errors import MalformedPacket

__all__ = [
    "Fields",
    "HEADER",
    "HEADER_FIELDS",
    "HEADER_LEN",
    "NdpPrefixInfoOption",
    "OCTETS",
    "PROTOCOL",
    "WORDS",
    "WORDS_RX",
    "pack_fields",
    "unpack_fields",
]

#: The protocol's name in `MalformedPacket` errors.
PROTOCOL = "ndp"

# Octet offsets of the fixed header's fields, in 32 octets.
OPTION_TYPE = slice(0, 1)  # Type, 3 (RFC 4861 4.6.2)
LENGTH = slice(1, 2)  # Length, 4 (RFC 4861 4.6.2)
PREFIX_LEN = slice(2, 3)  # Prefix Length in bits, 0-128 (RFC 4861 4.6.2)
PREFIX_FLAGS = slice(3, 4)  # L and A flags (RFC 4861 4.6.2)
VALID_LIFETIME = slice(4, 8)  # Valid Lifetime in seconds; all ones is infinity (4.6.2)
PREFERRED_LIFETIME = slice(8, 12)  # Preferred Lifetime in seconds; all ones infinity (4.6.2)
RESERVED2 = slice(12, 16)  # Reserved2, zero on send (RFC 4861 4.6.2)
PREFIX = slice(16, 32)  # Prefix, bits after Prefix Length zero (RFC 4861 4.6.2)

# Bit fields of the 8-bit word at PREFIX_FLAGS: mask in place, shift of the lowest bit.
ON_LINK_MASK = 0x80
ON_LINK_SHIFT = 7
AUTONOMOUS_MASK = 0x40
AUTONOMOUS_SHIFT = 6
RESERVED1_MASK = 0x3F
RESERVED1_SHIFT = 0

#: Octets of the fixed header.
HEADER_LEN = 32
#: The fields that `HEADER` unpacks, in order (bit groups unpack as one integer word).
HEADER_FIELDS = (
    "option_type",
    "length",
    "prefix_len",
    "prefix_flags",
    "valid_lifetime",
    "preferred_lifetime",
    "reserved2",
    "prefix",
)
#: The whole fixed header at once: ``HEADER.unpack_from(buffer)`` / ``HEADER.pack_into(...)``.
HEADER = struct.Struct("!BBBBLLL16s")

# The fixed header as words: one-octet fields paired into 16-bit words, so that the words of an
# aligned header add up to its RFC 1071 sum (modulo 0xffff) and a parse unpacks it once.
#: The words, in order: option_type_length, prefix_len_prefix_flags, valid_lifetime, preferred_lifetime, reserved2, prefix.
WORDS = struct.Struct("!HHLLL16s")
#: `WORDS` without those no representation field or check reads (padding instead).
WORDS_RX = struct.Struct("!HHLLL16s")
#: The fixed header as one octet string (the key of a cache of parsed headers).
OCTETS = struct.Struct("32s")

# The octet offset of each field (of the octet that holds a bit field), from the header start.
OPTION_TYPE_AT = 0
LENGTH_AT = 1
PREFIX_LEN_AT = 2
AUTONOMOUS_AT = 3
ON_LINK_AT = 3
RESERVED1_AT = 3
VALID_LIFETIME_AT = 4
PREFERRED_LIFETIME_AT = 8
RESERVED2_AT = 12
PREFIX_AT = 16

# Bit fields within one octet: shift and mask within the octet at ``NAME_AT``.
ON_LINK_OCTET_SHIFT = 7
ON_LINK_OCTET_MASK = 0x80
AUTONOMOUS_OCTET_SHIFT = 6
AUTONOMOUS_OCTET_MASK = 0x40
RESERVED1_OCTET_SHIFT = 0
RESERVED1_OCTET_MASK = 0x3F

_S16 = struct.Struct("!16s")
_U32 = struct.Struct("!L")
# Typed unpackers: one call reads a field, and mypy knows what it returns.
_S16_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[bytes]] = _S16.unpack_from
_U32_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[int]] = _U32.unpack_from
_tuple_new = tuple.__new__
_NDPOPTIONTYPE_MEMBERS = cast("dict[int, NdpOptionType]", NdpOptionType._value2member_map_)

# new_unchecked returns the class it is called on, so a subclass's emit can take its own view
# type (typing.Self needs Python 3.11 or typing_extensions).
_ViewT = TypeVar("_ViewT", bound="NdpPrefixInfoOption")


class NdpPrefixInfoOption:
    """Read and write the fixed ndp header in place, in a buffer it never copies.

    ``NdpPrefixInfoOption(buffer)`` checks the length; `new_unchecked` trusts the caller. Setters
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
        if len(self.buffer) < 32:
            raise MalformedPacket(
                PROTOCOL,
                "header",
                f"{len(self.buffer)} octets, fewer than the 32-octet header",
            )

    @property
    def option_type(self) -> NdpOptionType:
        """Type, 3 (RFC 4861 4.6.2)."""
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
        """Length, 4 (RFC 4861 4.6.2)."""
        return self.buffer[1]

    @length.setter
    def length(self, value: int) -> None:
        self.buffer[1] = value  # type: ignore[index]

    @property
    def prefix_len(self) -> int:
        """Prefix Length in bits, 0-128 (RFC 4861 4.6.2)."""
        return self.buffer[2]

    @prefix_len.setter
    def prefix_len(self, value: int) -> None:
        self.buffer[2] = value  # type: ignore[index]

    @property
    def on_link(self) -> bool:
        """L: the prefix is on-link (RFC 4861 4.6.2)."""
        return bool(self.buffer[3] & 0x80)

    @on_link.setter
    def on_link(self, value: bool) -> None:
        buffer = self.buffer
        if value:
            buffer[3] |= 0x80  # type: ignore[index]
        else:
            buffer[3] &= 0x7F  # type: ignore[index]

    @property
    def autonomous(self) -> bool:
        """A: usable for SLAAC (RFC 4861 4.6.2, RFC 4862)."""
        return bool(self.buffer[3] & 0x40)

    @autonomous.setter
    def autonomous(self, value: bool) -> None:
        buffer = self.buffer
        if value:
            buffer[3] |= 0x40  # type: ignore[index]
        else:
            buffer[3] &= 0xBF  # type: ignore[index]

    @property
    def reserved1(self) -> int:
        """Reserved1, zero on send (RFC 4861 4.6.2)."""
        return self.buffer[3] & 0x3F

    @reserved1.setter
    def reserved1(self, value: int) -> None:
        if not 0 <= value <= 63:
            raise ValueError(f"reserved1: {value!r} is not in range(0, 2**6)")
        buffer = self.buffer
        buffer[3] = (buffer[3] & 0xC0) | value  # type: ignore[index]

    @property
    def valid_lifetime(self) -> int:
        """Valid Lifetime in seconds; all ones is infinity (4.6.2)."""
        return _U32_unpack(self.buffer, 4)[0]

    @valid_lifetime.setter
    def valid_lifetime(self, value: int) -> None:
        if not 0 <= value <= 0xFFFFFFFF:
            raise ValueError(f"valid_lifetime: {value!r} is not in range(0, 2**32)")
        _U32.pack_into(self.buffer, 4, value)

    @property
    def preferred_lifetime(self) -> int:
        """Preferred Lifetime in seconds; all ones infinity (4.6.2)."""
        return _U32_unpack(self.buffer, 8)[0]

    @preferred_lifetime.setter
    def preferred_lifetime(self, value: int) -> None:
        if not 0 <= value <= 0xFFFFFFFF:
            raise ValueError(f"preferred_lifetime: {value!r} is not in range(0, 2**32)")
        _U32.pack_into(self.buffer, 8, value)

    @property
    def reserved2(self) -> int:
        """Reserved2, zero on send (RFC 4861 4.6.2)."""
        return _U32_unpack(self.buffer, 12)[0]

    @reserved2.setter
    def reserved2(self, value: int) -> None:
        if not 0 <= value <= 0xFFFFFFFF:
            raise ValueError(f"reserved2: {value!r} is not in range(0, 2**32)")
        _U32.pack_into(self.buffer, 12, value)

    @property
    def prefix(self) -> Ipv6Address:
        """Prefix, bits after Prefix Length zero (RFC 4861 4.6.2)."""
        return Ipv6Address(_S16_unpack(self.buffer, 16)[0])

    @prefix.setter
    def prefix(self, value: Ipv6Address) -> None:
        octets = value.packed
        if len(octets) != 16:
            raise ValueError(f"prefix: {len(octets)} octets, not 16")
        self.buffer[16:32] = octets  # type: ignore[index]


class Fields(NamedTuple):
    """Every field of the fixed ndp header (what `unpack_fields` reads)."""

    option_type: NdpOptionType
    length: int
    prefix_len: int
    on_link: bool
    autonomous: bool
    reserved1: int
    valid_lifetime: int
    preferred_lifetime: int
    reserved2: int
    prefix: Ipv6Address


def unpack_fields(buffer: bytes | bytearray | memoryview, offset: int = 0) -> Fields:
    """Return every field of the 32-octet header at ``offset``.

    The caller has checked that the buffer holds it (`struct.error` otherwise).
    """
    (
        w0,
        w1,
        w2,
        w3,
        w4,
        w5,
    ) = WORDS.unpack_from(buffer, offset)
    return _tuple_new(
        Fields,
        (
            _NDPOPTIONTYPE_MEMBERS.get(w0 >> 8) or NdpOptionType(w0 >> 8),
            w0 & 0xFF,
            w1 >> 8,
            (w1 & 0x80) != 0,
            (w1 & 0x40) != 0,
            w1 & 0x3F,
            w2,
            w3,
            w4,
            Ipv6Address(w5),
        ),
    )


def pack_fields(
    buffer: bytearray | memoryview,
    offset: int = 0,
    *,
    prefix: Ipv6Address,
    option_type: int = 0,
    length: int = 0,
    prefix_len: int = 0,
    on_link: bool = False,
    autonomous: bool = False,
    reserved1: int = 0,
    valid_lifetime: int = 0,
    preferred_lifetime: int = 0,
    reserved2: int = 0,
) -> None:
    """Write the 32-octet header at ``offset``; every field by keyword.

    Values are trusted (in range, as after a parse): `emit` paths check their inputs.
    """
    WORDS.pack_into(
        buffer,
        offset,
        (option_type << 8) | length,
        (prefix_len << 8) | (0x80 if on_link else 0) | (0x40 if autonomous else 0) | reserved1,
        valid_lifetime,
        preferred_lifetime,
        reserved2,
        prefix.packed,
    )
