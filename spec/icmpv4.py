"""ICMPv4 message header (RFC 792, with the codes added by RFC 1122 and RFC 1812).

Every message starts with type, code and checksum, followed by four octets whose meaning depends
on the type. ``HEADER`` declares them as the echo identifier and sequence number (RFC 792
"Echo or Echo Reply Message"); ``ERROR`` declares the same octets for the error messages, which
quote the offending IP header and the first 8 octets of its payload.
"""

from construct import Bytes, Enum, GreedyBytes, Int8ub, Int16ub, Struct

from ._common import Absent, Checksum, Keep, Payload, Representation

PROTOCOL = "icmpv4"
VIEW = "Icmpv4Packet"

#: Octets of the original datagram's payload quoted by an error message (RFC 792).
QUOTED_PAYLOAD_LEN = 8

Icmpv4Message = (
    Enum(
        Int8ub,
        ECHO_REPLY=0,  # RFC 792 Echo Reply
        DST_UNREACHABLE=3,  # RFC 792 Destination Unreachable
        REDIRECT=5,  # RFC 792 Redirect
        ECHO_REQUEST=8,  # RFC 792 Echo
        ROUTER_ADVERT=9,  # RFC 1256 Router Advertisement
        ROUTER_SOLICIT=10,  # RFC 1256 Router Solicitation
        TIME_EXCEEDED=11,  # RFC 792 Time Exceeded
        PARAM_PROBLEM=12,  # RFC 792 Parameter Problem
        TIMESTAMP=13,  # RFC 792 Timestamp
        TIMESTAMP_REPLY=14,  # RFC 792 Timestamp Reply
    )
    * "ICMPv4 message type (RFC 792)"
)

Icmpv4DstUnreachable = (
    Enum(
        Int8ub,
        NET_UNREACHABLE=0,  # RFC 792
        HOST_UNREACHABLE=1,  # RFC 792
        PROTO_UNREACHABLE=2,  # RFC 792
        PORT_UNREACHABLE=3,  # RFC 792
        FRAG_REQUIRED=4,  # RFC 792 fragmentation needed and DF set (RFC 1191)
        SRC_ROUTE_FAILED=5,  # RFC 792
        DST_NET_UNKNOWN=6,  # RFC 1122 3.2.2.1
        DST_HOST_UNKNOWN=7,  # RFC 1122 3.2.2.1
        SRC_HOST_ISOLATED=8,  # RFC 1122 3.2.2.1
        NET_PROHIBITED=9,  # RFC 1122 3.2.2.1
        HOST_PROHIBITED=10,  # RFC 1122 3.2.2.1
        NET_UNREACH_TOS=11,  # RFC 1122 3.2.2.1
        HOST_UNREACH_TOS=12,  # RFC 1122 3.2.2.1
        COMM_PROHIBITED=13,  # RFC 1812 5.2.7.1
        HOST_PRECEDENCE_VIOLATION=14,  # RFC 1812 5.2.7.1
        PRECEDENCE_CUTOFF=15,  # RFC 1812 5.2.7.1
    )
    * "Destination Unreachable codes (RFC 792, RFC 1122, RFC 1812)"
)

Icmpv4TimeExceeded = (
    Enum(
        Int8ub,
        TTL_EXPIRED=0,  # RFC 792 time to live exceeded in transit
        FRAG_EXPIRED=1,  # RFC 792 fragment reassembly time exceeded
    )
    * "Time Exceeded codes (RFC 792)"
)

Icmpv4ParamProblem = (
    Enum(
        Int8ub,
        AT_POINTER=0,  # RFC 792 pointer indicates the error
        MISSING_OPTION=1,  # RFC 1108 required option missing
        BAD_LENGTH=2,  # RFC 1812 5.2.7.4
    )
    * "Parameter Problem codes (RFC 792, RFC 1108, RFC 1812)"
)

HEADER = Struct(
    "msg_type" / Icmpv4Message * "Type of the message (RFC 792)",
    "msg_code" / Int8ub * "Code, a subtype whose meaning depends on the type (RFC 792)",
    "checksum" / Int16ub * "Checksum of the whole ICMP message (RFC 792, RFC 1071)",
    "echo_ident" / Int16ub * "Identifier of an Echo or Echo Reply (RFC 792)",
    "echo_seq_no" / Int16ub * "Sequence Number of an Echo or Echo Reply (RFC 792)",
    "data" / GreedyBytes * "Echo data, or an error's quoted datagram (RFC 792)",
)

ERROR = Struct(
    "msg_type" / Icmpv4Message * "Destination Unreachable, Time Exceeded, ... (RFC 792)",
    "msg_code" / Int8ub * "Code: an Icmpv4DstUnreachable, ... (RFC 792)",
    "checksum" / Int16ub * "Checksum of the whole ICMP message (RFC 792, RFC 1071)",
    "pointer" / Int8ub * "Parameter Problem: octet of the error; else unused (RFC 792)",
    "unused" / Bytes(1) * "Unused, zero (RFC 792); Next-Hop MTU's first octet (RFC 1191)",
    "next_hop_mtu" / Int16ub * "Next-Hop MTU of Fragmentation Needed (RFC 1191); else unused",
    "data" / GreedyBytes * "Quoted IP header and first 8 octets of its payload (RFC 792)",
)

# The echo form's fields; an error's quoted IP header (``header``) is the hand-written ICMP
# quoting, which no layer profile carries.
REPR = Representation(
    "Icmpv4Repr",
    fields=(
        Keep("message", "msg_type"),
        Keep("code", "msg_code"),
        Keep("ident", "echo_ident"),
        Keep("seq_no", "echo_seq_no"),
        Payload("data"),
        Absent("header"),
    ),
    checksum=Checksum("checksum", covers="message", caps="icmpv4"),
)
