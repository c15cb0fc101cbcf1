"""`TcpSocket`: the public API of a TCP connection (RFC 9293) and its state.

The socket is split by concern into mixins that share one set of slots declared here:

- `process.py` (`_SegmentArrives`): RFC 9293 section 3.10.7, a segment arrives;
- `send.py` (`_SendPath`): what `dispatch` emits (segmentation, Nagle, SWS avoidance,
  retransmission, fast recovery, zero-window probes, delayed ACKs, keep-alive, timers);
- `listener.py` (`_Listener`): `listen` with a backlog of child connections and `accept`.

Round-trip time and RTO (`rtt.py`), congestion control (`congestion.py`), the SACK scoreboard
(`sack.py`) and initial sequence numbers (`isn.py`) live in their own modules.

The urgent pointer is ignored (RFC 9293 3.8.5 only requires that it not break the stream):
urgent data is delivered in line like any other data and URG is never sent.

Receiving: ``recv`` returns ``b""`` when nothing is buffered *yet*; once the peer's FIN has been
received and every octet read, it raises ``RecvError("finished")``; after a reset by the peer,
``RecvError("reset")`` (after a timeout, ``RecvError("timed out")``). Octets received before a
FIN or a RST stay readable first.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from typing import Any, NamedTuple

from smoltcp.stack.socket.base import Socket
from smoltcp.stack.socket.errors import ConnectError, RecvError, SendError
from smoltcp.stack.storage import Assembler, RingBuffer
from smoltcp.stack.tcp.congestion import CongestionController, make_congestion_controller
from smoltcp.stack.tcp.listener import _Listener
from smoltcp.stack.tcp.process import _SegmentArrives
from smoltcp.stack.tcp.rack import Rack
from smoltcp.stack.tcp.rtt import RttEstimator
from smoltcp.stack.tcp.sack import SackScoreboard
from smoltcp.stack.tcp.send import _SendPath
from smoltcp.stack.tcp.state import TcpState
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import IpEndpoint, IpProtocol, TcpSeqNumber

__all__ = ["TcpSocket", "TcpStats"]

_log = logging.getLogger("smoltcp.stack.tcp")

_CLOSED = TcpState.CLOSED
_LISTEN = TcpState.LISTEN
_ESTABLISHED = TcpState.ESTABLISHED
_CLOSE_WAIT = TcpState.CLOSE_WAIT
# ABORT sends no RST in these (RFC 9293 3.10.5).
_ABORT_SILENT = frozenset(
    (_CLOSED, _LISTEN, TcpState.SYN_SENT, TcpState.TIME_WAIT, TcpState.CLOSING, TcpState.LAST_ACK)
)
_TCP = IpProtocol.TCP

# RFC 9293 3.7.1: the default send MSS when the peer's SYN carries no MSS option.
DEFAULT_MSS = 536
DEFAULT_ACK_DELAY = Duration.from_millis(10)
DEFAULT_HOP_LIMIT = 64
# Out-of-order ranges kept: with fewer, a burst of drops makes the receiver discard data it
# got and the sender resend it (measured: 102 of 134 retransmissions wasted with 4). Each
# range costs two ints in the Assembler.
DEFAULT_MAX_HOLES = 32


class TcpStats(NamedTuple):
    """Counters and estimates of one connection (a snapshot)."""

    retransmissions: int
    fast_retransmits: int
    timeouts: int
    rtt: Duration | None
    rto: Duration
    cwnd: int
    ssthresh: int
    sacked_bytes: int
    segments_sent: int
    segments_received: int
    bytes_sent: int
    bytes_received: int
    loss_probes: int = 0
    """Tail loss probes sent (RFC 8985 7)."""
    loss_probe_repairs: int = 0
    """Probes that resent a lost tail (no D-SACK came back): each reduced the window."""
    rack_losses: int = 0
    """Ranges RACK (RFC 8985 6) deemed lost by time, such as a retransmission lost again."""


def _ring(buffer: RingBuffer | int, what: str) -> RingBuffer:
    if isinstance(buffer, RingBuffer):
        return buffer
    if isinstance(buffer, int) and not isinstance(buffer, bool):
        if buffer <= 0:
            raise ValueError(f"{what} size must be > 0, not {buffer}")
        return RingBuffer(buffer)
    raise TypeError(f"{what} must be a RingBuffer or an int size, not {type(buffer).__name__}")


class TcpSocket(_SegmentArrives, _SendPath, _Listener, Socket):
    """A TCP socket: a passive (``listen``) or active (``connect``) connection end.

    ``TcpSocket(rx_buffer, tx_buffer)`` takes two `RingBuffer`s or their sizes in octets.
    Buffers larger than 64 KiB are used in full through window scaling (RFC 7323).
    """

    # Grouped by concern rather than sorted, to read like RFC 9293 3.3.1.
    __slots__ = (  # noqa: RUF023
        # buffers and endpoints
        "_rx",
        "_tx",
        "_state",
        "_local",
        "_remote",
        "_listen_ep",
        "_backlog_max",
        "_backlog",
        "_passive",
        "_child",
        # configuration
        "_timeout",
        "_keep_alive",
        "_ack_delay",
        "_ack_stretch",
        "_nagle",
        "_hop_limit",
        "_cc",
        "_rtt",
        "_board",
        "_rack",
        "_assembler",
        # send sequence space (RFC 9293 3.3.1)
        "_iss",
        "_snd_una",
        "_snd_nxt",
        "_snd_max",
        "_snd_wnd",
        "_snd_wl1",
        "_snd_wl2",
        "_max_snd_wnd",
        "_snd_shift",
        "_snd_mss",
        "_tso_room",
        "_peer_mss",
        # receive sequence space
        "_irs",
        "_rcv_nxt",
        "_rcv_adv",
        "_rcv_shift",
        "_rcv_mss",
        "_rcv_fin",
        "_rcv_fin_seq",
        "_win_update",
        # options
        "_ws_ok",
        "_ts_ok",
        "_ts_recent",
        "_ts_offset",
        "_last_ack_sent",
        "_sack_ok",
        "_last_ooo",
        "_dsack",
        # timers, in integer microseconds (None: not armed)
        "_rto_at",
        "_ack_at",
        "_ack_now",
        "_segs_unacked",
        "_keepalive_at",
        "_timewait_at",
        "_persist_at",
        "_persist_backoff",
        "_tlp_at",
        "_tlp_out",
        "_tlp_end",
        "_rack_at",
        "_probing",
        "_progress_at",
        "_syn_rtx",
        "_close_pending",
        "_established_at",
        # round-trip timing (Karn) and loss recovery
        "_rtt_seq",
        "_rtt_at",
        "_dupacks",
        "_in_recovery",
        "_recover",
        "_inflation",
        "_retx_next",
        # closing and errors
        "_rst_pending",
        "_error",
        "_challenge_at",
        "_challenge_count",
        # statistics
        "_n_retx",
        "_n_fast",
        "_n_timeouts",
        "_n_tlp",
        "_n_tlp_repairs",
        "_n_rack",
        "_n_seg_out",
        "_n_seg_in",
        "_n_bytes_out",
        "_n_bytes_in",
    )

    def __init__(self, rx_buffer: RingBuffer | int, tx_buffer: RingBuffer | int) -> None:
        super().__init__()
        self._rx = _ring(rx_buffer, "rx_buffer")
        self._tx = _ring(tx_buffer, "tx_buffer")
        self._listen_ep: IpEndpoint | None = None
        self._backlog_max = 0
        self._backlog: list[int] = []
        self._passive = False
        self._child = False
        self._timeout: int | None = None
        self._keep_alive: int | None = None
        self._ack_delay: int | None = DEFAULT_ACK_DELAY.micros
        self._ack_stretch: int | None = None
        self._nagle = True
        self._hop_limit: int | None = None
        self._cc: CongestionController = make_congestion_controller("cubic")
        self._rtt = RttEstimator()
        self._board = SackScoreboard()
        self._rack = Rack()
        self._assembler = Assembler(DEFAULT_MAX_HOLES)
        self._n_retx = self._n_fast = self._n_timeouts = 0
        self._n_tlp = self._n_tlp_repairs = self._n_rack = 0
        self._n_seg_out = self._n_seg_in = self._n_bytes_out = self._n_bytes_in = 0
        self._reset_connection()
        self._error: str | None = None

    def _reset_connection(self) -> None:
        """Forget every per-connection variable (not the configuration or the statistics)."""
        self._state = _CLOSED
        self._local: IpEndpoint | None = None
        self._remote: IpEndpoint | None = None
        zero = TcpSeqNumber(0)
        self._iss = self._snd_una = self._snd_nxt = self._snd_max = zero
        self._snd_wl1 = self._snd_wl2 = zero
        self._snd_wnd = 0
        self._max_snd_wnd = 0
        self._snd_shift = 0
        self._snd_mss = DEFAULT_MSS
        self._tso_room = 0
        self._peer_mss = DEFAULT_MSS
        self._irs = self._rcv_nxt = self._rcv_adv = zero
        self._rcv_shift = 0
        self._rcv_mss = DEFAULT_MSS
        self._rcv_fin = False
        self._rcv_fin_seq: TcpSeqNumber | None = None
        self._win_update = False
        self._ws_ok = False
        self._ts_ok = False
        self._ts_recent = 0
        self._ts_offset = 0
        self._last_ack_sent = zero
        self._sack_ok = False
        self._last_ooo: tuple[int, int] | None = None
        # A duplicate just received, to report first in the next ACK (D-SACK, RFC 2883).
        self._dsack: tuple[int, int] | None = None
        self._rto_at: int | None = None
        self._ack_at: int | None = None
        self._ack_now = False
        self._segs_unacked = 0
        self._keepalive_at: int | None = None
        self._timewait_at: int | None = None
        self._persist_at: int | None = None
        self._persist_backoff = 0
        # Tail loss probe (RFC 8985 7): when it fires, whether one is out, and the end of a
        # probe that resent old data (for its congestion response).
        self._tlp_at: int | None = None
        self._tlp_out = False
        self._tlp_end: TcpSeqNumber | None = None
        # RACK (RFC 8985 6): when its reordering timer fires.
        self._rack_at: int | None = None
        self._probing = False
        self._progress_at = 0
        self._syn_rtx = False
        self._close_pending = False
        self._established_at = 0
        self._rtt_seq: TcpSeqNumber | None = None
        self._rtt_at = 0
        self._dupacks = 0
        self._in_recovery = False
        self._recover = zero
        self._inflation = 0
        self._retx_next = False
        self._rst_pending: tuple[Any, ...] | None = None
        self._challenge_at = 0
        self._challenge_count = 0
        self._assembler.clear()
        self._board.reset()
        self._rack.reset()

    # -- state -----------------------------------------------------------------------------

    @property
    def state(self) -> TcpState:
        """The RFC 9293 state (``str()`` gives the RFC name, e.g. ``SYN-SENT``)."""
        return self._state

    @property
    def local_endpoint(self) -> IpEndpoint | None:
        """The local end of the connection, or the listening endpoint, or None."""
        if self._state is _LISTEN:
            return self._listen_ep
        return self._local

    @property
    def remote_endpoint(self) -> IpEndpoint | None:
        """The remote end of the connection, or None when there is none."""
        return self._remote

    def is_open(self) -> bool:
        """Return True unless the socket is CLOSED or in TIME-WAIT (RFC 9293 "open")."""
        return self._state is not _CLOSED and self._state is not TcpState.TIME_WAIT

    def is_active(self) -> bool:
        """Return True when the socket has (or is setting up) a connection to a remote end."""
        return self._state not in (_CLOSED, _LISTEN, TcpState.TIME_WAIT)

    def is_listening(self) -> bool:
        """Return True in LISTEN (also while a backlog listener has children)."""
        return self._state is _LISTEN

    def may_send(self) -> bool:
        """Return True when `send` may queue data (ESTABLISHED or CLOSE-WAIT)."""
        return self._state is _ESTABLISHED or self._state is _CLOSE_WAIT

    def may_recv(self) -> bool:
        """Return True while the peer may still send data (its FIN not received)."""
        st = self._state
        if st is _ESTABLISHED or st is TcpState.FIN_WAIT_1 or st is TcpState.FIN_WAIT_2:
            return True
        # Octets received before the FIN or a reset are still readable.
        return len(self._rx) > 0

    def can_send(self) -> bool:
        """Return True when `send` would queue at least one octet now."""
        return self.may_send() and self._tx.window() > 0

    def can_recv(self) -> bool:
        """Return True when `recv` would return at least one octet now."""
        return len(self._rx) > 0

    @property
    def send_queue(self) -> int:
        """Octets queued for sending and not yet acknowledged."""
        return len(self._tx)

    @property
    def recv_queue(self) -> int:
        """Octets received in order and not yet read."""
        return len(self._rx)

    @property
    def send_capacity(self) -> int:
        """The size of the send buffer."""
        return self._tx.capacity

    @property
    def recv_capacity(self) -> int:
        """The size of the receive buffer."""
        return self._rx.capacity

    @property
    def error(self) -> str | None:
        """Why the last connection ended abnormally ("reset", "refused", "timed out"), or None."""
        return self._error

    @property
    def stats(self) -> TcpStats:
        """Return a snapshot of the connection's counters and estimates."""
        return TcpStats(
            retransmissions=self._n_retx,
            fast_retransmits=self._n_fast,
            timeouts=self._n_timeouts,
            rtt=self._rtt.srtt,
            rto=self._rtt.rto,
            cwnd=self._cc.cwnd,
            ssthresh=self._cc.ssthresh,
            sacked_bytes=self._board.sacked_bytes,
            segments_sent=self._n_seg_out,
            segments_received=self._n_seg_in,
            bytes_sent=self._n_bytes_out,
            bytes_received=self._n_bytes_in,
            loss_probes=self._n_tlp,
            loss_probe_repairs=self._n_tlp_repairs,
            rack_losses=self._n_rack,
        )

    def __repr__(self) -> str:
        if self._state is _LISTEN:
            return f"TcpSocket(LISTEN {self._listen_ep}, backlog={self._backlog_max})"
        return f"TcpSocket({self._state} {self._local} -> {self._remote})"

    # -- configuration ---------------------------------------------------------------------

    @property
    def timeout(self) -> Duration | None:
        """The user timeout (None: never)."""
        return None if self._timeout is None else Duration(self._timeout)

    def set_timeout(self, timeout: Duration | None) -> None:
        """Abort the connection when the peer stays silent this long while we wait on it.

        "Waiting" means data, SYN or FIN unacknowledged, or keep-alive enabled. None disables.
        """
        self._timeout = None if timeout is None else _micros(timeout, "timeout")

    @property
    def keep_alive(self) -> Duration | None:
        """The keep-alive interval (None: disabled)."""
        return None if self._keep_alive is None else Duration(self._keep_alive)

    def set_keep_alive(self, interval: Duration | None) -> None:
        """Send a keep-alive after ``interval`` of silence from the peer (None disables)."""
        self._keep_alive = None if interval is None else _micros(interval, "interval")
        # Armed once synchronized (`_established` arms it for a connection still opening).
        st = self._state
        if (
            self._keep_alive is not None
            and self.is_active()
            and st is not TcpState.SYN_SENT
            and st is not TcpState.SYN_RECEIVED
        ):
            self._keepalive_at = self._progress_at + self._keep_alive
            self._wake()
        else:
            self._keepalive_at = None

    @property
    def ack_delay(self) -> Duration | None:
        """The delayed-ACK timeout (None: acknowledge every segment at once)."""
        return None if self._ack_delay is None else Duration(self._ack_delay)

    def set_ack_delay(self, delay: Duration | None) -> None:
        """Delay pure ACKs by up to ``delay`` (RFC 9293 3.8.6.3; None acknowledges at once)."""
        self._ack_delay = None if delay is None else _micros(delay, "delay")

    @property
    def ack_stretch(self) -> int | None:
        """Octets of in-order data acknowledged at least once each, or None (two segments)."""
        return self._ack_stretch

    def set_ack_stretch(self, octets: int | None) -> None:
        """ACK received data at least every ``octets`` octets within a burst of segments.

        None (the default) follows RFC 5681 4.2: an ACK at least every second full-sized
        segment. A bulk receiver may stretch that, as Linux does per GRO aggregate (up to
        64 KiB, `STRETCH_ACK_LIMIT`): each ACK costs pure Python a segment's work and, on a
        TAP, a system call. Out-of-order data is still acknowledged at once. Raises ValueError
        for ``octets`` < 1, TypeError for a non-integer.
        """
        if octets is not None:
            if not isinstance(octets, int) or isinstance(octets, bool):
                raise TypeError(f"octets must be an int or None, not {type(octets).__name__}")
            if octets < 1:
                raise ValueError(f"octets must be at least 1, not {octets}")
        self._ack_stretch = octets

    @property
    def nagle_enabled(self) -> bool:
        """Whether Nagle's algorithm holds back small segments (RFC 896)."""
        return self._nagle

    def set_nagle_enabled(self, enabled: bool) -> None:
        """Enable (the default) or disable Nagle's algorithm."""
        self._nagle = bool(enabled)
        self._wake()

    @property
    def hop_limit(self) -> int | None:
        """The IP hop limit of outgoing segments (None: the default, 64)."""
        return self._hop_limit

    def set_hop_limit(self, hop_limit: int | None) -> None:
        """Set the IP hop limit (1..255) of outgoing segments; None restores the default."""
        if hop_limit is not None and not 1 <= hop_limit <= 255:
            raise ValueError(f"hop limit must be in 1..255, not {hop_limit}")
        self._hop_limit = hop_limit

    @property
    def congestion_control(self) -> CongestionController:
        """The congestion controller in use."""
        return self._cc

    def set_congestion_control(self, cc: str | CongestionController) -> None:
        """Use congestion control ``cc``: "cubic" (default), "reno", "none" or an instance."""
        if isinstance(cc, str):
            cc = make_congestion_controller(cc)
        self._cc = cc
        if self._state not in (_CLOSED, _LISTEN, TcpState.SYN_SENT, TcpState.SYN_RECEIVED):
            cc.set_mss(self._snd_mss)

    def set_min_rto(self, min_rto: Duration) -> None:
        """Set the lower bound of the retransmission timeout (default 200 ms, as Linux)."""
        self._rtt.min_rto = min_rto

    def set_max_holes(self, max_holes: int) -> None:
        """Track at most ``max_holes`` out-of-order ranges (only while CLOSED or LISTEN)."""
        if self._state is not _CLOSED and self._state is not _LISTEN:
            raise ValueError("the reassembly bound can only change before a connection")
        self._assembler = Assembler(max_holes)

    # -- connection set-up and tear-down ---------------------------------------------------

    def demux_keys(self) -> tuple[Hashable, ...]:
        """Return the keys under which ingress finds this socket (see DESIGN.md)."""
        st = self._state
        if st is _CLOSED:
            return ()
        if st is _LISTEN:
            ep = self._listen_ep
            assert ep is not None
            return ((_TCP, ep.addr, ep.port),)
        local = self._local
        remote = self._remote
        assert local is not None and remote is not None
        return ((_TCP, local.addr, local.port, remote.addr, remote.port),)

    def connect(
        self,
        cx: Any,
        remote_endpoint: IpEndpoint | tuple[Any, int],
        local_endpoint: IpEndpoint | tuple[Any, int] | int,
    ) -> None:
        """Open a connection to ``remote_endpoint`` (RFC 9293 OPEN, active).

        ``local_endpoint`` is an endpoint or a port; a port of 0 picks an ephemeral port
        from ``cx.rand``, an unspecified address the source address for the route. Raises
        `ConnectError` when the socket is already open or an endpoint is unusable.
        """
        if self._state is not _CLOSED:
            raise ConnectError("invalid state")
        remote = IpEndpoint(*remote_endpoint)
        if remote.addr is None or remote.addr.is_unspecified or remote.port == 0:
            raise ConnectError("unaddressable")
        if isinstance(local_endpoint, int):
            local = IpEndpoint(None, local_endpoint)
        else:
            local = IpEndpoint(*local_endpoint)
        addr = local.addr
        if addr is None or addr.is_unspecified:
            addr = cx.get_source_address(remote.addr)
            if addr is None:
                raise ConnectError("unaddressable")
        port = local.port
        if port == 0:
            # RFC 6056: a random ephemeral port, avoiding a four-tuple already in the set
            # (one of our own connections in TIME-WAIT, say).
            for _ in range(64):
                port = cx.rand.randrange(49152, 65536)
                if self._set is None or not self._set.lookup(
                    (_TCP, addr, port, remote.addr, remote.port)
                ):
                    break
        if not 0 < port < 65536:
            raise ConnectError("unaddressable")
        self._reset_connection()
        self._error = None
        self._rx.clear()
        self._tx.clear()
        self._passive = False
        self._local = IpEndpoint(addr, port)
        self._remote = remote
        now = cx.now
        self._start_connection(cx, now)
        self._set_state(TcpState.SYN_SENT)
        self._rebind()
        self._wake()

    def close(self) -> None:
        """Close the sending direction (RFC 9293 CLOSE): queue a FIN after the queued data.

        In LISTEN or SYN-SENT the socket closes at once. Receiving continues until the peer's
        FIN. Closing a closed socket does nothing.
        """
        st = self._state
        if st is _LISTEN:
            self._close_listener()
            self._set_state(_CLOSED)
            self._rebind()
        elif st is TcpState.SYN_SENT:
            self._set_state(_CLOSED)
            self._rebind()
        elif st is TcpState.SYN_RECEIVED:
            self._close_pending = True
        elif st is _ESTABLISHED:
            self._set_state(TcpState.FIN_WAIT_1)
            self._wake()
        elif st is _CLOSE_WAIT:
            self._set_state(TcpState.LAST_ACK)
            self._wake()

    def abort(self) -> None:
        """Abort the connection (RFC 9293 ABORT): send one RST where 3.10.5 says, then CLOSED.

        The RST goes out in SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1/2 and CLOSE-WAIT; in
        CLOSING and LAST-ACK our FIN is out and the RFC only deletes the TCB (a RST there
        could cut short the peer's TIME-WAIT, RFC 1337). Queued data in both directions is
        discarded.
        """
        st = self._state
        if st is _LISTEN:
            self._close_listener()
        if st not in _ABORT_SILENT:
            self._queue_rst()
        self._set_state(_CLOSED)
        self._rx.clear()
        self._tx.clear()
        self._rebind()
        if self._rst_pending is not None:
            self._wake()

    # -- data ------------------------------------------------------------------------------

    def send(self, data: bytes | bytearray | memoryview) -> int:
        """Queue as much of ``data`` as fits in the send buffer; return the octets queued.

        Raises `SendError("invalid state")` unless ESTABLISHED or CLOSE-WAIT.
        """
        if not (self._state is _ESTABLISHED or self._state is _CLOSE_WAIT):
            raise SendError("invalid state")
        count = self._tx.enqueue_slice(data)
        if count:
            self._wake()
        return count

    send_slice = send

    def _check_recv(self) -> bool:
        # Return True if there may be octets; raise when the stream is over.
        if len(self._rx):
            return True
        if self._error is not None:
            raise RecvError(self._error)
        st = self._state
        if st is _ESTABLISHED or st is TcpState.FIN_WAIT_1 or st is TcpState.FIN_WAIT_2:
            return False
        if self._rcv_fin:
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
        data = self._rx.dequeue_slice(max_size)
        self._after_read()
        return data

    def recv_into(self, buf: bytearray | memoryview) -> int:
        """Move up to ``len(buf)`` received octets into ``buf``; return the count (see `recv`)."""
        if not self._check_recv():
            return 0
        count = self._rx.dequeue_into(buf)
        self._after_read()
        return count

    def peek(self, max_size: int = 65536) -> bytes:
        """Return up to ``max_size`` received octets without removing them (see `recv`)."""
        if not self._check_recv():
            return b""
        buf = bytearray(min(max_size, len(self._rx)))
        count = self._rx.read_allocated(0, buf)
        return bytes(buf[:count])

    # -- internals shared by the mixins ----------------------------------------------------

    def _set_state(self, state: TcpState) -> None:
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug("tcp %s -> %s: %s -> %s", self._local, self._remote, self._state, state)
        self._state = state

    def _start_connection(self, cx: Any, now: Instant) -> None:
        """Pick the ISN and the options we offer, for either kind of open."""
        from smoltcp.stack.tcp.isn import IsnGenerator

        iss = IsnGenerator.for_context(cx).isn(self._local, self._remote, now)
        self._iss = self._snd_una = self._snd_nxt = self._snd_max = iss
        self._snd_wl2 = iss
        # RFC 6582 "recover" starts at the ISS: a modular compare with 0 would block fast
        # retransmit on half of all connections.
        self._recover = iss
        # Window scale: the smallest shift that lets the 16-bit field cover the whole
        # receive buffer (RFC 7323 2.3, at most 14).
        shift = 0
        while shift < 14 and (self._rx.capacity >> shift) > 0xFFFF:
            shift += 1
        self._rcv_shift = shift
        self._rcv_mss = max(1, cx.ip_mtu - 40)
        # Segmentation offload (TSO or GSO): the largest payload of a new-data super-segment,
        # room left for the IP header and the largest TCP header (60); 0 when nobody cuts
        # segments for us. (A stand-in context in tests may not have the attribute.)
        tso = getattr(cx, "max_tso_size", 0)
        self._tso_room = tso - 80 if tso > cx.ip_mtu else 0
        self._ts_offset = cx.rand.getrandbits(32)
        self._progress_at = now.micros
        # We offer every option; `_accept_syn` keeps those the peer offers too.
        self._ws_ok = self._ts_ok = self._sack_ok = True
        self._rtt.reset()
        self._cc.reset()


def _micros(value: Duration, what: str) -> int:
    if not isinstance(value, Duration):
        raise TypeError(f"{what} must be a Duration or None, not {type(value).__name__}")
    if value.micros < 0:
        raise ValueError(f"{what} must not be negative")
    return value.micros
