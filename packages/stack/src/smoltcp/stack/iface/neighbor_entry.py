"""The records of the neighbour cache: entry states, events, snapshots, counters, the entry.

`NeighborEntry` is the mutable per-neighbour record the cache's state machine
(`neighbor.NeighborCache`) moves through the `NeighborState`s of RFC 4861 7.3.2; the other
types are what the cache reports to the application. `check_arguments` validates the cache's
constructor arguments.

The states of an entry (RFC 4861 7.3.2, which Linux applies to ARP as well):

- ``INCOMPLETE``: resolution in progress; multicast (broadcast) queries every
  ``retrans_timer``, at most ``max_multicast_solicit`` of them; the packets sent meanwhile
  wait in a bounded queue; the entry and its queue are dropped ``resolve_timeout`` after it
  was created.
- ``REACHABLE``: confirmed within ``reachable_time`` (a solicited reply, or an upper layer's
  `NeighborCache.confirm_reachable`); becomes ``STALE`` when that time has passed.
- ``STALE``: usable, unconfirmed. Sending to it starts ``DELAY``.
- ``DELAY``: ``delay_first_probe_time`` for an upper layer to confirm; then ``PROBE``.
- ``PROBE``: unicast queries to the cached hardware address every ``retrans_timer``; after
  ``max_unicast_solicit`` of them unanswered the neighbour is unreachable: the entry is
  deleted (FAILED) and an event recorded; the next packet starts a new broadcast query.
"""

from __future__ import annotations

import enum
import random
from collections import deque
from typing import Any, NamedTuple

from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import EthernetAddress, IpAddress

__all__ = [
    "NeighborCounters",
    "NeighborEntry",
    "NeighborEvent",
    "NeighborEventKind",
    "NeighborInfo",
    "NeighborState",
    "check_arguments",
]


class NeighborState(enum.Enum):
    """The states of a neighbour cache entry (RFC 4861 7.3.2); FAILED entries are deleted."""

    INCOMPLETE = "INCOMPLETE"
    REACHABLE = "REACHABLE"
    STALE = "STALE"
    DELAY = "DELAY"
    PROBE = "PROBE"

    def __str__(self) -> str:
        return self.value


class NeighborEventKind(enum.Enum):
    """What happened to a neighbour that the application may want to know."""

    UNREACHABLE = "unreachable"
    """Unicast probes went unanswered (RFC 4861 7.3.3): the entry was deleted."""
    RESOLUTION_FAILED = "resolution-failed"
    """Nobody answered the queries for an address; its queued packets were dropped."""


class NeighborEvent(NamedTuple):
    """One event: its kind, the neighbour's IP address, when, and its last hardware address."""

    kind: NeighborEventKind
    addr: IpAddress
    at: Instant
    hardware_addr: bytes | None


class NeighborInfo(NamedTuple):
    """A snapshot of one entry (see `NeighborCache.entries`)."""

    addr: IpAddress
    state: NeighborState
    hardware_addr: EthernetAddress | None
    expires_at: Instant | None


class NeighborCounters:
    """What the neighbour cache did: solicitations, confirmations, failures, bounds hit."""

    __slots__ = (
        "confirmations",
        "events_dropped",
        "evicted",
        "expired",
        "probes_sent",
        "queries_sent",
        "queue_dropped",
        "resolution_failed",
        "unreachable",
    )

    def __init__(self) -> None:
        self.queries_sent = 0
        """Broadcast/multicast queries for an INCOMPLETE entry."""
        self.probes_sent = 0
        """Unicast probes to the cached hardware address (PROBE)."""
        self.confirmations = 0
        """Reachability confirmations (solicited replies and upper layers)."""
        self.unreachable = 0
        """Entries deleted after unanswered unicast probes."""
        self.resolution_failed = 0
        """INCOMPLETE entries that timed out."""
        self.expired = 0
        """Entries deleted because nothing was heard from them for ``expiry``."""
        self.evicted = 0
        """Entries evicted to make room (capacity)."""
        self.queue_dropped = 0
        """Queued packets dropped (their resolution failed or their entry was evicted)."""
        self.events_dropped = 0
        """Events discarded because the application did not read them (bounded)."""

    def as_dict(self) -> dict[str, int]:
        """Return every counter by name."""
        return {name: getattr(self, name) for name in self.__slots__}

    def __repr__(self) -> str:
        return f"NeighborCounters({self.as_dict()})"


class NeighborEntry:
    """One neighbour: its state, hardware address, timers and queued packets (mutable)."""

    __slots__ = ("deadline", "heard", "hw", "queue", "reachable_until", "sent", "state", "timer")

    def __init__(self, state: NeighborState, hw: bytes | None, now_us: int) -> None:
        self.state = state
        self.hw = hw
        # When the neighbour was last heard from (confirmed, or a packet from its hardware
        # address): the hard expiry and the lock time count from here.
        self.heard = now_us
        self.reachable_until = now_us
        # The next timer of DELAY, PROBE and INCOMPLETE (micros), or None.
        self.timer: int | None = None
        # Solicitations sent in this INCOMPLETE or PROBE phase.
        self.sent = 0
        # INCOMPLETE only: when resolution gives up.
        self.deadline = 0
        # Any: the cache keeps packets opaque (the interface queues serialised IP packets).
        self.queue: deque[Any] | None = None


def check_arguments(
    capacity: int,
    max_unicast_solicit: int,
    max_multicast_solicit: int,
    queue_per_entry: int,
    queue_total: int,
    max_events: int,
    expiry: Duration,
    lock_time: Duration,
    reachable_time: Duration,
    retrans_timer: Duration,
    delay_first_probe_time: Duration,
    refresh_before: Duration,
    resolve_timeout: Duration | None,
    rand: random.Random | None,
) -> None:
    """Validate the arguments of `neighbor.NeighborCache` (same names).

    Raises ValueError for a negative or non-int bound, a negative duration, ``lock_time`` over
    ``expiry`` or a zero ``retrans_timer``; TypeError for a non-`Duration` duration or a
    ``rand`` that is not a `random.Random`.
    """
    for name, value in (
        ("capacity", capacity),
        ("max_unicast_solicit", max_unicast_solicit),
        ("max_multicast_solicit", max_multicast_solicit),
        ("queue_per_entry", queue_per_entry),
        ("queue_total", queue_total),
        ("max_events", max_events),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name} must be a non-negative int, not {value!r}")
    durations = {
        "expiry": expiry,
        "lock_time": lock_time,
        "reachable_time": reachable_time,
        "retrans_timer": retrans_timer,
        "delay_first_probe_time": delay_first_probe_time,
        "refresh_before": refresh_before,
    }
    if resolve_timeout is not None:
        durations["resolve_timeout"] = resolve_timeout
    for name, duration in durations.items():
        if not isinstance(duration, Duration):
            raise TypeError(f"{name} must be a Duration, not {type(duration).__name__}")
        if duration.micros < 0:
            raise ValueError(f"{name} must not be negative, not {duration}")
    if lock_time.micros > expiry.micros:
        raise ValueError(f"lock_time must be in [0, expiry], not {lock_time}")
    if retrans_timer.micros <= 0:
        raise ValueError("retrans_timer must be positive")
    if rand is not None and not isinstance(rand, random.Random):
        raise TypeError("rand must be a random.Random (seeded from the configuration)")
