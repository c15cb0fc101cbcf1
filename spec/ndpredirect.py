"""NDP Redirect message (RFC 4861 section 4.5)."""

from construct import GreedyBytes, Int8ub, Int16ub, Int32ub, Struct

from ._common import Ipv6AddressField
from .icmpv6 import Icmpv6Message

PROTOCOL = "ndp"
VIEW = "NdpRedirect"

HEADER = Struct(
    "msg_type" / Icmpv6Message * "Type, 137 (RFC 4861 4.5)",
    "msg_code" / Int8ub * "Code, 0 (RFC 4861 4.5)",
    "checksum" / Int16ub * "ICMPv6 checksum (RFC 4443 2.3)",
    "reserved" / Int32ub * "Reserved, zero on send (RFC 4861 4.5)",
    "target_addr" / Ipv6AddressField() * "Target Address: the better first hop (RFC 4861 4.5)",
    "dst_addr" / Ipv6AddressField() * "Destination Address being redirected (RFC 4861 4.5)",
    "options" / GreedyBytes * "Options: target link-layer address, redirected header (4.5)",
)
