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

from smoltcp.stack.socket.errors import ListenError
from smoltcp.stack.tcp.arguments import EndpointLike, to_endpoint
from smoltcp.stack.tcp.process import rst_for
from smoltcp.stack.tcp.state import TcpState
from smoltcp.stack.tcp.tcb import Context, IpRepr, Part, Reply
from smoltcp.stack.time import Instant
from smoltcp.wire import IpEndpoint, TcpControl, TcpRepr

__all__ = ["Listener"]

_CLOSED = TcpState.CLOSED
_LISTEN = TcpState.LISTEN
_SYN_RECEIVED = TcpState.SYN_RECEIVED
_RST = TcpControl.RST
_SYN = TcpControl.SYN


class Listener(Part):
    """Passive open for one socket: the listening endpoint and the backlog of children."""

    __slots__ = ("backlog_max", "listen_ep", "pending")

    def __init__(self) -> None:
        self.listen_ep: IpEndpoint | None = None
        self.backlog_max = 0
        # The handles of the children not yet accepted, in the order of their SYNs.
        self.pending: list[int] = []

    def listen(self, endpoint: EndpointLike, backlog: int = 0) -> None:
        """Wait for connections on ``endpoint`` (see `TcpSocket.listen`)."""
        tcb = self.tcb
        if not isinstance(backlog, int) or isinstance(backlog, bool):
            raise TypeError(f"backlog must be an int, not {type(backlog).__name__}")
        if backlog < 0:
            raise ValueError(f"backlog must be >= 0, not {backlog}")
        ep = to_endpoint(endpoint, "endpoint", port_alone=True)
        if ep.port == 0:
            raise ListenError("unaddressable")
        if ep.addr is not None and ep.addr.is_unspecified:
            ep = IpEndpoint(None, ep.port)
        if tcb.state is not _CLOSED:
            raise ListenError("invalid state")
        self.sock._reset_connection()
        tcb.error = None
        tcb.rx.clear()
        tcb.tx.clear()
        self.listen_ep = ep
        self.backlog_max = backlog
        self.pending = []
        tcb.passive = True
        tcb.child = False
        tcb.set_state(_LISTEN)
        self.sock._rebind()

    def accept(self) -> int | None:
        """Return the handle of the next established child connection, or None.

        The caller owns the handle (and removes the socket from the set when done with it).
        Children whose handshake failed are removed from the set here.
        """
        if self.backlog_max == 0:
            return None
        self.prune_backlog()
        sockets = self.sock._set
        if sockets is None:
            return None
        best = -1
        best_at = 0
        for i, handle in enumerate(self.pending):
            child = sockets.get(handle)
            at = child._tcb.established_at
            # The earliest established first (ties: the earliest SYN), as an accept queue.
            if child.state is not _SYN_RECEIVED and (best < 0 or at < best_at):
                best = i
                best_at = at
        if best < 0:
            return None
        handle = self.pending.pop(best)
        sockets.get(handle)._tcb.child = False
        return handle

    def waiting(self) -> int:
        """Return the children waiting to be accepted (handshaking or established)."""
        self.prune_backlog()
        return len(self.pending)

    def prune_backlog(self) -> None:
        """Remove the children nobody will accept from the set and from the backlog."""
        sockets = self.sock._set
        if sockets is None or not self.pending:
            return
        keep = []
        for handle in self.pending:
            child = sockets.get(handle)
            if child is None:
                continue
            if child.state is _CLOSED and child._snd.rst_pending is None and not len(child._tcb.rx):
                # The handshake failed (RST, timeout), or the connection was reset with
                # nothing left to read: nobody will ever accept it. A reset child holding
                # received octets stays: they remain readable, then recv says "reset".
                sockets.remove(handle)
                continue
            keep.append(handle)
        self.pending = keep

    def close_listener(self) -> None:
        """Drop the children nobody accepted (they are aborted)."""
        sockets = self.sock._set
        if sockets is not None:
            for handle in self.pending:
                child = sockets.get(handle)
                if child is not None:
                    child._tcb.child = False
                    child.abort()
        self.pending = []

    def process_listen(self, cx: Context, now: Instant, ip: IpRepr, seg: TcpRepr) -> Reply | None:
        """RFC 9293 3.10.7.2: a segment for a listening socket."""
        ctl = seg.control
        if ctl is _RST:
            return None
        if seg.ack_number is not None:
            return rst_for(ip, seg)
        if ctl is not _SYN:
            return None
        if self.backlog_max == 0:
            self.open_passive(cx, now, ip, seg)
            return None
        self.prune_backlog()
        sockets = self.sock._set
        if sockets is None:
            return None
        if len(self.pending) >= self.backlog_max:
            return self.overflow(cx, now, ip, seg)
        child = self.sock._spawn_child()
        child._lst.listen_ep = self.listen_ep
        handle = sockets.add(child)
        self.pending.append(handle)
        child._lst.open_passive(cx, now, ip, seg)
        return None

    def overflow(self, cx: Context, now: Instant, ip: IpRepr, seg: TcpRepr) -> Reply | None:
        """The accept queue is full: drop the SYN (the peer retries, as with a full Linux
        accept queue). A stateless answer to the SYN (SYN cookies) would go out here."""
        return None

    def open_passive(self, cx: Context, now: Instant, ip: IpRepr, seg: TcpRepr) -> None:
        """Take the SYN: move to SYN-RECEIVED; `dispatch` sends the SYN-ACK."""
        tcb = self.tcb
        tcb.local = IpEndpoint(ip.dst_addr, seg.dst_port)
        tcb.remote = IpEndpoint(ip.src_addr, seg.src_port)
        self.sock._start_connection(cx, now)
        self.arr.accept_syn(cx, now, ip, seg)
        tcb.set_state(_SYN_RECEIVED)
        self.sock._rebind()
        self.sock._wake()

    def return_to_listen(self) -> None:
        """A failed passive handshake returns a backlog-0 socket to LISTEN (RFC 9293 3.10.7.4)."""
        tcb = self.tcb
        ep = self.listen_ep
        backlog = self.backlog_max
        left = tcb.state
        self.sock._reset_connection()
        tcb.rx.clear()
        tcb.tx.clear()
        self.listen_ep = ep
        self.backlog_max = backlog
        # `_reset_connection` set CLOSED behind `set_state`'s back: restore the state we
        # leave, so that the change logged (and checked) is the RFC's SYN-RECEIVED -> LISTEN.
        tcb.state = left
        tcb.set_state(_LISTEN)
        self.sock._rebind()
