"""NDP Router Solicitation message (RFC 4861 section 4.1)."""

from construct import GreedyBytes, Int8ub, Int16ub, Int32ub, Struct

from .icmpv6 import Icmpv6Message

PROTOCOL = "ndp"
VIEW = "NdpRouterSolicit"

HEADER = Struct(
    "msg_type" / Icmpv6Message * "Type, 133 (RFC 4861 4.1)",
    "msg_code" / Int8ub * "Code, 0 (RFC 4861 4.1)",
    "checksum" / Int16ub * "ICMPv6 checksum (RFC 4443 2.3)",
    "reserved" / Int32ub * "Reserved, zero on send, ignored on receipt (RFC 4861 4.1)",
    "options" / GreedyBytes * "Options: Source Link-Layer Address (RFC 4861 4.1)",
)
