"""The transmission control block: the variables of one connection (RFC 9293 3.3.1).

`Tcb` holds what every part of a connection reads: the state, the endpoints, the send and
receive sequence spaces, the options both ends agreed on, the buffers, the user timeout and
keep-alive, and the counters. The parts that act on it (`receive.Receiver`, `send.Sender`,
`recovery.Recovery`, `process.SegmentArrives`, `listener.Listener`) keep their own state
themselves and reach each other through the `Part` links the socket sets up.

Sequence numbers are `smoltcp.wire.TcpSeqNumber` throughout (modular comparisons and signed
distances, RFC 1982); times are integer microseconds (`Instant.micros`), None for a timer
that is not armed.
"""

from __future__ import annotations

import logging
import random
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, Union

from smoltcp.stack.storage import RingBuffer
from smoltcp.stack.tcp.state import TcpState
from smoltcp.stack.time import Instant
from smoltcp.wire import IpAddress, IpEndpoint, TcpRepr, TcpSeqNumber
from smoltcp.wire.ip import IpRepr

if TYPE_CHECKING:
    from smoltcp.stack.tcp.listener import Listener
    from smoltcp.stack.tcp.process import SegmentArrives
    from smoltcp.stack.tcp.receive import Receiver
    from smoltcp.stack.tcp.recovery import Recovery
    from smoltcp.stack.tcp.send import Sender
    from smoltcp.stack.tcp.socket import TcpSocket
    from smoltcp.stack.tcp.trace import ConnectionTrace, TraceRecorder

__all__ = [
    "DEFAULT_MSS",
    "Context",
    "IpRepr",
    "Part",
    "Payload",
    "Reply",
    "StateObserver",
    "Tcb",
    "link_parts",
    "unlink_parts",
]

_log = logging.getLogger("smoltcp.stack.tcp")

# RFC 9293 3.7.1: the default send MSS when the peer's SYN carries no MSS option.
DEFAULT_MSS = 536

StateObserver = Callable[[TcpState, TcpState], None]
"""``observer(old, new)``: called before each change of state (it may raise to refuse it)."""

Payload = Union[bytes, bytearray, memoryview]  # noqa: UP007 (a runtime alias on Python 3.9)
"""A segment's payload: a view into a ring buffer, or bytes."""

Reply = tuple[IpRepr, TcpRepr]
"""A segment to send at once, with its IP header: what `process` may return."""

_ZERO = TcpSeqNumber(0)


class Context(Protocol):
    """What TCP reads of its interface (`smoltcp.stack.iface.Context` is one).

    TCP also reads ``max_tso_size`` (int, octets; 0: no segmentation offload) and
    ``broadcasts`` (the directed broadcast addresses of the interface's subnets, which
    `TcpSocket.connect` refuses) and calls ``path_mtu(addr)`` (the path MTU towards a peer,
    octets) and ``loopback_ok(src, dst)`` (whether loopback ends may leave: without it,
    `TcpSocket.connect` refuses them) when present.
    """

    @property
    def ip_mtu(self) -> int:
        """The largest IP packet the device carries, in octets."""
        ...

    @property
    def rand(self) -> random.Random:
        """The interface's seeded random source (ephemeral ports, ISN secret, TS offset)."""
        ...

    @property
    def now(self) -> Instant:
        """The time of the current poll."""
        ...

    def get_source_address(self, dst_addr: IpAddress) -> IpAddress | None:
        """Return the source address for ``dst_addr``, or None if there is no route."""
        ...


class Tcb:
    """The RFC 9293 variables of one connection, and its buffers and counters."""

    # Grouped by concern rather than sorted, to read like RFC 9293 3.3.1.
    __slots__ = (  # noqa: RUF023
        "rx",
        "tx",
        "state",
        "observer",
        "local",
        "remote",
        "passive",
        "child",
        # send sequence space
        "iss",
        "snd_una",
        "snd_nxt",
        "snd_max",
        "snd_wnd",
        "snd_wl1",
        "snd_wl2",
        "max_snd_wnd",
        "snd_shift",
        "snd_mss",
        "tso_room",
        "peer_mss",
        # receive sequence space
        "irs",
        "rcv_nxt",
        "rcv_adv",
        "rcv_shift",
        "rcv_mss",
        "last_ack_sent",
        # options both ends agreed on
        "ws_ok",
        "ts_ok",
        "ts_recent",
        "ts_offset",
        "sack_ok",
        # user timeout, keep-alive, closing
        "timeout",
        "keep_alive",
        "keepalive_at",
        "timewait_at",
        "progress_at",
        "established_at",
        "close_pending",
        "error",
        # statistics
        "n_seg_out",
        "n_seg_in",
        "n_bytes_out",
        "n_bytes_in",
        "n_bytes_acked",
        "last_send_at",
        "last_recv_at",
        "clock",
        # tracing (None: off)
        "recorder",
        "trace",
    )

    def __init__(self, rx: RingBuffer, tx: RingBuffer) -> None:
        self.rx = rx
        self.tx = tx
        self.observer: StateObserver | None = None
        # Kept across `reset`: a listener's child or a socket returning to LISTEN keeps them.
        self.passive = False
        self.child = False
        # Configuration that outlives connections (microseconds; None: off).
        self.timeout: int | None = None
        self.keep_alive: int | None = None
        self.error: str | None = None
        self.n_seg_out = self.n_seg_in = self.n_bytes_out = self.n_bytes_in = 0
        self.n_bytes_acked = 0
        # When a segment last left and last arrived (micros; None: never).
        self.last_send_at: int | None = None
        self.last_recv_at: int | None = None
        # The time of the latest call that carried one (process, dispatch, an open), micros.
        self.clock = 0
        # The recorder this socket's connections report to (configuration), and the trace
        # of the current connection (opened once its endpoints are known).
        self.recorder: TraceRecorder | None = None
        self.trace: ConnectionTrace | None = None
        self.reset()

    def reset(self) -> None:
        """Forget every per-connection variable (not the configuration or the statistics)."""
        self.state = TcpState.CLOSED
        self.local: IpEndpoint | None = None
        self.remote: IpEndpoint | None = None
        self.iss = self.snd_una = self.snd_nxt = self.snd_max = _ZERO
        self.snd_wl1 = self.snd_wl2 = _ZERO
        self.snd_wnd = 0
        self.max_snd_wnd = 0
        self.snd_shift = 0
        self.snd_mss = DEFAULT_MSS
        self.tso_room = 0
        self.peer_mss = DEFAULT_MSS
        self.irs = self.rcv_nxt = self.rcv_adv = _ZERO
        self.rcv_shift = 0
        self.rcv_mss = DEFAULT_MSS
        self.last_ack_sent = _ZERO
        self.ws_ok = False
        self.ts_ok = False
        self.ts_recent = 0
        self.ts_offset = 0
        self.sack_ok = False
        self.keepalive_at: int | None = None
        self.timewait_at: int | None = None
        self.progress_at = 0
        self.established_at = 0
        self.close_pending = False
        self.trace = None

    def set_state(self, state: TcpState) -> None:
        """Change the state (every change is one of `state.TRANSITIONS`); tell the observer.

        A traced connection records the change, at the time of its latest event (a change
        made by a user call such as `close` has no time of its own).
        """
        old = self.state
        if old is not state:
            if self.observer is not None:
                self.observer(old, state)
            trace = self.trace
            if trace is not None:
                trace.state(self.clock, old, state)
            if _log.isEnabledFor(logging.DEBUG):
                _log.debug("tcp %s -> %s: %s -> %s", self.local, self.remote, old, state)
        self.state = state


class Part:
    """A part of one connection: its links to the socket, the TCB and the other parts.

    The socket creates each part and then links them all (`link_parts`); a part holds only
    references here, and declares its own state in its own ``__slots__``. The link to the
    socket is weak (a proxy), so that the parts, which point at each other, do not keep the
    socket alive: a dropped socket is freed at once, and unlinks its parts (`unlink_parts`),
    which are then freed too (without waiting for the cycle collector).
    """

    __slots__ = ("arr", "lst", "rcv", "rec", "snd", "sock", "tcb")

    sock: TcpSocket
    tcb: Tcb
    rcv: Receiver
    snd: Sender
    rec: Recovery
    arr: SegmentArrives
    lst: Listener


def link_parts(
    sock: TcpSocket,
    tcb: Tcb,
    rcv: Receiver,
    snd: Sender,
    rec: Recovery,
    arr: SegmentArrives,
    lst: Listener,
) -> None:
    """Point each of the five parts at the socket, its TCB and the other parts.

    One call for all five (not a method per part): a listener runs this for every SYN.
    """
    proxy = weakref.proxy(sock)
    for part in (rcv, snd, rec, arr, lst):
        part.sock = proxy
        part.tcb = tcb
        part.rcv = rcv
        part.snd = snd
        part.rec = rec
        part.arr = arr
        part.lst = lst


def unlink_parts(parts: tuple[Part, ...]) -> None:
    """Drop the links between ``parts``, whose socket is being freed.

    They then no longer hold each other, and reference counting frees them.
    """
    for part in parts:
        del part.sock, part.tcb, part.rcv, part.snd, part.rec, part.arr, part.lst
