"""What UDP and ICMP sockets share: two bounded packet queues, a binding and a hop limit."""

from __future__ import annotations

from typing import Any

from smoltcp.stack.storage import PacketBuffer

from .base import Socket

__all__ = ["DatagramSocket"]


class DatagramSocket(Socket):
    """The base of the datagram sockets (`UdpSocket`, `IcmpSocket`).

    ``rx_buffer`` and ``tx_buffer`` are `PacketBuffer`s: their capacities bound how many
    messages (and octets) wait in each direction; ``rx_dropped`` and ``tx_dropped`` count what
    did not fit. Subclasses set ``_endpoint`` when bound.
    """

    __slots__ = ("_endpoint", "_hop_limit", "_rx", "_tx", "rx_dropped", "tx_dropped")

    def __init__(self, rx_buffer: PacketBuffer[Any], tx_buffer: PacketBuffer[Any]) -> None:
        super().__init__()
        if not isinstance(rx_buffer, PacketBuffer) or not isinstance(tx_buffer, PacketBuffer):
            raise TypeError(f"{type(self).__name__} takes two PacketBuffers")
        self._rx = rx_buffer
        self._tx = tx_buffer
        self._endpoint: Any = None
        self._hop_limit: int | None = None
        self.rx_dropped = 0
        self.tx_dropped = 0

    def is_open(self) -> bool:
        """Return whether the socket is bound."""
        return self._endpoint is not None

    @property
    def hop_limit(self) -> int | None:
        """The time to live of what the socket sends; None means the default, 64."""
        return self._hop_limit

    @hop_limit.setter
    def hop_limit(self, value: int | None) -> None:
        if value is not None and (not isinstance(value, int) or not 1 <= value <= 255):
            raise ValueError(f"hop_limit must be in [1, 255] or None, not {value!r}")
        self._hop_limit = value
