"""`TcpSocket`: the public API of a TCP connection (RFC 9293), a facade over its parts.

A socket owns one transmission control block (`tcb.Tcb`: the RFC 9293 variables) and five
parts, each with state of its own, linked to each other (`tcb.Part`):

- `process.SegmentArrives`: RFC 9293 section 3.10.7, a segment arrives;
- `receive.Receiver`: reassembly, the ACK policy, SACK blocks and the window we offer;
- `send.Sender`: what `dispatch` emits (segmentation, Nagle, SWS avoidance, zero-window
  probes, keep-alive) and when (`poll_at`);
- `recovery.Recovery`: RTT and RTO, fast recovery, the SACK scoreboard, RACK-TLP and the
  congestion controller;
- `listener.Listener`: `listen` with a backlog of child connections and `accept`.

The urgent pointer is ignored (RFC 9293 3.8.5 only requires that it not break the stream):
urgent data is delivered in line like any other data and URG is never sent.

Receiving: ``recv`` returns ``b""`` when nothing is buffered *yet*; once the peer's FIN has been
received and every octet read, it raises ``RecvError("finished")``; after a reset by the peer,
``RecvError("reset")`` (after a timeout, ``RecvError("timed out")``). Octets received before a
FIN or a RST stay readable first.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable
from typing import Any, Literal

from smoltcp.stack.socket.base import Emit, Socket
from smoltcp.stack.socket.errors import ConnectError, RecvError, SendError
from smoltcp.stack.socket.set import ANY_TCP_KEY
from smoltcp.stack.storage import Assembler, RingBuffer
from smoltcp.stack.tcp import icmp as _icmp
from smoltcp.stack.tcp.arguments import EndpointLike, ring_buffer, to_endpoint
from smoltcp.stack.tcp.congestion import CongestionController, Cubic, NoControl, Reno
from smoltcp.stack.tcp.demux import connection_key, listen_key
from smoltcp.stack.tcp.isn import IsnGenerator
from smoltcp.stack.tcp.listener import Listener, ListenerStats
from smoltcp.stack.tcp.process import SegmentArrives
from smoltcp.stack.tcp.receive import Receiver
from smoltcp.stack.tcp.recovery import Recovery
from smoltcp.stack.tcp.send import CHRONO_IDLE, Sender
from smoltcp.stack.tcp.seq import SEQ_MASK
from smoltcp.stack.tcp.settings import TcpSocketSettings
from smoltcp.stack.tcp.snapshot import snapshot
from smoltcp.stack.tcp.state import TcpState
from smoltcp.stack.tcp.stats import CongestionPhase, TcpStats
from smoltcp.stack.tcp.tcb import (
    Context,
    IpRepr,
    Reply,
    StateObserver,
    Tcb,
    link_parts,
    unlink_parts,
)
from smoltcp.stack.tcp.trace import ConnectionTrace, TraceRecorder
from smoltcp.stack.time import Instant
from smoltcp.wire import IpAddress, IpEndpoint, TcpRepr, TcpSeqNumber

__all__ = ["CongestionPhase", "TcpSocket", "TcpStats"]

_CLOSED = TcpState.CLOSED
_LISTEN = TcpState.LISTEN
_ESTABLISHED = TcpState.ESTABLISHED
_CLOSE_WAIT = TcpState.CLOSE_WAIT
# ABORT sends no RST in these (RFC 9293 3.10.5).
_ABORT_SILENT = frozenset(
    (_CLOSED, _LISTEN, TcpState.SYN_SENT, TcpState.TIME_WAIT, TcpState.CLOSING, TcpState.LAST_ACK)
)


# The built-in congestion controllers, whose every slot holds a number, a bool or None: a
# backlog child gets a slot-by-slot copy (a deepcopy costs about 70 us per connection, a large
# share of a connection's CPU time at thousands per second). Each copier is one function that
# names every slot (generated once from ``__slots__``, as `dataclasses` generates methods):
# about 0.3 us, where a loop of getattr/setattr over the names took about 2.5 us.
def _slot_copier(kind: type) -> Callable[[CongestionController], CongestionController]:
    # Each class's own slots (an inherited ``__slots__`` is not the class's), and no
    # ``__dict__`` whose attributes the copy would miss.
    fields = tuple(
        dict.fromkeys(name for k in kind.__mro__ for name in k.__dict__.get("__slots__", ()))
    )
    assert "__dict__" not in fields and not hasattr(object.__new__(kind), "__dict__"), kind
    assert all(name.isidentifier() and not name.startswith("__") for name in fields), fields
    body = "".join(f"    new.{name} = cc.{name}\n" for name in fields)
    namespace: dict[str, Any] = {"_new": object.__new__, "_kind": kind}
    name = f"_copy_{kind.__name__}"
    exec(f"def {name}(cc):\n    new = _new(_kind)\n{body}    return new\n", namespace)
    copier: Callable[[CongestionController], CongestionController] = namespace[name]
    copier.__module__ = __name__
    return copier


_CC_COPIERS: dict[type, Callable[[CongestionController], CongestionController]] = {
    kind: _slot_copier(kind) for kind in (Cubic, Reno, NoControl)
}


def _copy_controller(cc: CongestionController) -> CongestionController:
    """Return an independent copy of ``cc`` (configuration and state)."""
    copier = _CC_COPIERS.get(type(cc))
    if copier is None:
        # A controller of the user's: its fields may hold anything.
        return copy.deepcopy(cc)
    return copier(cc)


class TcpSocket(TcpSocketSettings):
    """A TCP socket: a passive (``listen``) or active (``connect``) connection end.

    ``TcpSocket(rx_buffer, tx_buffer)`` takes two `RingBuffer`s or their sizes in octets.
    Buffers larger than 64 KiB are used in full through window scaling (RFC 7323).

    ``initial_seq`` (an int in 0..2**32-1) fixes the initial send sequence number of every
    connection the socket opens, and of its backlog children, instead of RFC 6528's (for tests
    that spell out sequence numbers). ``on_state_change(old, new)`` is called before each
    change of state, for this socket and its backlog children. Both are keyword-only.
    """

    __slots__ = ("__weakref__", "_arr", "_initial_seq", "_lst", "_rcv", "_rec", "_snd", "_tcb")

    def __init__(
        self,
        rx_buffer: RingBuffer | int,
        tx_buffer: RingBuffer | int,
        *,
        initial_seq: int | None = None,
        on_state_change: StateObserver | None = None,
    ) -> None:
        super().__init__()
        if initial_seq is not None:
            if not isinstance(initial_seq, int) or isinstance(initial_seq, bool):
                raise TypeError(
                    f"initial_seq must be an int or None, not {type(initial_seq).__name__}"
                )
            if not 0 <= initial_seq <= SEQ_MASK:
                raise ValueError(f"initial_seq must be in 0..2**32-1, not {initial_seq}")
        if on_state_change is not None and not callable(on_state_change):
            raise TypeError("on_state_change must be callable or None")
        self._build(
            ring_buffer(rx_buffer, "rx_buffer"),
            ring_buffer(tx_buffer, "tx_buffer"),
            initial_seq,
            on_state_change,
            Recovery(),
        )

    def _build(
        self,
        rx: RingBuffer,
        tx: RingBuffer,
        initial_seq: int | None,
        observer: StateObserver | None,
        rec: Recovery,
    ) -> None:
        """Create the TCB and the parts around checked arguments and a `Recovery` (which
        holds the congestion controller, so that a backlog child gets its copy of the
        listener's without making a default one first)."""
        self._initial_seq = initial_seq
        tcb = Tcb(rx, tx)
        tcb.observer = observer
        rcv = Receiver()
        snd = Sender()
        arr = SegmentArrives()
        lst = Listener()
        link_parts(self, tcb, rcv, snd, rec, arr, lst)
        self._tcb = tcb
        self._rcv = rcv
        self._snd = snd
        self._rec = rec
        self._arr = arr
        self._lst = lst

    def __del__(self) -> None:
        # The parts point at each other, and at this socket only weakly (see `tcb.Part`):
        # unlinking them here frees a dropped connection by reference counting alone.
        try:
            parts = (self._rcv, self._snd, self._rec, self._arr, self._lst)
        except AttributeError:  # __init__ raised before the parts existed
            return
        unlink_parts(parts)

    @property
    def tcb(self) -> Tcb:
        """The transmission control block, for inspection (SND.UNA, ISS, ...); do not modify."""
        return self._tcb

    # -- state -----------------------------------------------------------------------------

    @property
    def state(self) -> TcpState:
        """The RFC 9293 state (``str()`` gives the RFC name, e.g. ``SYN-SENT``)."""
        return self._tcb.state

    @property
    def local_endpoint(self) -> IpEndpoint | None:
        """The local end of the connection, or the listening endpoint, or None."""
        if self._tcb.state is _LISTEN:
            return self._lst.listen_ep
        return self._tcb.local

    @property
    def remote_endpoint(self) -> IpEndpoint | None:
        """The remote end of the connection, or None when there is none."""
        return self._tcb.remote

    def is_open(self) -> bool:
        """Return True unless the socket is CLOSED or in TIME-WAIT (RFC 9293 "open")."""
        return self._tcb.state is not _CLOSED and self._tcb.state is not TcpState.TIME_WAIT

    def is_active(self) -> bool:
        """Return True when the socket has (or is setting up) a connection to a remote end."""
        return self._tcb.state not in (_CLOSED, _LISTEN, TcpState.TIME_WAIT)

    def is_listening(self) -> bool:
        """Return True in LISTEN (also while a backlog listener has children)."""
        return self._tcb.state is _LISTEN

    def may_send(self) -> bool:
        """Return True when `send` may queue data (ESTABLISHED or CLOSE-WAIT)."""
        return self._tcb.state is _ESTABLISHED or self._tcb.state is _CLOSE_WAIT

    def may_recv(self) -> bool:
        """Return True while the peer may still send data (its FIN not received)."""
        st = self._tcb.state
        if st is _ESTABLISHED or st is TcpState.FIN_WAIT_1 or st is TcpState.FIN_WAIT_2:
            return True
        # Octets received before the FIN or a reset are still readable.
        return len(self._tcb.rx) > 0

    def can_send(self) -> bool:
        """Return True when `send` would queue at least one octet now."""
        return self.may_send() and self._tcb.tx.window() > 0

    def can_recv(self) -> bool:
        """Return True when `recv` would return at least one octet now."""
        return len(self._tcb.rx) > 0

    @property
    def send_queue(self) -> int:
        """Octets queued for sending and not yet acknowledged."""
        return len(self._tcb.tx)

    @property
    def recv_queue(self) -> int:
        """Octets received in order and not yet read."""
        return len(self._tcb.rx)

    @property
    def send_capacity(self) -> int:
        """The size of the send buffer."""
        return self._tcb.tx.capacity

    @property
    def recv_capacity(self) -> int:
        """The size of the receive buffer."""
        return self._tcb.rx.capacity

    @property
    def error(self) -> str | None:
        """Why the last connection ended abnormally ("reset", "refused", "timed out",
        "unreachable"), or None."""
        return self._tcb.error

    @property
    def stats(self) -> TcpStats:
        """Return a snapshot of the counters and estimates as of the socket's latest event.

        The latest event is the latest segment in or out, or the open: the fields that count
        time stop there. `stats_at` takes the time instead (see `TcpStats`).
        """
        return self._snapshot(self._tcb.clock)

    @property
    def srtt_us(self) -> int | None:
        """The smoothed round-trip time (RFC 6298 SRTT) in microseconds, or None before the
        first sample: ``stats.rtt`` without building the whole snapshot (for sampling it often).
        """
        return self._rec.rtt.srtt_us

    def stats_at(self, now: Instant) -> TcpStats:
        """Return a snapshot of the counters and estimates as of ``now``.

        ``now`` (an `Instant`, TypeError otherwise) should be no earlier than the latest poll;
        it sets ``since_last_send_us``, ``since_last_receive_us`` and the current interval of
        the ``busy_us``/``*_limited_us`` totals.
        """
        if not isinstance(now, Instant):
            raise TypeError(f"now must be an Instant, not {type(now).__name__}")
        return self._snapshot(now.micros)

    def _snapshot(self, t: int) -> TcpStats:
        return snapshot(self._tcb, self._rec, self._snd, t)

    # -- tracing ---------------------------------------------------------------------------

    @property
    def trace_recorder(self) -> TraceRecorder | None:
        """The recorder this socket's connections report to, or None (tracing off)."""
        return self._tcb.recorder

    def set_trace(self, recorder: TraceRecorder | None) -> None:
        """Record this socket's connections in ``recorder`` (a `trace.TraceRecorder`); None
        stops.

        Each connection opened from now on is numbered by the recorder and reports every
        segment sent, ACK processed, change of congestion window, RTT or state, and loss
        decision (see `smoltcp.stack.tcp.trace`). A connection already open starts reporting
        at once (its records from the time of its latest event). Children a listener spawns
        inherit the recorder. Off (the default), each hook point costs one comparison.
        Raises TypeError for anything but a recorder or None.
        """
        if recorder is not None and not isinstance(recorder, TraceRecorder):
            raise TypeError(
                f"recorder must be a TraceRecorder or None, not {type(recorder).__name__}"
            )
        tcb = self._tcb
        tcb.recorder = recorder
        if recorder is None:
            tcb.trace = None
        elif tcb.local is not None and tcb.remote is not None and tcb.state is not _LISTEN:
            tcb.trace = ConnectionTrace.open(recorder, tcb.clock, tcb.local, tcb.remote)

    def __repr__(self) -> str:
        if self._tcb.state is _LISTEN:
            return f"TcpSocket(LISTEN {self._lst.listen_ep}, backlog={self._lst.backlog_max})"
        return f"TcpSocket({self._tcb.state} {self._tcb.local} -> {self._tcb.remote})"

    # -- connection set-up and tear-down ---------------------------------------------------

    def demux_keys(self) -> tuple[Hashable, ...]:
        """Return the keys under which ingress finds this socket (see DESIGN.md)."""
        st = self._tcb.state
        if st is _CLOSED:
            return ()
        if st is _LISTEN:
            ep = self._lst.listen_ep
            assert ep is not None
            if ep.port == 0:
                return (ANY_TCP_KEY,)  # `listen_any`
            return (listen_key(ep.addr, ep.port),)
        local = self._tcb.local
        remote = self._tcb.remote
        assert local is not None and remote is not None
        return (connection_key(local.addr, local.port, remote.addr, remote.port),)

    def connect(
        self,
        cx: Context,
        remote_endpoint: IpEndpoint | tuple[IpAddress | str, int],
        local_endpoint: EndpointLike,
    ) -> None:
        """Open a connection to ``remote_endpoint`` (RFC 9293 OPEN, active).

        ``remote_endpoint`` is an `IpEndpoint` or an ``(address, port)`` tuple, the address
        an `IpAddress` or its text (``("192.168.69.2", 80)``). ``local_endpoint`` is the same,
        or a port alone; a port of 0 picks an ephemeral port from ``cx.rand``, an unspecified
        address the source address for the route. Raises TypeError or ValueError (naming the
        argument) for a value of the wrong kind, a port outside 0..65535 or an address that
        does not parse; `ConnectError` when the socket is already open or an endpoint is
        unusable (no remote address or port, a broadcast or multicast address at either end,
        which RFC 1122 4.2.3.10 and 3.2.1.3 refuse, a loopback address at either end on an
        interface that is no loopback, an IPv4-mapped IPv6 address (``::ffff:a.b.c.d``) at
        either end, which never appears on the wire (RFC 4291 2.5.5.2, RFC 4942 2.2: this
        stack has no dual-stack sockets; connect to ``a.b.c.d`` itself), no route).
        """
        remote = to_endpoint(remote_endpoint, "remote_endpoint", port_alone=False)
        local = to_endpoint(local_endpoint, "local_endpoint", port_alone=True)
        if self._tcb.state is not _CLOSED:
            raise ConnectError("invalid state")
        if remote.addr is None or not remote.addr.is_unicast or remote.port == 0:
            raise ConnectError("unaddressable")
        if remote.addr in getattr(cx, "broadcasts", ()):
            # A subnet's directed broadcast (RFC 1122 4.2.3.10 again), as the interface knows.
            raise ConnectError("unaddressable: a broadcast address")
        if getattr(remote.addr, "is_ipv4_mapped", False) or getattr(
            local.addr, "is_ipv4_mapped", False
        ):
            # The SYN would carry it onto the wire as an IPv6 address (only IPv6 addresses
            # have the property).
            raise ConnectError("unaddressable: an IPv4-mapped address (connect to the IPv4 one)")
        addr = local.addr
        if addr is None or addr.is_unspecified:
            addr = cx.get_source_address(remote.addr)
            if addr is None:
                raise ConnectError("unaddressable")
        elif not addr.is_unicast or addr in getattr(cx, "broadcasts", ()):
            # No segment leaves from a group or a broadcast address (RFC 1122 3.2.1.3).
            raise ConnectError(f"unaddressable: no segment leaves from {addr}")
        if remote.addr.is_loopback or addr.is_loopback:
            # 127/8 and ::1 never leave a host (RFC 1122 3.2.1.3, RFC 4291 2.5.3): only a
            # loopback interface, which holds them, carries them (see `Context.loopback_ok`).
            loopback_ok = getattr(cx, "loopback_ok", None)
            if loopback_ok is None or not loopback_ok(addr, remote.addr):
                raise ConnectError("unaddressable: a loopback address off a loopback interface")
        port = local.port
        if port == 0:
            # RFC 6056: a random ephemeral port, avoiding a four-tuple already in the set
            # (one of our own connections in TIME-WAIT, say).
            for _ in range(64):
                port = cx.rand.randrange(49152, 65536)
                if self._set is None or not self._set.lookup(
                    connection_key(addr, port, remote.addr, remote.port)
                ):
                    break
        if not 0 < port < 65536:
            raise ConnectError("unaddressable")
        self._reset_connection()
        self._tcb.error = None
        self._tcb.rx.clear()
        self._tcb.tx.clear()
        self._tcb.passive = False
        self._tcb.local = IpEndpoint(addr, port)
        self._tcb.remote = remote
        now = cx.now
        self._start_connection(cx, now)
        self._tcb.set_state(TcpState.SYN_SENT)
        self._rebind()
        self._wake()

    def close(self) -> None:
        """Close the sending direction (RFC 9293 CLOSE): queue a FIN after the queued data.

        In LISTEN or SYN-SENT the socket closes at once (a listener aborts the children it
        has not handed out: see `backlog_handles`). Receiving continues until the peer's
        FIN. Closing a closed socket does nothing.
        """
        st = self._tcb.state
        if st is _LISTEN:
            self._lst.close_listener()
            self._tcb.set_state(_CLOSED)
            self._rebind()
        elif st is TcpState.SYN_SENT:
            self._tcb.set_state(_CLOSED)
            self._rebind()
        elif st is TcpState.SYN_RECEIVED:
            self._tcb.close_pending = True
        elif st is _ESTABLISHED:
            self._tcb.set_state(TcpState.FIN_WAIT_1)
            self._wake()
        elif st is _CLOSE_WAIT:
            self._tcb.set_state(TcpState.LAST_ACK)
            self._wake()

    def abort(self) -> None:
        """Abort the connection (RFC 9293 ABORT): send one RST where 3.10.5 says, then CLOSED.

        The RST goes out in SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1/2 and CLOSE-WAIT; in
        CLOSING and LAST-ACK our FIN is out and the RFC only deletes the TCB (a RST there
        could cut short the peer's TIME-WAIT, RFC 1337). Queued data in both directions is
        discarded.
        """
        st = self._tcb.state
        if st is _LISTEN:
            self._lst.close_listener()
        if st not in _ABORT_SILENT:
            self._snd.queue_rst()
        self._tcb.set_state(_CLOSED)
        self._tcb.rx.clear()
        self._tcb.tx.clear()
        self._rebind()
        if self._snd.rst_pending is not None:
            self._wake()

    # -- ICMP errors about the connection (smoltcp.stack.tcp.icmp) --------------------------

    def icmp_quote_acceptable(self, seq: TcpSeqNumber | int) -> bool:
        """Return whether an ICMP error quoting sequence number ``seq`` may be believed: it
        lies in SND.UNA..SND.MAX (RFC 5927 4.1); never in CLOSED, LISTEN or TIME-WAIT."""
        return _icmp.quote_acceptable(self._tcb, int(seq))

    def on_icmp_error(self, hard: bool) -> bool:
        """Take an accepted ICMP error (RFC 5927 5.2, RFC 1122 4.2.3.9); return whether it
        aborted the connection: only a ``hard`` one (port or protocol unreachable,
        prohibited) in SYN-SENT does, and `error` then reads "unreachable"."""
        return _icmp.take_error(self, bool(hard))

    def set_path_mtu(self, mtu: int) -> bool:
        """Size segments for a path MTU of ``mtu`` octets (RFC 1191, RFC 8201); return whether
        the send MSS shrank (what is in flight then goes again at the new size). Raise
        TypeError or ValueError for a ``mtu`` that is not an int in [68, 65535]."""
        if not isinstance(mtu, int) or isinstance(mtu, bool):
            raise TypeError(f"mtu must be an int, not {type(mtu).__name__}")
        if not 68 <= mtu <= 0xFFFF:
            raise ValueError(f"mtu must be in [68, 65535], not {mtu}")
        return _icmp.lower_path_mtu(self, mtu)

    # -- data ------------------------------------------------------------------------------

    def send(self, data: bytes | bytearray | memoryview) -> int:
        """Queue as much of ``data`` as fits in the send buffer; return the octets queued.

        Raises `SendError("invalid state")` unless ESTABLISHED or CLOSE-WAIT.
        """
        if not (self._tcb.state is _ESTABLISHED or self._tcb.state is _CLOSE_WAIT):
            raise SendError("invalid state")
        count = self._tcb.tx.enqueue_slice(data)
        if count:
            self._wake()
        return count

    send_slice = send

    def _check_recv(self) -> bool:
        # Return True if there may be octets; raise when the stream is over.
        if len(self._tcb.rx):
            return True
        if self._tcb.error is not None:
            raise RecvError(self._tcb.error)
        st = self._tcb.state
        if st is _ESTABLISHED or st is TcpState.FIN_WAIT_1 or st is TcpState.FIN_WAIT_2:
            return False
        if self._rcv.rcv_fin:
            raise RecvError("finished")
        if st is TcpState.SYN_SENT or st is TcpState.SYN_RECEIVED:
            return False
        raise RecvError("invalid state")

    def recv(self, max_size: int = 65536) -> bytes:
        """Return up to ``max_size`` received octets, removing them from the buffer.

        Returns ``b""`` when nothing has arrived yet; raises ``RecvError("finished")`` after
        the peer's FIN once everything is read, ``RecvError("reset")`` (or ``"timed out"``)
        after an abnormal end, ``RecvError("invalid state")`` when never connected.
        """
        if not self._check_recv():
            return b""
        data = self._tcb.rx.dequeue_slice(max_size)
        self._rcv.after_read()
        return data

    def recv_into(self, buf: bytearray | memoryview) -> int:
        """Move up to ``len(buf)`` received octets into ``buf``; return the count (see `recv`)."""
        if not self._check_recv():
            return 0
        count = self._tcb.rx.dequeue_into(buf)
        self._rcv.after_read()
        return count

    def peek(self, max_size: int = 65536) -> bytes:
        """Return up to ``max_size`` received octets without removing them (see `recv`)."""
        if not self._check_recv():
            return b""
        buf = bytearray(min(max_size, len(self._tcb.rx)))
        count = self._tcb.rx.read_allocated(0, buf)
        return bytes(buf[:count])

    # -- the interface's side (see `Socket`) ----------------------------------------------

    def process(self, cx: Context, now: Instant, ip_repr: IpRepr, repr: TcpRepr) -> Reply | None:
        """Take one segment addressed to this socket; return an immediate reply or None."""
        return self._arr.process(cx, now, ip_repr, repr)

    def dispatch(self, cx: Context, now: Instant, emit: Emit) -> bool:
        """Emit at most one segment through ``emit``; return whether one was emitted."""
        return self._snd.dispatch(cx, now, emit)

    def poll_at(self, cx: Context) -> Instant | None:
        """Return when `dispatch` next has work (``Instant.ZERO``: now), or None."""
        return self._snd.poll_at(cx)

    def dispatch_poll(
        self, cx: Context, now: Instant, emit: Emit
    ) -> Literal[True] | Instant | None:
        """Emit at most one segment; return True, or else what `poll_at` returns now."""
        return self._snd.dispatch_poll(cx, now, emit)

    def listen(
        self, endpoint: EndpointLike, backlog: int = 0, *, syn_backlog: int | None = None
    ) -> None:
        """Wait for connections on ``endpoint`` (an endpoint, or a port for every address).

        ``endpoint`` is an `IpEndpoint`, an ``(address, port)`` tuple (the address an
        `IpAddress`, its text, or None for every address) or a port alone. ``backlog=0``: this
        socket becomes the connection. ``backlog > 0``: connections are children of this
        socket, taken with `accept`: at most ``backlog`` established ones wait to be
        accepted, and at most ``syn_backlog`` (default: ``backlog``) half-open ones
        (SYN-RECEIVED); beyond that a SYN is answered with a SYN cookie when the interface
        has them (`Config.syncookies`), else dropped (see `listener`). Raises `ListenError`
        when the socket is open already, the port is 0 or the address is multicast, the
        limited broadcast or IPv4-mapped (``::ffff:a.b.c.d``), where no connection ever
        arrives (RFC 1122 4.2.3.10, RFC 4291 2.5.5.2); TypeError or ValueError (naming
        the argument) for an endpoint or a backlog of the wrong kind, a port outside
        0..65535, an address that does not parse, a negative backlog or a ``syn_backlog``
        below 1.
        """
        self._lst.listen(endpoint, backlog, syn_backlog)

    def listen_any(self, backlog: int = 0, *, syn_backlog: int | None = None) -> None:
        """Wait for connections to every address and port that no other socket takes.

        The catch-all listener of transparent mode: a SYN that finds no connection and no
        listener on its address and port comes here, and the connection it opens keeps the
        address and port the peer dialled as its `local_endpoint` (the answers leave from
        them). Addresses other than the interface's own arrive only with `Config.any_ip`.
        While listening, `local_endpoint` is ``IpEndpoint(None, 0)``. ``backlog`` and
        ``syn_backlog`` and the errors are those of `listen`. One catch-all per socket set
        takes the SYNs (the first filed, as for listeners sharing a port).
        """
        self._lst.listen(0, backlog, syn_backlog, catch_all=True)

    def accept(self) -> int | None:
        """Return the handle of the next established child connection, or None.

        The caller owns the handle (and removes the socket from the set when done with it).
        Children whose handshake failed are removed from the set here.
        """
        lst = self._lst
        # Every child (if any) is still in SYN-RECEIVED: none to hand out, none failed (also
        # without a backlog, which keeps no children). An application asks at every turn of
        # its loop, so this is the common answer, given without a further call.
        if len(lst.pending) == lst.half_open:
            return None
        return lst.accept()

    @property
    def backlog(self) -> int:
        """Children waiting to be accepted (handshaking or established)."""
        return self._lst.waiting()

    @property
    def backlog_handles(self) -> tuple[int, ...]:
        """The handles of the children waiting to be accepted (handshaking or established).

        They are the listener's until `accept` hands one out. Closing (or aborting) the
        listener aborts them (each sends the RST `abort` says) and leaves them in the socket
        set: a caller that removes sockets from the set takes their handles here first.
        """
        lst = self._lst
        lst.prune_backlog()
        return tuple(lst.pending)

    def listener_stats(self) -> ListenerStats:
        """Return the counters of this listening socket: its queues, SYNs, cookies."""
        return self._lst.stats()

    # -- internals shared by the parts -------------------------------------------------------

    def _reset_connection(self) -> None:
        """Forget every per-connection variable (not the configuration or the statistics)."""
        self._tcb.reset()
        self._rcv.reset()
        self._snd.reset()
        self._rec.reset()
        self._arr.reset()

    def _to_closed(self) -> None:
        """Enter CLOSED: disarm every timer and leave the demultiplexing tables."""
        tcb = self._tcb
        tcb.set_state(_CLOSED)
        self._snd.set_chrono(tcb.clock, CHRONO_IDLE)
        self._rec.stop_timers()
        rcv = self._rcv
        rcv.ack_at = None
        rcv.ack_now = False
        tcb.timewait_at = None
        tcb.keepalive_at = None
        self._snd.persist_at = None
        self._rebind()

    def _start_connection(self, cx: Context, now: Instant) -> None:
        """Pick the ISN and the options we offer, for either kind of open."""
        tcb = self._tcb
        local = tcb.local
        remote = tcb.remote
        assert local is not None and remote is not None  # both set by connect / open_passive
        if self._initial_seq is not None:
            iss = TcpSeqNumber(self._initial_seq)
        else:
            iss = IsnGenerator.for_context(cx).isn(local, remote, now)
        tcb.iss = tcb.snd_una = tcb.snd_nxt = tcb.snd_max = iss
        tcb.snd_wl2 = iss
        # RFC 6582 "recover" starts at the ISS: a modular compare with 0 would block fast
        # retransmit on half of all connections.
        self._rec.recover = iss
        # Window scale: the smallest shift that lets the 16-bit field cover the whole
        # receive buffer (RFC 7323 2.3, at most 14).
        shift = 0
        while shift < 14 and (tcb.rx.capacity >> shift) > 0xFFFF:
            shift += 1
        tcb.rcv_shift = shift
        # The MSS leaves room for the IP and TCP headers without options: 20 + 20 octets over
        # IPv4, 40 + 20 over IPv6 (RFC 9293 3.7.1, RFC 8200 8.3).
        v6 = remote.addr is not None and remote.addr.version == 6
        tcb.rcv_mss = max(1, cx.ip_mtu - (60 if v6 else 40))
        # Segmentation offload (TSO or GSO): the largest payload of a new-data super-segment,
        # room left for the IP header and the largest TCP header (60); 0 when nobody cuts
        # segments for us. (A stand-in context in tests may not have the attribute.)
        tso = getattr(cx, "max_tso_size", 0)
        # Over IPv6 the IP header takes 40 octets, not 20.
        tcb.tso_room = tso - (100 if v6 else 80) if tso > cx.ip_mtu else 0
        tcb.ts_offset = cx.rand.getrandbits(32)
        tcb.progress_at = tcb.clock = now.micros
        # We offer every option; `accept_syn` keeps those the peer offers too.
        tcb.ws_ok = tcb.ts_ok = tcb.sack_ok = True
        self._rec.rtt.reset()
        self._rec.cc.reset()
        if tcb.recorder is not None:
            tcb.trace = ConnectionTrace.open(tcb.recorder, now.micros, local, remote)

    def _spawn_child(self) -> TcpSocket:
        """Return a new socket for a backlog child: our buffer sizes and settings, CLOSED (the
        listener makes it LISTEN and files it in the set, see `Listener.spawn`).

        A plain `TcpSocket`'s child is built by `_build` directly: the arguments it gets from
        us are checked already, and this runs once per SYN (the cost of a connection at
        thousands per second is mostly its set-up and tear-down). A subclass's child goes
        through the subclass's constructor and `set_congestion_control`, which it may extend.
        """
        tcb = self._tcb
        cls = type(self)
        # A copy of the listener's controller, not a new one by name: the name of a custom
        # controller means nothing to `make_congestion_controller` (it would raise out of
        # poll), and an instance carries its configuration (e.g. HyStart++ off).
        cc = _copy_controller(self._rec.cc)
        if cls is TcpSocket:
            child = TcpSocket.__new__(TcpSocket)
            Socket.__init__(child)
            rx, tx = RingBuffer(tcb.rx.capacity), RingBuffer(tcb.tx.capacity)
            child._build(rx, tx, self._initial_seq, tcb.observer, Recovery(cc))
        else:
            child = cls(
                tcb.rx.capacity,
                tcb.tx.capacity,
                initial_seq=self._initial_seq,
                on_state_change=tcb.observer,
            )
            child.set_congestion_control(cc)
        rec = child._rec
        ct = child._tcb
        ct.timeout = tcb.timeout
        ct.keep_alive = tcb.keep_alive
        ct.recorder = tcb.recorder
        rcv = child._rcv
        rcv.ack_delay = self._rcv.ack_delay
        max_holes = self._rcv.assembler.max_holes
        if rcv.assembler.max_holes != max_holes:
            rcv.assembler = Assembler(max_holes)
        snd = child._snd
        snd.nagle = self._snd.nagle
        snd.hop_limit = self._snd.hop_limit
        rec.rtt.min_rto = self._rec.rtt.min_rto
        rec.rack_enabled = self._rec.rack_enabled
        ct.passive = True
        ct.child = True
        return child
