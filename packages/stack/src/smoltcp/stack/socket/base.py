"""What every socket is to the socket set and the interface.

A socket never sees a device. The interface hands it parsed representations
on ingress (`Socket.process`) and asks it for at most one packet on egress (`Socket.dispatch`,
or `Socket.dispatch_poll`, which also says when the socket next wants a visit).
The socket set files each socket under the keys it returns from `Socket.demux_keys`, so that
ingress is a dictionary look-up whatever the number of sockets.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from smoltcp.stack.time import Instant

__all__ = ["Emit", "Socket", "SocketOwner"]

# Any: each socket kind emits its own representation (an IP header with a TCP, UDP or ICMP
# representation, or raw octets), and only the interface, which serialises them, reads them.
Emit = Callable[[Any, Any], None]
"""``emit(ip_repr, repr)``: serialise one packet at once (the payload may be a view into the
socket's buffer). It never fails from the socket's point of view."""


class SocketOwner(Protocol):
    """What a socket asks of the collection that holds it (`SocketSet`, or a test's stand-in).

    Look-ups return Any for the reason `SocketSet` gives: the caller knows the kind it added.
    """

    def add(self, socket: Socket) -> int:
        """Add ``socket`` (a listener's child connection, say); return its handle."""
        ...

    # Any: the caller knows the kind of socket it filed (see SocketSet).
    def get(self, handle: int) -> Any:
        """Return the socket of ``handle``, or None."""
        ...

    # Any: the caller knows the kind of socket it filed (see SocketSet).
    def remove(self, handle: int) -> Any:
        """Remove and return the socket of ``handle``."""
        ...

    # Any: the caller knows the kind of socket it filed (see SocketSet).
    def lookup(self, key: Hashable) -> Sequence[Any]:
        """Return the sockets filed under demux key ``key``."""
        ...

    def rebind(self, handle: int | None, socket: Socket) -> None:
        """Refile ``socket`` under its current `Socket.demux_keys`."""
        ...

    def wake(self, handle: int | None) -> None:
        """Mark the socket of ``handle`` as having something to send."""
        ...


class Socket:
    """The base of every socket: its link to the `SocketSet` it was added to.

    Subclasses implement `demux_keys`, `process`, `dispatch` and `poll_at` (and may
    override `dispatch_poll`, which combines the last two), and call
    `_rebind` whenever the keys they would return change, and `_wake` whenever they get
    something to send (the set then lets the interface visit them).
    """

    __slots__ = ("_handle", "_set")

    def __init__(self) -> None:
        self._set: SocketOwner | None = None
        self._handle: int | None = None

    @property
    def socket_set(self) -> SocketOwner | None:
        """The collection holding this socket (None before `SocketSet.add`)."""
        return self._set

    @property
    def handle(self) -> int | None:
        """The handle under which `socket_set` holds this socket, or None."""
        return self._handle

    def attach(self, owner: SocketOwner, handle: int) -> None:
        """Record that ``owner`` holds this socket under ``handle`` (its `add` calls this).

        Raises ValueError when the socket is held already.
        """
        if self._set is not None:
            raise ValueError("the socket already belongs to a socket set")
        self._set = owner
        self._handle = handle

    def detach(self) -> None:
        """Forget the owner (its `remove` calls this)."""
        self._set = None
        self._handle = None

    def demux_keys(self) -> tuple[Hashable, ...]:
        """Return the keys under which ingress finds this socket (see DESIGN.md)."""
        return ()

    # Any: the context is the interface's, and each socket kind takes and answers with its
    # own representation; the subclasses narrow these types.
    def process(self, cx: Any, now: Instant, ip_repr: Any, repr: Any) -> tuple[Any, Any] | None:
        """Take one packet addressed to this socket; return an immediate reply or None."""
        raise NotImplementedError

    # Any: the interface's context (see process).
    def dispatch(self, cx: Any, now: Instant, emit: Emit) -> bool:
        """Emit at most one packet through ``emit``; return whether one was emitted."""
        raise NotImplementedError

    # Any: the interface's context (see process).
    def poll_at(self, cx: Any) -> Instant | None:
        """Return when the socket next wants `dispatch` (``Instant.ZERO``: now), or None."""
        raise NotImplementedError

    # Any: the interface's context (see process).
    def dispatch_poll(self, cx: Any, now: Instant, emit: Emit) -> Literal[True] | Instant | None:
        """Emit at most one packet through ``emit``; return True when one was emitted, and
        otherwise what `poll_at` returns now.

        The interface's egress loop calls this until it returns something other than True,
        and so learns when to come back without a `poll_at` of its own. This default is
        exactly `dispatch` then `poll_at`; a socket whose `dispatch` finds out its next time
        while looking for something to send (TCP walks its timers) returns that instead.
        """
        if self.dispatch(cx, now, emit):
            return True
        return self.poll_at(cx)

    def _rebind(self) -> None:
        """Tell the socket set that `demux_keys` changed (a no-op before `SocketSet.add`)."""
        if self._set is not None:
            self._set.rebind(self._handle, self)

    def _wake(self) -> None:
        """Tell the socket set this socket has something to send."""
        if self._set is not None:
            self._set.wake(self._handle)
