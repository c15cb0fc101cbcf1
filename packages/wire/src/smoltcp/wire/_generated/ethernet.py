# Generated from spec/ethernet.py by codegen/templates/header.py.j2 - DO NOT EDIT. inputs-sha256: 815097169d300c1a190968cc406b5dd55d8dff691b424ce435027a8d363d70aa
"""Ethernet II frame header (IEEE 802.3 clause 3.2, with the DIX EtherType of RFC 894).

Generated offsets, enums and the `EthernetFrame` packet view over the fixed header. The
hand-written ``smoltcp.wire.ethernet`` subclasses the view and adds what a layout cannot
say: variable-length parts, payload, checksums, representations.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import NamedTuple, TypeVar, cast

from smoltcp.wire._generated._base import UnknownKeepingIntEnum
from smoltcp.wire.address import EthernetAddress
from smoltcp.wire.errors import MalformedPacket

__all__ = [
    "EthernetFrame",
    "EthernetProtocol",
    "Fields",
    "HEADER",
    "HEADER_FIELDS",
    "HEADER_LEN",
    "OCTETS",
    "PROTOCOL",
    "WORDS",
    "WORDS_RX",
    "pack_fields",
    "unpack_fields",
]

#: The protocol's name in `MalformedPacket` errors.
PROTOCOL = "ethernet"

# Constants declared in spec/ethernet.py.
#: The smallest EtherType value; smaller values are IEEE 802.3 lengths (IEEE 802.3 3.2.6).
ETHERTYPE_MIN = 1536

# Octet offsets of the fixed header's fields, in 14 octets.
DST_ADDR = slice(0, 6)  # Destination MAC address (RFC 894, IEEE 802.3 3.2.3)
SRC_ADDR = slice(6, 12)  # Source MAC address (RFC 894, IEEE 802.3 3.2.3)
ETHERTYPE = slice(12, 14)  # EtherType of the payload (RFC 894 'type' field)

#: Octets of the fixed header.
HEADER_LEN = 14
#: The fields that `HEADER` unpacks, in order (bit groups unpack as one integer word).
HEADER_FIELDS = (
    "dst_addr",
    "src_addr",
    "ethertype",
)
#: The whole fixed header at once: ``HEADER.unpack_from(buffer)`` / ``HEADER.pack_into(...)``.
HEADER = struct.Struct("!6s6sH")

# The fixed header as words: one-octet fields paired into 16-bit words, so that the words of an
# aligned header add up to its RFC 1071 sum (modulo 0xffff) and a parse unpacks it once.
#: The words, in order: dst_addr, src_addr, ethertype.
WORDS = struct.Struct("!6s6sH")
#: `WORDS` without those no representation field or check reads (padding instead).
WORDS_RX = struct.Struct("!6s6sH")
#: The fixed header as one octet string (the key of a cache of parsed headers).
OCTETS = struct.Struct("14s")

# The octet offset of each field (of the octet that holds a bit field), from the header start.
DST_ADDR_AT = 0
SRC_ADDR_AT = 6
ETHERTYPE_AT = 12


class EthernetProtocol(UnknownKeepingIntEnum):
    """EtherType: the protocol of an Ethernet payload (IEEE 802, RFC 894).

    A value without a name reads as the pseudo-member ``Unknown(value)``; it is not an error.
    """

    IPV4 = 0x0800  # RFC 894
    ARP = 0x0806  # RFC 826
    IPV6 = 0x86DD  # RFC 2464


EthernetProtocol._value_limit = 65536  # the field is 16 bits wide

_S6 = struct.Struct("!6s")
_U16 = struct.Struct("!H")
# Typed unpackers: one call reads a field, and mypy knows what it returns.
_S6_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[bytes]] = _S6.unpack_from
_U16_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[int]] = _U16.unpack_from
_tuple_new = tuple.__new__
_ETHERNETPROTOCOL_MEMBERS = cast("dict[int, EthernetProtocol]", EthernetProtocol._value2member_map_)

# new_unchecked returns the class it is called on, so a subclass's emit can take its own view
# type (typing.Self needs Python 3.11 or typing_extensions).
_ViewT = TypeVar("_ViewT", bound="EthernetFrame")


class EthernetFrame:
    """Read and write the fixed ethernet header in place, in a buffer it never copies.

    ``EthernetFrame(buffer)`` checks the length; `new_unchecked` trusts the caller. Setters
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
        if len(self.buffer) < 14:
            raise MalformedPacket(
                PROTOCOL,
                "header",
                f"{len(self.buffer)} octets, fewer than the 14-octet header",
            )

    @property
    def dst_addr(self) -> EthernetAddress:
        """Destination MAC address (RFC 894, IEEE 802.3 3.2.3)."""
        return EthernetAddress(_S6_unpack(self.buffer, 0)[0])

    @dst_addr.setter
    def dst_addr(self, value: EthernetAddress) -> None:
        octets = bytes(value)
        if len(octets) != 6:
            raise ValueError(f"dst_addr: {len(octets)} octets, not 6")
        self.buffer[0:6] = octets  # type: ignore[index]

    @property
    def src_addr(self) -> EthernetAddress:
        """Source MAC address (RFC 894, IEEE 802.3 3.2.3)."""
        return EthernetAddress(_S6_unpack(self.buffer, 6)[0])

    @src_addr.setter
    def src_addr(self, value: EthernetAddress) -> None:
        octets = bytes(value)
        if len(octets) != 6:
            raise ValueError(f"src_addr: {len(octets)} octets, not 6")
        self.buffer[6:12] = octets  # type: ignore[index]

    @property
    def ethertype(self) -> EthernetProtocol:
        """EtherType of the payload (RFC 894 'type' field)."""
        value = _U16_unpack(self.buffer, 12)[0]
        try:
            return _ETHERNETPROTOCOL_MEMBERS[value]
        except KeyError:
            return EthernetProtocol(value)

    @ethertype.setter
    def ethertype(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"ethertype: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 12, value)


class Fields(NamedTuple):
    """Every field of the fixed ethernet header (what `unpack_fields` reads)."""

    dst_addr: EthernetAddress
    src_addr: EthernetAddress
    ethertype: EthernetProtocol


def unpack_fields(buffer: bytes | bytearray | memoryview, offset: int = 0) -> Fields:
    """Return every field of the 14-octet header at ``offset``.

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
            EthernetAddress(w0),
            EthernetAddress(w1),
            _ETHERNETPROTOCOL_MEMBERS.get(w2) or EthernetProtocol(w2),
        ),
    )


def pack_fields(
    buffer: bytearray | memoryview,
    offset: int = 0,
    *,
    dst_addr: EthernetAddress,
    src_addr: EthernetAddress,
    ethertype: int = 0,
) -> None:
    """Write the 14-octet header at ``offset``; every field by keyword.

    Values are trusted (in range, as after a parse): `emit` paths check their inputs.
    """
    WORDS.pack_into(
        buffer,
        offset,
        dst_addr.octets,
        src_addr.octets,
        ethertype,
    )
