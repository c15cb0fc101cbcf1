"""smoltcp.wire: zero-copy packet views and representations of the headers the stack speaks.

Contract: untrusted octets enter only through the checked view constructors (``View(buffer)``)
and the representations' ``parse``; after a checked constructor succeeds no accessor raises;
``parse`` raises only `MalformedPacket` (a ValueError naming protocol and field) or its subclass
`UnsupportedPacket`; ``emit`` trusts that the caller's buffer is at least ``buffer_len()`` long.
Every checksum routine takes ``csum=`` (see `smoltcp.wire.checksum`).
"""

from __future__ import annotations

from .address import (
    EthernetAddress,
    IpAddress,
    IpCidr,
    IpEndpoint,
    Ipv4Address,
    Ipv4Cidr,
    IpVersion,
)
from .capabilities import Checksum, ChecksumCapabilities, Medium
from .checksum import InternetSum, internet_sum, pseudo_header_sum
from .errors import MalformedPacket, UnsupportedPacket
from .tcp_seq import TcpSeqNumber, max_seq, min_seq

__all__ = [
    "Checksum",
    "ChecksumCapabilities",
    "EthernetAddress",
    "InternetSum",
    "IpAddress",
    "IpCidr",
    "IpEndpoint",
    "IpVersion",
    "Ipv4Address",
    "Ipv4Cidr",
    "MalformedPacket",
    "Medium",
    "TcpSeqNumber",
    "UnsupportedPacket",
    "internet_sum",
    "max_seq",
    "min_seq",
    "pseudo_header_sum",
]
