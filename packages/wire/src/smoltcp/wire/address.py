"""Link-layer and IP addresses, CIDR blocks and endpoints.

One address object is built for every address field of every parsed packet, so the classes are
small: ``__slots__`` holding the packed octets, equality and hashing on those octets (a `bytes`
object caches its own hash), ordering on them too (big-endian octets order like the numbers).

The IP classes are version-neutral where the stack sees them (`IpAddress`, `IpCidr`,
`IpEndpoint`); `Ipv4Address`/`Ipv4Cidr` and `Ipv6Address`/`Ipv6Cidr` are the concrete versions,
with the same shape. IPv6 text is written as RFC 5952 recommends and read in every form of
RFC 4291 section 2.2 (zone identifiers, RFC 4007's ``%eth0``, are not addresses and are refused).

The classes live in ``ethernet_address``, ``ip_address`` (the version-neutral bases),
``ipv4_address`` and ``ipv6_address``; this module gathers them and holds `IpEndpoint`.
"""

from __future__ import annotations

from typing import NamedTuple

from .ethernet_address import EthernetAddress
from .ethernet_address import ethernet_cache_get as ethernet_cache_get
from .ethernet_address import ethernet_from_octets as ethernet_from_octets
from .ip_address import IpAddress, IpCidr, IpVersion
from .ipv4_address import Ipv4Address, Ipv4Cidr
from .ipv4_address import ipv4_cache_get as ipv4_cache_get
from .ipv4_address import ipv4_from_int as ipv4_from_int
from .ipv4_address import ipv4_from_packed as ipv4_from_packed
from .ipv4_address import ipv4_int_cache_get as ipv4_int_cache_get
from .ipv6_address import Ipv6Address, Ipv6Cidr, Ipv6MulticastScope, modified_eui64
from .ipv6_address import ipv6_cache_get as ipv6_cache_get
from .ipv6_address import ipv6_from_packed as ipv6_from_packed

__all__ = [
    "EthernetAddress",
    "IpAddress",
    "IpCidr",
    "IpEndpoint",
    "IpVersion",
    "Ipv4Address",
    "Ipv4Cidr",
    "Ipv6Address",
    "Ipv6Cidr",
    "Ipv6MulticastScope",
    "modified_eui64",
]

# The parsers' fast paths above (``X as X``) are re-exported: generated code imports them.


class IpEndpoint(NamedTuple):
    """An address and a port; ``addr`` None means "any address" (a listening endpoint)."""

    addr: IpAddress | None
    port: int

    @classmethod
    def parse(cls, text: str) -> IpEndpoint:
        """Parse ``"1.2.3.4:80"``, ``"[fdaa::1]:80"`` or ``"*:80"``; raise ValueError otherwise.

        An IPv6 address is always in brackets (RFC 3986 3.2.2): unbracketed, its last group
        would be indistinguishable from the port.
        """
        host, sep, port = text.rpartition(":")
        if not sep or not port.isascii() or not port.isdigit() or int(port) > 0xFFFF:
            raise ValueError(f"not an endpoint (want 1.2.3.4:80 or [fdaa::1]:80): {text!r}")
        addr: IpAddress | None
        if host == "*":
            addr = None
        elif host.startswith("[") and host.endswith("]"):
            addr = Ipv6Address(host[1:-1])
        elif ":" in host or "[" in host or "]" in host:
            raise ValueError(f"not an endpoint (an IPv6 address goes in brackets): {text!r}")
        else:
            addr = Ipv4Address(host)
        return cls(addr, int(port))

    def is_specified(self) -> bool:
        """Return whether both the address and the port are set."""
        return self.addr is not None and self.port != 0

    def __str__(self) -> str:
        if self.addr is None:
            return f"*:{self.port}"
        if self.addr.version == 6:
            return f"[{self.addr}]:{self.port}"
        return f"{self.addr}:{self.port}"
