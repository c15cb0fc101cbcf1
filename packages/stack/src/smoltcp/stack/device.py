"""The device protocol: how the stack receives and transmits frames.

A device hands out *tokens*. A receive token lends the stack one received frame for the length
of a callback; a transmit token lends it a writable buffer of the length it asks for, which the
device sends when the callback returns. A TAP device can thus read into and write from
preallocated buffers, and the stack emits headers and payload straight into the frame buffer:
no per-frame copies beyond the payload.

Devices live in `smoltcp.phy`; this module only states the protocol (`typing.Protocol`), so
anything with these methods is a device.

The contract, both ways:

- A device may reuse its tokens and buffers: a receive token, and the view it lends, are valid
  only until the device's next `Device.receive`; a transmit token until it is consumed. The
  stack calls ``consume`` at most once per token, never keeps a token or a view past that call,
  and may leave a token unconsumed (the device must then send nothing).
- `TxToken.consume` is asked for at most ``max_transmission_unit`` octets (the Ethernet header
  included on an Ethernet device). The callback fills every octet it is given.
- `Device.transmit` returning None is back-pressure, not an error: the stack keeps what it
  wanted to send and asks again at its next poll. `Device.receive` returning None means no
  frame waits. Neither raises for a frame lost on the wire; a device counts such losses itself.
- The stack receives at most ``max_burst_size`` frames per `Interface.poll` (or
  ``Config.ingress_burst`` when the device sets none).
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
    ``checksum`` says which checksums the stack computes on transmit and verifies on receive
    (a device that offloads them to hardware clears the corresponding directions).
    ``max_tso_size`` is the largest frame the device takes for TCP segmentation offload, counted
    as ``max_transmission_unit`` is (Ethernet header included), or 0 for no offload (the
    default). When it is larger than ``max_transmission_unit``, the stack may hand the device
    a TCP/IPv4 segment up to that size, with valid IP and TCP checksums; the device cuts it into
    segments of at most ``max_transmission_unit`` (and fixes their checksums), as a NIC with
    TSO does. Every other packet stays within ``max_transmission_unit``.
    """

    medium: Medium = Medium.ETHERNET
    max_transmission_unit: int = 1514
    max_burst_size: int | None = None
    checksum: ChecksumCapabilities = ChecksumCapabilities()
    max_tso_size: int = 0

    def ip_tso_size(self) -> int:
        """Return the largest IP packet the device segments (TSO), or 0 if it does not."""
        if self.max_tso_size <= self.max_transmission_unit:
            return 0
        if self.medium is Medium.ETHERNET:
            return self.max_tso_size - ETHERNET_HEADER_LEN
        return self.max_tso_size

    def ip_mtu(self) -> int:
        """Return the largest IP packet the device carries, in octets."""
        if self.medium is Medium.ETHERNET:
            return self.max_transmission_unit - ETHERNET_HEADER_LEN
        return self.max_transmission_unit


class RxToken(Protocol):
    """The right to read one received frame.

    A token may also carry ``checksum_valid``, a bool: True when the device has verified, or
    has itself just completed, the TCP or UDP checksum of this frame (a TAP with offloads, on a
    segment the local kernel sent with a partial checksum). The interface then skips that
    one verification; without the attribute every checksum is verified.

    A token may also carry ``last``, a bool: True only when the device knows that no other
    frame waits behind this one, i.e. that its next ``receive`` call (in this poll, right
    after this token is consumed) will return None. The interface then hands a lone TCP
    segment straight to its socket instead of holding it for receive coalescing (GRO) until
    the end of the poll, which would deliver it at that same point: what the socket gets, and
    when, is the same, only the copy is spared. A device must not say True when a frame
    that its next ``receive`` returns may arrive while this one is consumed (a loopback,
    where the answer to this frame comes back). A wrong True never harms correctness: every
    segment still reaches its socket whole and in order, only the frames behind it are not
    coalesced with it (as with GRO off). Without the attribute, or with False, nothing
    changes.
    """

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
        """Return a received frame's token and a token to answer it, or None if none waits.

        The previous receive token (and its view) may be invalid from this call on.
        """
        ...

    def transmit(self, now: Instant) -> TxToken | None:
        """Return a token to send one frame, or None if the device cannot send now."""
        ...

    def capabilities(self) -> DeviceCapabilities:
        """Return what the device carries (medium, MTU, burst size, checksum offloads)."""
        ...
