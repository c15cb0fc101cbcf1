"""What UDP and ICMP sockets share: two bounded packet queues, a binding and hop limits."""

from __future__ import annotations

from typing import Any

from smoltcp.stack.storage import PacketBuffer

from .base import Socket

__all__ = [
    "DEFAULT_MULTICAST_HOP_LIMIT",
    "DatagramSocket",
    "MAX_BUFFER_SIZE",
    "OCTETS_PER_SLOT",
    "check_size",
    "check_writable",
    "packet_buffer",
]

MAX_BUFFER_SIZE = 1 << 30
"""The largest buffer an int size may ask for (1 GiB)."""
OCTETS_PER_SLOT = 64
"""An int size of N octets holds up to ``max(1, N // 64)`` packets (small ones)."""
DEFAULT_MULTICAST_HOP_LIMIT = 1
"""The hop limit (TTL) of what a socket sends to a multicast group unless told otherwise: the
group's datagrams stay on the link (RFC 3493 5.2 IPV6_MULTICAST_HOPS, RFC 1112 6.1
IP_MULTICAST_TTL)."""


# Any: user input, checked here; each socket kind keeps its own per-packet metadata.
def packet_buffer(buffer: Any, what: str) -> PacketBuffer[Any]:
    """Return ``buffer`` if it is a `PacketBuffer`; make one if it is an int size in octets.

    An int ``N`` (1 to `MAX_BUFFER_SIZE`) gives a buffer of ``N`` payload octets holding up to
    ``max(1, N // 64)`` packets. Raises TypeError or ValueError naming ``what``.
    """
    if isinstance(buffer, PacketBuffer):
        return buffer
    if isinstance(buffer, int) and not isinstance(buffer, bool):
        if not 1 <= buffer <= MAX_BUFFER_SIZE:
            raise ValueError(f"{what} size must be in [1, {MAX_BUFFER_SIZE}], not {buffer}")
        return PacketBuffer(max(1, buffer // OCTETS_PER_SLOT), buffer)
    raise TypeError(f"{what} must be a PacketBuffer or an int size, not {type(buffer).__name__}")


# Any: user input of any type, checked here.
def check_size(size: Any, what: str = "size") -> int:
    """Return ``size`` if it is an int >= 0; raise TypeError/ValueError naming ``what``."""
    if not isinstance(size, int) or isinstance(size, bool):
        raise TypeError(f"{what} must be an int, not {type(size).__name__}")
    if size < 0:
        raise ValueError(f"{what} must be >= 0, not {size}")
    return size


# Any: user input of any type, checked here.
def check_bytes(data: Any, what: str = "data") -> None:
    """Raise TypeError naming ``what`` unless ``data`` is bytes, bytearray or a memoryview."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"{what} must be bytes, bytearray or memoryview, not {type(data).__name__}")


# Any: user input of any type, checked here.
def check_writable(buffer: Any, what: str = "buffer") -> None:
    """Raise TypeError naming ``what`` unless ``buffer`` is a bytearray or writable view."""
    if isinstance(buffer, bytearray):
        return
    if isinstance(buffer, memoryview) and not buffer.readonly:
        return
    raise TypeError(
        f"{what} must be a bytearray or a writable memoryview, not {type(buffer).__name__}"
    )


class DatagramSocket(Socket):
    """The base of the datagram sockets (`UdpSocket`, `IcmpSocket`).

    ``rx_buffer`` and ``tx_buffer`` are `PacketBuffer`s, or int sizes in octets (see
    `packet_buffer`), as for `TcpSocket`: their capacities bound how many messages (and octets)
    wait in each direction; ``rx_dropped`` and ``tx_dropped`` count what did not fit.
    Subclasses set ``_endpoint`` when bound.
    """

    __slots__ = (
        "_endpoint",
        "_hop_limit",
        "_multicast_hop_limit",
        "_rx",
        "_tx",
        "rx_dropped",
        "tx_dropped",
    )

    def __init__(
        self,
        # Any: each subclass keeps its own per-packet metadata in the buffers.
        rx_buffer: PacketBuffer[Any] | int,
        tx_buffer: PacketBuffer[Any] | int,  # Any: as rx_buffer
    ) -> None:
        super().__init__()
        self._rx = packet_buffer(rx_buffer, "rx_buffer")
        self._tx = packet_buffer(tx_buffer, "tx_buffer")
        # Any: each subclass binds its own kind of endpoint (UDP or ICMP).
        self._endpoint: Any = None
        self._hop_limit: int | None = None
        self._multicast_hop_limit: int | None = None
        self.rx_dropped = 0
        self.tx_dropped = 0

    def is_open(self) -> bool:
        """Return whether the socket is bound."""
        return self._endpoint is not None

    @property
    def hop_limit(self) -> int | None:
        """The time to live of what the socket sends to a unicast (or broadcast) address; None
        means the default, 64."""
        return self._hop_limit

    @hop_limit.setter
    def hop_limit(self, value: int | None) -> None:
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise TypeError(f"hop_limit must be an int or None, not {type(value).__name__}")
        if value is not None and not 1 <= value <= 255:
            raise ValueError(f"hop_limit must be in [1, 255] or None, not {value!r}")
        self._hop_limit = value

    @property
    def multicast_hop_limit(self) -> int | None:
        """The hop limit (IPv6) or time to live (IPv4) of what the socket sends to a multicast
        group, in [1, 255]; None means the default, `DEFAULT_MULTICAST_HOP_LIMIT` (1: the
        link only), as a POSIX socket's IPV6_MULTICAST_HOPS and IP_MULTICAST_TTL. `hop_limit`
        does not apply to multicast destinations. Setting anything else raises TypeError or
        ValueError naming ``multicast_hop_limit`` (0, "this host only", has no meaning
        here: the stack delivers nothing it sends to itself)."""
        return self._multicast_hop_limit

    @multicast_hop_limit.setter
    def multicast_hop_limit(self, value: int | None) -> None:
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise TypeError(
                f"multicast_hop_limit must be an int or None, not {type(value).__name__}"
            )
        if value is not None and not 1 <= value <= 255:
            raise ValueError(f"multicast_hop_limit must be in [1, 255] or None, not {value!r}")
        self._multicast_hop_limit = value

    def _hop_limit_for(self, dst: Any, unicast_default: int) -> int:
        """Return the hop limit of a packet to ``dst`` (an `IpAddress`)."""
        if dst.is_multicast:
            return self._multicast_hop_limit or DEFAULT_MULTICAST_HOP_LIMIT
        return self._hop_limit or unicast_default
