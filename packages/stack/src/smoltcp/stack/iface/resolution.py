"""Address resolution on the sending side: next hop, its hardware address, and waiting for it.

`AddressResolution` turns a packet's destination into the hardware address to send it to: the
next hop (`NextHopCache`), then the neighbour cache's entry for it (`NeighborCache`). A packet
to a next hop not resolved yet waits in the neighbour cache's bounded queue; the queries go
out as the cache's timers say (ARP requests, RFC 826, or neighbour solicitations, RFC 4861
7.2.2; unicast probes of RFC 4861 7.3.3 for both), and when the answer comes (`resolved`) the
packets move to `Egress`'s queue of ready packets.
"""

from __future__ import annotations

import logging
import weakref
from typing import TYPE_CHECKING

from smoltcp.stack.time import Instant
from smoltcp.wire import EthernetAddress, IpAddress, IpProtocol, Ipv4Address, Ipv6Address
from smoltcp.wire.arp import ArpOperation, ArpRepr
from smoltcp.wire.icmpv6 import NDP_HOP_LIMIT, Icmpv6Message
from smoltcp.wire.ipv6 import Ipv6Repr
from smoltcp.wire.ndp import NdpRepr

from .addresses import ipv6_unicast_addrs, source_for
from .context import Context
from .counters import Counters
from .neighbor import NeighborCache
from .nexthop import NextHop, NextHopCache
from .route import Routes

if TYPE_CHECKING:
    from .egress import Egress

__all__ = ["AddressResolution"]

log = logging.getLogger("smoltcp.stack.iface")

_BROADCAST_MAC = b"\xff" * 6
_ZERO_ETHERNET = EthernetAddress(b"\x00" * 6)
_NS = Icmpv6Message.NEIGHBOR_SOLICIT
_ICMPV6 = IpProtocol.ICMPV6


class AddressResolution:
    """The sending side of ARP and NDP address resolution for one interface's `Egress`."""

    def __init__(
        self,
        egress: Egress,
        cache: NeighborCache,
        context: Context,
        counters: Counters,
        routes: Routes,
        eth: bool,
    ) -> None:
        # A weak reference to the owner: no cycle, so a dropped interface is freed at once.
        self._egress: Egress = weakref.proxy(egress)
        # Its queue of ready packets (the one deque it keeps for its life), for `due`, which
        # every poll asks: no attribute access through the proxy.
        self._ready = egress.ready
        self._cache = cache
        self._cx = context
        self._counters = counters
        self._eth = eth
        self._now = context.now
        self._now_us = context.now.micros
        self.next_hops = NextHopCache(routes, context, egress.mac, eth)

    def begin(self, now: Instant) -> None:
        """Start a poll at ``now``."""
        self._now = now
        self._now_us = now.micros

    def next_hop(self, dst: IpAddress) -> NextHop | None:
        """Return the next hop for ``dst`` (see `NextHopCache.lookup`)."""
        return self.next_hops.lookup(dst, self._now)

    def hardware_for(self, dst: IpAddress) -> bytes | IpAddress | None:
        """Return the hardware address to send to ``dst`` to; or its next hop, an address,
        when that is not resolved yet; or None when no route leads there (counted)."""
        hop = self.next_hops.lookup(dst, self._now)
        if hop is None:
            self._egress.drop("no-route")
            return None
        if isinstance(hop, bytes):
            return hop
        cache = self._cache
        now_us = self._now_us
        mac = cache.resolve_us(hop, now_us)
        if mac is None:
            return hop
        if cache.due_us(now_us):
            # A probe due now (an entry about to lapse) goes before the packet.
            self.run_timers()
        return mac

    def enqueue(self, hop: IpAddress, packet: bytearray) -> None:
        """Keep ``packet`` until ``hop`` resolves; the neighbour cache says when to ask."""
        cache = self._cache
        if not cache.enqueue_us(hop, packet, self._now_us):
            self._egress.drop("arp-queue-full")
            return
        self._counters.queued_for_arp += 1
        if cache.due_us(self._now_us):
            self.run_timers()

    def resolved(self, hop: IpAddress, mac: bytes) -> None:
        """``hop`` answered: move its queued packets to the ready queue, and try to send."""
        packets = self._cache.take_queued(hop)
        if not packets:
            return
        ready = self._egress.ready
        for packet in packets:
            ready.append((mac, packet))
        self._egress.flush_ready()

    def confirm_progress(self, peer: IpAddress) -> None:
        """Forward progress with ``peer`` (new data acknowledged): the neighbour on the way
        to it is reachable (RFC 4861 7.3.1)."""
        hop = self.next_hops.lookup(peer, self._now)
        if hop is not None and not isinstance(hop, bytes):
            self._cache.confirm_progress_us(hop, self._now_us)

    def due(self) -> bool:
        """Return whether `service` has something to do now (cheap)."""
        return bool(self._ready) or self._cache.due_us(self._now_us)

    def poll_at_us(self) -> int | None:
        """Return when (microseconds) the neighbour cache next has a timer, or None."""
        return self._cache.poll_at_us()

    def service(self) -> bool:
        """Send what resolved, send the queries due, and drop queues that timed out."""
        did = self._egress.flush_ready()
        if self._cache.due_us(self._now_us):
            did = self.run_timers() or did
        return did

    def run_timers(self) -> bool:
        """Run the neighbour cache's timers: send the queries due, count what timed out."""
        counters = self._counters
        before = counters.sent
        lost = self._cache.poll(self._now, self.solicit)
        if lost:
            counters.dropped["arp-timeout"] += lost
            if log.isEnabledFor(logging.DEBUG):
                log.debug("drop: %d packets: ARP timed out", lost)
        return counters.sent != before

    # -- queries ------------------------------------------------------------------------------

    def solicit(self, target: IpAddress, mac: bytes | None) -> bool:
        """Ask "who has ``target``": broadcast/multicast (``mac`` None) or a unicast probe to
        ``mac``; return whether it was sent."""
        if type(target) is Ipv6Address:
            return self._send_ns(target, mac)
        spa = self._cx.get_source_address(target)
        if spa is None or type(spa) is not Ipv4Address or type(target) is not Ipv4Address:
            self._egress.drop("no-source-address")
            return False
        hardware_addr = self._cx.hardware_addr
        if hardware_addr is None:
            return False  # no ARP on an IP medium
        arp = ArpRepr(ArpOperation.REQUEST, hardware_addr, spa, _ZERO_ETHERNET, target)
        if self._egress.send_arp(arp, _BROADCAST_MAC if mac is None else mac):
            self._counters.arp_requests_sent += 1
            return True
        return False

    def _send_ns(self, target: Ipv6Address, mac: bytes | None) -> bool:
        """Send a neighbour solicitation for ``target``: to its solicited-node group
        (``mac`` None), or a unicast probe to ``mac`` (RFC 4861 7.2.2, 7.3.3)."""
        cx = self._cx
        addrs = ipv6_unicast_addrs(cx.hardware_addr, cx.ip_addrs, cx.unusable)
        if not addrs:
            self._egress.drop("no-source-address")
            return False
        ns = NdpRepr(_NS, target, source_ll_addr=cx.hardware_addr)
        if mac is None:
            dst = Ipv6Address.solicited_node(target)
            mac = dst.multicast_mac if self._eth else None
        else:
            dst = target
        src = source_for(target, addrs, cx.deprecated)
        out = Ipv6Repr(src, dst, _ICMPV6, ns.buffer_len(), NDP_HOP_LIMIT)
        return self._egress.send_ipv6(out, ns, mac)
