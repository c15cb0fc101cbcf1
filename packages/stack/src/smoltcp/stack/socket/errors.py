"""The named errors of socket operations. Each carries a ``reason`` a user can act on."""

from __future__ import annotations

__all__ = ["BindError", "ConnectError", "ListenError", "RecvError", "SendError", "SocketError"]


class SocketError(Exception):
    """The base of every socket operation error."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BindError(SocketError):
    """The socket could not be bound (already bound, unaddressable endpoint, ...)."""


class ListenError(SocketError):
    """The socket could not listen (already open, unaddressable endpoint, ...)."""


class ConnectError(SocketError):
    """The socket could not connect (already open, unaddressable endpoint, ...)."""


class SendError(SocketError):
    """The data could not be queued (buffer full, unaddressable, socket not open, ...)."""


class RecvError(SocketError):
    """Nothing could be received (buffer empty, connection reset, socket not open, ...)."""
