"""IPv4 header (RFC 791 section 3.1, with DSCP and ECN from RFC 2474 and RFC 3168)."""

from construct import BitsInteger, BitStruct, Bytes, Enum, Flag, Int8ub, Int16ub, Struct, this

from ._common import Checksum, Derived, Ipv4AddressField, Keep, Representation, Scaled

PROTOCOL = "ipv4"
VIEW = "Ipv4Packet"

#: The header length without options (RFC 791: IHL >= 5).
MIN_HEADER_LEN = 20
#: The largest header: IHL is four bits of 32-bit words (RFC 791).
MAX_HEADER_LEN = 60

IpProtocol = (
    Enum(
        Int8ub,
        HOPOPTS=0,  # RFC 8200 IPv6 Hop-by-Hop Option
        ICMP=1,  # RFC 792
        IGMP=2,  # RFC 1112
        TCP=6,  # RFC 9293
        UDP=17,  # RFC 768
        IPV6_ROUTE=43,  # RFC 8200 Routing Header
        IPV6_FRAG=44,  # RFC 8200 Fragment Header
        ICMPV6=58,  # RFC 4443
        IPV6_NONXT=59,  # RFC 8200 No Next Header
        IPV6_OPTS=60,  # RFC 8200 Destination Options
    )
    * "IP protocol number: the payload of IPv4, next header of IPv6 (IANA)"
)

HEADER = Struct(
    "ver_ihl"
    / BitStruct(
        "version" / BitsInteger(4) * "Version, 4 for IPv4 (RFC 791 3.1)",
        "header_len" / Scaled(BitsInteger(4), 4) * "IHL, in 32-bit words (RFC 791 3.1)",
    )
    * "Version and Internet Header Length nibbles (RFC 791 3.1)",
    "dscp_ecn"
    / BitStruct(
        "dscp" / BitsInteger(6) * "Differentiated Services Codepoint (RFC 2474 section 3)",
        "ecn" / BitsInteger(2) * "Explicit Congestion Notification (RFC 3168 section 5)",
    )
    * "The former Type of Service octet (RFC 791 3.1, RFC 2474, RFC 3168)",
    "total_len" / Int16ub * "Total Length of header and data, in octets (RFC 791 3.1)",
    "ident" / Int16ub * "Identification, for reassembly (RFC 791 3.1, RFC 6864)",
    "flags_frag"
    / BitStruct(
        "reserved" / Flag * "Reserved flag bit 0, must be zero (RFC 791 3.1)",
        "dont_frag" / Flag * "DF: Don't Fragment (RFC 791 3.1)",
        "more_frags" / Flag * "MF: More Fragments (RFC 791 3.1)",
        "frag_offset" / Scaled(BitsInteger(13), 8) * "Fragment Offset, in 8-octet units (RFC 791)",
    )
    * "Flags and Fragment Offset (RFC 791 3.1)",
    "hop_limit" / Int8ub * "Time to Live (RFC 791 3.1)",
    "next_header" / IpProtocol * "Protocol of the payload (RFC 791 3.1, IANA protocol numbers)",
    "checksum" / Int16ub * "Header Checksum (RFC 791 3.1, RFC 1071)",
    "src_addr" / Ipv4AddressField() * "Source Address (RFC 791 3.1)",
    "dst_addr" / Ipv4AddressField() * "Destination Address (RFC 791 3.1)",
    "options" / Bytes(this.ver_ihl.header_len - 20) * "Options, up to IHL (RFC 791 3.1)",
)

REPR = Representation(
    "Ipv4Repr",
    fields=(
        Keep("src_addr"),
        Keep("dst_addr"),
        Keep("next_header"),
        Derived("payload_len", "total_len - header_len", {"total_len": "header_len + payload_len"}),
        Keep("hop_limit"),
        Keep("dscp"),
        Keep("ecn"),
        Keep("ident"),
        Keep("dont_frag"),
        Keep("more_frags"),
        Keep("frag_offset"),
    ),
    checksum=Checksum("checksum", covers="header", caps="ipv4"),
    length="total_len",
)
