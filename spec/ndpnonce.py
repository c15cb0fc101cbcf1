"""NDP Nonce option (RFC 3971 5.3.2), as duplicate address detection uses it (RFC 7527)."""

from construct import Bytes, Int8ub, Struct

from .ndpopt import NdpOptionType

PROTOCOL = "ndp"
VIEW = "NdpNonceOption"

#: Nonce octets sent: the fewest that fill one 8-octet unit (RFC 7527 4.2 recommends 6).
NONCE_LEN = 6

HEADER = Struct(
    "option_type" / NdpOptionType * "Type, 14 (RFC 3971 5.3.2)",
    "length" / Int8ub * "Length in units of 8 octets, 1 for 6 nonce octets (RFC 3971 5.3.2)",
    "nonce" / Bytes(NONCE_LEN) * "Nonce, random per solicitation (RFC 3971 5.3.2, RFC 7527 4)",
)
