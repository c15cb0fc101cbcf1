"""ARP for IPv4 over Ethernet (RFC 826): the `ArpPacket` view and `ArpRepr`.

Other hardware or protocol address spaces are well-formed ARP but unsupported: the checked
constructor raises `UnsupportedPacket` for them.
"""

from __future__ import annotations

from typing import NamedTuple

from ._generated.arp import (
    HARDWARE_LEN_AT,
    HEADER_LEN,
    PROTOCOL,
    PROTOCOL_LEN_AT,
    PROTOCOL_TYPE_AT,
    ArpHardware,
    ArpOperation,
)
from ._generated.arp import ArpPacket as _ArpPacketView
from .address import EthernetAddress, Ipv4Address
from .checksum import WritableBuffer
from .errors import MalformedPacket, UnsupportedPacket

__all__ = ["ArpHardware", "ArpOperation", "ArpPacket", "ArpRepr"]

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
        # The general path (the generated one in arp_fast reads every Ethernet/IPv4 packet):
        # the checked view raises the precise error, its generated accessors read the fields.
        packet = ArpPacket(buffer)
        return _tuple_new(
            ArpRepr,
            (
                packet.operation,
                packet.source_hardware_addr,
                packet.source_protocol_addr,
                packet.target_hardware_addr,
                packet.target_protocol_addr,
            ),
        )

    def emit(self, packet: ArpPacket) -> None:
        """Write the 28 octets of the packet into ``packet``'s buffer."""
        _emit_buffer(self, packet.buffer)  # type: ignore[arg-type]

    def emit_buffer(self, buffer: WritableBuffer) -> None:
        """Write the 28 octets of the packet into ``buffer``: `emit` without the view.

        Generated from the spec (``smoltcp.wire._generated.arp_fast``), which replaces this
        method below.
        """
        _emit_fast(self, buffer)

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


# The general parse: the precise error of every packet the generated one does not read.
_parse_general = ArpRepr.parse_buffer

# The per-packet path, generated from the spec (spec/profiles.py LAYER_PROFILES). Imported
# last: the generated module builds this module's ArpRepr.
from ._generated.arp_fast import emit_buffer as _emit_fast  # noqa: E402
from ._generated.arp_fast import parse_buffer as _parse_fast  # noqa: E402

ArpRepr.parse_buffer = staticmethod(_parse_fast)  # type: ignore[method-assign,assignment]
ArpRepr.emit_buffer = _emit_fast  # type: ignore[method-assign,assignment]
_parse_buffer = _parse_fast
_emit_buffer = _emit_fast
