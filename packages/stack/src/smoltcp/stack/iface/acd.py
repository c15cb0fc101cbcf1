"""IPv4 address conflict detection (RFC 5227): probe, announce, defend.

`AddressConflictDetector` is the sans-I/O state machine; `Interface` drives it (its public
`add_ip_addr` and `link_up`, and the sending of ARP probes and announcements, `acd_probe_arp`).
The detector decides what to send and when; the interface sends.

An address goes through these states (RFC 5227 2.1 to 2.4):

- ``PROBING``: *tentative*. It is not one of the interface's addresses yet: not used as a
  source, not answered for (RFC 5227 2.1.1). After a random delay in [0, PROBE_WAIT], PROBE_NUM
  ARP probes (sender protocol address 0.0.0.0) go out PROBE_MIN to PROBE_MAX apart (random).
  Any ARP packet from another host whose sender is the address, or another host's probe for it,
  is a conflict: the address is *taken* (an event; a DHCP client declines it). Nobody objecting
  for ANNOUNCE_WAIT after the last probe, the address is *ready*: the interface adds it.
- ``ANNOUNCING``: in use; ANNOUNCE_NUM announcements (ARP requests whose sender and target
  protocol addresses are both the address) ANNOUNCE_INTERVAL apart, then ``BOUND``.
- ``BOUND``: in use, defended (RFC 5227 2.4): an ARP packet from another host that claims it
  is a conflict. With the default `DefendPolicy.DEFEND_ONCE` the first one is answered with
  one announcement; another within DEFEND_INTERVAL means the address is *lost* (an event; the
  interface stops using it unless `AcdConfig.remove_lost` is False).

Every interval comes from `AcdConfig` (defaults: RFC 5227 1.1); the random delays from a seeded
`random.Random`; time is explicit (integer microseconds inside). After MAX_CONFLICTS conflicts
a new probe starts at most once per RATE_LIMIT_INTERVAL (RFC 5227 2.1.1).
"""

from __future__ import annotations

import enum
import random
from collections import deque
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from typing import NamedTuple

from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import IpAddress, IpCidr, Ipv4Address

from .deadlines import Deadlines

__all__ = [
    "AcdConfig",
    "AcdCounters",
    "AcdEvent",
    "AcdEventKind",
    "AcdState",
    "AddressConflictDetector",
    "DefendPolicy",
]


class DefendPolicy(enum.Enum):
    """What a host does when another host claims an address in use (RFC 5227 2.4)."""

    RETREAT = "retreat"
    """(a): stop using the address at the first conflict."""
    DEFEND_ONCE = "defend-once"
    """(b): answer one conflict per DEFEND_INTERVAL with an announcement; a second within
    the interval loses the address."""
    DEFEND_ALWAYS = "defend-always"
    """(c): keep the address whatever happens, announcing at most once per DEFEND_INTERVAL
    (for a host that must keep a static address, such as a router)."""


@dataclass
class AcdConfig:
    """The parameters of address conflict detection (`Config.acd`); defaults: RFC 5227 1.1.

    ValueError or TypeError names a bad field.
    """

    probe_static: bool = False
    """Whether `Interface.add_ip_addr` probes an address before using it when its caller
    does not say (``probe=None``). Probing delays the address by about 7 s (at most 9 s)."""
    defend: DefendPolicy = DefendPolicy.DEFEND_ONCE
    """What to do when another host claims an address in use."""
    remove_lost: bool = True
    """Whether the interface removes an address it lost (RFC 5227 2.4 (b): the host "MUST
    immediately cease using this address"); False leaves that to the application."""
    probe_wait: Duration = field(default_factory=lambda: Duration.from_secs(1))
    """PROBE_WAIT: the first probe goes a random time in [0, this] after the start."""
    probe_num: int = 3
    """PROBE_NUM: how many probes."""
    probe_min: Duration = field(default_factory=lambda: Duration.from_secs(1))
    """PROBE_MIN: the least time between two probes."""
    probe_max: Duration = field(default_factory=lambda: Duration.from_secs(2))
    """PROBE_MAX: the most time between two probes."""
    announce_wait: Duration = field(default_factory=lambda: Duration.from_secs(2))
    """ANNOUNCE_WAIT: how long after the last probe nobody must object."""
    announce_num: int = 2
    """ANNOUNCE_NUM: how many announcements."""
    announce_interval: Duration = field(default_factory=lambda: Duration.from_secs(2))
    """ANNOUNCE_INTERVAL: the time between two announcements."""
    defend_interval: Duration = field(default_factory=lambda: Duration.from_secs(10))
    """DEFEND_INTERVAL: at most one defending announcement per this."""
    max_conflicts: int = 10
    """MAX_CONFLICTS: conflicts after which probing is rate limited."""
    rate_limit_interval: Duration = field(default_factory=lambda: Duration.from_secs(60))
    """RATE_LIMIT_INTERVAL: at most one probing start per this after MAX_CONFLICTS."""
    max_events: int = 64
    """Most events kept for the application (the oldest are dropped first, counted)."""

    def __post_init__(self) -> None:
        if not isinstance(self.defend, DefendPolicy):
            raise TypeError("defend must be a DefendPolicy")
        for name in ("probe_num", "announce_num", "max_conflicts", "max_events"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be a non-negative int, not {value!r}")
        for name in (
            "probe_wait",
            "probe_min",
            "probe_max",
            "announce_wait",
            "announce_interval",
            "defend_interval",
            "rate_limit_interval",
        ):
            value = getattr(self, name)
            if not isinstance(value, Duration):
                raise TypeError(f"{name} must be a Duration")
            if value.micros < 0:
                raise ValueError(f"{name} must not be negative, not {value}")
        if self.probe_min.micros > self.probe_max.micros:
            raise ValueError("probe_min must not exceed probe_max")


class AcdState(enum.Enum):
    """Where an address is in conflict detection (a taken or lost address is forgotten)."""

    PROBING = "PROBING"
    ANNOUNCING = "ANNOUNCING"
    BOUND = "BOUND"

    def __str__(self) -> str:
        return self.value


class AcdEventKind(enum.Enum):
    """What happened to one of our addresses that the application may want to know."""

    READY = "ready"
    """Probing found nobody: the address is now in use."""
    TAKEN = "taken"
    """Another host holds the address being probed: it is not used (a DHCP client declines
    it with DHCPDECLINE, RFC 2131 3.1)."""
    DEFENDED = "defended"
    """Another host claimed an address in use; one announcement defended it."""
    LOST = "lost"
    """Another host claimed an address in use again within DEFEND_INTERVAL (or at all, with
    `DefendPolicy.RETREAT`): the address is lost."""


class AcdEvent(NamedTuple):
    """One event: its kind, our address, when, and the other host's hardware address."""

    kind: AcdEventKind
    addr: IpAddress
    at: Instant
    hardware_addr: bytes | None


class AcdCounters:
    """What conflict detection did."""

    __slots__ = (
        "announcements_sent",
        "conflicts",
        "defended",
        "events_dropped",
        "lost",
        "probes_sent",
        "ready",
        "taken",
    )

    def __init__(self) -> None:
        self.probes_sent = 0
        """ARP probes (sender 0.0.0.0) sent."""
        self.announcements_sent = 0
        """ARP announcements sent (after probing, on `link_up`, and in defence)."""
        self.conflicts = 0
        """ARP packets from another host that claimed one of our addresses (in use or
        tentative)."""
        self.ready = 0
        """Addresses that passed probing."""
        self.taken = 0
        """Addresses found taken while probing."""
        self.defended = 0
        """Conflicts answered with a defending announcement."""
        self.lost = 0
        """Addresses lost to another host."""
        self.events_dropped = 0
        """Events discarded because the application did not read them (bounded)."""

    def as_dict(self) -> dict[str, int]:
        """Return every counter by name."""
        return {name: getattr(self, name) for name in self.__slots__}

    def __repr__(self) -> str:
        return f"AcdCounters({self.as_dict()})"


class _Record:
    __slots__ = ("cidr", "probed", "sent", "state", "timer")

    def __init__(self, cidr: IpCidr, state: AcdState, timer: int | None, probed: bool) -> None:
        self.cidr = cidr
        self.state = state
        # When the next probe or announcement is due (micros), or None.
        self.timer = timer
        self.sent = 0
        # Whether the address was probed before use (probed again on `link_up`).
        self.probed = probed


Send = Callable[[Ipv4Address, bool], bool]
"""``send(addr, probe)``: send an ARP probe (True) or announcement (False) for ``addr``."""

_ZERO = Ipv4Address("0.0.0.0")


class AddressConflictDetector:
    """Conflict detection for a set of IPv4 addresses (see the module's docstring).

    The interface calls `probe` or `announce` when it adds an address, `observe` for every
    ARP packet that names one of its addresses (in use or tentative), `poll` no later than
    `poll_at`, and `forget` when it removes one. The application reads `events`,
    `counters`, `state` and `tentative`.
    """

    def __init__(self, config: AcdConfig | None = None, rand: random.Random | None = None) -> None:
        if config is None:
            config = AcdConfig()
        if not isinstance(config, AcdConfig):
            raise TypeError("config must be an AcdConfig")
        if rand is not None and not isinstance(rand, random.Random):
            raise TypeError("rand must be a random.Random (seeded from the configuration)")
        self.config = config
        self._rand = rand if rand is not None else random.Random(0)
        self._records: dict[IpAddress, _Record] = {}
        # When each address in use was last defended (micros); kept for our addresses only.
        self._defended: dict[IpAddress, int] = {}
        # Addresses being probed (the interface's per-ARP-packet check).
        self.tentative: dict[IpAddress, _Record] = {}
        # The earliest timer (micros), or -1: the interface's per-poll check.
        self._due = -1
        self.deadlines = Deadlines()
        """Raised whenever the earliest timer moves (the interface gives its own)."""
        self._last_probe_start: int | None = None
        self._events: deque[AcdEvent] = deque()
        self.counters = AcdCounters()

    # -- starting -----------------------------------------------------------------------------

    def probe(self, cidr: IpCidr, now: Instant) -> None:
        """Start probing ``cidr``'s address: it is tentative until `poll` reports it ready.

        Raises ValueError for an address that is not IPv4 unicast.
        """
        addr = self.check_cidr(cidr)
        now_us = now.micros
        cfg = self.config
        start = now_us
        if self.counters.conflicts >= cfg.max_conflicts and self._last_probe_start is not None:
            # RFC 5227 2.1.1: after MAX_CONFLICTS, no more than one attempt per
            # RATE_LIMIT_INTERVAL.
            start = max(start, self._last_probe_start + cfg.rate_limit_interval.micros)
        self._last_probe_start = start
        # RFC 5227 2.1.1: wait a random time in [0, PROBE_WAIT] so hosts switched on together
        # do not probe in step.
        first = start + int(self._rand.uniform(0, cfg.probe_wait.micros))
        r = _Record(cidr, AcdState.PROBING, first, True)
        self._records[addr] = r
        self.tentative[addr] = r
        self._defended.pop(addr, None)
        self._wake(first)

    def announce(self, cidr: IpCidr, now: Instant) -> None:
        """Announce ``cidr``'s address, in use now (RFC 5227 2.3), then defend it."""
        addr = self.check_cidr(cidr)
        old = self._records.get(addr)
        r = _Record(cidr, AcdState.ANNOUNCING, now.micros, old.probed if old else False)
        self._records[addr] = r
        self.tentative.pop(addr, None)
        self._wake(now.micros)

    def forget(self, addr: IpAddress) -> None:
        """Stop watching ``addr`` (the interface no longer has it)."""
        self._records.pop(addr, None)
        self.tentative.pop(addr, None)
        self._defended.pop(addr, None)
        self._set_due(self._earliest())

    def retain(self, keep: Container[IpAddress]) -> None:
        """Forget every address in use that is not in ``keep`` (tentative ones stay)."""
        for addr, r in list(self._records.items()):
            if r.state is not AcdState.PROBING and addr not in keep:
                self.forget(addr)
        for addr in list(self._defended):
            if addr not in keep:
                del self._defended[addr]

    def records(self) -> list[tuple[IpCidr, AcdState, bool]]:
        """Return ``(cidr, state, probed)`` of every address watched, oldest first."""
        return [(r.cidr, r.state, r.probed) for r in self._records.values()]

    def state(self, addr: IpAddress) -> AcdState | None:
        """Return the state of ``addr``, or None if it is not watched."""
        r = self._records.get(addr)
        return None if r is None else r.state

    @staticmethod
    def check_cidr(cidr: IpCidr) -> IpAddress:
        """Return ``cidr``'s address; raise TypeError for a non-`IpCidr`, ValueError for an
        address that is not IPv4 unicast (nothing to probe or defend)."""
        if not isinstance(cidr, IpCidr):
            raise TypeError(f"cidr must be an IpCidr, not {type(cidr).__name__}")
        addr = cidr.address
        if type(addr) is not Ipv4Address or addr.is_unspecified or addr.is_broadcast:
            raise ValueError(f"cidr must hold an IPv4 unicast address, not {cidr}")
        if addr.is_multicast:
            raise ValueError(f"cidr must hold an IPv4 unicast address, not {cidr}")
        return addr

    def _wake(self, at_us: int) -> None:
        if self._due < 0 or at_us < self._due:
            self._set_due(at_us)

    def _set_due(self, at_us: int) -> None:
        self._due = at_us
        self.deadlines.moved = True

    # -- receiving ----------------------------------------------------------------------------

    def observe(
        self,
        sha: bytes,
        spa: IpAddress,
        tpa: IpAddress,
        own_hw: bytes,
        ours: Container[IpAddress],
        now: Instant,
    ) -> AcdEventKind | None:
        """Judge one received ARP packet; return what it did to one of our addresses, if
        anything (then the packet is about our address and must not be learned from).

        ``sha``, ``spa``, ``tpa``: its sender hardware, sender and target protocol addresses;
        ``own_hw``: our hardware address (a packet from it is our own, looped back);
        ``ours``: the addresses in use. Returns `AcdEventKind.TAKEN` (a tentative address is
        another host's: forget it), `AcdEventKind.DEFENDED` (an announcement is due now: call
        `poll`), `AcdEventKind.LOST` (stop using ``spa``) or None. A conflict the policy lets
        pass (`DefendPolicy.DEFEND_ALWAYS` within DEFEND_INTERVAL) returns None too.
        """
        if bytes(sha) == own_hw:
            return None
        now_us = now.micros
        tentative = self.tentative
        if tentative:
            # RFC 5227 2.1.1: while probing, any ARP packet whose sender is the address, and
            # any other host's probe for it (sender 0.0.0.0, target the address), is a conflict.
            addr = spa if spa in tentative else tpa if spa == _ZERO and tpa in tentative else None
            if addr is not None:
                self.counters.conflicts += 1
                self.counters.taken += 1
                self.forget(addr)
                self._event(AcdEventKind.TAKEN, addr, now, sha)
                return AcdEventKind.TAKEN
        if spa not in ours:
            return None
        # RFC 5227 2.4: another host claims an address in use.
        self.counters.conflicts += 1
        cfg = self.config
        last = self._defended.get(spa)
        recent = last is not None and now_us - last < cfg.defend_interval.micros
        if cfg.defend is DefendPolicy.RETREAT or (
            cfg.defend is DefendPolicy.DEFEND_ONCE and recent
        ):
            self.counters.lost += 1
            self.forget(spa)
            self._event(AcdEventKind.LOST, spa, now, sha)
            return AcdEventKind.LOST
        if recent:
            return None  # DEFEND_ALWAYS: one announcement per DEFEND_INTERVAL
        self._defended[spa] = now_us
        r = self._records.get(spa)
        if r is None:
            # An address added without conflict detection: watched from now on.
            r = _Record(_host_cidr(spa), AcdState.BOUND, None, False)
            self._records[spa] = r
        # One announcement now; an address still being announced just sends its next one now.
        if r.state is AcdState.BOUND:
            r.sent = max(0, cfg.announce_num - 1)
            r.state = AcdState.ANNOUNCING
        r.timer = now_us
        self._wake(now_us)
        self.counters.defended += 1
        self._event(AcdEventKind.DEFENDED, spa, now, sha)
        return AcdEventKind.DEFENDED

    # -- timers -------------------------------------------------------------------------------

    def poll(self, now: Instant, send: Send) -> list[IpCidr]:
        """Send the probes and announcements due at ``now``; return the addresses that
        became ready (probing found nobody: the interface adds them now).

        ``send(addr, probe)`` returns whether it could send; what it could not stays due.
        """
        now_us = now.micros
        cfg = self.config
        ready: list[IpCidr] = []
        if not 0 <= self._due <= now_us:
            return ready
        for addr, r in list(self._records.items()):
            if r.timer is None or r.timer > now_us:
                continue
            if r.state is AcdState.PROBING:
                if r.sent < cfg.probe_num:
                    if not send(addr, True):  # type: ignore[arg-type]
                        continue
                    r.sent += 1
                    self.counters.probes_sent += 1
                    if r.sent < cfg.probe_num:
                        gap = self._rand.uniform(cfg.probe_min.micros, cfg.probe_max.micros)
                    else:
                        gap = cfg.announce_wait.micros
                    r.timer = now_us + int(gap)
                    continue
                # RFC 5227 2.1.1: nobody objected for ANNOUNCE_WAIT after the last probe.
                del self.tentative[addr]
                r.state = AcdState.ANNOUNCING
                r.sent = 0
                self.counters.ready += 1
                self._event(AcdEventKind.READY, addr, now, None)
                ready.append(r.cidr)
            if r.sent >= cfg.announce_num:
                r.state = AcdState.BOUND
                r.timer = None
                continue
            # RFC 5227 2.3: ANNOUNCE_NUM announcements, ANNOUNCE_INTERVAL apart.
            if not send(addr, False):  # type: ignore[arg-type]
                continue
            r.sent += 1
            self.counters.announcements_sent += 1
            if r.sent >= cfg.announce_num:
                r.state = AcdState.BOUND
                r.timer = None
            else:
                r.timer = now_us + cfg.announce_interval.micros
        self._set_due(self._earliest())
        return ready

    def _earliest(self) -> int:
        best = -1
        for r in self._records.values():
            if r.timer is not None and (best < 0 or r.timer < best):
                best = r.timer
        return best

    def poll_at(self) -> Instant | None:
        """Return when `poll` next has something to send, or None."""
        return None if self._due < 0 else Instant(self._due)

    def poll_at_us(self) -> int | None:
        """`poll_at` in integer microseconds."""
        return None if self._due < 0 else self._due

    def due_us(self, now_us: int) -> bool:
        """Return whether `poll` has something to send at ``now_us`` (the per-poll check)."""
        return 0 <= self._due <= now_us

    def report_ready(self, addr: IpAddress, now: Instant) -> None:
        """Record a READY event for ``addr``, added without probing (an IPv6 address, or an IP
        medium): whoever waits for the outcome of probing (a DHCP client) learns it at once."""
        self._event(AcdEventKind.READY, addr, now, None)

    # -- events -------------------------------------------------------------------------------

    def _event(self, kind: AcdEventKind, addr: IpAddress, now: Instant, hw: bytes | None) -> None:
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


def _host_cidr(addr: IpAddress) -> IpCidr:
    return IpCidr.parse(f"{addr}/32")
