"""`Ipv6Host`: the timed IPv6 host duties of one interface: duplicate address detection,
MLD reports and SLAAC address lifetimes.

`Interface` composes one. It builds and holds the interface's ``dad``
(`DuplicateAddressDetector`), ``mld`` (`MldListener`) and ``slaac`` (`SlaacAddresses`) from
its `Config`; `due_us` says when `service` next has work (the interface asks again after
the duties raised its `Deadlines` flag); `service` sends the solicitations and reports due,
adds the addresses that passed detection and removes those whose valid lifetime ended;
`link_up` starts detection and reports over. IPv6 ingress talks to ``dad``, ``mld`` and
``slaac`` directly.

RFC 4862 5.4.5: when detection finds the link-local address formed from the MAC duplicated,
another node most likely has the same hardware address, and no other address would give a
working configuration. IPv6 is then *disabled* on the interface (``Context.ipv6_disabled``,
``Interface.ipv6_disabled``): nothing IPv6 is sent (each packet counted as an ``ipv6-disabled``
drop), every IPv6 frame received is dropped (counted likewise), detection, MLD and SLAAC stand
still; a warning is logged and ``dad.counters.ipv6_disabled`` counts it. IPv4 goes on. It is
enabled again when the application acts: a new hardware address (`hardware_addr_changed`: the
link-local address formed from it is probed), or IPv6 addresses it adds itself (`enable`, not a
removal; the duplicated link-local address stays out of use, the configured ones work, as 5.4.5
allows for addresses not formed from the hardware address).
"""

from __future__ import annotations

import functools
import logging
import random
import weakref
from typing import TYPE_CHECKING

from smoltcp.stack.time import Instant
from smoltcp.wire import (
    EthernetAddress,
    IpCidr,
    IpProtocol,
    Ipv6Address,
    Ipv6Cidr,
    modified_eui64,
)
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
from .deadlines import Deadlines
from .mld import MldListener
from .slaac import SlaacAddresses

if TYPE_CHECKING:
    from .egress import Egress
    from .interface import Interface

__all__ = ["Ipv6Host"]

log = logging.getLogger("smoltcp.stack.iface")

_UNSPECIFIED = Ipv6Address(0)
# RFC 3810 5: reports carry a Router Alert option (RFC 2711) whose value 0 says "MLD".
_ROUTER_ALERT = (Ipv6OptionRepr(Ipv6OptionType.ROUTER_ALERT, b"\x00\x00"),)
_HBH_LEN = options_header_len(_ROUTER_ALERT)
_MLD_HOP_LIMIT = 1  # RFC 3810 5
_LINK_LOCAL_PREFIX = 64
#: MAX_NEIGHBOR_ADVERTISEMENT (RFC 4861 10): unsolicited advertisements per address.
MAX_NEIGHBOR_ADVERTISEMENT = 3
_ALL_NODES = Ipv6Address.LINK_LOCAL_ALL_NODES


class Ipv6Host:
    """Duplicate address detection, MLD and SLAAC lifetimes of one interface (see the module).

    ``iface`` is referenced weakly (its addresses are changed through `update_ip_addrs`);
    ``egress`` sends; ``deadlines`` is raised whenever `due_us` may answer otherwise (the
    interface's, shared with ``dad``, ``mld`` and ``slaac``). Times are explicit.
    """

    def __init__(
        self, iface: Interface, egress: Egress, now: Instant, deadlines: Deadlines
    ) -> None:
        config = iface.config
        self._deadlines = deadlines
        self._iface: Interface = weakref.proxy(iface)
        self._cx = iface.context
        self._egress = egress
        self._eth = iface.hardware_addr is not None
        # The hardware address is mixed in so that hosts left at the default seed draw
        # different delays (RFC 4862 5.4.2) and nonces (RFC 7527), deterministically.
        rand = random.Random(f"dad-{config.random_seed}-{iface.hardware_addr}")
        self.dad = DuplicateAddressDetector(config.dad, rand)
        self.dad.deadlines = deadlines
        # The context's view of what is unusable follows the detector (no reference back).
        self.dad.on_change = self._cx.set_unusable
        host = weakref.ref(self)

        def on_duplicate(addr: Ipv6Address, now: Instant) -> None:
            me = host()  # a weak reference: the detector keeps no cycle alive
            if me is not None:
                me._on_duplicate(addr, now)

        self.dad.on_duplicate = on_duplicate
        self.disabled_at: Instant | None = None
        """When IPv6 was last disabled (RFC 4862 5.4.5), or None while it is enabled."""
        report = config.mld.report_solicited_nodes
        if report is None:
            report = config.slaac
        self.mld = MldListener(config.mld, random.Random(f"mld-{config.random_seed}"), report)
        self.mld.deadlines = deadlines
        self.slaac = SlaacAddresses()
        self.slaac.deadlines = deadlines
        # Unsolicited neighbour advertisements owed after a new hardware address (RFC 4861
        # 7.2.6): address -> [advertisements left, when the next is due (micros)].
        self._unsolicited: dict[Ipv6Address, list[int]] = {}
        self._retrans_us = config.dad.retrans_timer.micros
        probe_ll = config.dad.link_local
        if probe_ll is None:
            probe_ll = config.slaac
        self._probe_ll = probe_ll
        hardware_addr = iface.hardware_addr
        if hardware_addr is not None and probe_ll and self.dad.enabled:
            ll = Ipv6Address.link_local_from_ethernet(hardware_addr)
            # The interface is initialised: the first probe waits (RFC 4862 5.4.2).
            self.dad.start(Ipv6Cidr(ll, _LINK_LOCAL_PREFIX), now, delay=True)

    # -- RFC 4862 5.4.5: a duplicated link-local address disables IPv6 ------------------------

    def _on_duplicate(self, addr: Ipv6Address, now: Instant) -> None:
        hw = self._cx.hardware_addr
        if hw is None or addr != Ipv6Address.link_local_from_ethernet(hw):
            return  # another address: it only stays out of use (RFC 4862 5.4.5)
        cx = self._cx
        if cx.ipv6_disabled:
            return
        if not self.dad.config.disable_ipv6_on_duplicate_link_local:
            log.warning(
                "link-local address %s, formed from hardware address %s, is in use by another "
                "node (RFC 4862 5.4.5); it stays out of use, IPv6 goes on",
                addr,
                hw,
            )
            return
        cx.ipv6_disabled = True
        self._deadlines.moved = True  # nothing is due while disabled
        self.disabled_at = now
        self.dad.counters.ipv6_disabled += 1
        # Nothing IPv6 is sent from now on, not even what was serialised already.
        self._egress.drop_ready_ipv6()
        log.warning(
            "IPv6 disabled: link-local address %s, formed from hardware address %s, is in use "
            "by another node (RFC 4862 5.4.5); set another hardware address or IPv6 addresses "
            "to enable it again",
            addr,
            hw,
        )

    def enable(self, now: Instant) -> None:
        """Enable IPv6 again after it was disabled (the application set addresses or a
        hardware address): detection starts over for the tentative addresses and the groups
        are reported again. Nothing happens while IPv6 is enabled."""
        cx = self._cx
        if not cx.ipv6_disabled:
            return
        cx.ipv6_disabled = False
        self.disabled_at = None
        self.dad.restart(now)
        self.mld.synced = (None, ())
        self._deadlines.moved = True  # the groups are due again
        self.mld.resend(now.micros, self._delayed_groups(now.micros))
        log.info("IPv6 enabled again")

    def hardware_addr_changed(
        self, old: EthernetAddress, new: EthernetAddress, now: Instant
    ) -> None:
        """Follow a new hardware address (the context has it already): the link-local
        address formed from ``old`` goes (its solicited-node group is left), the one formed
        from ``new`` is probed as at start-up (tentative until it passes) and its group
        joined; IPv6 is enabled again if it was disabled. Configured addresses stay as they
        are, a link-local one included, and each is advertised with the new address
        (`MAX_NEIGHBOR_ADVERTISEMENT` unsolicited advertisements to all nodes, override set,
        RetransTimer apart, RFC 4861 7.2.6). SLAAC addresses formed from ``old`` are
        deprecated (RFC 4862 5.5.4): still valid for the connections that have them, never
        chosen for new ones."""
        cx = self._cx
        old_ll = Ipv6Address.link_local_from_ethernet(old)
        new_ll = Ipv6Address.link_local_from_ethernet(new)
        if old_ll == new_ll and not cx.ipv6_disabled:
            return
        now_us = now.micros
        for c in cx.ip_addrs:
            if isinstance(c, Ipv6Cidr):
                self._unsolicited[c.address] = [MAX_NEIGHBOR_ADVERTISEMENT, now_us]
        iid = modified_eui64(old)
        stale = {a for a in cx.addresses if type(a) is Ipv6Address and a.packed[8:] == iid}
        stale = {a for a in stale if a in self.slaac}
        if stale:
            self.slaac.deprecate(stale, now_us)
            cx.set_deprecated(self.slaac.deprecated)
        dad = self.dad
        if not cx.has_ip_addr(old_ll):
            dad.forget(old_ll)
        self.enable(now)
        if self._probe_ll and dad.enabled and not cx.has_ip_addr(new_ll):
            # Probed as at start-up, the interface re-initialised (RFC 4862 5.4.2).
            dad.start(Ipv6Cidr(new_ll, _LINK_LOCAL_PREFIX), now, delay=True)
        # The solicited-node groups are recomputed from the new MAC at the next service.
        self.mld.synced = (None, ())
        self._deadlines.moved = True  # that, and the advertisements owed, are due now

    def link_up(self, now: Instant) -> None:
        """The link came back up (RFC 4862 5.4: detection runs when an interface is
        re-initialised): every address that passed detection is tentative again, and every
        reported group is reported again. IPv6 disabled stays disabled.

        The groups of the addresses probed again stay joined (no leave, RFC 3810 6.1: their
        state does not change); their reports go when their random delay ends, with their
        first probes (RFC 4862 5.4.2), the other groups' at once."""
        if self._cx.ipv6_disabled:
            return
        dad = self.dad
        cx = self._cx
        hw = cx.hardware_addr
        formed = None if hw is None else Ipv6Address.link_local_from_ethernet(hw)
        # Only what is still ours: the MAC-formed link-local address, configured addresses.
        again = [c for a, c in dad.passed.items() if a == formed or cx.has_ip_addr(a)]
        gone = {c.address for c in again}
        for c in again:
            dad.start(c, now, delay=True, keep_group=True)
        if gone & cx.addresses:
            self._iface.update_ip_addrs(functools.partial(_remove, gone))
        self.mld.resend(now.micros, self._delayed_groups(now.micros))

    def _delayed_groups(self, now_us: int) -> dict[Ipv6Address, int]:
        """The solicited-node groups whose report waits for an address's random delay (none
        when a usable address has the group too), with when it ends."""
        cx = self._cx
        usable = {
            Ipv6Address.solicited_node(a)
            for a in ipv6_unicast_addrs(cx.hardware_addr, cx.ip_addrs, cx.unusable)
        }
        out: dict[Ipv6Address, int] = {}
        for addr, at in self.dad.delayed_joins(now_us).items():
            g = Ipv6Address.solicited_node(addr)
            if g not in usable:
                out[g] = min(at, out.get(g, at))
        return out

    def due_us(self) -> int:
        """Return when `service` next has work (microseconds), or -1."""
        if self._cx.ipv6_disabled:
            return -1  # RFC 4862 5.4.5: nothing is sent
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
        for _, due in self._unsolicited.values():
            if best < 0 or due < best:
                best = due
        return best

    def _sync_groups(self, now_us: int) -> None:
        """Tell MLD the solicited-node groups of our addresses, tentative ones included once
        their random delay ended (RFC 4862 5.4.2), when they changed (only reported groups
        need it: ingress computes them itself)."""
        mld = self.mld
        if not mld.report_solicited_nodes:
            return
        cx = self._cx
        joined = self.dad.joined(now_us)
        key = (cx.ip_addrs, joined)
        if key == mld.synced:
            return
        mld.synced = key
        self._deadlines.moved = True
        addrs = set(ipv6_unicast_addrs(cx.hardware_addr, cx.ip_addrs, cx.unusable))
        addrs.update(joined)
        mld.set_solicited_nodes({Ipv6Address.solicited_node(a) for a in addrs}, now_us)

    def _send_reports(self, now_us: int) -> bool:
        self._sync_groups(now_us)
        mld = self.mld
        sent = False
        if mld.next_due_us is not None and mld.next_due_us <= now_us:
            for dst, message in mld.take(now_us):
                sent = self._send_report(dst, message) or sent
        return sent

    def service(self, now: Instant) -> bool:
        """Do what is due at ``now``; return whether anything was sent (nothing while IPv6
        is disabled)."""
        cx = self._cx
        if cx.ipv6_disabled:
            return False
        now_us = now.micros
        # RFC 4862 5.4.2: the report joining a tentative address's solicited-node group goes
        # before its first solicitation.
        sent = self._send_reports(now_us)
        if self._unsolicited:
            sent = self._send_unsolicited(now_us) or sent
        dad = self.dad
        if 0 <= dad.due_us() <= now_us:
            before = dad.counters.probes_sent
            ready = dad.poll(now, self._send_dad_ns)
            # The link-local address formed from the MAC is never configured: it is ours
            # as soon as it leaves ``unusable``.
            hw = cx.hardware_addr
            formed = None if hw is None else Ipv6Address.link_local_from_ethernet(hw)
            fresh: list[IpCidr] = [
                c for c in ready if c.address != formed and not cx.has_ip_addr(c.address)
            ]
            if fresh:
                self._iface.update_ip_addrs(functools.partial(_extend, fresh))
            sent = dad.counters.probes_sent != before or sent
        slaac = self.slaac
        if 0 <= slaac.next_due_us <= now_us:
            gone = {c.address for c in slaac.poll(now_us)}
            for addr in gone:
                dad.forget(addr)
            if gone & cx.addresses:
                self._iface.update_ip_addrs(functools.partial(_remove, gone))
            cx.set_deprecated(slaac.deprecated)
        return self._send_reports(now_us) or sent

    def _send_unsolicited(self, now_us: int) -> bool:
        """Send the unsolicited advertisements due (RFC 4861 7.2.6): to all nodes, not
        solicited, override set, with our (new) link-layer address; one for an address no
        longer ours is forgotten."""
        cx = self._cx
        hw = cx.hardware_addr
        sent = False
        # An advertisement sent or forgotten moves the deadline `due_us` reads: the flag is
        # raised whether or not one was due (one recomputation at most).
        self._deadlines.moved = True
        for addr, entry in list(self._unsolicited.items()):
            if entry[1] > now_us:
                continue
            if hw is None or not cx.has_ip_addr(addr):
                del self._unsolicited[addr]
                continue
            na = NdpRepr(Icmpv6Message.NEIGHBOR_ADVERT, addr, target_ll_addr=hw, override=True)
            out = Ipv6Repr(addr, _ALL_NODES, IpProtocol.ICMPV6, na.buffer_len(), NDP_HOP_LIMIT)
            mac = _ALL_NODES.multicast_mac if self._eth else None
            if not self._egress.send_ipv6(out, na, mac):
                continue  # no room in the device: at the next poll
            sent = True
            entry[0] -= 1
            entry[1] = now_us + self._retrans_us
            if entry[0] <= 0:
                del self._unsolicited[addr]
        return sent

    def _send_dad_ns(self, target: Ipv6Address, nonce: bytes) -> bool:
        """Send a duplicate-detection solicitation for ``target`` (RFC 4862 5.4.2): from
        ``::`` to its solicited-node group, with no source link-layer option (RFC 4861 4.3)
        and the Nonce option ``nonce`` (RFC 7527 4.1)."""
        ns = NdpRepr(Icmpv6Message.NEIGHBOR_SOLICIT, target, nonce=nonce)
        dst = Ipv6Address.solicited_node(target)
        out = Ipv6Repr(_UNSPECIFIED, dst, IpProtocol.ICMPV6, ns.buffer_len(), NDP_HOP_LIMIT)
        return self._egress.send_ipv6(out, ns, dst.multicast_mac if self._eth else None)

    def _send_report(self, dst: Ipv6Address, report: Mldv2ReportRepr | Icmpv6Repr) -> bool:
        """Send the MLD message ``report`` to ``dst`` with hop limit 1, from our link-local
        address (the one formed from the MAC first, else a configured one), or from ``::``
        while we have none usable (RFC 3810 5.2.13)."""
        cx = self._cx
        src = _UNSPECIFIED
        # The formed link-local address comes first when usable.
        for a in ipv6_unicast_addrs(cx.hardware_addr, cx.ip_addrs, cx.unusable):
            if a.is_link_local:
                src = a
                break
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
