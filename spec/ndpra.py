"""NDP Router Advertisement message (RFC 4861 section 4.2)."""

from construct import BitsInteger, BitStruct, Flag, GreedyBytes, Int8ub, Int16ub, Int32ub, Struct

from .icmpv6 import Icmpv6Message

PROTOCOL = "ndp"
VIEW = "NdpRouterAdvert"

HEADER = Struct(
    "msg_type" / Icmpv6Message * "Type, 134 (RFC 4861 4.2)",
    "msg_code" / Int8ub * "Code, 0 (RFC 4861 4.2)",
    "checksum" / Int16ub * "ICMPv6 checksum (RFC 4443 2.3)",
    "cur_hop_limit" / Int8ub * "Cur Hop Limit for outgoing packets; 0 unspecified (RFC 4861)",
    "ra_flags"
    / BitStruct(
        "managed" / Flag * "M: Managed address configuration, by DHCPv6 (RFC 4861 4.2)",
        "other" / Flag * "O: Other configuration, by DHCPv6 (RFC 4861 4.2)",
        "reserved" / BitsInteger(6) * "Reserved, zero on send (RFC 4861 4.2)",
    )
    * "M and O flags (RFC 4861 4.2)",
    "router_lifetime" / Int16ub * "Router Lifetime in seconds; 0 is not a default router (4.2)",
    "reachable_time" / Int32ub * "Reachable Time in milliseconds; 0 unspecified (RFC 4861 4.2)",
    "retrans_time" / Int32ub * "Retrans Timer in milliseconds; 0 unspecified (RFC 4861 4.2)",
    "options" / GreedyBytes * "Options: link-layer address, MTU, Prefix Information (4.2)",
)
