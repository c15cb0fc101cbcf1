# Generated from spec/profiles.py by codegen/templates/fast.py.j2 - DO NOT EDIT. inputs-sha256: 86d48b5071de43eccefab775c415ac77de0cf712ed043ac0139e63d5603367a6
"""The per-layer ``parse_buffer``/``emit_buffer`` of one representation, from ``spec/profiles.py``.

The header's common shape (``LAYER_PROFILES``) is one ``struct`` format; its fields, masks,
checksum words and representation all come from the spec. Any other input goes to the
hand-written module's ``_parse_general``/``_emit_general``, so every input gets the same answer
either way. The hand-written module makes these its representation's methods.
"""

from __future__ import annotations

import struct

from smoltcp.wire._generated.arp import ArpOperation
from smoltcp.wire.address import (
    ethernet_cache_get,
    ethernet_from_octets,
    ipv4_from_int,
    ipv4_int_cache_get,
)
from smoltcp.wire.arp import ArpRepr, _parse_general
from smoltcp.wire.capabilities import COMPUTE_TX, ChecksumCapabilities, VERIFY_RX
from smoltcp.wire.checksum import InternetSum, WritableBuffer, internet_sum

__all__ = [
    "ARP_LEN",
    "emit_buffer",
    "parse_buffer",
]

_DEFAULT_CAPS = ChecksumCapabilities()
_tuple_new = tuple.__new__
_seq_new = int.__new__
_from_bytes = int.from_bytes
# int.__add__: a TcpSeqNumber's own + wraps modulo 2**32, which a checksum sum must not.
_int_add = int.__add__
_ARPOPERATION_MEMBERS = ArpOperation._value2member_map_
_ipv4_get = ipv4_int_cache_get
_mac_get = ethernet_cache_get


# Profile arp: An ARP packet for IPv4 over Ethernet.
ARP_LEN = 28  # octets of all its headers
_ARP_RX = struct.Struct("!HHHH6sL6sL")
_ARP_TX = struct.Struct("!HHHH6sL6sL")


def parse_buffer(
    frame: bytes | bytearray | memoryview,
) -> ArpRepr:
    """Return the ArpRepr of the arp header in ``frame``.

    An ARP packet for IPv4 over Ethernet is read here; any other input goes to the hand-written
    ``_parse_general``, whose results and errors these are.
    """
    n = len(frame)
    if n < 28:
        return _parse_general(frame)
    (
        arp_hardware_type,
        arp_protocol_type,
        arp_hardware_len_protocol_len,
        arp_operation,
        arp_source_hardware_addr,
        arp_source_protocol_addr,
        arp_target_hardware_addr,
        arp_target_protocol_addr,
    ) = _ARP_RX.unpack_from(frame)
    end = n
    if (
        arp_hardware_type != 0x1
        or arp_protocol_type != 0x800
        or arp_hardware_len_protocol_len != 0x604
    ):
        return _parse_general(frame)
    arp_repr = _tuple_new(
        ArpRepr,
        (
            _ARPOPERATION_MEMBERS.get(arp_operation) or ArpOperation(arp_operation),
            _mac_get(arp_source_hardware_addr) or ethernet_from_octets(arp_source_hardware_addr),
            _ipv4_get(arp_source_protocol_addr) or ipv4_from_int(arp_source_protocol_addr),
            _mac_get(arp_target_hardware_addr) or ethernet_from_octets(arp_target_hardware_addr),
            _ipv4_get(arp_target_protocol_addr) or ipv4_from_int(arp_target_protocol_addr),
        ),
    )
    return arp_repr


def emit_buffer(
    arp: ArpRepr,
    buffer: WritableBuffer,
) -> None:
    """Write the arp header of ``arp`` into ``buffer``.

    An ARP packet for IPv4 over Ethernet is written here.
    """
    (
        arp_operation,
        arp_source_hardware_addr,
        arp_source_protocol_addr,
        arp_target_hardware_addr,
        arp_target_protocol_addr,
    ) = arp
    arp_source_hardware_addr_word = arp_source_hardware_addr._octets
    arp_source_protocol_addr_word = arp_source_protocol_addr._int
    arp_target_hardware_addr_word = arp_target_hardware_addr._octets
    arp_target_protocol_addr_word = arp_target_protocol_addr._int
    _ARP_TX.pack_into(
        buffer,
        0,
        0x1,
        0x800,
        0x604,
        arp_operation,
        arp_source_hardware_addr_word,
        arp_source_protocol_addr_word,
        arp_target_hardware_addr_word,
        arp_target_protocol_addr_word,
    )
