"""The fixed part of a DNS resource record, after its NAME (RFC 1035 section 4.1.3)."""

from construct import GreedyBytes, Int16ub, Int32ub, Struct

from .dns import DnsType

PROTOCOL = "dns"
VIEW = "DnsRecordPart"

HEADER = Struct(
    "rtype" / DnsType * "TYPE: the type of the RDATA (RFC 1035 4.1.3)",
    "rclass" / Int16ub * "CLASS: the class of the RDATA; the UDP size in OPT (RFC 6891)",
    "ttl" / Int32ub * "TTL in seconds; extended RCODE and flags in OPT (RFC 1035, RFC 6891)",
    "rdlength" / Int16ub * "RDLENGTH: octets of RDATA (RFC 1035 4.1.3)",
    "rdata" / GreedyBytes * "RDATA: the resource, by type and class (RFC 1035 4.1.3)",
)
