# Generated from spec/arp.py by codegen/templates/header.py.j2 - DO NOT EDIT. inputs-sha256: 8a3484d8b2265e1f9870e3f235c261ac5ed862d6170e3f30693697f1757b9760
"""ARP packet for Ethernet hardware and IPv4 protocol addresses (RFC 826).

Generated offsets, enums and the `ArpPacket` packet view over the fixed header. The
hand-written ``smoltcp.wire.arp`` subclasses the view and adds what a layout cannot
say: variable-length parts, payload, checksums, representations.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import NamedTuple, TypeVar, cast

from smoltcp.wire._generated._base import UnknownKeepingIntEnum
from smoltcp.wire._generated.ethernet import EthernetProtocol
from smoltcp.wire.address import EthernetAddress, Ipv4Address
from smoltcp.wire.errors import MalformedPacket

__all__ = [
    "ArpHardware",
    "ArpOperation",
    "ArpPacket",
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
PROTOCOL = "arp"

# Octet offsets of the fixed header's fields, in 28 octets.
HARDWARE_TYPE = slice(0, 2)  # Hardware address space (RFC 826 ar$hrd)
PROTOCOL_TYPE = slice(2, 4)  # Protocol address space, an EtherType (RFC 826 ar$pro)
HARDWARE_LEN = slice(4, 5)  # Octets in a hardware address (RFC 826 ar$hln)
PROTOCOL_LEN = slice(5, 6)  # Octets in a protocol address (RFC 826 ar$pln)
OPERATION = slice(6, 8)  # Opcode: request or reply (RFC 826 ar$op)
SOURCE_HARDWARE_ADDR = slice(8, 14)  # Hardware address of the sender (RFC 826 ar$sha)
SOURCE_PROTOCOL_ADDR = slice(14, 18)  # Protocol address of the sender (RFC 826 ar$spa)
TARGET_HARDWARE_ADDR = slice(18, 24)  # Hardware address of the target, if known (RFC 826 ar$tha)
TARGET_PROTOCOL_ADDR = slice(24, 28)  # Protocol address of the target (RFC 826 ar$tpa)

#: Octets of the fixed header.
HEADER_LEN = 28
#: The fields that `HEADER` unpacks, in order (bit groups unpack as one integer word).
HEADER_FIELDS = (
    "hardware_type",
    "protocol_type",
    "hardware_len",
    "protocol_len",
    "operation",
    "source_hardware_addr",
    "source_protocol_addr",
    "target_hardware_addr",
    "target_protocol_addr",
)
#: The whole fixed header at once: ``HEADER.unpack_from(buffer)`` / ``HEADER.pack_into(...)``.
HEADER = struct.Struct("!HHBBH6s4s6s4s")

# The fixed header as words: one-octet fields paired into 16-bit words, so that the words of an
# aligned header add up to its RFC 1071 sum (modulo 0xffff) and a parse unpacks it once.
#: The words, in order: hardware_type, protocol_type, hardware_len_protocol_len, operation, source_hardware_addr, source_protocol_addr, target_hardware_addr, target_protocol_addr.
WORDS = struct.Struct("!HHHH6sL6sL")
#: `WORDS` without those no representation field or check reads (padding instead).
WORDS_RX = struct.Struct("!6xH6sL6sL")
#: The fixed header as one octet string (the key of a cache of parsed headers).
OCTETS = struct.Struct("28s")

# The octet offset of each field (of the octet that holds a bit field), from the header start.
HARDWARE_TYPE_AT = 0
PROTOCOL_TYPE_AT = 2
HARDWARE_LEN_AT = 4
PROTOCOL_LEN_AT = 5
OPERATION_AT = 6
SOURCE_HARDWARE_ADDR_AT = 8
SOURCE_PROTOCOL_ADDR_AT = 14
TARGET_HARDWARE_ADDR_AT = 18
TARGET_PROTOCOL_ADDR_AT = 24


class ArpHardware(UnknownKeepingIntEnum):
    """ARP hardware address space, ar$hrd (RFC 826, IANA).

    A value without a name reads as the pseudo-member ``Unknown(value)``; it is not an error.
    """

    ETHERNET = 1  # RFC 826 ares_hrd$Ethernet; IANA ARP hardware type 1


ArpHardware._value_limit = 65536  # the field is 16 bits wide


class ArpOperation(UnknownKeepingIntEnum):
    """ARP opcode, ar$op (RFC 826).

    A value without a name reads as the pseudo-member ``Unknown(value)``; it is not an error.
    """

    REQUEST = 1  # RFC 826 ares_op$REQUEST
    REPLY = 2  # RFC 826 ares_op$REPLY


ArpOperation._value_limit = 65536  # the field is 16 bits wide

_S4 = struct.Struct("!4s")
_S6 = struct.Struct("!6s")
_U16 = struct.Struct("!H")
# Typed unpackers: one call reads a field, and mypy knows what it returns.
_S4_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[bytes]] = _S4.unpack_from
_S6_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[bytes]] = _S6.unpack_from
_U16_unpack: Callable[[bytes | bytearray | memoryview, int], tuple[int]] = _U16.unpack_from
_tuple_new = tuple.__new__
_ARPHARDWARE_MEMBERS = cast("dict[int, ArpHardware]", ArpHardware._value2member_map_)
_ARPOPERATION_MEMBERS = cast("dict[int, ArpOperation]", ArpOperation._value2member_map_)
_ETHERNETPROTOCOL_MEMBERS = cast("dict[int, EthernetProtocol]", EthernetProtocol._value2member_map_)

# new_unchecked returns the class it is called on, so a subclass's emit can take its own view
# type (typing.Self needs Python 3.11 or typing_extensions).
_ViewT = TypeVar("_ViewT", bound="ArpPacket")


class ArpPacket:
    """Read and write the fixed arp header in place, in a buffer it never copies.

    ``ArpPacket(buffer)`` checks the length; `new_unchecked` trusts the caller. Setters
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
    def hardware_type(self) -> ArpHardware:
        """Hardware address space (RFC 826 ar$hrd)."""
        value = _U16_unpack(self.buffer, 0)[0]
        try:
            return _ARPHARDWARE_MEMBERS[value]
        except KeyError:
            return ArpHardware(value)

    @hardware_type.setter
    def hardware_type(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"hardware_type: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 0, value)

    @property
    def protocol_type(self) -> EthernetProtocol:
        """Protocol address space, an EtherType (RFC 826 ar$pro)."""
        value = _U16_unpack(self.buffer, 2)[0]
        try:
            return _ETHERNETPROTOCOL_MEMBERS[value]
        except KeyError:
            return EthernetProtocol(value)

    @protocol_type.setter
    def protocol_type(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"protocol_type: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 2, value)

    @property
    def hardware_len(self) -> int:
        """Octets in a hardware address (RFC 826 ar$hln)."""
        return self.buffer[4]

    @hardware_len.setter
    def hardware_len(self, value: int) -> None:
        self.buffer[4] = value  # type: ignore[index]

    @property
    def protocol_len(self) -> int:
        """Octets in a protocol address (RFC 826 ar$pln)."""
        return self.buffer[5]

    @protocol_len.setter
    def protocol_len(self, value: int) -> None:
        self.buffer[5] = value  # type: ignore[index]

    @property
    def operation(self) -> ArpOperation:
        """Opcode: request or reply (RFC 826 ar$op)."""
        value = _U16_unpack(self.buffer, 6)[0]
        try:
            return _ARPOPERATION_MEMBERS[value]
        except KeyError:
            return ArpOperation(value)

    @operation.setter
    def operation(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"operation: {value!r} is not in range(0, 2**16)")
        _U16.pack_into(self.buffer, 6, value)

    @property
    def source_hardware_addr(self) -> EthernetAddress:
        """Hardware address of the sender (RFC 826 ar$sha)."""
        return EthernetAddress(_S6_unpack(self.buffer, 8)[0])

    @source_hardware_addr.setter
    def source_hardware_addr(self, value: EthernetAddress) -> None:
        octets = bytes(value)
        if len(octets) != 6:
            raise ValueError(f"source_hardware_addr: {len(octets)} octets, not 6")
        self.buffer[8:14] = octets  # type: ignore[index]

    @property
    def source_protocol_addr(self) -> Ipv4Address:
        """Protocol address of the sender (RFC 826 ar$spa)."""
        return Ipv4Address(_S4_unpack(self.buffer, 14)[0])

    @source_protocol_addr.setter
    def source_protocol_addr(self, value: Ipv4Address) -> None:
        octets = value.packed
        if len(octets) != 4:
            raise ValueError(f"source_protocol_addr: {len(octets)} octets, not 4")
        self.buffer[14:18] = octets  # type: ignore[index]

    @property
    def target_hardware_addr(self) -> EthernetAddress:
        """Hardware address of the target, if known (RFC 826 ar$tha)."""
        return EthernetAddress(_S6_unpack(self.buffer, 18)[0])

    @target_hardware_addr.setter
    def target_hardware_addr(self, value: EthernetAddress) -> None:
        octets = bytes(value)
        if len(octets) != 6:
            raise ValueError(f"target_hardware_addr: {len(octets)} octets, not 6")
        self.buffer[18:24] = octets  # type: ignore[index]

    @property
    def target_protocol_addr(self) -> Ipv4Address:
        """Protocol address of the target (RFC 826 ar$tpa)."""
        return Ipv4Address(_S4_unpack(self.buffer, 24)[0])

    @target_protocol_addr.setter
    def target_protocol_addr(self, value: Ipv4Address) -> None:
        octets = value.packed
        if len(octets) != 4:
            raise ValueError(f"target_protocol_addr: {len(octets)} octets, not 4")
        self.buffer[24:28] = octets  # type: ignore[index]


class Fields(NamedTuple):
    """Every field of the fixed arp header (what `unpack_fields` reads)."""

    hardware_type: ArpHardware
    protocol_type: EthernetProtocol
    hardware_len: int
    protocol_len: int
    operation: ArpOperation
    source_hardware_addr: EthernetAddress
    source_protocol_addr: Ipv4Address
    target_hardware_addr: EthernetAddress
    target_protocol_addr: Ipv4Address


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
        w7,
    ) = WORDS.unpack_from(buffer, offset)
    return _tuple_new(
        Fields,
        (
            _ARPHARDWARE_MEMBERS.get(w0) or ArpHardware(w0),
            _ETHERNETPROTOCOL_MEMBERS.get(w1) or EthernetProtocol(w1),
            w2 >> 8,
            w2 & 0xFF,
            _ARPOPERATION_MEMBERS.get(w3) or ArpOperation(w3),
            EthernetAddress(w4),
            Ipv4Address(w5),
            EthernetAddress(w6),
            Ipv4Address(w7),
        ),
    )


def pack_fields(
    buffer: bytearray | memoryview,
    offset: int = 0,
    *,
    source_hardware_addr: EthernetAddress,
    source_protocol_addr: Ipv4Address,
    target_hardware_addr: EthernetAddress,
    target_protocol_addr: Ipv4Address,
    hardware_type: int = 0,
    protocol_type: int = 0,
    hardware_len: int = 0,
    protocol_len: int = 0,
    operation: int = 0,
) -> None:
    """Write the 28-octet header at ``offset``; every field by keyword.

    Values are trusted (in range, as after a parse): `emit` paths check their inputs.
    """
    WORDS.pack_into(
        buffer,
        offset,
        hardware_type,
        protocol_type,
        (hardware_len << 8) | protocol_len,
        operation,
        source_hardware_addr.octets,
        source_protocol_addr._int,
        target_hardware_addr.octets,
        target_protocol_addr._int,
    )
