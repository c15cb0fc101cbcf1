"""IPv6 duplicate address detection (RFC 4862 5.4): tentative addresses, probed by NS.

`DuplicateAddressDetector` is the sans-I/O state machine the interface keeps as ``dad``; the
interface sends what it asks for (see `smoltcp.stack.iface.ipv6_host`). An address under detection
is *tentative* (RFC 4862 5.4): it is not one of the interface's addresses, it is never a source, and
solicitations for it are not answered; only its solicited-node group is listened to, so that another
host's probe for it is heard (5.4.2). The detector sends DupAddrDetectTransmits neighbour
solicitations (source ``::``, to the solicited-node group, no link-layer option, a Nonce option)
RetransTimer apart, the first at the next poll; RetransTimer after the last one the address is
*ready* (an `AcdEventKind.READY` event) and the interface adds it. During that time (RFC 4862 5.4.3,
5.4.4) an advertisement for the address, or another host's solicitation for it from ``::``, means
somebody else holds or wants it: the address is *duplicated* (an `AcdEventKind.TAKEN` event,
``counters.duplicates``) and never used.

A solicitation of our own that comes back (a looped-back or hairpinned link) is not another
host's (RFC 4862 5.4.3). Each solicitation carries a random nonce (RFC 7527, the Nonce option
of RFC 3971 5.3.2); one received with a nonce we sent for that address is our own and is
ignored (``counters.looped_back``). One without a nonce from our own link-layer address is
judged as RFC 4862 Appendix A does: a duplicate only when more of them arrive than we sent. That
misses a host without nonces that has our MAC and probes at the same moment; its advertisement,
once it holds the address, is still heard.

The events have the same shape as IPv4 conflict detection's (`AcdEvent`), so an application
watching both reads one kind of record.

The first solicitation for an address goes after a random delay in [0,
MAX_RTR_SOLICITATION_DELAY] (RFC 4862 5.4.2: hosts that start together, after a power failure
say, do not all probe at once), drawn from a `random.Random` seeded from ``Config.random_seed``
and the hardware address, so runs repeat exactly. The interface reports the address's
solicited-node group (when it reports them, see `MldListener`) at the same moment, before the
solicitation (5.4.2: the join comes first). ``DadConfig.max_rtr_solicitation_delay = 0`` probes
at the next poll instead.

When the duplicated address is the link-local one formed from the MAC (RFC 4862 5.4.5) the
interface disables IPv6 (see `Ipv6Host`; ``DadConfig.disable_ipv6_on_duplicate_link_local``
False keeps only that address out of use); a duplicate of any other address only keeps that
address out of use.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Container
from dataclasses import dataclass, field

from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import Ipv6Address, Ipv6Cidr

from .acd import AcdEvent, AcdEventKind
from .deadlines import Deadlines

__all__ = ["MAX_DUPLICATED", "NONCE_LEN", "DadConfig", "DadCounters", "DuplicateAddressDetector"]

#: Duplicated addresses remembered at most (the oldest is forgotten first): a peer answering
#: every probe for ever new prefixes cannot grow the table.
MAX_DUPLICATED = 64
#: Octets of the nonce in each solicitation (RFC 7527 4.2: 6, one 8-octet option).
NONCE_LEN = 6


@dataclass
class DadConfig:
    """The parameters of duplicate address detection (`Config.dad`).

    Defaults: RFC 4862 5.1 and RFC 4861 10. Which addresses are probed by default: the ones
    stateless autoconfiguration forms (RFC 4862 5.4: every address, but a host that is told
    to autoconfigure is the one meeting unknown neighbours) and, on a host doing SLAAC, its
    link-local address; static addresses only when asked (``static``, or
    ``Interface.add_ip_addr(..., probe=True)``). A static address is usable at once, as the
    examples and most tests need; the link-local address of a host that does not autoconfigure
    comes from a MAC that is unique on its link. ``transmits=0`` turns detection off for all.
    ValueError or TypeError names a bad field.
    """

    transmits: int = 1
    """DupAddrDetectTransmits: solicitations sent for a tentative address (0: no detection)."""
    retrans_timer: Duration = field(default_factory=lambda: Duration.from_secs(1))
    """RetransTimer: the time between two solicitations, and after the last one."""
    static: bool = False
    """Whether `Interface.add_ip_addr` probes an IPv6 address when its caller does not say.
    `Interface.update_ip_addrs` never probes."""
    link_local: bool | None = None
    """Whether the link-local address formed from the MAC is probed when the interface is
    built (None: when ``Config.slaac`` is on)."""
    max_events: int = 64
    """Most events kept for the application (the oldest are dropped first, counted)."""
    max_rtr_solicitation_delay: Duration = field(default_factory=lambda: Duration.from_secs(1))
    """MAX_RTR_SOLICITATION_DELAY (RFC 4861 10): the first solicitation for an address (and
    the report joining its solicited-node group) waits a random time up to this (RFC 4862
    5.4.2). Zero probes at the next poll (tests, or a host alone on its link)."""

    disable_ipv6_on_duplicate_link_local: bool = True
    """Whether the link-local address formed from the MAC, found duplicated, disables IPv6
    on the interface (RFC 4862 5.4.5: the hardware address is most likely duplicated too).
    An on-link attacker can forge the trigger (one advertisement during detection, or a
    probe for the address) to cut the host off IPv6; False keeps only that address out of
    use, as Linux does with accept_dad=1."""

    def __post_init__(self) -> None:
        for name in ("transmits", "max_events"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be a non-negative int, not {value!r}")
        if self.transmits > 255:
            raise ValueError(f"transmits must be at most 255, not {self.transmits}")
        if not isinstance(self.retrans_timer, Duration):
            raise TypeError("retrans_timer must be a Duration")
        if self.retrans_timer.micros <= 0:
            raise ValueError(f"retrans_timer must be positive, not {self.retrans_timer}")
        delay = self.max_rtr_solicitation_delay
        if not isinstance(delay, Duration):
            raise TypeError("max_rtr_solicitation_delay must be a Duration")
        if delay.micros < 0:
            raise ValueError(f"max_rtr_solicitation_delay must not be negative, not {delay}")
        for name in ("static", "disable_ipv6_on_duplicate_link_local"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name} must be a bool")
        if self.link_local is not None and not isinstance(self.link_local, bool):
            raise TypeError("link_local must be a bool or None")


class DadCounters:
    """What duplicate address detection did."""

    __slots__ = (
        "conflicts_in_use",
        "duplicates",
        "events_dropped",
        "ipv6_disabled",
        "looped_back",
        "probes_sent",
        "ready",
    )

    def __init__(self) -> None:
        self.probes_sent = 0
        """Neighbour solicitations sent from ``::`` for a tentative address."""
        self.ready = 0
        """Addresses that passed detection."""
        self.duplicates = 0
        """Tentative addresses found duplicated (an advertisement, or another host's probe)."""
        self.conflicts_in_use = 0
        """Advertisements from another host for an address in use: a duplicate detection
        missed (RFC 4862 5.4.4: logged, nothing else)."""
        self.events_dropped = 0
        """Events discarded because the application did not read them (bounded)."""
        self.looped_back = 0
        """Solicitations of our own received back (a nonce we sent, RFC 7527; or, without a
        nonce, no more from our link-layer address than we sent, RFC 4862 Appendix A):
        ignored."""
        self.ipv6_disabled = 0
        """Times IPv6 was disabled on the interface because the link-local address formed
        from the MAC was found duplicated (RFC 4862 5.4.5)."""

    def as_dict(self) -> dict[str, int]:
        """Return every counter by name."""
        return {name: getattr(self, name) for name in self.__slots__}

    def __repr__(self) -> str:
        return f"DadCounters({self.as_dict()})"


class _Tentative:
    __slots__ = ("cidr", "echoes", "joined_us", "kept", "nonces", "sent", "timer")

    def __init__(self, cidr: Ipv6Cidr, timer: int, kept: bool) -> None:
        self.cidr = cidr
        # The solicited-node group was joined (and reported) already: it stays joined while
        # the address is probed again, and only a new join waits for the delay.
        self.kept = kept
        self.sent = 0
        # The nonces of the solicitations sent (at most DupAddrDetectTransmits, RFC 7527 4.1).
        self.nonces: list[bytes] = []
        # Solicitations without a nonce from our own link-layer address (RFC 4862 App. A).
        self.echoes = 0
        # When the next solicitation (or the verdict, after the last) is due, micros.
        self.timer = timer
        # When the random delay ends: the solicited-node group is joined then (RFC 4862 5.4.2).
        self.joined_us = timer


Send = Callable[[Ipv6Address, bytes], bool]
"""``send(target, nonce)``: send a duplicate-detection solicitation for ``target`` carrying
the Nonce option ``nonce``."""


class DuplicateAddressDetector:
    """Duplicate address detection for a set of tentative IPv6 addresses.

    The interface calls `start` for an address to probe, `solicited` and `advertised` for
    every neighbour solicitation and advertisement about a tentative address, `poll` no later
    than `poll_at`, and `forget` when the address is removed. The application reads
    `events`, `counters`, `tentative` and `duplicated`. ``rand`` draws the delays before the
    first solicitations and their nonces (seeded by the caller; default: seed 0).
    """

    def __init__(self, config: DadConfig | None = None, rand: random.Random | None = None) -> None:
        if config is None:
            config = DadConfig()
        if not isinstance(config, DadConfig):
            raise TypeError("config must be a DadConfig")
        if rand is not None and not isinstance(rand, random.Random):
            raise TypeError("rand must be a random.Random or None")
        self.config = config
        self._rand = rand if rand is not None else random.Random(0)
        self.tentative: dict[Ipv6Address, _Tentative] = {}
        """Addresses under detection (read-only for the application)."""
        self.duplicated: dict[Ipv6Address, Instant] = {}
        """Addresses found duplicated, with when (read-only; an address probed again leaves)."""
        self.passed: dict[Ipv6Address, Ipv6Cidr] = {}
        """Addresses that passed detection and were not forgotten since (probed again when
        the link comes back up)."""
        self._due = -1
        self.deadlines = Deadlines()
        """Raised whenever the earliest timer moves (the interface gives its own)."""
        self._events: deque[AcdEvent] = deque()
        self.counters = DadCounters()
        self.on_change: Callable[[frozenset[Ipv6Address]], None] | None = None
        """Called with `unusable` whenever it changes (the interface tells its context)."""
        self.on_duplicate: Callable[[Ipv6Address, Instant], None] | None = None
        """Called with an address found duplicated and when (the interface disables IPv6
        when it is the link-local address formed from the MAC)."""

    @property
    def unusable(self) -> frozenset[Ipv6Address]:
        """The addresses that are tentative or were found duplicated."""
        return frozenset(self.tentative) | frozenset(self.duplicated)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self.unusable)

    @property
    def enabled(self) -> bool:
        """Whether detection runs at all (``DadConfig.transmits`` above 0)."""
        return self.config.transmits > 0

    def start(
        self, cidr: Ipv6Cidr, now: Instant, *, delay: bool = False, keep_group: bool = False
    ) -> None:
        """Make ``cidr``'s address tentative; the first solicitation is due at ``now``, or
        with ``delay`` at ``now`` plus a random delay in [0, ``max_rtr_solicitation_delay``]:
        RFC 4862 5.4.2 asks it for the first solicitation after the interface is
        (re)initialised and for addresses from a multicast router advertisement, not for an
        address the application adds. ``keep_group``: the address's solicited-node group
        was joined already and stays joined meanwhile (`joined`), so re-probing an address
        in use sends no MLD leave.

        Raises TypeError for a non-`Ipv6Cidr`, ValueError for an address that is not unicast.
        """
        if not isinstance(cidr, Ipv6Cidr):
            raise TypeError(f"cidr must be an Ipv6Cidr, not {type(cidr).__name__}")
        addr = cidr.address
        if addr.is_unspecified or addr.is_multicast or addr.is_loopback:
            raise ValueError(f"cidr must hold a unicast IPv6 address, not {cidr}")
        at = now.micros
        limit = self.config.max_rtr_solicitation_delay.micros
        if delay and limit > 0:
            at += self._rand.randint(0, limit)
        self.tentative[addr] = _Tentative(cidr, at, keep_group)
        self.duplicated.pop(addr, None)
        self.passed.pop(addr, None)
        if self._due < 0 or at < self._due:
            self._set_due(at)
        self._changed()

    def joined(self, now_us: int) -> tuple[Ipv6Address, ...]:
        """Return the tentative addresses whose solicited-node groups are joined at
        ``now_us``: those whose random delay has ended (the group is joined, and reported,
        from then on, RFC 4862 5.4.2) and those re-probed with their group kept."""
        return tuple(a for a, r in self.tentative.items() if r.kept or r.joined_us <= now_us)

    def delayed_joins(self, now_us: int) -> dict[Ipv6Address, int]:
        """Return the tentative addresses whose random delay has not ended at ``now_us``,
        with when it ends (microseconds): a report for their groups is due then."""
        return {a: r.joined_us for a, r in self.tentative.items() if r.joined_us > now_us}

    def restart(self, now: Instant) -> None:
        """Start detection over for every tentative address (after IPv6 was disabled), after
        a random delay; the groups joined already stay joined."""
        now_us = now.micros
        for r in list(self.tentative.values()):
            kept = r.kept or r.joined_us <= now_us
            self.start(r.cidr, now, delay=True, keep_group=kept)

    def retain(self, keep: Container[object]) -> None:
        """Forget that the addresses not in ``keep`` passed detection (they were removed:
        `passed` lists what `Interface.link_up` probes again)."""
        for addr in [a for a in self.passed if a not in keep]:
            del self.passed[addr]

    def forget(self, addr: Ipv6Address) -> None:
        """Stop probing ``addr`` and forget that it was duplicated."""
        self.tentative.pop(addr, None)
        self.duplicated.pop(addr, None)
        self.passed.pop(addr, None)
        self._set_due(self._earliest())
        self._changed()

    def solicited(
        self,
        target: Ipv6Address,
        unspecified_source: bool,
        now: Instant,
        nonce: bytes | None = None,
        own_link_layer: bool = False,
    ) -> bool:
        """Judge a solicitation for ``target``; return True when it is tentative (then the
        solicitation must not be answered, RFC 4862 5.4.3). From ``::`` it is another host
        probing the same address, and ours is duplicated, unless it is our own come back:
        ``nonce`` (its Nonce option, or None) is one we sent for ``target`` (RFC 7527 4.2),
        or it has no nonce, came from our own link-layer address (``own_link_layer``) and
        no more such arrived than we sent (RFC 4862 Appendix A)."""
        r = self.tentative.get(target)
        if r is None:
            return False
        if not unspecified_source:
            return True
        if nonce is not None and nonce in r.nonces:
            self.counters.looped_back += 1
            return True
        if nonce is None and own_link_layer:
            r.echoes += 1
            if r.echoes <= r.sent:
                self.counters.looped_back += 1
                return True
        self._duplicate(target, now, None)
        return True

    def advertised(
        self, target: Ipv6Address, hw: bytes | None, now: Instant, in_use: bool = False
    ) -> bool:
        """Judge an advertisement for ``target`` from another host; return True when it was
        tentative (now duplicated, RFC 4862 5.4.4). ``in_use``: ``target`` is one of the
        interface's addresses (the advertisement is only counted: detection missed it)."""
        if target in self.tentative:
            self._duplicate(target, now, hw)
            return True
        if in_use:
            self.counters.conflicts_in_use += 1
        return False

    def _duplicate(self, addr: Ipv6Address, now: Instant, hw: bytes | None) -> None:
        del self.tentative[addr]
        if len(self.duplicated) >= MAX_DUPLICATED:
            del self.duplicated[next(iter(self.duplicated))]
        self.duplicated[addr] = now
        self.counters.duplicates += 1
        self._event(AcdEventKind.TAKEN, addr, now, hw)
        self._set_due(self._earliest())
        self._changed()
        if self.on_duplicate is not None:
            self.on_duplicate(addr, now)

    def poll(self, now: Instant, send: Send) -> list[Ipv6Cidr]:
        """Send the solicitations due through ``send``; return the cidrs now ready.

        A solicitation the device had no room for is sent at the next poll.
        """
        now_us = now.micros
        cfg = self.config
        ready = []
        for addr, r in list(self.tentative.items()):
            if r.timer > now_us:
                continue
            if r.sent >= cfg.transmits:
                # RetransTimer after the last solicitation, nobody objected (RFC 4862 5.4).
                del self.tentative[addr]
                self.passed[addr] = r.cidr
                self.counters.ready += 1
                self._event(AcdEventKind.READY, addr, now, None)
                ready.append(r.cidr)
                continue
            nonce = self._rand.randbytes(NONCE_LEN)
            if not send(addr, nonce):
                continue
            r.nonces.append(nonce)
            r.sent += 1
            self.counters.probes_sent += 1
            r.timer = now_us + cfg.retrans_timer.micros
        self._set_due(self._earliest())
        if ready:
            self._changed()
        return ready

    def _earliest(self) -> int:
        return min((r.timer for r in self.tentative.values()), default=-1)

    def _set_due(self, at_us: int) -> None:
        self._due = at_us
        self.deadlines.moved = True

    def due_us(self) -> int:
        """Return when `poll` next has something to do (microseconds), or -1."""
        return self._due

    def poll_at(self) -> Instant | None:
        """Return when `poll` next has something to do, or None."""
        return None if self._due < 0 else Instant(self._due)

    def _event(self, kind: AcdEventKind, addr: Ipv6Address, now: Instant, hw: bytes | None) -> None:
        events = self._events
        limit = self.config.max_events
        if len(events) >= limit:
            self.counters.events_dropped += 1
            if not limit:
                return
            events.popleft()
        events.append(AcdEvent(kind, addr, now, None if hw is None else bytes(hw)))

    def events(self) -> list[AcdEvent]:
        """Return (and forget) the events since the last call, oldest first (bounded: the
        oldest are dropped first, counted in ``counters.events_dropped``)."""
        out = list(self._events)
        self._events.clear()
        return out
