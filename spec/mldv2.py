"""MLDv2 Multicast Listener Report message header (RFC 3810 section 5.2)."""

from construct import GreedyBytes, Int8ub, Int16ub, Struct

from .icmpv6 import Icmpv6Message

PROTOCOL = "mldv2"
VIEW = "Mldv2Report"

HEADER = Struct(
    "msg_type" / Icmpv6Message * "Type, 143 (RFC 3810 5.2)",
    "msg_code" / Int8ub * "Code, zero on send (RFC 3810 5.2)",
    "checksum" / Int16ub * "ICMPv6 checksum (RFC 4443 2.3)",
    "reserved" / Int16ub * "Reserved, zero on send (RFC 3810 5.2)",
    "num_records" / Int16ub * "Nr of Mcast Address Records (RFC 3810 5.2)",
    "records" / GreedyBytes * "Multicast Address Records (RFC 3810 5.2.4)",
)
