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
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from smoltcp.phy.impair import LossModel, Serializer
from smoltcp.phy.netem import Netem, NetemSettings

from .queue import QueueSpec
from .runner import Simulator

__all__ = ["Link", "LinkSpec", "Node", "Port"]

ETHERNET_HEADER_LEN = 14
# The wire holds what is in flight; rate x delay bounds it in practice, this bounds it always.
_IN_FLIGHT_LIMIT = 1 << 20
# The stream handed to queue disciplines that never draw (all but RED).
_NO_DRAWS = random.Random(0)


class Node(Protocol):
    """What a port delivers to: a host, a switch or a router."""

    name: str

    def receive(self, port: Port, frame: bytearray, now: int) -> None:
        """Take ``frame`` arriving on ``port`` at ``now`` (µs); the node owns it."""
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
        "_fifo",
        "_max_frame",
        "_sending",
        "_serializer",
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
        self._armed: int | None = None
        self._deliver_event = self._deliver
        self._sending: bytearray | None = None
        self._transmitted_event = self._transmitted

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

        The port keeps ``frame`` (the caller must not change it afterwards).
        """
        counters = self.counters
        counters.offered += 1
        if len(frame) > self._max_frame:
            counters.mtu_drops += 1
            return False
        if not self.queue.enqueue(now, frame):
            return False
        if not self._busy:
            self._start(now)
        return True

    def _start(self, now: int) -> None:
        frame = self.queue.dequeue(now)
        if frame is None:
            self._busy = False
            return
        self._busy = True
        if self.tap is not None:
            self.tap(now, frame)
        serializer = self._serializer
        if serializer is None:
            done = now
        else:
            # Back to back with the previous frame (it ended at `now`), pass the instant just
            # before so the fractions of a microsecond carry over (see Serializer.finish).
            at = now - 1 if serializer.busy_until == now else now
            done = serializer.finish(at, len(frame))
        self.counters.busy_us += done - now
        # One frame at a time is being serialised: it waits here, and the event is a bound
        # method made once (no closure per frame).
        self._sending = frame
        self.sim._schedule(done, self._transmitted_event)

    def _transmitted(self, now: int) -> None:
        frame = self._sending
        assert frame is not None
        self._sending = None
        counters = self.counters
        counters.tx_frames += 1
        counters.tx_octets += len(frame)
        fifo = self._fifo
        if fifo is not None:
            due = now + self._delay
            fifo.append((due, frame))
            if self._armed is None:
                self._armed = due
                self.sim._schedule(due, self._deliver_event)
            self._start(now)
            self.node.on_room(self, now)
            return
        wire = self.wire
        if wire.enqueue(now, frame):
            next_due = wire.next_due()
            if next_due is not None and (self._armed is None or next_due < self._armed):
                self._armed = next_due
                self.sim._schedule(next_due, self._deliver_event)
        self._start(now)
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
            while fifo and fifo[0][0] <= now:
                counters.delivered += 1
                node.receive(peer, fifo.popleft()[1], now)
            if fifo:
                self._armed = fifo[0][0]
                self.sim._schedule(self._armed, self._deliver_event)
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
            self.sim._schedule(due, self._deliver_event)

    def utilization(self, elapsed_us: int) -> float:
        """Return the fraction of ``elapsed_us`` the transmitter was busy, in [0, 1]."""
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
