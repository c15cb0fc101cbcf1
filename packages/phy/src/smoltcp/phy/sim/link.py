"""Links of the simulated network: two transmitters (`Port`), one per direction.

A frame a node sends on a port goes through, in order:

1. the MTU check (a frame larger than the port's MTU plus the Ethernet header is dropped and
   counted, as a real NIC refuses it);
2. the queue discipline (`smoltcp.phy.sim.queue`): drop-tail, RED or CoDel, bounded;
3. the transmitter: one frame after the other at ``rate_bps``, serialisation times exact in
   integer microseconds (`smoltcp.phy.impair.Serializer`);
4. the wire: the propagation delay and the impairments of `smoltcp.phy.netem.Netem` (loss,
   jitter, reordering, duplication, corruption), the same code the real-time fault injector
   runs, seeded from the scenario seed and the port's name;
5. delivery to the node at the far end, at the time the last octet arrives.

Trains (`smoltcp.phy.sim.train`: a TCP super-segment from a host with offload, standing for
its wire frames, the pieces) pass a port as a unit only where that is exact: a drop-tail
queue with room for all the pieces, a wire that only delays, a far node that takes trains (a
host with offload, or a switch) and pieces that fit the port's MTU. There a train counts as
its pieces everywhere (offered, queue counters, tx_frames and tx_octets, delivered), takes
the serialisation time of its pieces back to back (their integer microseconds carried over
exactly as frame by frame, `Serializer`), so it ends at the same microsecond and adds the
same busy time, and it is delivered as one frame when its last piece would arrive, as a NIC
with GRO and interrupt coalescing hands a receiver its segments. While it is being sent,
its pieces not yet started stay counted in the queue (`DropTail.start_train`), each piece
adds its serialisation time to ``busy_us`` when it starts and counts in ``tx_frames`` and
``tx_octets`` when it ends (`Port.catch_up` brings them to any instant), and a sender
refused room learns of it when a piece's departure makes it (`Port.wake_at_room`). The tap
gets the pieces, each at the microsecond it starts on the wire. Any frame a train is no
longer than the largest frame still takes this path: it stands for its pieces.

Everywhere else the port cuts the train (`Train.cut`) where it arrives, before the queue, and
offers the pieces one by one to the ordinary per-frame path: a RED or CoDel queue, a wire
that impairs, a router or a host without offload at the far end (which so gets each piece
at the time it would have arrived), or a piece larger than the MTU (dropped there). A
drop-tail queue without room for all the pieces takes what they would get in arriving one by
one, the first ones (as a shorter train), and counts the others dropped (`Port._send_head`).

On a port whose far end is a host with offload, a train queued right behind another of the
same connection that it continues (the same headers but the sequence number, within 64 KiB)
joins it (`Train.coalesce`): they go on the wire back to back, so the receiver's GRO would
hand them over together. The pieces, counters and times stay those of both; the receiver
gets the first one's data when the second's last piece has arrived.

A train whose pieces take longer than `HOLD_US` to arrive one after the other is delivered
in parts (each a train of the pieces that arrive within `HOLD_US` of its first, or a single
piece), each when its last piece arrives: a receiver's GRO does not hold segments longer
than its interrupt coalescing lets them wait, and a switch forwards what has arrived. So on a
slow link the far end gets the pieces, one by one, at the times they would have arrived.

A train is store-and-forward as a whole (within `HOLD_US`): a switch forwards it when its
last octet arrived, where frame by frame it would forward each piece as it arrives; on a path
through a switch the train so arrives later by the time its pieces but the last take on the
switch's incoming link (at most `HOLD_US`; a 64 KiB train: 52 µs at 10 Gbit/s, 0.5 ms at
1 Gbit/s).

Within one microsecond the order of events is not kept: a piece that starts at the current
microsecond has left the queue before any arrival of that microsecond is admitted, where
frame by frame the arrival may run first (the order of the events scheduled for that
instant decides) and find one frame more queued. An arrival at exactly the instant a piece
starts, on a queue that is full but for that piece, may so get in with a train and be
dropped frame by frame: about one case in 400 in random trials of a single port, more often
above about 10 Gbit/s, where pieces take less than a microsecond and several start in the
same one. Counts, times and the frames sent are otherwise those of the pieces.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any, Protocol

from smoltcp.phy.impair import LossModel, Serializer
from smoltcp.phy.netem import Netem, NetemSettings

from .queue import DropTail, QueueSpec
from .runner import Simulator
from .train import HOLD_US, Train

__all__ = ["Link", "LinkSpec", "Node", "Port"]

ETHERNET_HEADER_LEN = 14
# The wire holds what is in flight; rate x delay bounds it in practice, this bounds it always.
_IN_FLIGHT_LIMIT = 1 << 20
# The stream handed to queue disciplines that never draw (all but RED).
_NO_DRAWS = random.Random(0)


class Node(Protocol):
    """What a port delivers to: a host, a switch or a router."""

    name: str

    @property
    def takes_trains(self) -> bool:
        """Whether trains may be delivered to the node whole (a host with offload, a
        switch); to any other node the port delivers their pieces one by one."""
        ...

    @property
    def coalesces(self) -> bool:
        """Whether the node joins back-to-back segments of a connection as GRO does (a
        host with offload): trains queued back to back towards it join."""
        ...

    def receive(self, port: Port, frame: bytearray, now: int) -> None:
        """Take ``frame`` arriving on ``port`` at ``now`` (µs); the node owns it from now on
        (it may hand it on to one port, or a copy to each of several: `Port.send`)."""
        ...

    def on_room(self, port: Port, now: int) -> None:
        """Learn that ``port``'s queue has room again (after a frame left it)."""
        ...


@dataclass(frozen=True)
class LinkSpec:
    """One direction of a link (both directions use the same spec unless told otherwise).

    ``rate_bps`` bits per second (None: no serialisation time), ``delay_us`` propagation
    delay, ``mtu`` the IP MTU in octets (frames may be 14 octets longer), ``queue`` the
    transmitter's queue, and the impairments of `NetemSettings` on the wire: ``loss`` (a
    `LossModel`), ``jitter_us``, ``distribution`` and ``keep_order`` (jitter that never
    reorders), ``duplicate``, ``corrupt``,
    ``reorder`` and ``gap`` (percentages as netem takes them).
    """

    rate_bps: int | None = None
    delay_us: int = 0
    mtu: int = 1500
    queue: QueueSpec = field(default_factory=QueueSpec)
    loss: LossModel | None = None
    jitter_us: int = 0
    distribution: str = "uniform"
    keep_order: bool = False
    duplicate: float = 0.0
    corrupt: float = 0.0
    reorder: float = 0.0
    gap: int = 1

    def __post_init__(self) -> None:
        if self.rate_bps is not None and (
            isinstance(self.rate_bps, bool)
            or not isinstance(self.rate_bps, int)
            or self.rate_bps < 8
        ):
            raise ValueError(f"rate_bps must be None or an integer >= 8, not {self.rate_bps!r}")
        if (
            isinstance(self.mtu, bool)
            or not isinstance(self.mtu, int)
            or not 68 <= self.mtu <= 65535
        ):
            raise ValueError(f"mtu must be an integer in [68, 65535], not {self.mtu!r}")
        if not isinstance(self.queue, QueueSpec):
            raise TypeError(f"queue must be a QueueSpec, not {type(self.queue).__name__}")
        self.wire_settings()  # checks delay, jitter and the impairments

    def impairs(self) -> bool:
        """Return whether the wire does more than delay frames (loss, jitter and so on)."""
        return bool(
            self.loss is not None
            or self.jitter_us
            or self.duplicate
            or self.corrupt
            or self.reorder
        )

    def wire_settings(self) -> NetemSettings:
        """Return the settings of the wire stage (delay and impairments, no rate)."""
        return NetemSettings(
            delay=self.delay_us,
            jitter=self.jitter_us,
            distribution=self.distribution,
            keep_order=self.keep_order,
            loss=self.loss,
            duplicate=self.duplicate,
            corrupt=self.corrupt,
            reorder=self.reorder,
            gap=self.gap,
            limit=_IN_FLIGHT_LIMIT,
        )

    @property
    def max_frame(self) -> int:
        """The largest Ethernet frame the link carries (MTU plus the Ethernet header)."""
        return self.mtu + ETHERNET_HEADER_LEN


class PortCounters:
    """What a port did: frames and octets offered, sent, delivered and dropped, busy time."""

    __slots__ = ("busy_us", "delivered", "mtu_drops", "offered", "tx_frames", "tx_octets")

    def __init__(self) -> None:
        self.offered = 0
        self.mtu_drops = 0
        self.tx_frames = 0
        self.tx_octets = 0
        self.delivered = 0
        self.busy_us = 0

    def as_dict(self) -> dict[str, int]:
        """Return the counters by name."""
        return {name: getattr(self, name) for name in self.__slots__}


class Port:
    """One direction of a link: queue, transmitter and wire, from ``node`` to the peer port."""

    __slots__ = (
        "_armed",
        "_busy",
        "_delay",
        "_deliver_event",
        "_early",
        "_fifo",
        "_max_frame",
        "_piece_ends",
        "_piece_octets",
        "_piece_starts",
        "_pieces_busy",
        "_pieces_sent",
        "_room_armed",
        "_schedule",
        "_sending",
        "_serializer",
        "_tapping",
        "_trains_pass",
        "_transmitted_event",
        "_wire",
        "counters",
        "link",
        "name",
        "node",
        "peer",
        "queue",
        "sim",
        "spec",
        "tap",
    )

    def __init__(
        self, sim: Simulator, name: str, node: Node, spec: LinkSpec, link: str = ""
    ) -> None:
        self.sim = sim
        self.name = name
        self.link = link
        self.node = node
        self.spec = spec
        self.peer: Port | None = None
        # Read per frame: kept here rather than behind the spec's property.
        self._max_frame = spec.max_frame
        self._delay = spec.delay_us
        # Only RED draws: the other kinds get no stream (a Random holds 2.5 KiB of state).
        rng = sim.rng(name, "queue") if spec.queue.kind == "red" else _NO_DRAWS
        self.queue = spec.queue.build(rng, spec.max_frame)
        # A wire that only delays keeps the order of the frames: a FIFO of (due, frame) does
        # what the Netem would, without its draws and heap. Its Netem is then made only if
        # asked for (`wire`, for its counters, all zero): its streams are seeded by name, so
        # when it is made does not change them.
        self._fifo: deque[tuple[int, bytearray]] | None = None if spec.impairs() else deque()
        self._wire: Netem | None = None if self._fifo is not None else self._make_wire()
        self._serializer = (
            Serializer(max(spec.rate_bps // 8, 1)) if spec.rate_bps is not None else None
        )
        self.counters = PortCounters()
        # Called with (now, frame) as each frame starts on the wire (a pcap writer).
        self.tap: Callable[[int, bytearray], Any] | None = None
        self._busy = False
        # The simulator's `_schedule`, bound once (ports schedule an event or two per frame).
        self._schedule = sim._schedule
        self._armed: int | None = None
        self._deliver_event = self._deliver
        self._sending: bytearray | None = None
        self._transmitted_event = self._transmitted
        # Whether trains pass as a unit: known once the peer is (see `_send_train`).
        self._trains_pass: bool | None = None
        # Made with the first train (so a port without offload costs no more): the pieces
        # of the train being sent the tap has yet to see, (start, frame).
        self._tapping: deque[tuple[int, bytearray]] | None = None
        # The pieces of the train being sent (None: no train), for `catch_up`: when each
        # starts and ends (both in order), the octets of the first k pieces at index k; the
        # first `_pieces_busy` of them are counted busy, the first `_pieces_sent` sent.
        self._piece_starts: list[int] | None = None
        # (Empty tuples until the first train: no list per port that never sends one.)
        self._piece_ends: Sequence[int] = ()
        self._piece_octets: Sequence[int] = ()
        self._pieces_busy = 0
        self._pieces_sent = 0
        # Whether the train being sent was put on the wire in parts already (HOLD_US).
        self._early = False
        # When `_room` is due to tell the node of room (`wake_at_room`), or None.
        self._room_armed: int | None = None

    def _make_wire(self) -> Netem:
        return Netem(self.spec.wire_settings(), seed=f"smoltcp.sim/{self.sim.seed}/{self.name}")

    @property
    def wire(self) -> Netem:
        """The wire stage (delay and impairments): the `Netem` shared with the fault injector."""
        wire = self._wire
        if wire is None:
            wire = self._wire = self._make_wire()
        return wire

    def has_room(self, length: int) -> bool:
        """Return whether the queue takes a frame of ``length`` octets now."""
        return self.queue.has_room(length)

    def send(self, now: int, frame: bytearray) -> bool:
        """Offer ``frame`` at ``now``, the simulator's current time (µs); return False if it
        was dropped here (too long for the MTU, or turned away by the queue).

        The port owns ``frame`` from now on: the caller must not change it afterwards, nor
        hand the same object to another port (a train queued here may be joined in place,
        `Train.coalesce`).
        """
        if type(frame) is Train:
            # Whatever its length: a train no longer than the largest frame still stands for
            # several pieces.
            return self._send_train(now, frame)
        counters = self.counters
        counters.offered += 1
        if len(frame) > self._max_frame:
            counters.mtu_drops += 1
            return False
        queue = self.queue
        if self._busy:
            return queue.enqueue(now, frame)
        if type(queue) is DropTail and not queue._frames:
            # An idle transmitter and nothing queued: the frame passes the queue at once,
            # counted as `enqueue` then `dequeue` would count it (the common case on a link
            # that is not the bottleneck), without going through the FIFO.
            if not queue.pass_through(now, frame):
                return False
            self._transmit(now, frame)
            return True
        if not queue.enqueue(now, frame):
            return False
        self._start(now)
        return True

    def _send_train(self, now: int, train: Train) -> bool:
        """Queue ``train`` whole where that is exact, else offer its pieces one by one."""
        passes = self._trains_pass
        if passes is None:
            far = self.peer.node if self.peer is not None else None
            passes = self._trains_pass = bool(
                type(self.queue) is DropTail
                and self._fifo is not None
                and far is not None
                and far.takes_trains
            )
            if passes and far is not None and far.coalesces:
                # The far end's GRO would hand over back-to-back segments of one connection
                # together: trains queued back to back here join (`DropTail.joins`).
                assert isinstance(self.queue, DropTail)
                self.queue.joins = True
        queue = self.queue
        if passes and train.piece_max <= self._max_frame:
            assert isinstance(queue, DropTail)
            if queue.push_train(now, train):
                self.counters.offered += train.frames
                if not self._busy:
                    self._start(now)
                return True
            return self._send_head(now, train, queue)
        sent = True
        for piece in train.cut():
            sent = self.send(now, piece) and sent
        return sent

    def _send_head(self, now: int, train: Train, queue: DropTail) -> bool:
        """Queue what of ``train`` its pieces arriving one by one would get into ``queue``.

        Frame by frame, an idle port starts the first piece at once; the next pieces are
        queued while they fit and dropped after (none leaves in between: they arrive at the
        same instant), but for a shorter last piece, which may still fit an octet bound. The
        pieces that get in are queued as one train (a train of the first ones), the others
        counted as dropped, without cutting the train into all its frames.
        """
        lengths = train.piece_lengths()
        n = len(lengths)
        first = 0
        if not self._busy:
            self.send(now, train.part(0, 1))
            first = 1
        fit = queue.fitting(now, lengths[first:])
        if fit >= 2:
            head = train.part(first, fit)
            assert type(head) is Train
            queued = queue.push_train(now, head)
            assert queued  # `fitting` said it fits
            self.counters.offered += fit
        elif fit == 1:
            self.send(now, train.part(first, 1))
        rest = first + fit
        if rest == n:
            return True
        last = rest < n - 1 and queue.fitting(now, [lengths[-1]]) == 1
        dropped = n - rest - last
        self.counters.offered += dropped
        queue.turn_away(dropped)
        if last:
            self.send(now, train.part(n - 1, 1))
        return False

    def _start(self, now: int) -> None:
        frame = self.queue.dequeue(now)
        if frame is None:
            self._busy = False
            return
        if type(frame) is Train:
            self._busy = True
            self._start_train(now, frame)
            return
        self._transmit(now, frame)

    def _transmit(self, now: int, frame: bytearray) -> None:
        # Start ``frame`` (not a train), taken from the queue or passed through it, at ``now``.
        self._busy = True
        if self.tap is not None:
            self.tap(now, frame)
        done = self._finish(now, len(frame))
        self.counters.busy_us += done - now
        # One frame at a time is being serialised: it waits here, and the event is a bound
        # method made once (no closure per frame).
        self._sending = frame
        self._schedule(done, self._transmitted_event)

    def _finish(self, now: int, length: int) -> int:
        """Return when a frame of ``length`` octets starting at ``now`` has left (µs)."""
        serializer = self._serializer
        # Back to back with the previous frame if it ended at `now`.
        return now if serializer is None else serializer.finish_next(now, length)

    def _start_train(self, now: int, train: Train) -> None:
        # The pieces back to back, each timed as `_start` times a frame after the one before.
        lengths = train.piece_lengths()
        first_end = self._finish(now, lengths[0])
        serializer = self._serializer
        if serializer is None:
            ends = [now] * len(lengths)
        else:
            ends = [first_end, *serializer.finish_following(lengths[1:])]
        starts = [now, *ends[:-1]]
        done = ends[-1]
        queue = self.queue
        assert isinstance(queue, DropTail)
        queue.start_train(starts, lengths, now)
        # The port's counters follow the pieces too (`catch_up`): busy from each piece's
        # start, sent at its end, as frame by frame.
        self._piece_starts = starts
        self._piece_ends = ends
        self._piece_octets = [0, *accumulate(lengths)]
        self._pieces_busy = 0
        self._pieces_sent = 0
        self.catch_up(now)
        if self.tap is not None:
            tapping = self._tapping
            if tapping is None:
                tapping = self._tapping = deque()
            tapping.extend(zip(starts, train.cut(), strict=True))
            self._tap_next(now)
        self._sending = train
        self._schedule(done, self._transmitted_event)
        if len(starts) > 1 and done - starts[1] > HOLD_US:
            # The receiver would not hold the first pieces that long (see HOLD_US): the
            # train arrives as consecutive parts, each when its last piece has arrived.
            self._early = True
            ends = [*starts[1:], done]
            spans = []
            first = 0
            n = len(ends)
            while first < n:
                last = first
                while last + 1 < n and ends[last + 1] - ends[first] <= HOLD_US:
                    last += 1
                spans.append((first, last - first + 1))
                first = last + 1
            delay = self._delay
            for (first, count), part in zip(spans, train.parts(spans), strict=True):
                self._on_wire(ends[first + count - 1] + delay, part)

    def catch_up(self, now: int) -> None:
        """Bring the counters up to ``now`` while a train is being sent.

        A train's pieces are counted as they would be frame by frame: each adds its
        serialisation time to ``busy_us`` when it starts and to ``tx_frames`` and
        ``tx_octets`` when it ends, and leaves the queue when it starts
        (`DropTail.catch_up`). The port does so at each of its own events; call this before
        reading the counters at any other instant (`Network.summary` does).
        """
        starts = self._piece_starts
        if starts is not None:
            c = self.counters
            ends = self._piece_ends
            counted = self._pieces_busy
            started = bisect_right(starts, now, counted)
            if started > counted:
                # Back to back, each piece starting as the one before ends: together they
                # were busy from the first one's start to the last one's end.
                c.busy_us += ends[started - 1] - starts[counted]
                self._pieces_busy = started
            counted = self._pieces_sent
            sent = bisect_right(ends, now, counted)
            if sent > counted:
                c.tx_frames += sent - counted
                c.tx_octets += self._piece_octets[sent] - self._piece_octets[counted]
                self._pieces_sent = sent
                if sent == len(ends):
                    self._piece_starts = None  # all of the train is counted
        queue = self.queue
        if type(queue) is DropTail:
            queue.catch_up(now)

    def room_at(self, frames: int, octets: int) -> int | None:
        """Return the first instant the queue takes ``frames`` frames of ``octets`` octets
        in all as the pieces of the train being sent leave it, or None if that does not
        happen before the train has left (the port then calls ``on_room`` anyway)."""
        queue = self.queue
        return queue.room_at(frames, octets) if type(queue) is DropTail else None

    def wake_at_room(self, frames: int, octets: int) -> None:
        """Call the node's ``on_room`` at `room_at` (a card that refused to send a train
        learns of room when a piece's departure makes it, as it would frame by frame)."""
        at = self.room_at(frames, octets)
        if at is None:
            return
        at = max(at, self.sim.now_us)
        if self._room_armed is not None and self._room_armed <= at:
            return
        self._room_armed = at
        self._schedule(at, self._room)

    def _room(self, now: int) -> None:
        if now != self._room_armed:
            return  # superseded by an earlier wake-up
        self._room_armed = None
        self.node.on_room(self, now)

    def _on_wire(self, due: int, frame: bytearray) -> None:
        # Onto the wire that only delays, to arrive at ``due``.
        assert self._fifo is not None
        self._fifo.append((due, frame))
        if self._armed is None:
            self._armed = due
            self._schedule(due, self._deliver_event)

    def _tap_next(self, now: int) -> None:
        # Hand the tap each piece that starts now, and come back for the next.
        tapping = self._tapping
        assert tapping is not None
        tap = self.tap
        while tapping and tapping[0][0] <= now:
            at, piece = tapping.popleft()
            if tap is not None:
                tap(at, piece)
        if tapping:
            self._schedule(tapping[0][0], self._tap_next)

    def _transmitted(self, now: int) -> None:
        frame = self._sending
        assert frame is not None
        self._sending = None
        if type(frame) is Train:
            self.catch_up(now)  # its last piece has ended: all of it is counted
            if self._tapping:
                # Pieces shorter than a microsecond start at this instant too: the tap gets
                # them before the next frame, whatever the order of this instant's events.
                self._tap_next(now)
            early = self._early
            self._early = False
        else:
            counters = self.counters
            counters.tx_frames += 1
            counters.tx_octets += len(frame)
            early = False
        fifo = self._fifo
        if fifo is not None:
            if not early:
                self._on_wire(now + self._delay, frame)
        else:
            wire = self.wire
            if wire.enqueue(now, frame):
                next_due = wire.next_due()
                if next_due is not None and (self._armed is None or next_due < self._armed):
                    self._armed = next_due
                    self._schedule(next_due, self._deliver_event)
        if self.queue._frames:
            self._start(now)  # the next frame follows at once
        else:
            # No frame waits in the queue: asking the discipline would give nothing and
            # change nothing read before its next frame (CoDel forgets its state on an empty
            # queue, and again when that frame reaches the idle port: it has waited no time).
            self._busy = False
        self.node.on_room(self, now)

    def _deliver(self, now: int) -> None:
        if now != self._armed:
            return  # superseded by an earlier delivery event
        self._armed = None
        peer = self.peer
        assert peer is not None
        node = peer.node
        counters = self.counters
        fifo = self._fifo
        if fifo is not None:
            while fifo:
                at, carried = fifo[0]
                if at > now:
                    self._armed = at
                    self._schedule(at, self._deliver_event)
                    return
                fifo.popleft()
                counters.delivered += carried.frames if type(carried) is Train else 1
                node.receive(peer, carried, now)
            return
        wire = self.wire
        while True:
            frame = wire.dequeue(now)
            if frame is None:
                break
            counters.delivered += 1
            node.receive(peer, frame, now)
        due = wire.next_due()
        if due is not None:
            self._armed = due
            self._schedule(due, self._deliver_event)

    def utilization(self, elapsed_us: int) -> float:
        """Return the fraction of ``elapsed_us`` the transmitter was busy, in [0, 1] (read
        after `catch_up` to the same instant while a train is being sent)."""
        return 0.0 if elapsed_us <= 0 else min(1.0, self.counters.busy_us / elapsed_us)

    def drops(self) -> int:
        """Return the frames lost at this port: queue drops, MTU drops and wire losses."""
        lost = 0 if self._wire is None else self._wire.counters.lost
        return self.queue.counters.drops + self.counters.mtu_drops + lost

    def __repr__(self) -> str:
        return f"Port({self.name})"


class Link:
    """A full-duplex point-to-point link between ``a`` and ``b``.

    ``spec`` applies to both directions unless ``spec_ba`` gives the direction from b to a.
    The ports are ``ab`` (a sends on it) and ``ba``; each node gets its port through
    ``node.attach(port)`` if it has that method.
    """

    def __init__(
        self,
        sim: Simulator,
        name: str,
        a: Node,
        b: Node,
        spec: LinkSpec | None = None,
        spec_ba: LinkSpec | None = None,
    ) -> None:
        spec = spec if spec is not None else LinkSpec()
        self.sim = sim
        self.name = name
        self.a = a
        self.b = b
        self.spec = spec
        self.ab = Port(sim, f"{name}:{a.name}>{b.name}", a, spec, name)
        self.ba = Port(
            sim, f"{name}:{b.name}>{a.name}", b, spec_ba if spec_ba is not None else spec, name
        )
        self.ab.peer = self.ba
        self.ba.peer = self.ab
        for node, port in ((a, self.ab), (b, self.ba)):
            attach = getattr(node, "attach", None)
            if attach is not None:
                attach(port)

    @property
    def ports(self) -> tuple[Port, Port]:
        """The two directions: (a to b, b to a)."""
        return self.ab, self.ba

    def utilization(self, elapsed_us: int) -> float:
        """Return the busier direction's utilization over ``elapsed_us``."""
        return max(p.utilization(elapsed_us) for p in self.ports)

    def drops(self) -> int:
        """Return the frames lost on the link, both directions."""
        return sum(p.drops() for p in self.ports)

    def __repr__(self) -> str:
        return f"Link({self.name}: {self.a.name} <-> {self.b.name})"
