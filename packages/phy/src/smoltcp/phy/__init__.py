"""Devices and middleware for the smoltcp stack: what connects it to the OS or to memory.

Devices implement `smoltcp.stack.device.Device`:

- `Loopback`: in memory; what is sent is received.
- `TapInterface`, `TunInterface`: Linux TAP (Ethernet) and TUN (IP) interfaces.
- `RawSocket`: an ``AF_PACKET`` socket bound to one interface.
- `PacketMmapSocket`: the same over ``PACKET_MMAP`` rings, many frames per system call.

Middleware wraps any device and is one itself, so they stack:
``FaultInjector(Tracer(PcapWriter(TapInterface("tap0"), "x.pcap")), seed=1)``.

- `PcapWriter`: writes every frame to a libpcap file.
- `FaultInjector`: drops, corrupts, size-limits and rate-limits frames, seeded, and emulates
  a bad network (`NetemSettings`: delay, jitter, reordering, duplication, burst loss, a rate).

`Netem` runs those impairments in time given by the caller (`smoltcp.phy.netem`), from the
models of `smoltcp.phy.impair`, which the emulator and a simulator in virtual time share.
- `Tracer`: reports every frame to a callback or a logger.

`wait` blocks until a device is readable; `clock.now` gives the ``now`` to pass to the stack.
`smoltcp.phy.aio` drives the stack from an asyncio event loop instead, with asyncio's streams,
transports and datagram endpoints over it (imported on its own: it needs asyncio).
Opening a device the OS refuses raises `DeviceError`, whose message is one line for a user.

Tokens are allocated once per device and reused: a receive token is valid until the device's
next `receive`, a transmit token until it is consumed.
"""

from __future__ import annotations

from .clock import now
from .direction import Direction
from .errors import DeviceError
from .fault_injector import FaultInjector, FaultInjectorCounters
from .loopback import Loopback
from .mmap_socket import PacketMmapSocket
from .netem import Netem, NetemCounters, NetemSettings
from .pcap import PcapLinkType, PcapMode, PcapWriter
from .raw_socket import RawSocket
from .tracer import Tracer, format_frame
from .tuntap import TapInterface, TunInterface
from .wait import Waiter, wait

__version__ = "0.5.0"  # kept equal to pyproject.toml (a test checks)

__all__ = [
    "DeviceError",
    "Direction",
    "FaultInjector",
    "FaultInjectorCounters",
    "Loopback",
    "Netem",
    "NetemCounters",
    "NetemSettings",
    "PacketMmapSocket",
    "PcapLinkType",
    "PcapMode",
    "PcapWriter",
    "RawSocket",
    "TapInterface",
    "Tracer",
    "TunInterface",
    "Waiter",
    "format_frame",
    "now",
    "wait",
]
