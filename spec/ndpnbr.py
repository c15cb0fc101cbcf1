"""NDP Neighbor Solicitation and Advertisement messages (RFC 4861 sections 4.3 and 4.4).

Both carry a 32-bit word and a target address; the solicitation leaves the word reserved, the
advertisement puts the R, S and O flags in its top bits.
"""

from construct import BitsInteger, BitStruct, Flag, GreedyBytes, Int8ub, Int16ub, Struct

from ._common import Ipv6AddressField
from .icmpv6 import Icmpv6Message

PROTOCOL = "ndp"
VIEW = "NdpNeighbor"

HEADER = Struct(
    "msg_type" / Icmpv6Message * "Type, 135 or 136 (RFC 4861 4.3, 4.4)",
    "msg_code" / Int8ub * "Code, 0 (RFC 4861 4.3, 4.4)",
    "checksum" / Int16ub * "ICMPv6 checksum (RFC 4443 2.3)",
    "na_flags"
    / BitStruct(
        "router" / Flag * "R: the sender is a router (RFC 4861 4.4)",
        "solicited" / Flag * "S: sent in response to a solicitation (RFC 4861 4.4)",
        "override" / Flag * "O: override an existing cache entry (RFC 4861 4.4)",
        "reserved" / BitsInteger(29) * "Reserved, zero on send (RFC 4861 4.3, 4.4)",
    )
    * "R, S, O flags of an advertisement; reserved in a solicitation (RFC 4861)",
    "target_addr" / Ipv6AddressField() * "Target Address (RFC 4861 4.3, 4.4)",
    "options" / GreedyBytes * "Options: source or target link-layer address (RFC 4861)",
)
