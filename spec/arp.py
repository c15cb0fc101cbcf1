"""ARP packet for Ethernet hardware and IPv4 protocol addresses (RFC 826).

Only the Ethernet/IPv4 layout (hardware length 6, protocol length 4) is declared: it is the one
the stack speaks, and it makes every field's offset fixed.
"""

from construct import Enum, Int8ub, Int16ub, Struct

from ._common import EthernetAddressField, Ipv4AddressField, Keep, Representation
from .ethernet import EthernetProtocol

PROTOCOL = "arp"
VIEW = "ArpPacket"

ArpHardware = (
    Enum(
        Int16ub,
        ETHERNET=1,  # RFC 826 ares_hrd$Ethernet; IANA ARP hardware type 1
    )
    * "ARP hardware address space, ar$hrd (RFC 826, IANA)"
)

ArpOperation = (
    Enum(
        Int16ub,
        REQUEST=1,  # RFC 826 ares_op$REQUEST
        REPLY=2,  # RFC 826 ares_op$REPLY
    )
    * "ARP opcode, ar$op (RFC 826)"
)

HEADER = Struct(
    "hardware_type" / ArpHardware * "Hardware address space (RFC 826 ar$hrd)",
    "protocol_type" / EthernetProtocol * "Protocol address space, an EtherType (RFC 826 ar$pro)",
    "hardware_len" / Int8ub * "Octets in a hardware address (RFC 826 ar$hln)",
    "protocol_len" / Int8ub * "Octets in a protocol address (RFC 826 ar$pln)",
    "operation" / ArpOperation * "Opcode: request or reply (RFC 826 ar$op)",
    "source_hardware_addr"
    / EthernetAddressField()
    * "Hardware address of the sender (RFC 826 ar$sha)",
    "source_protocol_addr" / Ipv4AddressField() * "Protocol address of the sender (RFC 826 ar$spa)",
    "target_hardware_addr"
    / EthernetAddressField()
    * "Hardware address of the target, if known (RFC 826 ar$tha)",
    "target_protocol_addr" / Ipv4AddressField() * "Protocol address of the target (RFC 826 ar$tpa)",
)

REPR = Representation(
    "ArpRepr",
    fields=(
        Keep("operation"),
        Keep("source_hardware_addr"),
        Keep("source_protocol_addr"),
        Keep("target_hardware_addr"),
        Keep("target_protocol_addr"),
    ),
)
