"""The timed IPv6 host duties of `Interface`: duplicate address detection, MLD reports and
SLAAC address lifetimes, behind a few hooks.

`attach` builds the interface's ``dad`` (`DuplicateAddressDetector`), ``mld`` (`MldListener`)
and ``slaac`` (`SlaacAddresses`) from its `Config` (the interface keeps them); `due_us` says
when `service` next has work (the interface's `poll` and `poll_at` ask); `service` sends the
solicitations and reports due, adds the addresses that passed detection and removes those
whose valid lifetime ended. `conflict` is what IPv6 ingress calls for an advertisement or a
probe about one of our addresses; `link_up` what the interface's `link_up` calls. These are
functions over the interface, not an object of their own: the interface holds the state,
this module the behaviour.
"""

from __future__ import annotations

import functools
import random
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

from .dad import DuplicateAddressDetector
from .mld import MldListener
from .slaac import SlaacAddresses

if TYPE_CHECKING:
    from .interface import Interface

__all__ = ["attach", "conflict", "due_us", "link_up", "service"]

_UNSPECIFIED = Ipv6Address(0)
# RFC 3810 5: reports carry a Router Alert option (RFC 2711) whose value 0 says "MLD".
_ROUTER_ALERT = (Ipv6OptionRepr(Ipv6OptionType.ROUTER_ALERT, b"\x00\x00"),)
_HBH_LEN = options_header_len(_ROUTER_ALERT)
_MLD_HOP_LIMIT = 1  # RFC 3810 5
_LINK_LOCAL_PREFIX = 64


def attach(
    iface: Interface, now: Instant
) -> tuple[DuplicateAddressDetector, MldListener, SlaacAddresses]:
    """Build ``iface``'s ``dad``, ``mld`` and ``slaac`` state; start probing its link-local
    address when `DadConfig.link_local` (or, unset, ``Config.slaac``) asks for it."""
    config = iface.config
    dad = DuplicateAddressDetector(config.dad)
    dad.on_change = iface.context.set_unusable
    report = config.mld.report_solicited_nodes
    if report is None:
        report = config.slaac
    mld = MldListener(config.mld, random.Random(f"mld-{config.random_seed}"), report)
    probe_ll = config.dad.link_local
    if probe_ll is None:
        probe_ll = config.slaac
    hardware_addr = iface.hardware_addr
    if hardware_addr is not None and probe_ll and dad.enabled:
        ll = Ipv6Address.link_local_from_ethernet(hardware_addr)
        dad.start(Ipv6Cidr(ll, _LINK_LOCAL_PREFIX), now)
    return dad, mld, SlaacAddresses()


def link_up(iface: Interface, now: Instant) -> None:
    """The link came back up (RFC 4862 5.4: detection runs when an interface is
    re-initialised): every address that passed detection is tentative again, and every
    reported group is reported again."""
    dad = iface.dad
    again = [c for a, c in dad.passed.items() if a.is_link_local or iface.context.has_ip_addr(a)]
    gone = {c.address for c in again}
    if gone & iface.context.addresses:
        iface.update_ip_addrs(functools.partial(_remove, gone))
    for c in again:
        dad.start(c, now)
    iface.mld.resend(now.micros)


def due_us(iface: Interface) -> int:
    """Return when `service` next has work (microseconds), or -1."""
    mld = iface.mld
    if mld.report_solicited_nodes and iface.context.ip_addrs is not mld.synced[0]:
        return 0  # the addresses changed: their solicited-node groups are to be reported
    best: int = iface.dad._due
    mld_us = mld.next_due_us
    if mld_us is not None and (best < 0 or mld_us < best):
        best = mld_us
    slaac = iface.slaac.next_due_us
    if slaac >= 0 and (best < 0 or slaac < best):
        best = slaac
    return best


def sync_groups(iface: Interface) -> None:
    """Tell MLD the solicited-node groups of our addresses, tentative ones included, when
    they changed (only reported groups need it: ingress computes them itself)."""
    mld = iface.mld
    if not mld.report_solicited_nodes:
        return
    key = (iface.context.ip_addrs, tuple(iface.dad.tentative))
    if key == mld.synced:
        return
    mld.synced = key
    addrs = set(iface.ipv6_addrs()) | set(iface.dad.tentative)
    mld.set_solicited_nodes({Ipv6Address.solicited_node(a) for a in addrs}, iface._now.micros)


def service(iface: Interface) -> bool:
    """Do what is due at the interface's current time; return whether anything was sent."""
    now: Instant = iface._now
    now_us = now.micros
    sent = False
    dad = iface.dad
    if 0 <= dad._due <= now_us:
        before = dad.counters.probes_sent
        ready = dad.poll(now, lambda target: _send_dad_ns(iface, target))
        fresh: list[IpCidr] = [
            c
            for c in ready
            if not c.address.is_link_local and not iface.context.has_ip_addr(c.address)
        ]
        if fresh:
            iface.update_ip_addrs(functools.partial(_extend, fresh))
        sent = dad.counters.probes_sent != before
    slaac = iface.slaac
    if 0 <= slaac.next_due_us <= now_us:
        gone = {c.address for c in slaac.poll(now_us)}
        for addr in gone:
            dad.forget(addr)
        if gone & iface.context.addresses:
            iface.update_ip_addrs(functools.partial(_remove, gone))
        iface.context.set_deprecated(slaac.deprecated)
    sync_groups(iface)
    mld = iface.mld
    if mld.next_due_us is not None and mld.next_due_us <= now_us:
        for dst, message in mld.take(now_us):
            sent = _send_report(iface, dst, message) or sent
    return sent


def conflict(iface: Interface, target: Ipv6Address, probe: bool, hw: bytes | None) -> bool:
    """Judge a solicitation from ``::`` (``probe``) or an advertisement for ``target``;
    return True when it was about one of our tentative addresses (then it is consumed)."""
    dad = iface.dad
    if target not in dad.tentative:
        if not probe and iface.context.has_ip_addr(target):
            dad.counters.conflicts_in_use += 1
        return False
    if probe:
        dad.solicited(target, True, iface._now)
    else:
        dad.advertised(target, hw, iface._now)
    iface.slaac.forget(target)
    return True


def _extend(fresh: list[IpCidr], addrs: list[IpCidr]) -> None:
    addrs.extend(fresh)


def _remove(gone: set[Ipv6Address], addrs: list[IpCidr]) -> None:
    addrs[:] = [c for c in addrs if c.address not in gone]


def _send_dad_ns(iface: Interface, target: Ipv6Address) -> bool:
    """Send a duplicate-detection solicitation for ``target`` (RFC 4862 5.4.2): from ``::``
    to its solicited-node group, with no source link-layer option (RFC 4861 4.3)."""
    ns = NdpRepr(Icmpv6Message.NEIGHBOR_SOLICIT, target)
    dst = Ipv6Address.solicited_node(target)
    out = Ipv6Repr(_UNSPECIFIED, dst, IpProtocol.ICMPV6, ns.buffer_len(), NDP_HOP_LIMIT)
    return iface._egress.send_ipv6(out, ns, dst.multicast_mac if iface._eth else None)


def _send_report(iface: Interface, dst: Ipv6Address, report: Mldv2ReportRepr | Icmpv6Repr) -> bool:
    """Send the MLD message ``report`` to ``dst`` with hop limit 1, from our link-local
    address, or from ``::`` while we have none usable (RFC 3810 5.2.13)."""
    src = _UNSPECIFIED
    hardware_addr = iface.hardware_addr
    if hardware_addr is not None:
        ll = Ipv6Address.link_local_from_ethernet(hardware_addr)
        if ll not in iface.context.unusable:
            src = ll
    # The report behind a Hop-by-Hop header with Router Alert (RFC 3810 5, RFC 2710 3); its
    # checksum covers the report alone, with the pseudo-header's upper-layer length.
    body = bytearray(_HBH_LEN + report.buffer_len())
    emit_options_header(body, IpProtocol.ICMPV6, _ROUTER_ALERT)
    cx = iface.context
    report.emit_buffer(memoryview(body)[_HBH_LEN:], src, dst, cx.checksum_caps, cx.csum)
    out = Ipv6Repr(src, dst, IpProtocol.HOPOPTS, len(body), _MLD_HOP_LIMIT)
    mac = dst.multicast_mac if iface._eth else None
    return iface._egress.send_ipv6(out, bytes(body), mac)
