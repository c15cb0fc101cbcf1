"""NDP MTU option (RFC 4861 section 4.6.4)."""

from construct import Int8ub, Int16ub, Int32ub, Struct

from .ndpopt import NdpOptionType

PROTOCOL = "ndp"
VIEW = "NdpMtuOption"

HEADER = Struct(
    "option_type" / NdpOptionType * "Type, 5 (RFC 4861 4.6.4)",
    "length" / Int8ub * "Length, 1 (RFC 4861 4.6.4)",
    "reserved" / Int16ub * "Reserved, zero on send (RFC 4861 4.6.4)",
    "mtu" / Int32ub * "MTU recommended for the link (RFC 4861 4.6.4)",
)
