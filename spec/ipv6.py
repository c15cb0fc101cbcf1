"""IPv6 fixed header (RFC 8200 section 3, with DSCP and ECN from RFC 2474 and RFC 3168)."""

from construct import BitsInteger, BitStruct, Int8ub, Int16ub, Struct

from ._common import Ipv6AddressField, Keep, Representation
from .ipv4 import IpProtocol

PROTOCOL = "ipv6"
VIEW = "Ipv6Packet"

#: The smallest link MTU an IPv6 link may have (RFC 8200 section 5).
MIN_MTU = 1280

HEADER = Struct(
    "ver_tc_flow"
    / BitStruct(
        "version" / BitsInteger(4) * "Version, 6 for IPv6 (RFC 8200 section 3)",
        "dscp" / BitsInteger(6) * "Traffic Class: Differentiated Services (RFC 2474 section 3)",
        "ecn" / BitsInteger(2) * "Traffic Class: Explicit Congestion Notification (RFC 3168)",
        "flow_label" / BitsInteger(20) * "Flow Label (RFC 8200 section 6, RFC 6437)",
    )
    * "Version, Traffic Class and Flow Label (RFC 8200 section 3)",
    "payload_len" / Int16ub * "Payload Length after this header, in octets (RFC 8200 section 3)",
    "next_header" / IpProtocol * "Next Header: the header after this one (RFC 8200 section 3)",
    "hop_limit" / Int8ub * "Hop Limit (RFC 8200 section 3)",
    "src_addr" / Ipv6AddressField() * "Source Address (RFC 8200 section 3)",
    "dst_addr" / Ipv6AddressField() * "Destination Address (RFC 8200 section 3)",
)

REPR = Representation(
    "Ipv6Repr",
    fields=(
        Keep("src_addr"),
        Keep("dst_addr"),
        Keep("next_header"),
        Keep("payload_len"),
        Keep("hop_limit"),
        Keep("dscp"),
        Keep("ecn"),
        Keep("flow_label"),
    ),
    length="payload_len",
    length_after=True,
    checksum_args=True,
)
