"""The eleven connection states of RFC 9293 section 3.3.2, printed with their RFC names."""

from __future__ import annotations

import enum

__all__ = ["TcpState"]


class TcpState(enum.Enum):
    """A TCP connection state; ``str(state)`` is the RFC name (``SYN-SENT``, ...)."""

    CLOSED = "CLOSED"
    LISTEN = "LISTEN"
    SYN_SENT = "SYN-SENT"
    SYN_RECEIVED = "SYN-RECEIVED"
    ESTABLISHED = "ESTABLISHED"
    FIN_WAIT_1 = "FIN-WAIT-1"
    FIN_WAIT_2 = "FIN-WAIT-2"
    CLOSE_WAIT = "CLOSE-WAIT"
    CLOSING = "CLOSING"
    LAST_ACK = "LAST-ACK"
    TIME_WAIT = "TIME-WAIT"

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"TcpState.{self.name}"
