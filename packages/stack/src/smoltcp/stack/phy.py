"""The device protocol: how the stack receives and transmits frames.

A device hands out *tokens*. A receive token lends the stack one received frame for the length
of a callback; a transmit token lends it a writable buffer of the length it asks for, which the
device sends when the callback returns. A TAP device can thus read into and write from
preallocated buffers, and the stack emits headers and payload straight into the frame buffer:
no per-frame copies beyond the payload.

Devices live in `smoltcp.phy`; this module only states the protocol (`typing.Protocol`), so
anything with these methods is a device.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, Protocol, TypeVar

from smoltcp.wire.capabilities import ChecksumCapabilities, Medium

from .time import Instant

__all__ = ["Device", "DeviceCapabilities", "RxToken", "TxToken"]

R = TypeVar("R")

ETHERNET_HEADER_LEN = 14


class DeviceCapabilities(NamedTuple):
    """What a device can carry.

    ``max_transmission_unit`` is the largest frame the device takes; for the Ethernet medium it
    includes the 14-octet Ethernet header (a 1500-octet IP MTU is 1514), as in Rust smoltcp.
    ``max_burst_size`` is how many frames the device can take in one go, or None for no limit.
    """

    medium: Medium = Medium.ETHERNET
    max_transmission_unit: int = 1514
    max_burst_size: int | None = None
    checksum: ChecksumCapabilities = ChecksumCapabilities()

    def ip_mtu(self) -> int:
        """Return the largest IP packet the device carries, in octets."""
        if self.medium is Medium.ETHERNET:
            return self.max_transmission_unit - ETHERNET_HEADER_LEN
        return self.max_transmission_unit


class RxToken(Protocol):
    """The right to read one received frame."""

    def consume(self, f: Callable[[memoryview], R]) -> R:
        """Call ``f`` with the received frame and return what it returns.

        The view is valid only during the call: keep a copy of anything needed later.
        """
        ...


class TxToken(Protocol):
    """The right to send one frame."""

    def consume(self, length: int, f: Callable[[memoryview], R]) -> R:
        """Call ``f`` with a writable view of exactly ``length`` octets, then send them.

        The view may be the device's own preallocated buffer: it is valid only during the call.
        Returns what ``f`` returns.
        """
        ...


class Device(Protocol):
    """A source and sink of frames: a TAP or TUN device, a raw socket, a loopback, a test."""

    def receive(self, now: Instant) -> tuple[RxToken, TxToken] | None:
        """Return a received frame's token and a token to answer it, or None if none waits."""
        ...

    def transmit(self, now: Instant) -> TxToken | None:
        """Return a token to send one frame, or None if the device cannot send now."""
        ...

    def capabilities(self) -> DeviceCapabilities:
        """Return what the device carries (medium, MTU, burst size, checksum offloads)."""
        ...
