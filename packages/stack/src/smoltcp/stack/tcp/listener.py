"""Passive open: `listen`, the backlog of child connections, and `accept`.

With ``backlog=0`` a listening socket becomes the connection itself when a SYN arrives (the
Rust smoltcp's semantics: one connection per listening socket; it returns to LISTEN if the
handshake fails). With ``backlog > 0`` it stays in LISTEN: each SYN creates a child
`TcpSocket` (same buffer sizes and settings) in the listener's `SocketSet`, which completes
its handshake on its own; `accept` hands out the established children one by one, in the
order they completed their handshakes (an accept queue); one reset by the peer before
`accept` is still handed out if it holds received octets.

Two queues bound what peers can make a listener keep. The SYN queue holds the half-open
children (SYN-RECEIVED), at most ``syn_backlog``; the accept queue the established children
not yet accepted, at most ``backlog``. Both are counts kept up to date as children change
state. A SYN that finds the accept queue full is dropped (the peer retries, as with a full
Linux accept queue). One that finds the SYN queue full is answered statelessly with a SYN
cookie (RFC 4987 3.6, `syncookie.SynCookies`, one per interface context) when the context
has one, else dropped; the ACK that returns a genuine cookie creates the child directly,
already synchronized, and the same segment is then processed by it (data or a FIN may ride
on it). While the SYN queue is at least half full, half-open children give up after
`PRESSURE_SYN_RETRIES` SYN-ACK retransmissions instead of `recovery.MAX_SYN_RETRIES`.
`ListenerStats` counts all of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from smoltcp.stack.socket.errors import ListenError
from smoltcp.stack.tcp.arguments import EndpointLike, to_endpoint
from smoltcp.stack.tcp.icmp import path_mtu
from smoltcp.stack.tcp.process import _MIN_MSS, rst_for
from smoltcp.stack.tcp.recovery import MAX_SYN_RETRIES
from smoltcp.stack.tcp.seq import SEQ_MASK
from smoltcp.stack.tcp.state import TcpState
from smoltcp.stack.tcp.syncookie import CookieOptions, SynCookies
from smoltcp.stack.tcp.tcb import Context, IpRepr, Part, Reply
from smoltcp.stack.time import Instant
from smoltcp.wire import IpEndpoint, Ipv6Address, TcpControl, TcpRepr, ip_repr

if TYPE_CHECKING:
    from smoltcp.stack.tcp.socket import TcpSocket

__all__ = ["PRESSURE_SYN_RETRIES", "Listener", "ListenerStats"]

_CLOSED = TcpState.CLOSED
_LISTEN = TcpState.LISTEN
_SYN_RECEIVED = TcpState.SYN_RECEIVED
_RST = TcpControl.RST
_SYN = TcpControl.SYN

# SYN-ACK retransmissions of a half-open child while its listener's SYN queue is at least half
# full: SYN-ACKs at 0, 1 and 3 s, the entry freed at 7 s instead of about 123 s.
PRESSURE_SYN_RETRIES = 2


@dataclass(frozen=True, slots=True)
class ListenerStats:
    """What happened to the SYNs and handshakes that reached one listening socket.

    All counts since `TcpSocket.listen`. ``half_open`` and ``accept_queue`` are the current
    lengths of the two queues; the rest are running totals.
    """

    half_open: int = 0
    """Children in SYN-RECEIVED now (the SYN queue)."""
    accept_queue: int = 0
    """Established children waiting for `accept` now."""
    syns_received: int = 0
    """SYNs that reached the listener."""
    syn_queue_full: int = 0
    """SYNs dropped because the SYN queue was full and no cookie could be sent."""
    accept_queue_full: int = 0
    """SYNs and cookie ACKs dropped because the accept queue was full."""
    cookies_sent: int = 0
    """SYN-ACKs sent with a SYN cookie instead of a half-open child."""
    cookies_accepted: int = 0
    """ACKs that returned a genuine cookie and created a child."""
    cookies_failed: int = 0
    """ACKs checked as cookie ACKs that failed (forged, replayed too late, expired): RST."""
    half_open_expired: int = 0
    """Half-open children dropped after their last SYN-ACK went unanswered."""
    synack_retransmits: int = 0
    """SYN-ACKs that half-open children sent again."""


class Listener(Part):
    """Passive open for one socket: the listening endpoint and the backlog of children."""

    __slots__ = (
        "backlog_max",
        "cookie_at",
        "cookie_ts_offset",
        "counts",
        "half_open",
        "listen_ep",
        "parent",
        "pending",
        "prune_due",
        "syn_backlog_max",
    )

    def __init__(self) -> None:
        self.listen_ep: IpEndpoint | None = None
        self.backlog_max = 0
        self.syn_backlog_max = 0
        # The handles of the children not yet accepted, in the order of their SYNs.
        self.pending: list[int] = []
        # How many of them are in SYN-RECEIVED (kept by `child_changed`, not by scans).
        self.half_open = 0
        # A child closed: `pending` holds a handle `prune_backlog` may drop.
        self.prune_due = False
        # The listener of a child not yet accepted (None otherwise): the child reports its
        # changes of state to it.
        self.parent: Listener | None = None
        # When the last cookie was sent (microseconds), and the TSval offset of every cookie
        # SYN-ACK and of the children cookies create (RFC 7323 5.4; one per listener, so that
        # the SYN-ACK and the child agree without keeping anything per SYN).
        self.cookie_at: int | None = None
        self.cookie_ts_offset: int | None = None
        # The counters of `ListenerStats`, which `listen` creates: until then the shared
        # empty table (every socket, a backlog child too, has a `Listener`; only listening
        # ones count, and a count written here would raise KeyError rather than be shared).
        self.counts: dict[str, int] = _NO_COUNTS

    def listen(
        self,
        endpoint: EndpointLike,
        backlog: int = 0,
        syn_backlog: int | None = None,
        *,
        catch_all: bool = False,
    ) -> None:
        """Wait for connections on ``endpoint`` (see `TcpSocket.listen`); with ``catch_all``
        (``endpoint`` ignored) on every address and port no other socket takes (see
        `TcpSocket.listen_any`)."""
        tcb = self.tcb
        if not isinstance(backlog, int) or isinstance(backlog, bool):
            raise TypeError(f"backlog must be an int, not {type(backlog).__name__}")
        if backlog < 0:
            raise ValueError(f"backlog must be >= 0, not {backlog}")
        if syn_backlog is None:
            syn_backlog = backlog
        elif not isinstance(syn_backlog, int) or isinstance(syn_backlog, bool):
            raise TypeError(f"syn_backlog must be an int or None, not {type(syn_backlog).__name__}")
        elif syn_backlog < 1 and backlog > 0:
            raise ValueError(f"syn_backlog must be >= 1, not {syn_backlog}")
        if catch_all:
            # The catch-all: port 0 marks it (no exact listener can have port 0).
            ep = IpEndpoint(None, 0)
        else:
            ep = to_endpoint(endpoint, "endpoint", port_alone=True)
            if ep.port == 0:
                raise ListenError("unaddressable")
        addr = ep.addr
        if addr is not None:
            if addr.is_unspecified:
                ep = IpEndpoint(None, ep.port)
            elif not addr.is_unicast:
                # No TCP segment to a group or broadcast address is for a connection (RFC 1122
                # 4.2.3.10): such a listener would wait for ever. (A subnet's directed
                # broadcast is known only to the interface, which drops those segments.)
                raise ListenError(f"unaddressable: no connection is made to {addr}")
            elif type(addr) is Ipv6Address and addr.is_ipv4_mapped:
                # ::ffff:0:0/96 never appears on the wire (RFC 4291 2.5.5.2): no SYN comes to
                # it (IPv6 ingress drops it as a source, the interface holds none as its own).
                raise ListenError(
                    f"unaddressable: {addr} is IPv4-mapped (listen on the IPv4 address)"
                )
        if tcb.state is not _CLOSED:
            raise ListenError("invalid state")
        self.sock._reset_connection()
        tcb.error = None
        tcb.rx.clear()
        tcb.tx.clear()
        self.listen_ep = ep
        self.backlog_max = backlog
        self.syn_backlog_max = syn_backlog
        self.pending = []
        self.half_open = 0
        self.prune_due = False
        self.cookie_at = None
        self.counts = dict.fromkeys(_COUNTS, 0)
        tcb.passive = True
        tcb.child = False
        tcb.set_state(_LISTEN)
        self.sock._rebind()

    def accept(self) -> int | None:
        """Return the handle of the next established child connection, or None.

        The caller owns the handle (and removes the socket from the set when done with it).
        Children whose handshake failed are removed from the set here. (`TcpSocket.accept`
        answers None itself while every child is still in SYN-RECEIVED.)
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
        child = sockets.get(handle)
        child._tcb.child = False
        child._lst.parent = None
        return handle

    def waiting(self) -> int:
        """Return the children waiting to be accepted (handshaking or established)."""
        self.prune_backlog()
        return len(self.pending)

    def stats(self) -> ListenerStats:
        """Return the listener's counters (see `ListenerStats`)."""
        self.prune_backlog()
        return ListenerStats(
            half_open=self.half_open,
            accept_queue=len(self.pending) - self.half_open,
            **self.counts,
        )

    def child_changed(self, child: Listener, old: TcpState, new: TcpState) -> None:
        """Keep the queue counts: ``child`` (one of ours) changes from ``old`` to ``new``."""
        if new is _SYN_RECEIVED:
            self.half_open += 1
        elif old is _SYN_RECEIVED:
            self.half_open -= 1
            if new is _CLOSED and child.tcb.error == "timed out":
                self.counts["half_open_expired"] += 1
        if new is _CLOSED:
            self.prune_due = True

    def note_syn_timeout(self, tries: int) -> bool:
        """Return whether a SYN or SYN-ACK may go again after its ``tries``-th timeout.

        A half-open child of a listener whose SYN queue is at least half full gets
        `PRESSURE_SYN_RETRIES`; every other handshake `recovery.MAX_SYN_RETRIES`. A
        retransmission allowed for a child is counted by its listener.
        """
        parent = self.parent
        if parent is None or self.tcb.state is not _SYN_RECEIVED:
            return tries <= MAX_SYN_RETRIES
        limit = MAX_SYN_RETRIES
        if 2 * parent.half_open >= parent.syn_backlog_max:
            limit = PRESSURE_SYN_RETRIES
        if tries <= limit:
            parent.counts["synack_retransmits"] += 1
            return True
        return False

    def prune_backlog(self) -> None:
        """Remove the children nobody will accept from the set and from the backlog."""
        sockets = self.sock._set
        self.prune_due = False
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
                    child._lst.parent = None
                    child.abort()
        self.pending = []
        self.half_open = 0

    def process_listen(self, cx: Context, now: Instant, ip: IpRepr, seg: TcpRepr) -> Reply | None:
        """RFC 9293 3.10.7.2: a segment for a listening socket."""
        ctl = seg.control
        if ctl is _RST:
            return None
        if seg.ack_number is not None:
            # An ACK in LISTEN is answered with a RST, unless it may complete a cookie
            # handshake (RFC 4987 3.6): only while cookies sent lately may still be returned.
            if ctl is not _SYN and self.cookie_at is not None and self.backlog_max:
                jar = getattr(cx, "syncookies", None)
                if jar is not None and now.micros - self.cookie_at <= jar.lifetime_micros:
                    return self.cookie_ack(cx, now, ip, seg, jar)
            return rst_for(ip, seg)
        if ctl is not _SYN:
            return None
        if self.backlog_max == 0:
            self.open_passive(cx, now, ip, seg)
            return None
        self.counts["syns_received"] += 1
        if self.prune_due:
            self.prune_backlog()
        sockets = self.sock._set
        if sockets is None:
            return None
        if len(self.pending) - self.half_open >= self.backlog_max:
            # Linux drops a SYN that finds the accept queue full: the peer retries.
            self.counts["accept_queue_full"] += 1
            return None
        if self.half_open >= self.syn_backlog_max:
            return self.overflow(cx, now, ip, seg)
        child = self.spawn(sockets)
        try:
            child._lst.open_passive(cx, now, ip, seg)
        except BaseException:
            self.discard_unopened(child)
            raise
        return None

    def spawn(self, sockets: object) -> TcpSocket:
        """Add a child in LISTEN to the set and to the backlog; return it."""
        child = self.sock._spawn_child()
        lst = child._lst
        lst.listen_ep = self.listen_ep
        lst.parent = self
        user = child._tcb.observer

        def observe(old: TcpState, new: TcpState) -> None:
            if user is not None:
                user(old, new)  # may refuse the change: count only changes that happen
            parent = lst.parent
            if parent is not None:
                parent.child_changed(lst, old, new)

        child._tcb.observer = observe
        # Added while CLOSED, so filed under no key: the caller's open (`open_passive`,
        # `open_cookie`) files it under its connection's at once, and filing it under our key
        # first would cost a refiling per connection. Then (not a transition of the diagram)
        # it is born listening, for its one SYN.
        handle = self.sock._set.add(child)  # type: ignore[union-attr]
        child._tcb.state = _LISTEN
        self.pending.append(handle)
        return child

    def discard_unopened(self, child: TcpSocket) -> None:
        """Forget ``child`` (just spawned) when its open failed before SYN-RECEIVED (an
        ``on_state_change`` that refused the change): it answered nothing, so it leaves the
        backlog and the set, and `accept` never hands it out. The peer's retransmitted SYN
        (or ACK of a cookie) finds the listener again."""
        handle = child.handle
        if child._tcb.state is not _LISTEN or handle is None:
            return
        if handle in self.pending:
            self.pending.remove(handle)
        sockets = child._set
        if sockets is not None:
            sockets.remove(handle)

    def overflow(self, cx: Context, now: Instant, ip: IpRepr, seg: TcpRepr) -> Reply | None:
        """The SYN queue is full: answer with a SYN cookie (RFC 4987 3.6), or drop the SYN.

        The SYN-ACK goes out at once and nothing is kept: its ISS is the cookie, and its
        timestamp (when the SYN had one) carries the options the cookie has no room for.
        """
        jar: SynCookies | None = getattr(cx, "syncookies", None)
        if jar is None:
            self.counts["syn_queue_full"] += 1
            return None
        t = now.micros
        if self.cookie_ts_offset is None:
            self.cookie_ts_offset = cx.rand.getrandbits(32)
        local = IpEndpoint(ip.dst_addr, seg.dst_port)
        remote = IpEndpoint(ip.src_addr, seg.src_port)
        tsval = (t // 1000 + self.cookie_ts_offset) & SEQ_MASK
        answer = jar.answer(local, remote, seg, now, tsval)
        capacity = self.tcb.rx.capacity
        reply = TcpRepr(
            src_port=seg.dst_port,
            dst_port=seg.src_port,
            control=_SYN,
            seq_number=answer.iss,
            ack_number=seg.seq_number + 1,
            # The SYN-ACK's window is never scaled (RFC 7323 2.2).
            window_len=min(capacity, 0xFFFF),
            window_scale=_window_shift(capacity) if answer.window_scale else None,
            max_seg_size=max(1, cx.ip_mtu - 40),
            sack_permitted=answer.sack_permitted,
            timestamp=answer.timestamp,
        )
        self.cookie_at = t
        self.counts["cookies_sent"] += 1
        hop = self.snd.hop_limit
        ip_out = ip_repr(
            ip.dst_addr, ip.src_addr, ip.next_header, reply.buffer_len(), 64 if hop is None else hop
        )
        return ip_out, reply

    def cookie_ack(
        self, cx: Context, now: Instant, ip: IpRepr, seg: TcpRepr, jar: SynCookies
    ) -> Reply | None:
        """An ACK in LISTEN while cookies are out: create the child it completes, or RST."""
        local = IpEndpoint(ip.dst_addr, seg.dst_port)
        remote = IpEndpoint(ip.src_addr, seg.src_port)
        options = jar.restore(local, remote, seg, now)
        if options is None:
            self.counts["cookies_failed"] += 1
            return rst_for(ip, seg)
        if self.prune_due:
            self.prune_backlog()
        sockets = self.sock._set
        if sockets is None:
            return None
        if len(self.pending) - self.half_open >= self.backlog_max:
            # As Linux: drop the ACK, the peer's retransmission may find room.
            self.counts["accept_queue_full"] += 1
            return None
        child = self.spawn(sockets)
        offset = self.cookie_ts_offset
        try:
            child._lst.open_cookie(cx, now, ip, seg, options, 0 if offset is None else offset)
        except BaseException:
            self.discard_unopened(child)
            raise
        # Counted once the child is open: one whose open was refused accepted nothing.
        self.counts["cookies_accepted"] += 1
        # The ACK itself enters ESTABLISHED, and any text or FIN on it is taken.
        return child.process(cx, now, ip, seg)

    def open_cookie(
        self,
        cx: Context,
        now: Instant,
        ip: IpRepr,
        seg: TcpRepr,
        options: CookieOptions,
        ts_offset: int,
    ) -> None:
        """Rebuild the SYN-RECEIVED state a cookie stands for, as if the SYN had been kept.

        ISS = the cookie (SEG.ACK - 1), IRS = SEG.SEQ - 1, our SYN-ACK sent; the options
        those of the SYN as the cookie restores them. The caller then processes ``seg``.
        """
        tcb = self.tcb
        tcb.local = IpEndpoint(ip.dst_addr, seg.dst_port)
        tcb.remote = IpEndpoint(ip.src_addr, seg.src_port)
        self.sock._start_connection(cx, now)
        assert seg.ack_number is not None  # `restore` checked it
        iss = seg.ack_number + -1  # stays a TcpSeqNumber (mod 2**32)
        tcb.iss = tcb.snd_una = iss
        tcb.snd_nxt = tcb.snd_max = iss + 1
        tcb.snd_wl2 = iss
        self.rec.recover = iss
        tcb.irs = seg.seq_number + -1
        tcb.rcv_nxt = seg.seq_number
        tcb.snd_wl1 = tcb.irs
        tcb.peer_mss = min(max(_MIN_MSS, options.mss), max(1, path_mtu(cx, ip.src_addr) - 40))
        if options.window_scale is not None:
            tcb.ws_ok = True
            tcb.snd_shift = options.window_scale
        else:
            tcb.ws_ok = False
            tcb.snd_shift = 0
            tcb.rcv_shift = 0
        ts = seg.timestamp
        tcb.ts_ok = options.timestamps and ts is not None
        if ts is not None and tcb.ts_ok:
            tcb.ts_recent = ts.tsval
            tcb.ts_offset = ts_offset
        tcb.sack_ok = options.sack_permitted
        tcb.snd_mss = max(1, tcb.peer_mss - (12 if tcb.ts_ok else 0))
        # The window our cookie SYN-ACK advertised.
        self.rcv.after_ack_sent(min(tcb.rx.capacity, 0xFFFF))
        tcb.set_state(_SYN_RECEIVED)
        self.sock._rebind()
        self.sock._wake()

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
        syn_backlog = self.syn_backlog_max
        left = tcb.state
        trace = tcb.trace  # the connection's trace records its last change, below
        self.sock._reset_connection()
        tcb.rx.clear()
        tcb.tx.clear()
        self.listen_ep = ep
        self.backlog_max = backlog
        self.syn_backlog_max = syn_backlog
        # `_reset_connection` set CLOSED behind `set_state`'s back: restore the state we
        # leave, so that the change logged (and checked) is the RFC's SYN-RECEIVED -> LISTEN.
        tcb.state = left
        tcb.trace = trace
        tcb.set_state(_LISTEN)
        tcb.trace = None  # the next SYN opens a trace of its own
        self.sock._rebind()


_COUNTS = (
    "syns_received",
    "syn_queue_full",
    "accept_queue_full",
    "cookies_sent",
    "cookies_accepted",
    "cookies_failed",
    "half_open_expired",
    "synack_retransmits",
)


# Read only: see `Listener.__init__`.
_NO_COUNTS: dict[str, int] = {}


def _window_shift(capacity: int) -> int:
    """Our window shift for a receive buffer of ``capacity`` octets (as a connection picks it)."""
    shift = 0
    while shift < 14 and (capacity >> shift) > 0xFFFF:
        shift += 1
    return shift
