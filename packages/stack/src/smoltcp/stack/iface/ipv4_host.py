"""`Ipv4Host`: the timed IPv4 host duties of one interface: address conflict detection
(RFC 5227) and IGMPv2 reports (RFC 2236).

`Interface` composes one, as it composes `Ipv6Host` for IPv6. It builds and holds the
interface's ``acd`` (`AddressConflictDetector`) and ``multicast`` (`MulticastGroups`) from its
`Config`; `judge_arp` lets conflict detection see every ARP packet ingress receives;
`service_acd` sends the probes and announcements due and adds the addresses that became ready;
`service_igmp` sends the reports and leaves due; `link_up` and `announce` start probing and
announcing over. The interface's `poll` asks ``acd`` and ``multicast`` when they are due.
"""

from __future__ import annotations

import random
import weakref
from collections.abc import Container
from typing import TYPE_CHECKING

from smoltcp.stack.time import Instant
from smoltcp.wire import EthernetAddress, IpAddress, IpCidr, Ipv4Address
from smoltcp.wire.arp import ArpOperation, ArpRepr
from smoltcp.wire.ip import ip_repr
from smoltcp.wire.ipv4 import IpProtocol

from .acd import AcdEventKind, AcdState, AddressConflictDetector
from .deadlines import Deadlines
from .multicast import MulticastGroups

if TYPE_CHECKING:
    from .egress import Egress
    from .interface import Interface

__all__ = ["Ipv4Host"]

_BROADCAST_MAC = b"\xff" * 6
_ZERO_ETHERNET = EthernetAddress(b"\x00" * 6)
_UNSPECIFIED = Ipv4Address(0)
_IGMP_TTL = 1  # RFC 2236 2


def _remove_addrs(addrs: list[IpCidr], gone: Container[IpAddress]) -> None:
    """Remove, in place, the CIDRs of ``addrs`` whose address is in ``gone``."""
    addrs[:] = [c for c in addrs if c.address not in gone]


class Ipv4Host:
    """Conflict detection and IGMP reports of one interface (see the module).

    ``iface`` is referenced weakly (its addresses are changed through `update_ip_addrs`);
    ``egress`` sends; ``deadlines`` (the interface's) is raised by ``acd`` and ``multicast``
    whenever their deadlines move. Times are explicit, or the context's time of the last poll
    where a packet arrives.
    """

    def __init__(self, iface: Interface, egress: Egress, deadlines: Deadlines) -> None:
        config = iface.config
        self._iface: Interface = weakref.proxy(iface)
        self._cx = iface.context
        self._egress = egress
        self._remove_lost = config.acd.remove_lost
        # IPv4 address conflict detection (RFC 5227): see `Interface.add_ip_addr`.
        self.acd = AddressConflictDetector(config.acd, random.Random(f"acd-{config.random_seed}"))
        self.acd.deadlines = deadlines
        # IPv4 multicast groups joined and the IGMPv2 messages owed (RFC 2236).
        self.multicast = MulticastGroups(random.Random(f"igmp-{config.random_seed}"))
        self.multicast.deadlines = deadlines

    # -- conflict detection (RFC 5227) ----------------------------------------------------------

    def judge_arp(self, sha: bytes, spa: IpAddress, tpa: IpAddress) -> bool:
        """Let conflict detection judge an ARP packet (ingress calls this); True when it was
        about one of our addresses (learn nothing from it)."""
        cx = self._cx
        hw = cx.hardware_addr
        mac = bytes(hw) if hw is not None else b"\x00" * 6
        verdict = self.acd.observe(sha, spa, tpa, mac, cx.addresses, cx.now)
        if verdict is None:
            return False
        if verdict is AcdEventKind.DEFENDED:
            self.service_acd(cx.now)
        elif verdict is AcdEventKind.LOST and self._remove_lost:
            self._iface.update_ip_addrs(lambda addrs: _remove_addrs(addrs, {spa}))
        return True

    def service_acd(self, now: Instant) -> bool:
        """Send the probes and announcements due at ``now``; add the addresses that became
        ready. Return whether anything was sent."""
        acd = self.acd
        counters = acd.counters
        before = counters.probes_sent + counters.announcements_sent
        ready = acd.poll(now, self._send_acd)
        if ready:
            have = self._cx.addresses
            fresh = [c for c in ready if c.address not in have]
            self._iface.update_ip_addrs(lambda addrs: addrs.extend(fresh))
            # The first announcement goes at once (RFC 5227 2.3).
            acd.poll(now, self._send_acd)
        return counters.probes_sent + counters.announcements_sent != before

    def _send_acd(self, addr: Ipv4Address, probe: bool) -> bool:
        # Broadcast an ARP probe (sender 0.0.0.0) or announcement (sender = target) for
        # ``addr`` (RFC 5227 2.1.1 and 2.3: both are requests with a zero target hardware
        # address).
        hardware_addr = self._cx.hardware_addr
        if hardware_addr is None:
            return False  # no ARP on an IP medium
        spa = _UNSPECIFIED if probe else addr
        arp = ArpRepr(ArpOperation.REQUEST, hardware_addr, spa, _ZERO_ETHERNET, addr)
        return self._egress.send_arp(arp, _BROADCAST_MAC)

    def link_up(self, now: Instant) -> None:
        """The link came (back) up at ``now`` (RFC 5227 2.1 and 2.3): every address that was
        probed before use is probed again (it leaves the addresses until ready), every other
        address in use is announced again."""
        acd = self.acd
        again = {c.address for c, _, probed in acd.records() if probed}
        for c, state, _ in acd.records():
            if state is AcdState.PROBING:
                acd.probe(c, now)  # start over
        reprobe = [c for c in self._cx.ip_addrs if c.address in again]
        if reprobe:
            gone = {c.address for c in reprobe}
            self._iface.update_ip_addrs(lambda addrs: _remove_addrs(addrs, gone))
        for c in reprobe:
            acd.probe(c, now)
        self.announce(now)

    def announce(self, now: Instant) -> None:
        """Announce every IPv4 address in use from ``now`` on (RFC 5227 2.3): after a link
        up, or a new hardware address (4.4), the neighbours learn from the announcements."""
        acd = self.acd
        for c in self._cx.ip_addrs:
            if type(c.address) is Ipv4Address and c.address not in acd.tentative:
                acd.announce(c, now)

    # -- IGMP (RFC 2236) ----------------------------------------------------------------------

    def service_igmp(self, now: Instant) -> bool:
        """Send the IGMP reports and leaves due at ``now``, with TTL 1 (RFC 2236 2), from the
        first IPv4 address (0.0.0.0 without one). Return whether anything was sent."""
        src = self._iface.ipv4_addr() or _UNSPECIFIED
        sent = False
        send_ip = self._egress.send_ip
        for dst, msg in self.multicast.take(now.micros):
            sent = send_ip(ip_repr(src, dst, IpProtocol.IGMP, 8, _IGMP_TTL), msg.to_bytes()) or sent
        return sent
