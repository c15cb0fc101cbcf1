"""An Ethernet learning switch: forwards frames between its ports by destination address.

It learns which port each source address was last seen on (IEEE 802.1D's filtering database,
bounded, entries aging out after ``aging_us``), forwards a frame to the learnt port of its
destination, and floods broadcasts, multicasts and unknown destinations to every other port.
A frame shorter than an Ethernet header is dropped and counted. Forwarding is store and forward:
a frame is offered to the egress port when its last octet has arrived. A train (a TCP
super-segment of a host with offload, `smoltcp.phy.sim.train`) is forwarded as one frame,
after one look-up; the egress port decides whether it passes whole or is cut.
"""

from __future__ import annotations

from smoltcp.wire._generated.ethernet import HEADER as _HEADER
from smoltcp.wire._generated.ethernet import HEADER_LEN as _HEADER_LEN

from .link import Port
from .runner import Simulator
from .train import Train

__all__ = ["Switch"]


class Switch:
    """A learning switch named ``name``; links attach ports to it (`attach`)."""

    takes_trains = True
    """Trains are delivered to the switch whole (see `smoltcp.phy.sim.link`)."""
    coalesces = False
    """A switch forwards frames as they come: it joins none."""

    def __init__(
        self, sim: Simulator, name: str, *, table_size: int = 4096, aging_us: int = 300_000_000
    ) -> None:
        if table_size < 1:
            raise ValueError(f"table_size must be >= 1, not {table_size}")
        self.sim = sim
        self.name = name
        self.ports: list[Port] = []
        self.table_size = table_size
        self.aging_us = aging_us
        # Source address (six octets) -> (port, last seen, microseconds); insertion order is
        # age order.
        self._table: dict[bytes, tuple[Port, int]] = {}
        self.forwarded = 0
        self.flooded = 0
        self.dropped = 0

    def attach(self, port: Port) -> None:
        """Add ``port`` (one direction of a link, from this switch) to the switch."""
        self.ports.append(port)

    def receive(self, port: Port, frame: bytearray, now: int) -> None:
        """Learn the source of ``frame``, then forward or flood it."""
        if len(frame) < _HEADER_LEN:
            self.dropped += 1
            return
        # The table is keyed by the raw six octets: no address object per frame. The group
        # bit is the least significant bit of the first octet (IEEE 802).
        dst, src, _ = _HEADER.unpack_from(frame)
        table = self._table
        if not src[0] & 1:
            # Taken out if known, to go back in at the end: the most recently seen.
            if table.pop(src, None) is None and len(table) >= self.table_size:
                del table[next(iter(table))]
            table[src] = (port, now)
        if not dst[0] & 1:
            entry = table.get(dst)
            if entry is not None and now - entry[1] <= self.aging_us:
                out = entry[0]
                if out is not port:
                    self.forwarded += 1
                    out.send(now, frame)
                return
        self.flooded += 1
        train = type(frame) is Train
        for out in self.ports:
            if out is not port:
                # Each port owns what it is given, and a queued train may be joined with the
                # next in place (`Train.coalesce`): each gets its own copy of a train.
                out.send(now, frame.copy() if train else frame)

    def on_room(self, port: Port, now: int) -> None:
        """A switch queue that fills drops (drop-tail): nothing to resume."""

    def __repr__(self) -> str:
        return f"Switch({self.name}, {len(self.ports)} ports)"
