"""The route table: CIDR routes through routers, longest prefix first, and a default route."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

from smoltcp.stack.time import Instant
from smoltcp.wire import IpAddress, IpCidr, Ipv4Address, Ipv4Cidr, Ipv6Address, Ipv6Cidr

__all__ = ["Route", "Routes", "check_router"]

_DEFAULT_V4 = Ipv4Cidr(Ipv4Address(0), 0)
_DEFAULT_V6 = Ipv6Cidr(Ipv6Address(0), 0)


def check_router(addr: IpAddress) -> None:
    """Raise ValueError when ``addr`` can be no router's address: unspecified, multicast or
    broadcast (not unicast: RFC 1122 3.2.1.3, RFC 4291 2.7), loopback (it never appears
    outside a host: RFC 1122 3.2.1.3, RFC 4291 2.5.3) or IPv4-mapped (``::ffff:a.b.c.d``,
    never on the wire either: RFC 4291 2.5.5.2). A route through one would send neighbour
    requests for it on the link, and never reach a router."""
    if not addr.is_unicast or addr.is_loopback or getattr(addr, "is_ipv4_mapped", False):
        raise ValueError(
            f"{addr} is no router's address (not unicast, or loopback, or IPv4-mapped)"
        )


class Route(NamedTuple):
    """Reach ``cidr`` through ``via_router``; the route lapses at ``expires_at`` if given."""

    cidr: IpCidr
    via_router: IpAddress
    expires_at: Instant | None = None


class Routes:
    """The routes of an interface, kept sorted by decreasing prefix length.

    Destinations inside one of the interface's own prefixes are on-link and never looked up
    here. `lookup` returns the router of the longest matching prefix that has not expired.
    ``version`` changes with every change (the interface caches next hops against it).
    """

    __slots__ = ("_routes", "has_expiring", "version")

    def __init__(self) -> None:
        self._routes: list[Route] = []
        self.version = 0
        self.has_expiring = False

    def add_default_ipv4_route(self, gateway: Ipv4Address) -> Route | None:
        """Route everything without a longer match through ``gateway``; return the old default."""
        if type(gateway) is not Ipv4Address:
            raise TypeError(f"the gateway must be an Ipv4Address, not {type(gateway).__name__}")
        return self.add(_DEFAULT_V4, gateway)

    def remove_default_ipv4_route(self) -> Route | None:
        """Remove the default IPv4 route; return it (None if there was none)."""
        return self.remove(_DEFAULT_V4)

    def add_default_ipv6_route(self, gateway: Ipv6Address) -> Route | None:
        """Route every IPv6 destination without a longer match through ``gateway`` (often a
        router's link-local address, RFC 4861 8); return the old default."""
        if type(gateway) is not Ipv6Address:
            raise TypeError(f"the gateway must be an Ipv6Address, not {type(gateway).__name__}")
        return self.add(_DEFAULT_V6, gateway)

    def remove_default_ipv6_route(self) -> Route | None:
        """Remove the default IPv6 route; return it (None if there was none)."""
        return self.remove(_DEFAULT_V6)

    def add(
        self, cidr: IpCidr, via_router: IpAddress, expires_at: Instant | None = None
    ) -> Route | None:
        """Route ``cidr`` through ``via_router``; return the route it replaces, if any.

        The host bits of ``cidr`` are ignored (192.168.1.7/24 means 192.168.1.0/24).
        TypeError for a ``via_router`` that is no address of the prefix's IP version,
        ValueError for one no router can have (see `check_router`).
        """
        if not isinstance(cidr, IpCidr):
            raise TypeError(f"cidr must be an IpCidr, not {type(cidr).__name__}")
        if not isinstance(via_router, IpAddress) or via_router.version != cidr.address.version:
            raise TypeError("via_router must be an IpAddress of the prefix's version")
        check_router(via_router)
        network = cidr.network()  # type: ignore[attr-defined]
        old = self.remove(network)
        self._routes.append(Route(network, via_router, expires_at))
        self._changed()
        return old

    def remove(self, cidr: IpCidr) -> Route | None:
        """Remove the route of ``cidr``; return it (None if there was none)."""
        network = cidr.network()  # type: ignore[attr-defined]
        for i, route in enumerate(self._routes):
            if route.cidr == network:
                del self._routes[i]
                self._changed()
                return route
        return None

    def update(self, f: Callable[[list[Route]], None]) -> None:
        """Call ``f`` with the list of routes to change it in place (validated afterwards)."""
        routes = list(self._routes)
        f(routes)
        for route in routes:
            if not isinstance(route, Route):
                raise TypeError(f"expected Route, not {type(route).__name__}")
            check_router(route.via_router)
        self._routes = routes
        self._changed()

    def lookup(self, addr: IpAddress, now: Instant) -> IpAddress | None:
        """Return the router for ``addr`` (longest prefix first), or None if no route fits."""
        for route in self._routes:
            if route.cidr.contains_addr(addr):
                if route.expires_at is not None and now >= route.expires_at:
                    continue
                return route.via_router
        return None

    def __iter__(self) -> Iterator[Route]:
        return iter(list(self._routes))

    def __len__(self) -> int:
        return len(self._routes)

    def __repr__(self) -> str:
        return "Routes(" + ", ".join(f"{r.cidr} via {r.via_router}" for r in self._routes) + ")"

    def _changed(self) -> None:
        # Stable sort: among equal prefixes the older route wins.
        self._routes.sort(key=lambda r: -r.cidr.prefix_len)
        self.has_expiring = any(r.expires_at is not None for r in self._routes)
        self.version += 1
