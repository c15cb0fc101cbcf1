"""What every socket is to the socket set and the interface.

A socket never sees a device (STYLE.md rule 3). The interface hands it parsed representations
on ingress (`Socket.process`) and asks it for at most one packet on egress (`Socket.dispatch`).
The socket set files each socket under the keys it returns from `Socket.demux_keys`, so that
ingress is a dictionary look-up whatever the number of sockets.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smoltcp.stack.time import Instant

__all__ = ["Emit", "Socket"]

Emit = Callable[[Any, Any], None]
"""``emit(ip_repr, repr)``: serialise one packet at once (the payload may be a view into the
socket's buffer). It never fails from the socket's point of view."""


class Socket:
    """The base of every socket: its link to the `SocketSet` it was added to.

    Subclasses implement `demux_keys`, `process`, `dispatch` and `poll_at`, and call
    `_rebind` whenever the keys they would return change, and `_wake` whenever they get
    something to send (the set then lets the interface visit them).
    """

    __slots__ = ("_handle", "_set")

    def __init__(self) -> None:
        self._set: Any = None
        self._handle: int | None = None

    def demux_keys(self) -> tuple[Hashable, ...]:
        """Return the keys under which ingress finds this socket (see DESIGN.md)."""
        return ()

    def process(self, cx: Any, now: Instant, ip_repr: Any, repr: Any) -> tuple[Any, Any] | None:
        """Take one packet addressed to this socket; return an immediate reply or None."""
        raise NotImplementedError

    def dispatch(self, cx: Any, now: Instant, emit: Emit) -> bool:
        """Emit at most one packet through ``emit``; return whether one was emitted."""
        raise NotImplementedError

    def poll_at(self, cx: Any) -> Instant | None:
        """Return when the socket next wants `dispatch` (``Instant.ZERO``: now), or None."""
        raise NotImplementedError

    def _rebind(self) -> None:
        """Tell the socket set that `demux_keys` changed (a no-op before `SocketSet.add`)."""
        if self._set is not None:
            self._set._rebind(self._handle, self)

    def _wake(self) -> None:
        """Tell the socket set this socket has something to send."""
        if self._set is not None:
            self._set._wake(self._handle)
