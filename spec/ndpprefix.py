"""NDP Prefix Information option (RFC 4861 section 4.6.2)."""

from construct import BitsInteger, BitStruct, Flag, Int8ub, Int32ub, Struct

from ._common import Ipv6AddressField
from .ndpopt import NdpOptionType

PROTOCOL = "ndp"
VIEW = "NdpPrefixInfoOption"

HEADER = Struct(
    "option_type" / NdpOptionType * "Type, 3 (RFC 4861 4.6.2)",
    "length" / Int8ub * "Length, 4 (RFC 4861 4.6.2)",
    "prefix_len" / Int8ub * "Prefix Length in bits, 0-128 (RFC 4861 4.6.2)",
    "prefix_flags"
    / BitStruct(
        "on_link" / Flag * "L: the prefix is on-link (RFC 4861 4.6.2)",
        "autonomous" / Flag * "A: usable for SLAAC (RFC 4861 4.6.2, RFC 4862)",
        "reserved1" / BitsInteger(6) * "Reserved1, zero on send (RFC 4861 4.6.2)",
    )
    * "L and A flags (RFC 4861 4.6.2)",
    "valid_lifetime" / Int32ub * "Valid Lifetime in seconds; all ones is infinity (4.6.2)",
    "preferred_lifetime" / Int32ub * "Preferred Lifetime in seconds; all ones infinity (4.6.2)",
    "reserved2" / Int32ub * "Reserved2, zero on send (RFC 4861 4.6.2)",
    "prefix" / Ipv6AddressField() * "Prefix, bits after Prefix Length zero (RFC 4861 4.6.2)",
)
