"""ARP for IPv4 over Ethernet (RFC 826): the `ArpPacket` view and `ArpRepr`.

Other hardware or protocol address spaces are well-formed ARP but unsupported: the checked
constructor raises `UnsupportedPacket` for them.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from ._generated.arp import (
    HARDWARE_LEN_AT,
    HEADER,
    HEADER_LEN,
    PROTOCOL,
    PROTOCOL_LEN_AT,
    PROTOCOL_TYPE_AT,
    ArpHardware,
    ArpOperation,
)
from ._generated.arp import ArpPacket as _ArpPacketView
from .address import EthernetAddress, Ipv4Address, ethernet_from_octets, ipv4_from_packed
from .checksum import WritableBuffer
from .errors import MalformedPacket, UnsupportedPacket

__all__ = ["ArpHardware", "ArpOperation", "ArpPacket", "ArpRepr"]

_OPERATIONS = ArpOperation._value2member_map_
_unpack_header = HEADER.unpack_from
_pack_header = HEADER.pack_into
_tuple_new = tuple.__new__

_HTYPE_ETHERNET = 1
_PTYPE_IPV4 = 0x0800
# The fixed part before the addresses: hardware and protocol types and lengths, operation.
_FIXED_LEN = 8


class ArpPacket(_ArpPacketView):
    """A zero-copy view of an ARP packet for IPv4 over Ethernet.

    ``ArpPacket(buffer)`` raises `MalformedPacket` when truncated, `UnsupportedPacket` when the
    hardware type is not Ethernet (6-octet addresses) or the protocol not IPv4 (4 octets).
    """

    __slots__ = ()

    def check_len(self) -> None:
        """Raise unless this is a whole Ethernet/IPv4 ARP packet."""
        buffer = self.buffer
        n = len(buffer)
        if n < _FIXED_LEN:
            raise MalformedPacket(PROTOCOL, "header", f"{n} octets, fewer than the 8 fixed octets")
        htype = (buffer[0] << 8) | buffer[1]
        ptype = (buffer[PROTOCOL_TYPE_AT] << 8) | buffer[PROTOCOL_TYPE_AT + 1]
        if htype != _HTYPE_ETHERNET or buffer[HARDWARE_LEN_AT] != 6:
            raise UnsupportedPacket(
                PROTOCOL,
                "hardware_type",
                f"hardware {htype} with {buffer[HARDWARE_LEN_AT]}-octet addresses",
            )
        if ptype != _PTYPE_IPV4 or buffer[PROTOCOL_LEN_AT] != 4:
            raise UnsupportedPacket(
                PROTOCOL,
                "protocol_type",
                f"protocol 0x{ptype:04x} with {buffer[PROTOCOL_LEN_AT]}-octet addresses",
            )
        if n < HEADER_LEN:
            raise MalformedPacket(PROTOCOL, "header", f"{n} octets, fewer than the 28-octet packet")


class ArpRepr(NamedTuple):
    """An Ethernet/IPv4 ARP request or reply.

    ``operation`` keeps values other than REQUEST and REPLY as ``ArpOperation`` pseudo-members;
    the stack decides what to do with them.
    """

    operation: ArpOperation
    source_hardware_addr: EthernetAddress
    source_protocol_addr: Ipv4Address
    target_hardware_addr: EthernetAddress
    target_protocol_addr: Ipv4Address

    @staticmethod
    def parse(packet: ArpPacket) -> ArpRepr:
        """Return the fields of a checked ``packet``; raise `MalformedPacket`.

        The same as ``parse_buffer(packet.buffer)``.
        """
        return _parse_buffer(packet.buffer)

    @staticmethod
    def parse_buffer(buffer: bytes | bytearray | memoryview) -> ArpRepr:
        """Return the fields of the ARP packet in ``buffer``; raise `MalformedPacket`.

        `ArpRepr.parse` without the view: it makes every check of the checked
        ``ArpPacket(buffer)`` and raises the same errors (`UnsupportedPacket` included).
        """
        try:
            htype, ptype, hlen, plen, op, sha, spa, tha, tpa = _unpack_header(buffer)
        except struct.error:
            ArpPacket(buffer)  # raises the precise error
            raise MalformedPacket(PROTOCOL, "header", "truncated") from None
        if htype != _HTYPE_ETHERNET or ptype != _PTYPE_IPV4 or hlen != 6 or plen != 4:
            ArpPacket(buffer)  # raises the precise error
            raise UnsupportedPacket(PROTOCOL, "hardware_type", "not Ethernet/IPv4")
        operation = _OPERATIONS.get(op)
        if operation is None:
            operation = ArpOperation(op)
        return _tuple_new(
            ArpRepr,
            (
                operation,
                ethernet_from_octets(sha),
                ipv4_from_packed(spa),
                ethernet_from_octets(tha),
                ipv4_from_packed(tpa),
            ),
        )

    def emit(self, packet: ArpPacket) -> None:
        """Write the 28 octets of the packet into ``packet``'s buffer."""
        _emit_buffer(self, packet.buffer)  # type: ignore[arg-type]

    def emit_buffer(self, buffer: WritableBuffer) -> None:
        """Write the 28 octets of the packet into ``buffer``: `emit` without the view."""
        _pack_header(
            buffer,
            0,
            _HTYPE_ETHERNET,
            _PTYPE_IPV4,
            6,
            4,
            self.operation,
            self.source_hardware_addr._octets,
            self.source_protocol_addr._packed,
            self.target_hardware_addr._octets,
            self.target_protocol_addr._packed,
        )

    def buffer_len(self) -> int:
        """Return the packet length, 28."""
        return HEADER_LEN

    def __str__(self) -> str:
        if self.operation == ArpOperation.REQUEST:
            what = f"request who-has {self.target_protocol_addr} tell {self.source_protocol_addr}"
        elif self.operation == ArpOperation.REPLY:
            what = f"reply {self.source_protocol_addr} is-at {self.source_hardware_addr}"
        else:
            what = (
                f"op={int(self.operation)} sha={self.source_hardware_addr} "
                f"spa={self.source_protocol_addr} tha={self.target_hardware_addr} "
                f"tpa={self.target_protocol_addr}"
            )
        return f"ARP {what}"


_parse_buffer = ArpRepr.parse_buffer
_emit_buffer = ArpRepr.emit_buffer
