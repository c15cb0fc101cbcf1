"""Ethernet II frame header (IEEE 802.3 clause 3.2, with the DIX EtherType of RFC 894).

An EtherType below 0x0600 is an IEEE 802.3 length, and 0x8100 an 802.1Q tag; neither is
supported, and the hand-written view reports them as ``UnsupportedPacket``.
"""

from construct import Enum, GreedyBytes, Int16ub, Struct

from ._common import EthernetAddressField, Keep, Representation

PROTOCOL = "ethernet"
VIEW = "EthernetFrame"

#: The smallest EtherType value; smaller values are IEEE 802.3 lengths (IEEE 802.3 3.2.6).
ETHERTYPE_MIN = 0x0600

EthernetProtocol = (
    Enum(
        Int16ub,
        IPV4=0x0800,  # RFC 894
        ARP=0x0806,  # RFC 826
        IPV6=0x86DD,  # RFC 2464
    )
    * "EtherType: the protocol of an Ethernet payload (IEEE 802, RFC 894)"
)

HEADER = Struct(
    "dst_addr" / EthernetAddressField() * "Destination MAC address (RFC 894, IEEE 802.3 3.2.3)",
    "src_addr" / EthernetAddressField() * "Source MAC address (RFC 894, IEEE 802.3 3.2.3)",
    "ethertype" / EthernetProtocol * "EtherType of the payload (RFC 894 'type' field)",
    "payload" / GreedyBytes * "The encapsulated packet (RFC 894 'data')",
)

REPR = Representation(
    "EthernetRepr",
    fields=(Keep("src_addr"), Keep("dst_addr"), Keep("ethertype")),
    cache="_parsed_get",
)
