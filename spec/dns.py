"""DNS message header (RFC 1035 section 4.1.1, the AD and CD bits of RFC 4035 3.2).

Names, questions and resource records (RFC 1035 4.1.2-4.1.4, with compression) are variable
length and are read by hand in ``smoltcp.wire.dns``.
"""

from construct import BitsInteger, BitStruct, Enum, Flag, GreedyBytes, Int16ub, Struct

PROTOCOL = "dns"
VIEW = "DnsPacket"

#: UDP port of DNS servers (RFC 1035 4.2.1).
PORT = 53
#: Largest message over UDP without EDNS0 (RFC 1035 2.3.4).
MAX_UDP_LEN = 512

DnsType = (
    Enum(
        Int16ub,
        A=1,  # RFC 1035 3.2.2 a host address
        NS=2,  # RFC 1035 3.2.2 an authoritative name server
        CNAME=5,  # RFC 1035 3.2.2 the canonical name for an alias
        SOA=6,  # RFC 1035 3.2.2 start of a zone of authority
        PTR=12,  # RFC 1035 3.2.2 a domain name pointer
        MX=15,  # RFC 1035 3.2.2 mail exchange
        TXT=16,  # RFC 1035 3.2.2 text strings
        AAAA=28,  # RFC 3596 2.1 an IPv6 host address
        OPT=41,  # RFC 6891 6.1.1 EDNS0 pseudo-record
    )
    * "RR TYPE and QTYPE values (RFC 1035 3.2.2, RFC 3596, RFC 6891)"
)

DnsRcode = (
    Enum(
        BitsInteger(4),
        NOERROR=0,  # RFC 1035 4.1.1 No error condition
        FORMERR=1,  # RFC 1035 4.1.1 Format error
        SERVFAIL=2,  # RFC 1035 4.1.1 Server failure
        NXDOMAIN=3,  # RFC 1035 4.1.1 Name Error
        NOTIMP=4,  # RFC 1035 4.1.1 Not Implemented
        REFUSED=5,  # RFC 1035 4.1.1 Refused
    )
    * "Response code (RFC 1035 4.1.1)"
)

HEADER = Struct(
    "ident" / Int16ub * "ID chosen by the querier, copied into the response (RFC 1035 4.1.1)",
    "flags"
    / BitStruct(
        "qr" / Flag * "QR: message is a response (RFC 1035 4.1.1)",
        "opcode" / BitsInteger(4) * "OPCODE: kind of query, 0 standard (RFC 1035 4.1.1)",
        "aa" / Flag * "AA: Authoritative Answer (RFC 1035 4.1.1)",
        "tc" / Flag * "TC: TrunCation (RFC 1035 4.1.1)",
        "rd" / Flag * "RD: Recursion Desired (RFC 1035 4.1.1)",
        "ra" / Flag * "RA: Recursion Available (RFC 1035 4.1.1)",
        "z" / Flag * "Z: reserved, zero (RFC 1035 4.1.1)",
        "ad" / Flag * "AD: Authentic Data (RFC 4035 3.2.3)",
        "cd" / Flag * "CD: Checking Disabled (RFC 4035 3.2.2)",
        "rcode" / BitsInteger(4) * "RCODE: response code (RFC 1035 4.1.1)",
    )
    * "Flags and codes (RFC 1035 4.1.1)",
    "qdcount" / Int16ub * "QDCOUNT: entries in the question section (RFC 1035 4.1.1)",
    "ancount" / Int16ub * "ANCOUNT: resource records in the answer section (RFC 1035 4.1.1)",
    "nscount" / Int16ub * "NSCOUNT: name server records in the authority section (RFC 1035)",
    "arcount" / Int16ub * "ARCOUNT: resource records in the additional section (RFC 1035)",
    "body" / GreedyBytes * "Question, answer, authority and additional sections (RFC 1035 4.1)",
)
