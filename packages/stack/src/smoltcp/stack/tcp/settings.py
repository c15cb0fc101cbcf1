"""`TcpSocketSettings`: the per-socket configuration of `TcpSocket` (timeouts, ACK policy,
Nagle, RACK, hop limit, congestion control), each a property and a ``set_*`` method.

A base class of `TcpSocket` holding only accessors: the values live in the socket's parts
(`tcb.Tcb`, `receive.Receiver`, `send.Sender`, `recovery.Recovery`), which `TcpSocket` creates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smoltcp.stack.socket.base import Socket
from smoltcp.stack.storage import Assembler
from smoltcp.stack.tcp.arguments import micros
from smoltcp.stack.tcp.congestion import CongestionController, make_congestion_controller
from smoltcp.stack.tcp.receive import Receiver
from smoltcp.stack.tcp.recovery import Recovery
from smoltcp.stack.tcp.send import Sender
from smoltcp.stack.tcp.state import TcpState
from smoltcp.stack.tcp.tcb import Tcb
from smoltcp.stack.time import Duration

__all__ = ["TcpSocketSettings"]

_CLOSED = TcpState.CLOSED
_LISTEN = TcpState.LISTEN


class TcpSocketSettings(Socket):
    """The configuration accessors of a TCP socket; use `TcpSocket`, never this class alone."""

    __slots__ = ()

    # Slots of `TcpSocket`, set by its constructor.
    _tcb: Tcb
    _rcv: Receiver
    _snd: Sender
    _rec: Recovery

    if TYPE_CHECKING:

        def is_active(self) -> bool: ...

    @property
    def timeout(self) -> Duration | None:
        """The user timeout (None: never)."""
        return None if self._tcb.timeout is None else Duration(self._tcb.timeout)

    def set_timeout(self, timeout: Duration | None) -> None:
        """Abort the connection when the peer stays silent this long while we wait on it.

        "Waiting" means data, SYN or FIN unacknowledged, or keep-alive enabled. None disables.
        A synchronized connection tells the peer with one RST; a handshake ends silently (in
        SYN-RECEIVED the peer may never have had our SYN-ACK: its next SYN finds the listener).
        """
        self._tcb.timeout = None if timeout is None else micros(timeout, "timeout")

    @property
    def keep_alive(self) -> Duration | None:
        """The keep-alive interval (None: disabled)."""
        return None if self._tcb.keep_alive is None else Duration(self._tcb.keep_alive)

    def set_keep_alive(self, interval: Duration | None) -> None:
        """Send a keep-alive after ``interval`` of silence from the peer (None disables)."""
        self._tcb.keep_alive = None if interval is None else micros(interval, "interval")
        # Armed once synchronized (`_established` arms it for a connection still opening).
        st = self._tcb.state
        if (
            self._tcb.keep_alive is not None
            and self.is_active()
            and st is not TcpState.SYN_SENT
            and st is not TcpState.SYN_RECEIVED
        ):
            self._tcb.keepalive_at = self._tcb.progress_at + self._tcb.keep_alive
            self._wake()
        else:
            self._tcb.keepalive_at = None

    @property
    def ack_delay(self) -> Duration | None:
        """The delayed-ACK timeout (None: acknowledge every segment at once)."""
        return None if self._rcv.ack_delay is None else Duration(self._rcv.ack_delay)

    def set_ack_delay(self, delay: Duration | None) -> None:
        """Delay pure ACKs by up to ``delay`` (RFC 9293 3.8.6.3; None acknowledges at once)."""
        self._rcv.ack_delay = None if delay is None else micros(delay, "delay")

    @property
    def ack_stretch(self) -> int | None:
        """Octets of in-order data acknowledged at least once each, or None (two segments)."""
        return self._rcv.ack_stretch

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
        self._rcv.ack_stretch = octets

    @property
    def nagle_enabled(self) -> bool:
        """Whether Nagle's algorithm holds back small segments (RFC 896)."""
        return self._snd.nagle

    def set_nagle_enabled(self, enabled: bool) -> None:
        """Enable (the default) or disable Nagle's algorithm."""
        self._snd.nagle = bool(enabled)
        self._wake()

    @property
    def rack_enabled(self) -> bool:
        """Whether RACK's time-based loss detection runs (RFC 8985 6; on by default)."""
        return self._rec.rack_enabled

    def set_rack_enabled(self, enabled: bool) -> None:
        """Enable (the default) or disable RACK's time-based loss detection (RFC 8985 6).

        Off, losses are found by duplicate ACKs and SACK (RFC 5681, RFC 6675) and by the
        retransmission timer only; the tail loss probe (RFC 8985 7) stays. Backlog children
        inherit the setting.
        """
        self._rec.rack_enabled = bool(enabled)
        if not enabled:
            self._rec.rack_at = None

    @property
    def hop_limit(self) -> int | None:
        """The IP hop limit (IPv6) or TTL (IPv4) of outgoing segments, 1..255 (None: the
        default, 64). Setting it raises TypeError for a non-int, ValueError out of range."""
        return self._snd.hop_limit

    @hop_limit.setter
    def hop_limit(self, hop_limit: int | None) -> None:
        self.set_hop_limit(hop_limit)

    def set_hop_limit(self, hop_limit: int | None) -> None:
        """Set the IP hop limit (1..255) of outgoing segments; None restores the default."""
        if hop_limit is not None and (
            not isinstance(hop_limit, int) or isinstance(hop_limit, bool)
        ):
            raise TypeError(f"hop_limit must be an int or None, not {type(hop_limit).__name__}")
        if hop_limit is not None and not 1 <= hop_limit <= 255:
            raise ValueError(f"hop limit must be in 1..255, not {hop_limit}")
        self._snd.hop_limit = hop_limit

    @property
    def congestion_control(self) -> CongestionController:
        """The congestion controller in use."""
        return self._rec.cc

    def set_congestion_control(self, cc: str | CongestionController) -> None:
        """Use congestion control ``cc``: "cubic" (default), "reno", "none" or an instance."""
        if isinstance(cc, str):
            cc = make_congestion_controller(cc)
        self._rec.cc = cc
        if self._tcb.state not in (_CLOSED, _LISTEN, TcpState.SYN_SENT, TcpState.SYN_RECEIVED):
            cc.set_mss(self._tcb.snd_mss)

    def set_min_rto(self, min_rto: Duration) -> None:
        """Set the lower bound of the retransmission timeout (default 200 ms, as Linux)."""
        self._rec.rtt.min_rto = min_rto

    def set_max_holes(self, max_holes: int) -> None:
        """Track at most ``max_holes`` out-of-order ranges (only while CLOSED or LISTEN)."""
        if self._tcb.state is not _CLOSED and self._tcb.state is not _LISTEN:
            raise ValueError("the reassembly bound can only change before a connection")
        self._rcv.assembler = Assembler(max_holes)
