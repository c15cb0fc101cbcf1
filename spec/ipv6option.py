"""An IPv6 option of a Hop-by-Hop or Destination Options header (RFC 8200 section 4.2)."""

from construct import Enum, GreedyBytes, Int8ub, Struct

PROTOCOL = "ipv6option"
VIEW = "Ipv6Option"

#: Option types whose two high bits are this do not change en route (RFC 8200 4.2).
ACTION_SHIFT = 6

Ipv6OptionType = (
    Enum(
        Int8ub,
        PAD1=0,  # RFC 8200 4.2 one octet of padding, no length or data
        PADN=1,  # RFC 8200 4.2 two or more octets of padding
        ROUTER_ALERT=5,  # RFC 2711
    )
    * "IPv6 option type; its two high bits say what to do when unknown (RFC 8200 4.2)"
)

Ipv6OptionAction = (
    Enum(
        Int8ub,
        SKIP=0,  # RFC 8200 4.2 skip over this option
        DISCARD=1,  # RFC 8200 4.2 discard the packet
        DISCARD_ICMP=2,  # RFC 8200 4.2 discard, send Parameter Problem code 2 even to multicast
        DISCARD_ICMP_UNICAST=3,  # RFC 8200 4.2 discard, Parameter Problem unless multicast
    )
    * "What a node does with an option type it does not know: its two high bits (RFC 8200 4.2)"
)

HEADER = Struct(
    "option_type" / Ipv6OptionType * "Option Type (RFC 8200 4.2)",
    "data_len" / Int8ub * "Opt Data Len, octets of data after this field (RFC 8200 4.2)",
    "data" / GreedyBytes * "Option Data (RFC 8200 4.2)",
)
