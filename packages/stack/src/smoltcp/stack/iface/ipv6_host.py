"""`Ipv6Host`: the timed IPv6 host duties of one interface: duplicate address detection,
MLD reports and SLAAC address lifetimes.

`Interface` composes one. It builds and holds the interface's ``dad``
(`DuplicateAddressDetector`), ``mld`` (`MldListener`) and ``slaac`` (`SlaacAddresses`) from
its `Config`; `due_us` says when `service` next has work (the interface's `poll` and
`poll_at` ask); `service` sends the solicitations and reports due, adds the addresses that
passed detection and removes those whose valid lifetime ended; `link_up` starts detection
and reports over. IPv6 ingress talks to ``dad``, ``mld`` and ``slaac`` directly.
"""

from __future__ import annotations

import functools
import random
import weakref
from typing import TYPE_CHECKING

from smoltcp.stack.time import Instant
from smoltcp.wire import IpCidr, IpProtocol, Ipv6Address, Ipv6Cidr
from smoltcp.wire.icmpv6 import NDP_HOP_LIMIT, Icmpv6Message, Icmpv6Repr
from smoltcp.wire.ipv6 import Ipv6Repr
from smoltcp.wire.ipv6ext import (
    Ipv6OptionRepr,
    Ipv6OptionType,
    emit_options_header,
    options_header_len,
)
from smoltcp.wire.mld import Mldv2ReportRepr
from smoltcp.wire.ndp import NdpRepr

from .addresses import ipv6_unicast_addrs
from .dad import DuplicateAddressDetector
from .mld import MldListener
from .slaac import SlaacAddresses

if TYPE_CHECKING:
    from .egress import Egress
    from .interface import Interface

__all__ = ["Ipv6Host"]

_UNSPECIFIED = Ipv6Address(0)
# RFC 3810 5: reports carry a Router Alert option (RFC 2711) whose value 0 says "MLD".
_ROUTER_ALERT = (Ipv6OptionRepr(Ipv6OptionType.ROUTER_ALERT, b"\x00\x00"),)
_HBH_LEN = options_header_len(_ROUTER_ALERT)
_MLD_HOP_LIMIT = 1  # RFC 3810 5
_LINK_LOCAL_PREFIX = 64


class Ipv6Host:
    """Duplicate address detection, MLD and SLAAC lifetimes of one interface (see the module).

    ``iface`` is referenced weakly (its addresses are changed through `update_ip_addrs`);
    ``egress`` sends. Times are explicit.
    """

    def __init__(self, iface: Interface, egress: Egress, now: Instant) -> None:
        config = iface.config
        self._iface: Interface = weakref.proxy(iface)
        self._cx = iface.context
        self._egress = egress
        self._eth = iface.hardware_addr is not None
        self.dad = DuplicateAddressDetector(config.dad)
        # The context's view of what is unusable follows the detector (no reference back).
        self.dad.on_change = self._cx.set_unusable
        report = config.mld.report_solicited_nodes
        if report is None:
            report = config.slaac
        self.mld = MldListener(config.mld, random.Random(f"mld-{config.random_seed}"), report)
        self.slaac = SlaacAddresses()
        probe_ll = config.dad.link_local
        if probe_ll is None:
            probe_ll = config.slaac
        hardware_addr = iface.hardware_addr
        if hardware_addr is not None and probe_ll and self.dad.enabled:
            ll = Ipv6Address.link_local_from_ethernet(hardware_addr)
            self.dad.start(Ipv6Cidr(ll, _LINK_LOCAL_PREFIX), now)

    def link_up(self, now: Instant) -> None:
        """The link came back up (RFC 4862 5.4: detection runs when an interface is
        re-initialised): every address that passed detection is tentative again, and every
        reported group is reported again."""
        dad = self.dad
        cx = self._cx
        again = [c for a, c in dad.passed.items() if a.is_link_local or cx.has_ip_addr(a)]
        gone = {c.address for c in again}
        if gone & cx.addresses:
            self._iface.update_ip_addrs(functools.partial(_remove, gone))
        for c in again:
            dad.start(c, now)
        self.mld.resend(now.micros)

    def due_us(self) -> int:
        """Return when `service` next has work (microseconds), or -1."""
        mld = self.mld
        if mld.report_solicited_nodes and self._cx.ip_addrs is not mld.synced[0]:
            return 0  # the addresses changed: their solicited-node groups are to be reported
        best = self.dad.due_us()
        mld_us = mld.next_due_us
        if mld_us is not None and (best < 0 or mld_us < best):
            best = mld_us
        slaac = self.slaac.next_due_us
        if slaac >= 0 and (best < 0 or slaac < best):
            best = slaac
        return best

    def _sync_groups(self, now_us: int) -> None:
        """Tell MLD the solicited-node groups of our addresses, tentative ones included, when
        they changed (only reported groups need it: ingress computes them itself)."""
        mld = self.mld
        if not mld.report_solicited_nodes:
            return
        cx = self._cx
        key = (cx.ip_addrs, tuple(self.dad.tentative))
        if key == mld.synced:
            return
        mld.synced = key
        addrs = set(ipv6_unicast_addrs(cx.hardware_addr, cx.ip_addrs, cx.unusable))
        addrs.update(self.dad.tentative)
        mld.set_solicited_nodes({Ipv6Address.solicited_node(a) for a in addrs}, now_us)

    def service(self, now: Instant) -> bool:
        """Do what is due at ``now``; return whether anything was sent."""
        now_us = now.micros
        sent = False
        dad = self.dad
        cx = self._cx
        if 0 <= dad.due_us() <= now_us:
            before = dad.counters.probes_sent
            ready = dad.poll(now, self._send_dad_ns)
            fresh: list[IpCidr] = [
                c for c in ready if not c.address.is_link_local and not cx.has_ip_addr(c.address)
            ]
            if fresh:
                self._iface.update_ip_addrs(functools.partial(_extend, fresh))
            sent = dad.counters.probes_sent != before
        slaac = self.slaac
        if 0 <= slaac.next_due_us <= now_us:
            gone = {c.address for c in slaac.poll(now_us)}
            for addr in gone:
                dad.forget(addr)
            if gone & cx.addresses:
                self._iface.update_ip_addrs(functools.partial(_remove, gone))
            cx.set_deprecated(slaac.deprecated)
        self._sync_groups(now_us)
        mld = self.mld
        if mld.next_due_us is not None and mld.next_due_us <= now_us:
            for dst, message in mld.take(now_us):
                sent = self._send_report(dst, message) or sent
        return sent

    def _send_dad_ns(self, target: Ipv6Address) -> bool:
        """Send a duplicate-detection solicitation for ``target`` (RFC 4862 5.4.2): from
        ``::`` to its solicited-node group, with no source link-layer option (RFC 4861 4.3)."""
        ns = NdpRepr(Icmpv6Message.NEIGHBOR_SOLICIT, target)
        dst = Ipv6Address.solicited_node(target)
        out = Ipv6Repr(_UNSPECIFIED, dst, IpProtocol.ICMPV6, ns.buffer_len(), NDP_HOP_LIMIT)
        return self._egress.send_ipv6(out, ns, dst.multicast_mac if self._eth else None)

    def _send_report(self, dst: Ipv6Address, report: Mldv2ReportRepr | Icmpv6Repr) -> bool:
        """Send the MLD message ``report`` to ``dst`` with hop limit 1, from our link-local
        address, or from ``::`` while we have none usable (RFC 3810 5.2.13)."""
        cx = self._cx
        src = _UNSPECIFIED
        if cx.hardware_addr is not None:
            ll = Ipv6Address.link_local_from_ethernet(cx.hardware_addr)
            if ll not in cx.unusable:
                src = ll
        # The report behind a Hop-by-Hop header with Router Alert (RFC 3810 5, RFC 2710 3);
        # its checksum covers the report alone, with the pseudo-header's upper-layer length.
        body = bytearray(_HBH_LEN + report.buffer_len())
        emit_options_header(body, IpProtocol.ICMPV6, _ROUTER_ALERT)
        report.emit_buffer(memoryview(body)[_HBH_LEN:], src, dst, cx.checksum_caps, cx.csum)
        out = Ipv6Repr(src, dst, IpProtocol.HOPOPTS, len(body), _MLD_HOP_LIMIT)
        mac = dst.multicast_mac if self._eth else None
        return self._egress.send_ipv6(out, bytes(body), mac)


def _extend(fresh: list[IpCidr], addrs: list[IpCidr]) -> None:
    addrs.extend(fresh)


def _remove(gone: set[Ipv6Address], addrs: list[IpCidr]) -> None:
    addrs[:] = [c for c in addrs if c.address not in gone]
