"""MLD Multicast Listener Query, MLDv2 form (RFC 3810 section 5.1); its first 24 octets are
an MLDv1 query (RFC 2710 section 3)."""

from construct import BitsInteger, BitStruct, Flag, GreedyBytes, Int8ub, Int16ub, Struct

from ._common import Ipv6AddressField
from .icmpv6 import Icmpv6Message

PROTOCOL = "mldv2"
VIEW = "MldQuery"

#: Octets of an MLDv1 query (RFC 2710 3): it ends after the Multicast Address.
V1_LEN = 24
#: Octets of one Source Address after the fixed part (RFC 3810 5.1.10).
SOURCE_LEN = 16

HEADER = Struct(
    "msg_type" / Icmpv6Message * "Type, 130 (RFC 3810 5.1)",
    "msg_code" / Int8ub * "Code, zero on send (RFC 3810 5.1)",
    "checksum" / Int16ub * "ICMPv6 checksum (RFC 4443 2.3)",
    "max_resp_code" / Int16ub * "Maximum Response Code (RFC 3810 5.1.3)",
    "reserved" / Int16ub * "Reserved, zero on send (RFC 3810 5.1.4)",
    "mcast_addr" / Ipv6AddressField() * "Multicast Address, :: in a general query (5.1.5)",
    "query_flags"
    / BitStruct(
        "resv" / BitsInteger(4) * "Resv, zero on send (RFC 3810 5.1.6)",
        "s_flag" / Flag * "S: suppress router-side processing (RFC 3810 5.1.7)",
        "qrv" / BitsInteger(3) * "QRV: Querier's Robustness Variable (RFC 3810 5.1.8)",
    )
    * "Resv, S and QRV (RFC 3810 5.1.6 to 5.1.8)",
    "qqic" / Int8ub * "QQIC: Querier's Query Interval Code (RFC 3810 5.1.9)",
    "num_sources" / Int16ub * "Number of Sources (RFC 3810 5.1.10)",
    "sources" / GreedyBytes * "Source Addresses (RFC 3810 5.1.11)",
)
