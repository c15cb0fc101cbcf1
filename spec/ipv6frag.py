"""IPv6 Fragment header (RFC 8200 section 4.5)."""

from construct import BitsInteger, BitStruct, Flag, Int8ub, Int32ub, Struct

from ._common import Scaled
from .ipv4 import IpProtocol

PROTOCOL = "ipv6frag"
VIEW = "Ipv6FragHeader"

HEADER = Struct(
    "next_header" / IpProtocol * "Next Header of the original packet's fragmentable part (4.5)",
    "reserved" / Int8ub * "Reserved, zero on send, ignored on receipt (RFC 8200 4.5)",
    "offset_flags"
    / BitStruct(
        "frag_offset" / Scaled(BitsInteger(13), 8) * "Fragment Offset, 8-octet units (RFC 8200)",
        "res" / BitsInteger(2) * "Res, zero on send, ignored on receipt (RFC 8200 4.5)",
        "more_frags" / Flag * "M flag: more fragments follow (RFC 8200 4.5)",
    )
    * "Fragment Offset, Res and M (RFC 8200 4.5)",
    "ident" / Int32ub * "Identification (RFC 8200 4.5)",
)
