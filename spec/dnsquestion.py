"""The fixed part of a DNS question, after its QNAME (RFC 1035 section 4.1.2)."""

from construct import Int16ub, Struct

from .dns import DnsType

PROTOCOL = "dns"
VIEW = "DnsQuestionPart"

#: QCLASS IN, the Internet (RFC 1035 3.2.4).
CLASS_IN = 1

HEADER = Struct(
    "qtype" / DnsType * "QTYPE: the type of the query (RFC 1035 4.1.2)",
    "qclass" / Int16ub * "QCLASS: the class of the query, 1 for IN (RFC 1035 4.1.2)",
)
