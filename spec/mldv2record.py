"""MLDv2 Multicast Address Record, fixed part (RFC 3810 section 5.2.4)."""

from construct import Enum, GreedyBytes, Int8ub, Int16ub, Struct

from ._common import Ipv6AddressField

PROTOCOL = "mldv2"
VIEW = "Mldv2Record"

#: Aux Data Len counts 32-bit words (RFC 3810 5.2.6).
AUX_DATA_UNIT = 4
#: Octets of one source address after the fixed part (RFC 3810 5.2.9).
SOURCE_LEN = 16

Mldv2RecordType = (
    Enum(
        Int8ub,
        MODE_IS_INCLUDE=1,  # RFC 3810 5.2.12 current state
        MODE_IS_EXCLUDE=2,  # RFC 3810 5.2.12 current state
        CHANGE_TO_INCLUDE=3,  # RFC 3810 5.2.12 filter mode change
        CHANGE_TO_EXCLUDE=4,  # RFC 3810 5.2.12 filter mode change
        ALLOW_NEW_SOURCES=5,  # RFC 3810 5.2.12 source list change
        BLOCK_OLD_SOURCES=6,  # RFC 3810 5.2.12 source list change
    )
    * "MLDv2 Multicast Address Record type (RFC 3810 5.2.12)"
)

HEADER = Struct(
    "record_type" / Mldv2RecordType * "Record Type (RFC 3810 5.2.5)",
    "aux_data_len" / Int8ub * "Aux Data Len in 32-bit words, zero on send (RFC 3810 5.2.6)",
    "num_sources" / Int16ub * "Number of Sources (RFC 3810 5.2.7)",
    "mcast_addr" / Ipv6AddressField() * "Multicast Address (RFC 3810 5.2.8)",
    "sources" / GreedyBytes * "Source Addresses (RFC 3810 5.2.9)",
)
