"""IPv6 options headers: Hop-by-Hop Options and Destination Options (RFC 8200 4.3 and 4.6).

The same two leading octets start the Routing header too (RFC 8200 4.4): every extension header
but the Fragment header says its length this way, which is what a walk over the chain reads.
"""

from construct import GreedyBytes, Int8ub, Struct

from .ipv4 import IpProtocol

PROTOCOL = "ipv6ext"
VIEW = "Ipv6ExtHeader"

#: Hdr Ext Len counts 8-octet units, not counting the first 8 octets (RFC 8200 4.3).
EXT_LEN_UNIT = 8

HEADER = Struct(
    "next_header" / IpProtocol * "Next Header: the header after this one (RFC 8200 4.3)",
    "hdr_ext_len" / Int8ub * "Length in 8-octet units, not counting the first 8 (RFC 8200 4.3)",
    "options" / GreedyBytes * "Options, TLV-encoded (RFC 8200 4.2)",
)
