"""The neighbour cache: one state machine for ARP and NDP (RFC 4861 section 7.3).

An entry maps a neighbour's IP address (IPv4 or IPv6) to its hardware address and moves
through the states of RFC 4861 7.3.2, which Linux applies to ARP as well (described in
`neighbor_entry`).

Besides the states, an entry not heard from (confirmed, or a packet from its hardware address)
for ``expiry`` is deleted whatever its state, and one about to reach that age while in use is
probed early (``refresh_before``). A live entry heard from within ``lock_time`` keeps its
hardware address against any unconfirmed claim (Linux's ``locktime``), and always against a
claim from a packet at odds with its own frame.

The cache decides what to send and when; the interface sends: `NeighborCache.poll` calls a
``solicit(addr, hardware_addr)`` callback for every query due (``hardware_addr`` None for a
broadcast/multicast query, the cached address for a unicast probe) and `poll_at` says when the
next one is due. Time is explicit everywhere (integer microseconds inside); the only
randomness, the RFC 4861 6.3.2 random factor of ``reachable_time``, comes from a seeded
`random.Random`.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterator
from typing import Any

from smoltcp.stack.iface.neighbor_entry import (
    NeighborCounters,
    NeighborEntry,
    NeighborEvent,
    NeighborEventKind,
    NeighborInfo,
    NeighborState,
    check_arguments,
)
from smoltcp.stack.iface.neighbor_timers import NeighborTimers
from smoltcp.stack.iface.neighbor_timers import Solicit as Solicit
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import EthernetAddress, IpAddress

__all__ = [
    "NeighborCache",
    "NeighborCounters",
    "NeighborEvent",
    "NeighborEventKind",
    "NeighborInfo",
    "NeighborState",
]

_MINUTE = Duration.from_secs(60)
_SECOND = Duration.from_secs(1)
# RFC 4861 section 10 (and Linux's defaults).
REACHABLE_TIME = Duration.from_secs(30)
RETRANS_TIMER = Duration.from_secs(1)
DELAY_FIRST_PROBE_TIME = Duration.from_secs(5)
MAX_UNICAST_SOLICIT = 3
MAX_MULTICAST_SOLICIT = 3
MIN_RANDOM_FACTOR = 0.5
MAX_RANDOM_FACTOR = 1.5
_REFRESH_BEFORE = Duration.from_secs(5)


_INCOMPLETE = NeighborState.INCOMPLETE
_REACHABLE = NeighborState.REACHABLE
_STALE = NeighborState.STALE
_DELAY = NeighborState.DELAY
_PROBE = NeighborState.PROBE


class NeighborCache(NeighborTimers):
    """A bounded neighbour cache with neighbour unreachability detection (RFC 4861 7.3).

    Protocol-neutral: keys are `IpAddress` (v4 or v6), hardware addresses opaque octets. The
    ARP or NDP code calls `learn` with what a packet says, upper layers call
    `confirm_reachable` on forward progress, the sender calls `resolve` for each packet and
    `enqueue` for one that must wait, and the interface calls `poll` (which asks it to send
    the queries due) no later than `poll_at`. Every bound and timer is a constructor argument
    (defaults: RFC 4861 section 10 and Linux); ValueError names a bad one.
    """

    def __init__(
        self,
        capacity: int = 1024,
        expiry: Duration = _MINUTE,
        lock_time: Duration = _SECOND,
        *,
        reachable_time: Duration = REACHABLE_TIME,
        retrans_timer: Duration = RETRANS_TIMER,
        delay_first_probe_time: Duration = DELAY_FIRST_PROBE_TIME,
        max_unicast_solicit: int = MAX_UNICAST_SOLICIT,
        max_multicast_solicit: int = MAX_MULTICAST_SOLICIT,
        resolve_timeout: Duration | None = None,
        refresh_before: Duration = _REFRESH_BEFORE,
        queue_per_entry: int = 16,
        queue_total: int = 256,
        max_events: int = 64,
        receipt_confirms: bool = True,
        rand: random.Random | None = None,
    ) -> None:
        check_arguments(
            capacity,
            max_unicast_solicit,
            max_multicast_solicit,
            queue_per_entry,
            queue_total,
            max_events,
            expiry,
            lock_time,
            reachable_time,
            retrans_timer,
            delay_first_probe_time,
            refresh_before,
            resolve_timeout,
            rand,
        )
        self._capacity = capacity
        self._expiry = expiry.micros
        self._lock = lock_time.micros
        self._retrans = retrans_timer.micros
        self._delay = delay_first_probe_time.micros
        self._max_unicast = max_unicast_solicit
        self._max_multicast = max_multicast_solicit
        self._resolve_timeout = (
            max_multicast_solicit * self._retrans
            if resolve_timeout is None
            else resolve_timeout.micros
        )
        self._refresh_before = refresh_before.micros
        self._receipt_confirms = bool(receipt_confirms)
        self._queue_per_entry = queue_per_entry
        self._queue_total = queue_total
        self._rand = rand if rand is not None else random.Random(0)
        self._base_reachable = reachable_time.micros
        self._reachable = self._draw_reachable_time()
        # addr -> entry, in the order they were last filled (the eviction order).
        self._entries: dict[IpAddress, NeighborEntry] = {}
        # Entries with a timer (DELAY, PROBE, INCOMPLETE): what `poll` and `poll_at` visit.
        self._timed: dict[IpAddress, NeighborEntry] = {}
        # A lower bound of the earliest timer: the per-packet check of "anything due?".
        self._due_hint = -1
        # When each address was last solicited (any reason): one per retrans_timer.
        self._asked: dict[IpAddress, int] = {}
        self._queued = 0
        # Queued packets dropped outside `poll` (evictions), reported by the next `poll`.
        self._lost = 0
        self._events: deque[NeighborEvent] = deque()
        self._max_events = max_events
        self.counters = NeighborCounters()

    # -- configuration ------------------------------------------------------------------------

    def _draw_reachable_time(self) -> int:
        # RFC 4861 6.3.2: a uniformly distributed random value between MIN_RANDOM_FACTOR and
        # MAX_RANDOM_FACTOR times the base, so that neighbours do not probe in step.
        factor = self._rand.uniform(MIN_RANDOM_FACTOR, MAX_RANDOM_FACTOR)
        return int(self._base_reachable * factor)

    def set_base_reachable_time(self, base: Duration) -> None:
        """Change BaseReachableTime (a router advertisement's Reachable Time, RFC 4861 6.3.4)
        and draw a new random ReachableTime from it."""
        if not isinstance(base, Duration) or base.micros < 0:
            raise ValueError(f"base must be a non-negative Duration, not {base!r}")
        self._base_reachable = base.micros
        self._reachable = self._draw_reachable_time()

    @property
    def reachable_time(self) -> Duration:
        """The current ReachableTime (the base times the random factor)."""
        return Duration(self._reachable)

    # -- looking up ---------------------------------------------------------------------------

    def _get(self, addr: IpAddress, now_us: int) -> NeighborEntry | None:
        """Return the live entry of ``addr`` (deleting it when past its expiry)."""
        e = self._entries.get(addr)
        if e is None:
            return None
        if e.hw is not None:
            if now_us >= e.heard + self._expiry:
                self._delete(addr, e)
                self.counters.expired += 1
                return None
            if e.state is _REACHABLE and now_us >= e.reachable_until:
                # RFC 4861 7.3.3: ReachableTime has passed since the last confirmation.
                e.state = _STALE
        return e

    def lookup(self, addr: IpAddress, now: Instant) -> EthernetAddress | None:
        """Return the hardware address of ``addr``, or None if unknown, unresolved or expired.

        A look-up is not a use: it moves no state (see `resolve` for the sending path).
        """
        e = self._get(addr, now.micros)
        return None if e is None or e.hw is None else EthernetAddress(e.hw)

    def _lookup(self, addr: IpAddress, now_us: int) -> bytes | None:
        e = self._get(addr, now_us)
        return None if e is None else e.hw

    def state(self, addr: IpAddress, now: Instant) -> NeighborState | None:
        """Return the state of ``addr``'s entry, or None if there is none."""
        e = self._get(addr, now.micros)
        return None if e is None else e.state

    def resolve(self, addr: IpAddress, now: Instant) -> bytes | None:
        """Return the hardware address to send a packet to ``addr`` to, or None (unresolved).

        This is a use of the entry: a STALE one starts DELAY (RFC 4861 7.3.3), and one about
        to expire is probed at once (see `poll`, `due`).
        """
        return self.resolve_us(addr, now.micros)

    def resolve_us(self, addr: IpAddress, now_us: int) -> bytes | None:
        """`resolve` at ``now_us`` (integer microseconds): the per-packet sending path."""
        e = self._entries.get(addr)
        if e is None or e.hw is None:
            return None
        if (
            e.state is _REACHABLE
            and now_us < e.reachable_until
            and e.heard + self._expiry - now_us > self._refresh_before
        ):
            return e.hw  # the per-packet fast path
        e = self._get(addr, now_us)
        if e is None:
            return None
        if e.state is _STALE:
            e.state = _DELAY
            self._set_timer(addr, e, now_us + self._delay)
        if e.state is not _PROBE and e.heard + self._expiry - now_us <= self._refresh_before:
            # About to expire while in use: ask the neighbour now rather than let the flow
            # stall on an expired entry (RFC 1122 2.3.2.1's unicast poll).
            e.state = _PROBE
            e.sent = 0
            self._set_timer(addr, e, now_us)
        return e.hw

    def due(self, now: Instant) -> bool:
        """Return whether `poll` may have something to do at ``now`` (cheap; may say True
        when nothing is due)."""
        return 0 <= self._due_hint <= now.micros

    def due_us(self, now_us: int) -> bool:
        """`due` at ``now_us`` (integer microseconds): the per-packet check."""
        return 0 <= self._due_hint <= now_us

    # -- learning -----------------------------------------------------------------------------

    def learn(
        self,
        addr: IpAddress,
        hardware_addr: bytes | EthernetAddress,
        now: Instant,
        *,
        solicited: bool = False,
        consistent: bool = True,
        create: bool = True,
        override: bool = True,
    ) -> bool:
        """Take what a packet says: ``addr`` is at ``hardware_addr``; return whether the entry
        now maps it there.

        ``solicited``: the packet answers our query (an ARP reply sent to our unicast address,
        a neighbour advertisement with S set) and confirms reachability (REACHABLE). Any other
        news of a new hardware address makes the entry STALE (RFC 4861 7.2.3 to 7.2.5); news
        of the known one only counts as hearing from it. ``create``: whether an unknown
        address may get an entry. A live entry keeps its hardware address against the claim
        when it was heard from within ``lock_time`` (unless ``solicited``), and always when
        the packet is not ``consistent`` (its sender is not its frame's source).
        ``override`` False (a neighbour advertisement with O clear, RFC 4861 7.2.5) never
        replaces a known hardware address: a REACHABLE entry only becomes STALE.
        """
        octets = hardware_addr if type(hardware_addr) is bytes else bytes(hardware_addr)
        return self.learn_us(addr, octets, now.micros, consistent, solicited, create, override)

    def learn_us(
        self,
        addr: IpAddress,
        octets: bytes,
        now_us: int,
        consistent: bool = True,
        solicited: bool = False,
        create: bool = True,
        override: bool = True,
    ) -> bool:
        """`learn` at ``now_us`` (integer microseconds) with the hardware address as octets."""
        e = self._get(addr, now_us)
        if e is None:
            if not create:
                return False
            e = self._insert(addr, _STALE, octets, now_us)
            if e is None:
                return False
            if solicited:
                self._confirm(e, now_us)
            return True
        if e.hw is None:
            # INCOMPLETE resolved (RFC 4861 7.2.5); the caller takes the queue (take_queued).
            e.hw = octets
            e.heard = now_us
            e.state = _STALE
            self._clear_timer(addr, e)
            if solicited:
                self._confirm(e, now_us)
            self._to_back(addr, e)
            return True
        if e.hw == octets:
            e.heard = now_us
            if solicited:
                self._confirm(e, now_us)
                self._clear_timer(addr, e)
            self._to_back(addr, e)
            return True
        if not override:
            # RFC 4861 7.2.5: the advertisement does not update the link-layer address, but
            # casts doubt on a REACHABLE entry.
            if e.state is _REACHABLE:
                e.state = _STALE
            return False
        if not consistent or (not solicited and now_us < e.heard + self._lock):
            return False
        e.hw = octets
        e.heard = now_us
        e.state = _STALE
        self._clear_timer(addr, e)
        if solicited:
            self._confirm(e, now_us)
        self._to_back(addr, e)
        return True

    def fill(self, addr: IpAddress, hardware_addr: EthernetAddress | bytes, now: Instant) -> None:
        """Record that ``addr`` is at ``hardware_addr``, confirmed at ``now`` (REACHABLE)."""
        octets = hardware_addr if isinstance(hardware_addr, bytes) else bytes(hardware_addr)
        now_us = now.micros
        e = self._get(addr, now_us)
        if e is None:
            e = self._insert(addr, _REACHABLE, octets, now_us)
            if e is None:
                return
        else:
            e.hw = octets
            e.heard = now_us
            self._clear_timer(addr, e)
            self._to_back(addr, e)
        self._confirm(e, now_us)

    def refresh_us(self, addr: IpAddress, octets: bytes, now_us: int) -> None:
        """Note that a packet came from ``addr`` at its known hardware address ``octets``.

        It counts as hearing from the neighbour (expiry, lock time). With
        ``receipt_confirms`` it also confirms reachability: RFC 4861 7.3.1 (and Linux) wait
        for forward progress, as it says nothing of the path from us to the neighbour; but
        until every upper layer reports its progress (`confirm_reachable`) a neighbour we
        are talking with would otherwise be probed every ReachableTime. An entry with a
        wrong hardware address is still repaired: nothing arrives from that address. The
        entry keeps its place in the eviction order (this runs for every received packet).
        """
        e = self._entries.get(addr)
        if e is not None and e.hw == octets and e.heard + self._expiry > now_us:
            e.heard = now_us
            if self._receipt_confirms:
                if e.state is not _REACHABLE:
                    self._confirm(e, now_us)
                    self._clear_timer(addr, e)
                else:
                    e.reachable_until = now_us + self._reachable

    def confirm_reachable(self, addr: IpAddress, now: Instant) -> bool:
        """Record forward progress with ``addr`` (RFC 4861 7.3.1: new data acknowledged by
        TCP, say): its entry becomes REACHABLE. Return whether there was an entry to confirm.
        """
        now_us = now.micros
        e = self._get(addr, now_us)
        if e is None or e.hw is None:
            return False
        e.heard = now_us
        self._confirm(e, now_us)
        self._clear_timer(addr, e)
        return True

    def confirm_progress_us(self, addr: IpAddress, now_us: int) -> None:
        """`confirm_reachable` at ``now_us`` for the per-segment path (TCP progress): a
        REACHABLE entry only has its times moved on."""
        e = self._entries.get(addr)
        if e is None or e.hw is None:
            return
        if e.state is _REACHABLE and now_us < e.reachable_until:
            e.heard = now_us
            e.reachable_until = now_us + self._reachable
            return
        self.confirm_reachable(addr, Instant(now_us))

    def _confirm(self, e: NeighborEntry, now_us: int) -> None:
        e.state = _REACHABLE
        e.reachable_until = now_us + self._reachable
        e.sent = 0
        self.counters.confirmations += 1

    # -- waiting for resolution ---------------------------------------------------------------

    # Any: the cache keeps packets opaque (see NeighborEntry.queue).
    def enqueue(self, addr: IpAddress, packet: Any, now: Instant) -> bool:
        """Keep ``packet`` until ``addr`` resolves, starting resolution if needed; return
        False when a queue bound (per entry, or in total) refuses it.

        Raise ValueError if ``addr`` is already resolved (send to `resolve`'s address).
        """
        return self.enqueue_us(addr, packet, now.micros)

    # Any: the cache keeps packets opaque (see NeighborEntry.queue).
    def enqueue_us(self, addr: IpAddress, packet: Any, now_us: int) -> bool:
        """`enqueue` at ``now_us`` (integer microseconds)."""
        e = self._get(addr, now_us)
        if e is not None and e.hw is not None:
            raise ValueError(f"{addr} is resolved: send to its hardware address")
        if self._queued >= self._queue_total:
            return False
        if e is None:
            e = self._insert(addr, _INCOMPLETE, None, now_us)
            if e is None:
                return False
            e.deadline = now_us + self._resolve_timeout
            # The first query goes now, unless this address was asked less than an interval
            # ago (a probe, or a resolution that just failed).
            last = self._asked.get(addr)
            start = now_us if last is None else max(now_us, last + self._retrans)
            self._set_timer(addr, e, start)
            if e.deadline < self._due_hint:
                self._due_hint = e.deadline
        queue = e.queue
        if queue is None:
            queue = e.queue = deque()
        if len(queue) >= self._queue_per_entry:
            return False
        queue.append(packet)
        self._queued += 1
        return True

    # Any: the cache keeps packets opaque (see NeighborEntry.queue).
    def take_queued(self, addr: IpAddress) -> list[Any]:
        """Return (and forget) the packets queued for ``addr``, oldest first."""
        e = self._entries.get(addr)
        if e is None or not e.queue:
            return []
        packets = list(e.queue)
        e.queue = None
        self._queued -= len(packets)
        return packets

    @property
    def queued(self) -> int:
        """The number of packets waiting for resolution, all entries together."""
        return self._queued

    # -- events -------------------------------------------------------------------------------

    def _event(
        self, kind: NeighborEventKind, addr: IpAddress, now: Instant, hw: bytes | None
    ) -> None:
        events = self._events
        if len(events) >= self._max_events:
            if not self._max_events:
                self.counters.events_dropped += 1
                return
            events.popleft()
            self.counters.events_dropped += 1
        events.append(NeighborEvent(kind, addr, now, hw))

    def events(self) -> list[NeighborEvent]:
        """Return (and forget) the events since the last call, oldest first (bounded:
        the oldest are dropped first, counted in ``counters.events_dropped``)."""
        out = list(self._events)
        self._events.clear()
        return out

    # -- bookkeeping --------------------------------------------------------------------------

    def _insert(
        self, addr: IpAddress, state: NeighborState, hw: bytes | None, now_us: int
    ) -> NeighborEntry | None:
        entries = self._entries
        if len(entries) >= self._capacity:
            if self._capacity == 0:
                return None
            old = next(iter(entries))
            e_old = entries[old]
            self._lost += len(e_old.queue) if e_old.queue else 0
            self._delete(old, e_old)
            self.counters.evicted += 1
        e = NeighborEntry(state, hw, now_us)
        entries[addr] = e
        return e

    def _to_back(self, addr: IpAddress, e: NeighborEntry) -> None:
        entries = self._entries
        del entries[addr]
        entries[addr] = e

    def _delete(self, addr: IpAddress, e: NeighborEntry) -> None:
        del self._entries[addr]
        self._timed.pop(addr, None)
        if e.queue:
            n = len(e.queue)
            self._queued -= n
            self.counters.queue_dropped += n
            e.queue = None

    def _set_timer(self, addr: IpAddress, e: NeighborEntry, at_us: int) -> None:
        e.timer = at_us
        self._timed[addr] = e
        if self._due_hint < 0 or at_us < self._due_hint:
            self._due_hint = at_us

    def _clear_timer(self, addr: IpAddress, e: NeighborEntry) -> None:
        e.timer = None
        if e.hw is not None:
            self._timed.pop(addr, None)

    def remove(self, addr: IpAddress) -> None:
        """Forget ``addr`` (its queued packets are dropped)."""
        e = self._entries.get(addr)
        if e is not None:
            self._delete(addr, e)

    def flush(self) -> None:
        """Forget every entry (queued packets included)."""
        for addr, e in list(self._entries.items()):
            self._delete(addr, e)

    def entries(self, now: Instant) -> list[NeighborInfo]:
        """Return a snapshot of every live entry, in eviction order (oldest first)."""
        now_us = now.micros
        out = []
        for addr in list(self._entries):
            e = self._get(addr, now_us)
            if e is None:
                continue
            hw = None if e.hw is None else EthernetAddress(e.hw)
            expires = Instant(e.deadline if e.hw is None else e.heard + self._expiry)
            out.append(NeighborInfo(addr, e.state, hw, expires))
        return out

    def entries_by_state(self, now: Instant) -> dict[NeighborState, int]:
        """Return how many live entries are in each state (every state present)."""
        counts = dict.fromkeys(NeighborState, 0)
        for info in self.entries(now):
            counts[info.state] += 1
        return counts

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, addr: object) -> bool:
        return addr in self._entries

    def __iter__(self) -> Iterator[tuple[IpAddress, EthernetAddress, Instant]]:
        """Iterate over ``(addr, hardware_addr, expires_at)`` of the resolved entries, expired
        ones included."""
        for addr, e in list(self._entries.items()):
            if e.hw is not None:
                yield addr, EthernetAddress(e.hw), Instant(e.heard + self._expiry)
