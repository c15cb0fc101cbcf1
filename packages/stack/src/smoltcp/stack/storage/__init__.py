"""Preallocated, bounded storage for sockets: octet rings, packet rings and a reassembler.

- `RingBuffer`: a ring of octets (TCP send and receive buffers) with zero-copy views of its
  readable and writable regions.
- `PacketBuffer`: a ring of packet metadata over a ring of payload octets (datagram sockets);
  every packet's payload is contiguous.
- `Assembler`: the ranges received past a moving front, with a bounded number of separate
  ranges (TCP and IP reassembly, SACK blocks).

None of them grows after construction: a peer can never make the stack allocate.
"""

from __future__ import annotations

from smoltcp.stack.storage.assembler import Assembler
from smoltcp.stack.storage.errors import BufferEmpty, BufferFull, StorageError, TooManyHoles
from smoltcp.stack.storage.packet_buffer import PacketBuffer
from smoltcp.stack.storage.ring_buffer import RingBuffer

__all__ = [
    "Assembler",
    "BufferEmpty",
    "BufferFull",
    "PacketBuffer",
    "RingBuffer",
    "StorageError",
    "TooManyHoles",
]
