"""The type and length that start every NDP option (RFC 4861 section 4.6)."""

from construct import Enum, GreedyBytes, Int8ub, Struct

PROTOCOL = "ndp"
VIEW = "NdpOption"

#: The Length field counts units of 8 octets, type and length included (RFC 4861 4.6).
OPTION_UNIT = 8

NdpOptionType = (
    Enum(
        Int8ub,
        SOURCE_LL_ADDR=1,  # RFC 4861 4.6.1 Source Link-Layer Address
        TARGET_LL_ADDR=2,  # RFC 4861 4.6.1 Target Link-Layer Address
        PREFIX_INFO=3,  # RFC 4861 4.6.2 Prefix Information
        REDIRECTED_HEADER=4,  # RFC 4861 4.6.3 Redirected Header
        MTU=5,  # RFC 4861 4.6.4 MTU
        NONCE=14,  # RFC 3971 5.3.2 Nonce (RFC 7527: duplicate address detection)
    )
    * "NDP option type (RFC 4861 4.6); unknown options are skipped"
)

HEADER = Struct(
    "option_type" / NdpOptionType * "Type (RFC 4861 4.6)",
    "length" / Int8ub * "Length in units of 8 octets; 0 is invalid (RFC 4861 4.6)",
    "data" / GreedyBytes * "The option's fields (RFC 4861 4.6)",
)
