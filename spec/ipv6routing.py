"""IPv6 Routing header, its four common fields (RFC 8200 section 4.4)."""

from construct import GreedyBytes, Int8ub, Struct

from .ipv4 import IpProtocol

PROTOCOL = "ipv6routing"
VIEW = "Ipv6RoutingHeader"

HEADER = Struct(
    "next_header" / IpProtocol * "Next Header (RFC 8200 4.4)",
    "hdr_ext_len" / Int8ub * "Length in 8-octet units, not counting the first 8 (RFC 8200 4.4)",
    "routing_type" / Int8ub * "Routing Type (RFC 8200 4.4, IANA)",
    "segments_left" / Int8ub * "Segments Left: route segments still to visit (RFC 8200 4.4)",
    "data" / GreedyBytes * "Type-specific data (RFC 8200 4.4)",
)
