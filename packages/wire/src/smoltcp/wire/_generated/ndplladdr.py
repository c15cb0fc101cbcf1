# Generated from spec/ndplladdr.py by codegen/templates/header.py.j2 - DO NOT EDIT. inputs-sha256: 87dd24a3a3eb0ebb9bc65433b33dce625ef60972046ac840e19be942e55d1170
"""NDP Source/Target Link-Layer Address option for Ethernet (RFC 4861 4.6.1, RFC 2464 6).

Generated offsets, enums and the `NdpLinkLayerAddrOption` packet view over the fixed header. The
hand-written ``smoltcp.wire.ndplladdr`` subclasses the view and adds what a layout cannot
say: variable-length parts, payload, checksums, representations.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import NamedTuple, TypeVar, cast

from smoltcp.wire._generated.ndpopt import NdpOptionType
from smoltcp.wire.address import EthernetAddress
from smoltcp.wire.errors import MalformedPacket

__all__ = [
    "Fields",
    "HEADER",
    "HEADER_FIELDS",
    "HEADER_LEN",
    "NdpLinkLayerAddrOption",
    "OCTETS",
    "PROTOCOL",
    "WORDS",
    "WORDS_RX",
    "pack_fields",
    "unpack_fields",
]

#: The protocol's name in `MalformedPacket` errors.
PROTOCOL = "ndp"

# Octet offsets of the fixed header's fields, in 8 octets.
OPTION_TYPE = slice(0, 1)  # Type, 1 (source) or 2 (target) (RFC 4861 4.6.1)
LENGTH = slice(1, 2)  # Length, 1 for Ethernet (RFC 2464 section 6)
LL_ADDR = slice(2, 8)  # Link-Layer Address (RFC 4861 4.6.1)

#: Octets of the fixed header.
HEADER_LEN = 8
#: The fields that `HEADER` unpacks, in order (bit groups unpack as one integer word).
HEADER_FIELDS = (
    "option_type",
    "length",
    "ll_addr",
)
#: The whole fixed header at once: ``HEADER.unpack_from(buffer)`` / ``HEADER.pack_into(...)``.
HEADER = struct.Struct("!BB6s")

# The fixed header as words: one-octet fields paired into 16-bit words, so that the words of an
# aligned header add up to its RFC 1071 sum (modulo 0xffff) and a parse unpacks it once.
#: The words, in order: option_type_length, ll_addr.
WORDS = struct.Struct("!H6s")
#: `WORDS` without those no representation field or check reads (padding instead).
WORDS_RX = struct.Struct("!H6s")
#: The fixed header as one octet string (the key of a cache of parsed headers).
OCTETS = struct.Struct("8s")

# The octet offset of each field (of the octet that holds a bit field), from the header start.
OPTION_TYPE_AT = 0
LENGTH_AT = 1
LL_ADDR_AT = 2

_S6 = struct.Struct("!6s")
# Typed unpackers: one call reads a field, and mypy knows what it returns.
_S6_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[bytes]] = _S6.unpack_from
_tuple_new = tuple.__new__
_NDPOPTIONTYPE_MEMBERS = cast("dict[int, NdpOptionType]", NdpOptionType._value2member_map_)

# new_unchecked returns the class it is called on, so a subclass's emit can take its own view
# type (typing.Self needs Python 3.11 or typing_extensions).
_ViewT = TypeVar("_ViewT", bound="NdpLinkLayerAddrOption")


class NdpLinkLayerAddrOption:
    """Read and write the fixed ndp header in place, in a buffer it never copies.

    ``NdpLinkLayerAddrOption(buffer)`` checks the length; `new_unchecked` trusts the caller. Setters
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
    def option_type(self) -> NdpOptionType:
        """Type, 1 (source) or 2 (target) (RFC 4861 4.6.1)."""
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
        """Length, 1 for Ethernet (RFC 2464 section 6)."""
        return self.buffer[1]

    @length.setter
    def length(self, value: int) -> None:
        self.buffer[1] = value  # type: ignore[index]

    @property
    def ll_addr(self) -> EthernetAddress:
        """Link-Layer Address (RFC 4861 4.6.1)."""
        return EthernetAddress(_S6_unpack(self.buffer, 2)[0])

    @ll_addr.setter
    def ll_addr(self, value: EthernetAddress) -> None:
        octets = bytes(value)
        if len(octets) != 6:
            raise ValueError(f"ll_addr: {len(octets)} octets, not 6")
        self.buffer[2:8] = octets  # type: ignore[index]


class Fields(NamedTuple):
    """Every field of the fixed ndp header (what `unpack_fields` reads)."""

    option_type: NdpOptionType
    length: int
    ll_addr: EthernetAddress


def unpack_fields(buffer: bytes | bytearray | memoryview, offset: int = 0) -> Fields:
    """Return every field of the 8-octet header at ``offset``.

    The caller has checked that the buffer holds it (`struct.error` otherwise).
    """
    (
        w0,
        w1,
    ) = WORDS.unpack_from(buffer, offset)
    return _tuple_new(
        Fields,
        (
            _NDPOPTIONTYPE_MEMBERS.get(w0 >> 8) or NdpOptionType(w0 >> 8),
            w0 & 0xFF,
            EthernetAddress(w1),
        ),
    )


def pack_fields(
    buffer: bytearray | memoryview,
    offset: int = 0,
    *,
    ll_addr: EthernetAddress,
    option_type: int = 0,
    length: int = 0,
) -> None:
    """Write the 8-octet header at ``offset``; every field by keyword.

    Values are trusted (in range, as after a parse): `emit` paths check their inputs.
    """
    WORDS.pack_into(
        buffer,
        offset,
        (option_type << 8) | length,
        ll_addr.octets,
    )
