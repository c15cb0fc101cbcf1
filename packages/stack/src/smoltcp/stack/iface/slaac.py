"""Stateless address autoconfiguration (RFC 4862) from router advertisements, opt-in.

`apply_router_advert` takes a valid advertisement (the caller checked hop limit 255 and a
link-local source, RFC 4861 6.1.2): each prefix with the A flag and a 64-bit prefix gives an
address of the prefix and the interface's modified EUI-64 identifier (RFC 4862 5.5.3, RFC 4291
2.5.1), and a non-zero router lifetime makes the router the default IPv6 route until the
lifetime ends (RFC 4861 6.3.4). A valid lifetime of zero removes the prefix's address.
Duplicate address detection is not run on the new address.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import EthernetAddress, IpCidr, Ipv6Address, Ipv6Cidr, modified_eui64
from smoltcp.wire.ndp import NdpRepr

if TYPE_CHECKING:
    from .interface import Interface

__all__ = ["apply_router_advert"]

# An interface identifier of 64 bits leaves 64 for the prefix (RFC 4291 2.5.1, RFC 4862 5.5.3).
_IID_BITS = 64
_IID_OCTETS = _IID_BITS // 8
_ADDR_OCTETS = 16


def apply_router_advert(
    iface: Interface, router: Ipv6Address, ra: NdpRepr, mac: EthernetAddress, now: Instant
) -> int:
    """Configure addresses and the default route from ``ra``; return how many changed."""
    changed = 0
    for p in ra.prefixes:
        if not p.autonomous or p.prefix_len != _ADDR_OCTETS * 8 - _IID_BITS:
            continue  # RFC 4862 5.5.3 (a), (d): not for autoconfiguration
        if p.prefix.is_link_local or p.preferred_lifetime > p.valid_lifetime:
            continue  # RFC 4862 5.5.3 (b), (c)
        head = p.prefix.packed[: _ADDR_OCTETS - _IID_OCTETS]
        addr = Ipv6Address(head + modified_eui64(mac))
        cidr = Ipv6Cidr(addr, p.prefix_len)
        present = cidr in iface.ip_addrs
        if p.valid_lifetime == 0 and present:
            iface.update_ip_addrs(functools.partial(_remove, cidr))
            changed += 1
        elif p.valid_lifetime and not present:
            iface.update_ip_addrs(functools.partial(_add, cidr))
            changed += 1
    routes = iface.routes
    if ra.router_lifetime:
        expires = now + Duration.from_secs(ra.router_lifetime)
        routes.add(Ipv6Cidr(Ipv6Address(0), 0), router, expires)
        changed += 1
    else:
        current = [r for r in routes if r.cidr.prefix_len == 0 and r.via_router == router]
        if current:
            routes.remove_default_ipv6_route()
            changed += 1
    return changed


def _add(cidr: IpCidr, addrs: list[IpCidr]) -> None:
    addrs.append(cidr)


def _remove(cidr: IpCidr, addrs: list[IpCidr]) -> None:
    addrs.remove(cidr)
