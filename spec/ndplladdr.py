"""NDP Source/Target Link-Layer Address option for Ethernet (RFC 4861 4.6.1, RFC 2464 6)."""

from construct import Int8ub, Struct

from ._common import EthernetAddressField
from .ndpopt import NdpOptionType

PROTOCOL = "ndp"
VIEW = "NdpLinkLayerAddrOption"

HEADER = Struct(
    "option_type" / NdpOptionType * "Type, 1 (source) or 2 (target) (RFC 4861 4.6.1)",
    "length" / Int8ub * "Length, 1 for Ethernet (RFC 2464 section 6)",
    "ll_addr" / EthernetAddressField() * "Link-Layer Address (RFC 4861 4.6.1)",
)
