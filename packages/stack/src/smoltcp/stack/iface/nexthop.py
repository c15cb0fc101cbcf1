"""The next hop of each destination, cached while the addresses and routes stay the same.

A packet's next hop is the destination itself when it is on-link, the router of the longest
matching route otherwise (RFC 1122 3.3.1), or directly a hardware address for our own,
broadcast and multicast destinations, which need no address resolution.
"""

from __future__ import annotations

from smoltcp.stack.time import Instant
from smoltcp.wire import IpAddress, Ipv4Address, Ipv6Address

from .context import Context
from .multicast import multicast_mac
from .route import Routes

__all__ = ["NextHop", "NextHopCache"]

NextHop = IpAddress | bytes
"""An address to resolve, or a hardware address (octets) to send to as it is."""

_BROADCAST_MAC = b"\xff" * 6
_MAX_ENTRIES = 4096


class NextHopCache:
    """Next hop per destination for one interface (`lookup`), at most 4096 remembered.

    The cache empties itself when the route table changes (`Routes.version`) or has routes
    that expire; the owner calls `clear` when the interface's addresses change and sets
    `own_mac` when its hardware address does.
    """

    __slots__ = ("_context", "_eth", "_hops", "_routes", "_version", "own_mac")

    def __init__(self, routes: Routes, context: Context, own_mac: bytes, eth: bool) -> None:
        self._routes = routes
        self._context = context
        self._eth = eth
        self._hops: dict[IpAddress, NextHop] = {}
        self._version = -1
        self.own_mac = own_mac

    def clear(self) -> None:
        """Forget every next hop (the interface's addresses changed)."""
        self._hops.clear()

    def lookup(self, dst: IpAddress, now: Instant) -> NextHop | None:
        """Return the next hop for ``dst``: an address, or a hardware address (bytes) for our
        own, broadcast and multicast destinations, or None when no route leads there."""
        routes = self._routes
        hops = self._hops
        if self._version != routes.version or routes.has_expiring:
            hops.clear()
            self._version = routes.version
        else:
            hop = hops.get(dst)
            if hop is not None:
                return hop
        cx = self._context
        found: NextHop | None
        if dst in cx.addresses:
            # Our own address (a loopback device): the frame comes back to us.
            found = self.own_mac
        elif dst.is_broadcast or dst in cx.broadcasts:
            found = _BROADCAST_MAC
        elif type(dst) is Ipv6Address and dst.is_multicast:
            # RFC 2464 7: the Ethernet group of the IPv6 multicast address.
            found = dst.multicast_mac if self._eth else None
        elif type(dst) is Ipv6Address and dst.is_link_local:
            found = dst  # on the link (RFC 4861 5.2)
        elif type(dst) is Ipv4Address and dst.is_multicast:
            found = multicast_mac(dst)  # RFC 1112 6.4
        elif cx.in_same_network(dst):
            found = dst
        else:
            found = routes.lookup(dst, now)
        if found is None:
            return None
        if len(hops) >= _MAX_ENTRIES:
            hops.clear()
        hops[dst] = found
        return found
