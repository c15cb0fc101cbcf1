"""Passive open: `listen`, the backlog of child connections, and `accept`.

With ``backlog=0`` a listening socket becomes the connection itself when a SYN arrives (the
Rust smoltcp's semantics: one connection per listening socket; it returns to LISTEN if the
handshake fails). With ``backlog > 0`` it stays in LISTEN: each SYN creates a child
`TcpSocket` (same buffer sizes and settings) in the listener's `SocketSet`, which completes
its handshake on its own; `accept` hands out the established children one by one, in the
order they completed their handshakes (an accept queue); one reset by the peer before
`accept` is still handed out if it holds received octets. At most
``backlog`` children wait to be accepted; a SYN beyond that is dropped (the peer retries, as
with a full Linux accept queue).
"""

from __future__ import annotations

import copy
from typing import Any

from smoltcp.stack.socket.errors import ListenError
from smoltcp.stack.tcp.state import TcpState
from smoltcp.stack.time import Instant
from smoltcp.wire import IpEndpoint, TcpControl, TcpRepr

__all__ = ["_Listener"]

_CLOSED = TcpState.CLOSED
_LISTEN = TcpState.LISTEN
_SYN_RECEIVED = TcpState.SYN_RECEIVED
_RST = TcpControl.RST
_SYN = TcpControl.SYN


class _Listener:
    """Passive open for `TcpSocket` (see socket.py for the slots)."""

    __slots__ = ()

    def listen(self: Any, endpoint: IpEndpoint | tuple[Any, int] | int, backlog: int = 0) -> None:
        """Wait for connections on ``endpoint`` (an endpoint, or a port for every address).

        ``backlog=0``: this socket becomes the connection. ``backlog > 0``: connections are
        children of this socket, taken with `accept`. Raises `ListenError` when the socket is
        open already or the port is 0, ``ValueError`` for a negative backlog.
        """
        if backlog < 0:
            raise ValueError(f"backlog must be >= 0, not {backlog}")
        ep = IpEndpoint(None, endpoint) if isinstance(endpoint, int) else IpEndpoint(*endpoint)
        if ep.port == 0:
            raise ListenError("unaddressable")
        if ep.addr is not None and ep.addr.is_unspecified:
            ep = IpEndpoint(None, ep.port)
        if self._state is not _CLOSED:
            raise ListenError("invalid state")
        self._reset_connection()
        self._error = None
        self._rx.clear()
        self._tx.clear()
        self._listen_ep = ep
        self._backlog_max = backlog
        self._backlog: list[int] = []
        self._passive = True
        self._child = False
        self._set_state(_LISTEN)
        self._rebind()

    def accept(self: Any) -> int | None:
        """Return the handle of the next established child connection, or None.

        The caller owns the handle (and removes the socket from the set when done with it).
        Children whose handshake failed are removed from the set here.
        """
        if self._backlog_max == 0:
            return None
        self._prune_backlog()
        sockets = self._set
        best = -1
        best_at = 0
        for i, handle in enumerate(self._backlog):
            child = sockets.get(handle)
            # The earliest established first (ties: the earliest SYN), as an accept queue.
            if child._state is not _SYN_RECEIVED and (best < 0 or child._established_at < best_at):
                best = i
                best_at = child._established_at
        if best < 0:
            return None
        handle = self._backlog.pop(best)
        sockets.get(handle)._child = False
        return handle

    @property
    def backlog(self) -> int:
        """Children waiting to be accepted (handshaking or established)."""
        self._prune_backlog()
        return len(self._backlog)

    def _prune_backlog(self: Any) -> None:
        sockets = self._set
        if sockets is None or not self._backlog:
            return
        keep = []
        for handle in self._backlog:
            child = sockets.get(handle)
            if child is None:
                continue
            if child._state is _CLOSED and child._rst_pending is None and not len(child._rx):
                # The handshake failed (RST, timeout), or the connection was reset with
                # nothing left to read: nobody will ever accept it. A reset child holding
                # received octets stays: they remain readable, then recv says "reset".
                sockets.remove(handle)
                continue
            keep.append(handle)
        self._backlog = keep

    def _close_listener(self: Any) -> None:
        """Drop the children nobody accepted (they are aborted)."""
        sockets = self._set
        if sockets is not None:
            for handle in self._backlog:
                child = sockets.get(handle)
                if child is not None:
                    child._child = False
                    child.abort()
        self._backlog = []

    def _process_listen(self: Any, cx: Any, now: Instant, ip: Any, seg: TcpRepr) -> Any:
        """RFC 9293 3.10.7.2: a segment for a listening socket."""
        from smoltcp.stack.tcp.process import _rst_for

        ctl = seg.control
        if ctl is _RST:
            return None
        if seg.ack_number is not None:
            return _rst_for(ip, seg)
        if ctl is not _SYN:
            return None
        if self._backlog_max == 0:
            self._open_passive(cx, now, ip, seg)
            return None
        self._prune_backlog()
        if len(self._backlog) >= self._backlog_max or self._set is None:
            return None
        child = type(self)(self._rx.capacity, self._tx.capacity)
        child._timeout = self._timeout
        child._keep_alive = self._keep_alive
        child._ack_delay = self._ack_delay
        child._nagle = self._nagle
        child._hop_limit = self._hop_limit
        child._rtt.min_rto = self._rtt.min_rto
        # A copy of the listener's controller, not a new one by name: the name of a custom
        # controller means nothing to `make_congestion_controller` (it would raise out of
        # poll), and an instance carries its configuration (e.g. HyStart++ off).
        child.set_congestion_control(copy.deepcopy(self._cc))
        child._assembler = type(self._assembler)(self._assembler.max_holes)
        child._listen_ep = self._listen_ep
        child._passive = True
        child._child = True
        child._state = _LISTEN
        handle = self._set.add(child)
        self._backlog.append(handle)
        child._open_passive(cx, now, ip, seg)
        return None

    def _open_passive(self: Any, cx: Any, now: Instant, ip: Any, seg: TcpRepr) -> None:
        """Take the SYN: move to SYN-RECEIVED; `dispatch` sends the SYN-ACK."""
        self._local = IpEndpoint(ip.dst_addr, seg.dst_port)
        self._remote = IpEndpoint(ip.src_addr, seg.src_port)
        self._start_connection(cx, now)
        self._accept_syn(cx, now, ip, seg)
        self._set_state(_SYN_RECEIVED)
        self._rebind()
        self._wake()

    def _return_to_listen(self: Any) -> None:
        """A failed passive handshake returns a backlog-0 socket to LISTEN (RFC 9293 3.10.7.4)."""
        ep = self._listen_ep
        backlog = self._backlog_max
        left = self._state
        self._reset_connection()
        self._rx.clear()
        self._tx.clear()
        self._listen_ep = ep
        self._backlog_max = backlog
        # `_reset_connection` set CLOSED behind `_set_state`'s back: restore the state we
        # leave, so that the change logged (and checked) is the RFC's SYN-RECEIVED -> LISTEN.
        self._state = left
        self._set_state(_LISTEN)
        self._rebind()
