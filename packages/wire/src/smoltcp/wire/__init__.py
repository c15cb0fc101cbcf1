"""smoltcp.wire: zero-copy packet views and representations of the headers the stack speaks.

Contract: untrusted octets enter only through the checked view constructors (``View(buffer)``)
and the representations' ``parse``; after a checked constructor succeeds no accessor raises;
``parse`` raises only `MalformedPacket` (a ValueError naming protocol and field) or its subclass
`UnsupportedPacket`; ``emit`` trusts that the caller's buffer is at least ``buffer_len()`` long.
Every checksum routine takes ``csum=`` (see `smoltcp.wire.checksum`).
"""

from __future__ import annotations

# Imported here so that every representation has bound its generated per-packet functions
# (``_generated.<header>_fast``) before anything imports one of those modules directly.
from . import igmp as _igmp  # noqa: F401
from ._generated.frames import emit_tcp_frame, emit_tcp_packet, parse_tcp_frame, parse_tcp_packet
from .address import (
    EthernetAddress,
    IpAddress,
    IpCidr,
    IpEndpoint,
    Ipv4Address,
    Ipv4Cidr,
    Ipv6Address,
    Ipv6Cidr,
    Ipv6MulticastScope,
    IpVersion,
    modified_eui64,
)
from .arp import ArpHardware, ArpOperation, ArpPacket, ArpRepr
from .capabilities import Checksum, ChecksumCapabilities, Medium
from .checksum import InternetSum, internet_sum, pseudo_header_sum
from .errors import MalformedPacket, UnsupportedPacket
from .ethernet import EthernetFrame, EthernetProtocol, EthernetRepr
from .icmpv4 import (
    Icmpv4DstUnreachable,
    Icmpv4Message,
    Icmpv4Packet,
    Icmpv4ParamProblem,
    Icmpv4Repr,
    Icmpv4TimeExceeded,
)
from .icmpv6 import (
    Icmpv6DstUnreachable,
    Icmpv6Message,
    Icmpv6Packet,
    Icmpv6ParamProblem,
    Icmpv6Repr,
    Icmpv6TimeExceeded,
)
from .ip import IpRepr, ip_repr
from .ipv4 import IpProtocol, Ipv4Packet, Ipv4Repr
from .ipv6 import Ipv6Packet, Ipv6Repr
from .ipv6ext import (
    Ipv6ExtChain,
    Ipv6ExtHeaderRepr,
    Ipv6FragRepr,
    Ipv6OptionAction,
    Ipv6OptionRepr,
    Ipv6OptionType,
    walk_ext_headers,
)
from .mld import Mldv2AddressRecord, Mldv2RecordType, Mldv2ReportRepr
from .ndp import NdpPrefixInfo, NdpRepr
from .pretty import PrettyPrinter, pretty_print
from .tcp import TcpControl, TcpOptionKind, TcpPacket, TcpRepr, TcpTimestampRepr
from .tcp_seq import TcpSeqNumber, max_seq, min_seq
from .udp import UdpPacket, UdpRepr

__version__ = "0.4.0"  # kept equal to pyproject.toml (a test checks)

__all__ = [
    "ArpHardware",
    "ArpOperation",
    "ArpPacket",
    "ArpRepr",
    "Checksum",
    "ChecksumCapabilities",
    "EthernetAddress",
    "EthernetFrame",
    "EthernetProtocol",
    "EthernetRepr",
    "Icmpv4DstUnreachable",
    "Icmpv4Message",
    "Icmpv4Packet",
    "Icmpv4ParamProblem",
    "Icmpv4Repr",
    "Icmpv4TimeExceeded",
    "Icmpv6DstUnreachable",
    "Icmpv6Message",
    "Icmpv6Packet",
    "Icmpv6ParamProblem",
    "Icmpv6Repr",
    "Icmpv6TimeExceeded",
    "InternetSum",
    "IpAddress",
    "IpCidr",
    "IpEndpoint",
    "IpProtocol",
    "IpRepr",
    "IpVersion",
    "Ipv4Address",
    "Ipv4Cidr",
    "Ipv4Packet",
    "Ipv4Repr",
    "Ipv6Address",
    "Ipv6Cidr",
    "Ipv6ExtChain",
    "Ipv6ExtHeaderRepr",
    "Ipv6FragRepr",
    "Ipv6MulticastScope",
    "Ipv6OptionAction",
    "Ipv6OptionRepr",
    "Ipv6OptionType",
    "Ipv6Packet",
    "Ipv6Repr",
    "MalformedPacket",
    "Mldv2AddressRecord",
    "Mldv2RecordType",
    "Mldv2ReportRepr",
    "Medium",
    "NdpPrefixInfo",
    "NdpRepr",
    "PrettyPrinter",
    "TcpControl",
    "TcpOptionKind",
    "TcpPacket",
    "TcpRepr",
    "TcpSeqNumber",
    "TcpTimestampRepr",
    "UdpPacket",
    "UdpRepr",
    "UnsupportedPacket",
    "emit_tcp_frame",
    "emit_tcp_packet",
    "internet_sum",
    "ip_repr",
    "max_seq",
    "min_seq",
    "modified_eui64",
    "parse_tcp_frame",
    "parse_tcp_packet",
    "pretty_print",
    "pseudo_header_sum",
    "walk_ext_headers",
]
