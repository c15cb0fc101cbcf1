"""Stateless address autoconfiguration (RFC 4862) from router advertisements, opt-in.

`apply_router_advert` takes a valid advertisement (the caller checked hop limit 255 and a
link-local source, RFC 4861 6.1.2): each prefix with the A flag and a 64-bit prefix gives an
address of the prefix and the interface's modified EUI-64 identifier (RFC 4862 5.5.3, RFC 4291
2.5.1), and a non-zero router lifetime makes the router the default IPv6 route until the
lifetime ends (RFC 4861 6.3.4).

Each address so formed has the prefix's lifetimes (`SlaacAddresses`, the interface's
``slaac``): it is *preferred* until the preferred lifetime ends, then *deprecated* (RFC 4862
5.5.4: still received on and used by the connections that have it, never chosen as the source
of new ones), and removed when the valid lifetime ends. A later advertisement of the prefix
renews the lifetimes, with the "two-hour rule" of RFC 4862 5.5.3 (e): an unauthenticated
advertisement may shorten a valid lifetime to no less than two hours, so one forged packet
cannot take an address away. A lifetime of 0xffffffff never ends. A new address first goes
through duplicate address detection (``Interface.dad``, unless ``DadConfig.transmits`` is 0).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING

from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import EthernetAddress, IpCidr, Ipv6Address, Ipv6Cidr, modified_eui64
from smoltcp.wire.ndp import NdpRepr

from .deadlines import Deadlines

if TYPE_CHECKING:
    from .interface import Interface

__all__ = ["MAX_ADDRESSES", "SlaacAddresses", "apply_router_advert"]

#: Addresses SLAAC forms at most (tentative ones included): advertisements naming more
#: prefixes form no more (counted ``slaac-table-full``), so a forged flood of prefixes cannot
#: grow the interface's address list.
MAX_ADDRESSES = 16

# An interface identifier of 64 bits leaves 64 for the prefix (RFC 4291 2.5.1, RFC 4862 5.5.3).
_IID_BITS = 64
_IID_OCTETS = _IID_BITS // 8
_ADDR_OCTETS = 16
#: A lifetime that never ends (RFC 4861 4.6.2).
INFINITE = 0xFFFFFFFF
#: RFC 4862 5.5.3 (e): the least valid lifetime an advertisement may leave, seconds.
TWO_HOURS = 7200
_SEC = 1_000_000
_NEVER = -1


def _until(now_us: int, lifetime: int) -> int:
    return _NEVER if lifetime == INFINITE else now_us + lifetime * _SEC


class SlaacAddresses:
    """The addresses stateless autoconfiguration formed, with their lifetimes.

    Times are integer microseconds; -1 means never. `poll` says which addresses became
    deprecated or invalid; ``next_due_us`` is when it next has something to say (-1: never).
    """

    __slots__ = ("_entries", "deadlines", "deprecated", "next_due_us")

    def __init__(self) -> None:
        # address -> [cidr, preferred until, valid until]
        self._entries: dict[Ipv6Address, tuple[Ipv6Cidr, int, int]] = {}
        self.deprecated: frozenset[Ipv6Address] = frozenset()
        """The formed addresses whose preferred lifetime has ended (read-only)."""
        self.next_due_us = _NEVER
        self.deadlines = Deadlines()
        """Raised whenever ``next_due_us`` moves (the interface gives its own)."""

    def __contains__(self, addr: object) -> bool:
        return addr in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def lifetimes(self, addr: Ipv6Address) -> tuple[int, int] | None:
        """Return ``(preferred until, valid until)`` of ``addr`` in microseconds (-1: never),
        or None when SLAAC did not form it."""
        e = self._entries.get(addr)
        return None if e is None else (e[1], e[2])

    def set(self, cidr: Ipv6Cidr, preferred_until: int, valid_until: int) -> None:
        """Record (or renew) ``cidr`` with its lifetimes' ends."""
        self._entries[cidr.address] = (cidr, preferred_until, valid_until)
        self._update()

    def forget(self, addr: Ipv6Address) -> None:
        """Stop tracking ``addr``."""
        if self._entries.pop(addr, None) is not None:
            self._update()

    def deprecate(self, addrs: Iterable[Ipv6Address], now_us: int) -> None:
        """End the preferred lifetime of ``addrs`` at ``now_us`` (their interface identifier
        no longer matches the hardware address: RFC 4862 5.5.4, never chosen as the source
        of something new); the valid lifetime stays."""
        for addr in addrs:
            e = self._entries.get(addr)
            if e is not None:
                self._entries[addr] = (e[0], now_us, e[2])
        self._update(now_us)

    def poll(self, now_us: int) -> list[Ipv6Cidr]:
        """Update `deprecated` at ``now_us``; return (and forget) the addresses now invalid."""
        gone = []
        for addr, (cidr, _, valid) in list(self._entries.items()):
            if valid != _NEVER and valid <= now_us:
                del self._entries[addr]
                gone.append(cidr)
        self._update(now_us)
        return gone

    def _update(self, now_us: int | None = None) -> None:
        if now_us is not None:
            self.deprecated = frozenset(
                a for a, (_, pref, _v) in self._entries.items() if pref != _NEVER and pref <= now_us
            )
        dues = [
            t
            for a, (_, pref, valid) in self._entries.items()
            for t in (pref if a not in self.deprecated else _NEVER, valid)
            if t != _NEVER
        ]
        self.next_due_us = min(dues) if dues else _NEVER
        self.deadlines.moved = True


def apply_router_advert(
    iface: Interface,
    router: Ipv6Address,
    ra: NdpRepr,
    mac: EthernetAddress,
    now: Instant,
    *,
    multicast: bool = True,
) -> int:
    """Configure addresses and the default route from ``ra``; return how many changed.

    ``iface`` is the `Interface` (its ``slaac``, ``dad``, addresses and routes). ``multicast``:
    ``ra`` was sent to a multicast group, so every host heard it at once and the first probe
    of each address formed waits a random delay (RFC 4862 5.4.2).
    """
    changed = 0
    now_us = now.micros
    table: SlaacAddresses = iface.slaac
    duplicated = iface.dad.duplicated
    for addr in duplicated:
        table.forget(addr)  # RFC 4862 5.4.5: never used, and no slot taken
    for p in ra.prefixes:
        if not p.autonomous or p.prefix_len != _ADDR_OCTETS * 8 - _IID_BITS:
            continue  # RFC 4862 5.5.3 (a), (d): not for autoconfiguration
        if p.prefix.is_link_local or p.preferred_lifetime > p.valid_lifetime:
            continue  # RFC 4862 5.5.3 (b), (c)
        if p.prefix.is_multicast:
            continue  # it would form no unicast address (RFC 4291 2.7); Linux ignores it too
        head = p.prefix.packed[: _ADDR_OCTETS - _IID_OCTETS]
        addr = Ipv6Address(head + modified_eui64(mac))
        cidr = Ipv6Cidr(addr, p.prefix_len)
        if addr in duplicated or addr.is_ipv4_mapped or addr.is_loopback:
            # (::/64 with some hardware addresses forms one: never an interface's.)
            continue
        preferred = _until(now_us, p.preferred_lifetime)
        old = table.lifetimes(addr)
        if old is not None:
            table.set(cidr, preferred, _renewed_valid(old[1], p.valid_lifetime, now_us))
            if not iface.context.has_ip_addr(addr) and addr not in iface.dad.tentative:
                # The application removed it meanwhile: the advertisement gives it back.
                iface.update_ip_addrs(functools.partial(_add, cidr))
            changed += 1
        elif p.valid_lifetime and not iface.context.has_ip_addr(addr):
            # RFC 4862 5.5.3 (d): a new prefix with a non-zero valid lifetime forms an address
            # (not one the interface has already from its configuration).
            if addr in iface.dad.tentative:
                continue
            if len(table) >= MAX_ADDRESSES:
                iface.counters.dropped["slaac-table-full"] += 1
                continue
            table.set(cidr, preferred, _until(now_us, p.valid_lifetime))
            if iface.dad.enabled:
                iface.dad.start(cidr, now, delay=multicast)
            else:
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


def _renewed_valid(valid_until: int, received: int, now_us: int) -> int:
    """The valid lifetime's new end under RFC 4862 5.5.3 (e)."""
    if received == INFINITE:
        return _NEVER
    new_until = now_us + received * _SEC
    remaining = None if valid_until == _NEVER else valid_until - now_us
    # 1. More than two hours, or longer than what remains: take it.
    if received > TWO_HOURS or (remaining is not None and new_until > valid_until):
        return new_until
    # 2. Two hours or less remain: an advertisement cannot shorten it.
    if remaining is not None and remaining <= TWO_HOURS * _SEC:
        return valid_until
    # 3. Otherwise two hours.
    return now_us + TWO_HOURS * _SEC
