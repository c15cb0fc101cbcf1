"""ICMPv6 message header (RFC 4443, with the NDP types of RFC 4861 and MLD of RFC 3810).

Every message starts with type, code and checksum, followed by four octets whose meaning
depends on the type: the echo identifier and sequence number (RFC 4443 4.1), the MTU of Packet
Too Big (RFC 4443 3.2), the pointer of Parameter Problem (RFC 4443 3.4), unused otherwise.
"""

from construct import Enum, GreedyBytes, Int8ub, Int16ub, Struct

from ._common import Absent, Checksum, Keep, Payload, Representation

PROTOCOL = "icmpv6"
VIEW = "Icmpv6Packet"

#: The ICMPv6 protocol number in the pseudo header (RFC 4443 2.3, IANA).
PSEUDO_PROTOCOL = 58
#: An error message is as large as possible without exceeding the minimum MTU (RFC 4443 2.4).
MAX_ERROR_LEN = 1280
#: The hop limit of every NDP message, checked on receipt (RFC 4861 6.1, 7.1).
NDP_HOP_LIMIT = 255

Icmpv6Message = (
    Enum(
        Int8ub,
        DST_UNREACHABLE=1,  # RFC 4443 3.1 Destination Unreachable
        PKT_TOO_BIG=2,  # RFC 4443 3.2 Packet Too Big
        TIME_EXCEEDED=3,  # RFC 4443 3.3 Time Exceeded
        PARAM_PROBLEM=4,  # RFC 4443 3.4 Parameter Problem
        ECHO_REQUEST=128,  # RFC 4443 4.1 Echo Request
        ECHO_REPLY=129,  # RFC 4443 4.2 Echo Reply
        MLD_QUERY=130,  # RFC 3810 5.1 Multicast Listener Query
        MLD_REPORT=131,  # RFC 2710 3 Version 1 Multicast Listener Report
        MLD_DONE=132,  # RFC 2710 3 Multicast Listener Done
        ROUTER_SOLICIT=133,  # RFC 4861 4.1 Router Solicitation
        ROUTER_ADVERT=134,  # RFC 4861 4.2 Router Advertisement
        NEIGHBOR_SOLICIT=135,  # RFC 4861 4.3 Neighbor Solicitation
        NEIGHBOR_ADVERT=136,  # RFC 4861 4.4 Neighbor Advertisement
        REDIRECT=137,  # RFC 4861 4.5 Redirect
        MLDV2_REPORT=143,  # RFC 3810 5.2 Version 2 Multicast Listener Report
    )
    * "ICMPv6 message type (RFC 4443 2.1, IANA); 0-127 are errors, 128-255 informational"
)

Icmpv6DstUnreachable = (
    Enum(
        Int8ub,
        NO_ROUTE=0,  # RFC 4443 3.1 no route to destination
        ADMIN_PROHIBITED=1,  # RFC 4443 3.1 communication administratively prohibited
        BEYOND_SCOPE=2,  # RFC 4443 3.1 beyond scope of source address
        ADDR_UNREACHABLE=3,  # RFC 4443 3.1 address unreachable
        PORT_UNREACHABLE=4,  # RFC 4443 3.1 port unreachable
        FAILED_POLICY=5,  # RFC 4443 3.1 source address failed ingress/egress policy
        REJECT_ROUTE=6,  # RFC 4443 3.1 reject route to destination
    )
    * "Destination Unreachable codes (RFC 4443 3.1)"
)

Icmpv6TimeExceeded = (
    Enum(
        Int8ub,
        HOP_LIMIT_EXCEEDED=0,  # RFC 4443 3.3 hop limit exceeded in transit
        FRAG_REASM_EXCEEDED=1,  # RFC 4443 3.3 fragment reassembly time exceeded
    )
    * "Time Exceeded codes (RFC 4443 3.3)"
)

Icmpv6ParamProblem = (
    Enum(
        Int8ub,
        ERRONEOUS_HEADER=0,  # RFC 4443 3.4 erroneous header field encountered
        UNRECOGNIZED_NEXT_HEADER=1,  # RFC 4443 3.4 unrecognized Next Header type
        UNRECOGNIZED_OPTION=2,  # RFC 4443 3.4 unrecognized IPv6 option
    )
    * "Parameter Problem codes (RFC 4443 3.4)"
)

HEADER = Struct(
    "msg_type" / Icmpv6Message * "Type of the message (RFC 4443 2.1)",
    "msg_code" / Int8ub * "Code, a subtype whose meaning depends on the type (RFC 4443 2.1)",
    "checksum" / Int16ub * "Checksum over pseudo header and message (RFC 4443 2.3)",
    "echo_ident" / Int16ub * "Identifier of an Echo; high half of an error's word (RFC 4443)",
    "echo_seq_no" / Int16ub * "Sequence Number of an Echo; low half of an error's word (4443)",
    "data" / GreedyBytes * "Echo data, an error's invoking packet, NDP fields (RFC 4443)",
)

# The echo form's fields; an error's quoted IPv6 header (``header``) is the hand-written ICMP
# quoting, and the NDP and MLD bodies are read by their own modules from ``data``.
REPR = Representation(
    "Icmpv6Repr",
    fields=(
        Keep("message", "msg_type"),
        Keep("code", "msg_code"),
        Keep("ident", "echo_ident"),
        Keep("seq_no", "echo_seq_no"),
        Payload("data"),
        Absent("header"),
    ),
    checksum=Checksum("checksum", covers="pseudo-header", caps="icmpv6", protocol=PSEUDO_PROTOCOL),
)
