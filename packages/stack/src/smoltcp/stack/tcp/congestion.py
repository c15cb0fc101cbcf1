"""Pluggable congestion control: Reno/NewReno (RFC 5681, RFC 6582) and CUBIC (RFC 9438).

A controller only does window arithmetic. The socket runs the loss-recovery state machine
(duplicate-ACK counting, the NewReno recover point, the RFC 6675 pipe) and tells the
controller what happened:

- `on_ack` for new data cumulatively acknowledged outside recovery (window growth);
- `on_congestion_event` when it enters fast recovery (multiplicative decrease);
- `on_recovery_exit` when a full ACK ends recovery;
- `on_rto` on a retransmission timeout (back to one segment, then slow start).

All windows are in bytes. Controllers are chosen by name with `make_congestion_controller`
("cubic", the default, "reno" or "none") or passed as an instance to the socket.
"""

from __future__ import annotations

from typing import Protocol, cast, runtime_checkable

from smoltcp.stack.time import Duration, Instant

__all__ = [
    "CongestionController",
    "Cubic",
    "NoControl",
    "Reno",
    "initial_window",
    "make_congestion_controller",
]

# "Arbitrarily high" initial ssthresh (RFC 5681 3.1) and the window of "none".
_INFINITE_WINDOW = 1 << 40

# HyStart++ (RFC 9406 4.3), RTTs in microseconds.
_HS_SLOW_START, _HS_CSS, _HS_DONE = 0, 1, 2
_HS_NAMES = ("slow start", "css", "done")
_NO_RTT = 1 << 62
_MIN_RTT_THRESH = 4_000
_MAX_RTT_THRESH = 16_000
_N_RTT_SAMPLE = 8
_CSS_GROWTH_DIVISOR = 4
_CSS_ROUNDS = 5


def initial_window(mss: int) -> int:
    """Return the initial window for an SMSS of ``mss`` (RFC 6928: about 10 segments)."""
    return min(10 * mss, max(2 * mss, 14600))


@runtime_checkable
class CongestionController(Protocol):
    """What the TCP socket needs from a congestion controller (see the module docstring)."""

    name: str

    @property
    def cwnd(self) -> int:
        """The congestion window, in bytes."""
        ...

    @property
    def ssthresh(self) -> int:
        """The slow start threshold, in bytes."""
        ...

    @property
    def in_slow_start(self) -> bool:
        """Whether cwnd < ssthresh."""
        ...

    def set_mss(self, mss: int) -> None:
        """Take the sender MSS; set the initial window if nothing was acknowledged yet."""
        ...

    def on_ack(self, now: Instant, acked: int, flight_size: int, rtt: Duration | None) -> None:
        """Grow the window for ``acked`` newly acknowledged bytes outside recovery."""
        ...

    def on_congestion_event(self, now: Instant, flight_size: int) -> None:
        """Reduce the window on entering fast recovery."""
        ...

    def on_recovery_exit(self, now: Instant) -> None:
        """Settle the window when a full ACK ends recovery."""
        ...

    def on_rto(self, now: Instant, flight_size: int) -> None:
        """Collapse the window to one segment after a retransmission timeout."""
        ...

    def reset(self) -> None:
        """Forget everything (a new connection)."""
        ...


class _Window:
    """State and rules shared by the controllers: SMSS, initial window, slow start."""

    __slots__ = (
        "_acked_any",
        "_cwnd",
        "_hs_css_base",
        "_hs_css_rounds",
        "_hs_cur_min",
        "_hs_last_min",
        "_hs_round_end",
        "_hs_rtt",
        "_hs_samples",
        "_hs_state",
        "_hystart",
        "_mss",
        "_rto_loss",
        "_ssthresh",
    )

    name = "base"
    _HYSTART_DEFAULT = False

    def __init__(self, mss: int = 536, *, hystart: bool | None = None) -> None:
        self._mss = mss
        self._hystart = self._HYSTART_DEFAULT if hystart is None else bool(hystart)
        self.reset()

    def reset(self) -> None:
        """Forget everything (a new connection)."""
        # Floats: CUBIC grows the window by fractions of a segment per ACK.
        self._cwnd: float = initial_window(self._mss)
        self._ssthresh: float = _INFINITE_WINDOW
        self._acked_any = False
        # True after an RTO until new data is acknowledged: a repeated timeout of the same
        # data keeps ssthresh (RFC 5681 3.1, after equation 4).
        self._rto_loss = False
        # HyStart++ (RFC 9406), in the initial slow start only. RTTs in microseconds.
        self._hs_state = _HS_SLOW_START if self._hystart else _HS_DONE
        self._hs_round_end: int | None = None
        self._hs_rtt = 0
        self._hs_cur_min = _NO_RTT
        self._hs_last_min = _NO_RTT
        self._hs_samples = 0
        self._hs_css_base = _NO_RTT
        self._hs_css_rounds = 0

    @property
    def cwnd(self) -> int:
        """The congestion window, in bytes."""
        return int(self._cwnd)

    @property
    def ssthresh(self) -> int:
        """The slow start threshold, in bytes."""
        return int(self._ssthresh)

    @property
    def mss(self) -> int:
        """The sender maximum segment size in use, in bytes."""
        return self._mss

    @property
    def in_slow_start(self) -> bool:
        """Whether cwnd < ssthresh (RFC 5681 3.1)."""
        return self._cwnd < self._ssthresh

    def set_mss(self, mss: int) -> None:
        """Take the sender MSS; set the initial window if nothing was acknowledged yet.

        ``mss`` must be a positive int (`ValueError` otherwise).
        """
        if not isinstance(mss, int) or mss <= 0:
            raise ValueError(f"mss must be a positive int, got {mss!r}")
        self._mss = mss
        if not self._acked_any:
            self._cwnd = initial_window(mss)

    @property
    def hystart_enabled(self) -> bool:
        """Whether slow start uses HyStart++ (RFC 9406): the constructor's ``hystart``."""
        return self._hystart

    @property
    def hystart_phase(self) -> str:
        """Where HyStart++ is: "slow start", "css" (conservative slow start) or "done"."""
        return _HS_NAMES[self._hs_state]

    def _slow_start(
        self, acked: int, flight_size: int, now: Instant | None = None, rtt: Duration | None = None
    ) -> int:
        """Grow cwnd in slow start; return the acked bytes left over past ssthresh."""
        cwnd = self._cwnd
        # RFC 7661 spirit: an application-limited sender does not learn that the path can
        # carry a larger window, so do not grow one it is not using.
        if 2 * flight_size < cwnd:
            return 0
        # Byte counting (RFC 3465) without its L = 2*SMSS cap, as Linux does: a receiver that
        # polls in bursts (this stack, or Linux with GRO) acknowledges a whole flight with one
        # stretch ACK, and a cap would turn slow start into a linear crawl of 2 SMSS per RTT.
        inc: float = acked
        if self._hs_state != _HS_DONE and now is not None:
            inc = self._hystart_ack(now.micros, acked, rtt)
            if self._cwnd >= self._ssthresh:  # CSS ended: congestion avoidance from here
                return 0
        if cwnd + inc <= self._ssthresh:
            self._cwnd = cwnd + inc
            return 0
        self._cwnd = self._ssthresh
        return int(cwnd + inc - self._ssthresh)

    def _hystart_ack(self, t: int, acked: int, rtt: Duration | None) -> float:
        """Run HyStart++ (RFC 9406 4.2) for one ACK; return how much to grow cwnd by.

        RFC 9406 counts rounds by sequence number (a round ends when SND.NXT at its start is
        acknowledged); the controller sees no sequence numbers, so a round here lasts one
        RTT of time, which is the same thing for a sender that keeps its window full.
        """
        if rtt is not None:
            self._hs_rtt = rtt.micros
        if self._hs_rtt <= 0:
            return acked  # no RTT yet: standard slow start
        end = self._hs_round_end
        if end is None or t >= end:
            # A new round (RFC 9406 4.2, "at the start of each round").
            self._hs_round_end = t + self._hs_rtt
            self._hs_last_min = self._hs_cur_min
            self._hs_cur_min = _NO_RTT
            self._hs_samples = 0
            if self._hs_state == _HS_CSS:
                self._hs_css_rounds += 1
                if self._hs_css_rounds >= _CSS_ROUNDS:
                    # CSS_ROUNDS without a delay decrease: the increase was real congestion.
                    self._ssthresh = self._cwnd
                    self._hs_state = _HS_DONE
                    return 0
        if rtt is not None:
            if rtt.micros < self._hs_cur_min:
                self._hs_cur_min = rtt.micros
            self._hs_samples += 1
        if self._hs_state == _HS_SLOW_START:
            if (
                self._hs_samples >= _N_RTT_SAMPLE
                and self._hs_cur_min != _NO_RTT
                and self._hs_last_min != _NO_RTT
            ):
                thresh = self._hs_last_min >> 3
                if thresh < _MIN_RTT_THRESH:
                    thresh = _MIN_RTT_THRESH
                elif thresh > _MAX_RTT_THRESH:
                    thresh = _MAX_RTT_THRESH
                if self._hs_cur_min >= self._hs_last_min + thresh:
                    # The delay grew: queues are building. Conservative slow start.
                    self._hs_css_base = self._hs_cur_min
                    self._hs_css_rounds = 0
                    self._hs_state = _HS_CSS
            return acked
        # CSS: grow a quarter as fast; a delay back under the baseline was a false alarm.
        if self._hs_samples >= _N_RTT_SAMPLE and self._hs_cur_min < self._hs_css_base:
            self._hs_state = _HS_SLOW_START
            return acked
        return acked / _CSS_GROWTH_DIVISOR

    def _hystart_stop(self) -> None:
        # RFC 9406 4.2: a loss ends HyStart++ (it only runs in the initial slow start).
        self._hs_state = _HS_DONE

    def __repr__(self) -> str:
        return f"{type(self).__name__}(cwnd={self.cwnd}, ssthresh={self.ssthresh}, mss={self._mss})"


class Reno(_Window):
    """Reno congestion control (RFC 5681) with the NewReno recovery hooks (RFC 6582)."""

    __slots__ = ("_bytes_acked",)

    name = "reno"

    def reset(self) -> None:
        """Forget everything (a new connection)."""
        super().reset()
        self._bytes_acked: float = 0

    def on_ack(self, now: Instant, acked: int, flight_size: int, rtt: Duration | None) -> None:
        """Grow by slow start, then by one SMSS per window acknowledged (RFC 5681 3.1)."""
        if acked <= 0:
            return
        # New data acknowledged: the MSS no longer resets the window, and a later timeout
        # lowers ssthresh again.
        self._acked_any = True
        self._rto_loss = False
        if self._cwnd < self._ssthresh:
            acked = self._slow_start(acked, flight_size, now, rtt)
            if acked <= 0:
                return
        # Congestion avoidance with byte counting (RFC 5681 3.1, equation 3's alternative):
        # one SMSS once a whole cwnd of bytes has been acknowledged.
        if flight_size + self._mss < self._cwnd:
            return
        self._bytes_acked += acked
        if self._bytes_acked >= self._cwnd:
            self._bytes_acked -= self._cwnd
            self._cwnd += self._mss

    def _decrease(self, flight_size: int) -> None:
        # RFC 5681 equation 4: ssthresh = max(FlightSize / 2, 2*SMSS).
        half = flight_size // 2
        floor = 2 * self._mss
        self._ssthresh = half if half > floor else floor
        self._bytes_acked = 0
        self._hystart_stop()

    def on_congestion_event(self, now: Instant, flight_size: int) -> None:
        """Halve the window on entering fast recovery (RFC 5681 3.2 step 2, RFC 6582 3.2)."""
        self._decrease(flight_size)
        # The socket sends while pipe < cwnd (RFC 6675), so no window inflation here.
        self._cwnd = self._ssthresh

    def on_recovery_exit(self, now: Instant) -> None:
        """Deflate to ssthresh on a full ACK (RFC 6582 3.2 step 3)."""
        self._cwnd = self._ssthresh

    def on_rto(self, now: Instant, flight_size: int) -> None:
        """Set the loss window of one SMSS (RFC 5681 3.1); keep ssthresh on a repeat."""
        if not self._rto_loss:
            self._decrease(flight_size)
            self._rto_loss = True
        self._cwnd = self._mss


class Cubic(_Window):
    """CUBIC congestion control (RFC 9438), with its Reno-friendly region and fast convergence.

    Windows are kept as float segment counts inside, exposed as int bytes.
    """

    __slots__ = ("_k", "_rtt", "_t_epoch", "_w_est", "_w_max")

    name = "cubic"
    _HYSTART_DEFAULT = True  # RFC 9438 4.10: CUBIC with HyStart++ (RFC 9406)
    C = 0.4  # RFC 9438 4.1: C, in segments / s^3
    BETA = 0.7  # RFC 9438 4.1: beta_cubic
    ALPHA = 3.0 * (1.0 - BETA) / (1.0 + BETA)  # RFC 9438 4.3: alpha_cubic

    def reset(self) -> None:
        """Forget everything (a new connection)."""
        super().reset()
        self._w_max = 0.0  # segments
        self._k = 0.0  # seconds
        self._t_epoch: int | None = None  # micros; None: no congestion avoidance epoch yet
        self._w_est = 0.0  # segments
        self._rtt = 0.0  # seconds, the latest RTT sample

    @property
    def w_max(self) -> int:
        """W_max of RFC 9438 in bytes: the window before the last reduction."""
        return int(self._w_max * self._mss)

    def on_ack(self, now: Instant, acked: int, flight_size: int, rtt: Duration | None) -> None:
        """Grow by slow start, then along the cubic curve or the Reno-friendly line."""
        if acked <= 0:
            return
        # New data acknowledged: the MSS no longer resets the window, and a later timeout
        # lowers ssthresh again.
        self._acked_any = True
        self._rto_loss = False
        if rtt is not None:
            self._rtt = rtt.micros / 1e6
        if self._cwnd < self._ssthresh:
            acked = self._slow_start(acked, flight_size, now, rtt)
            if acked <= 0:
                return
        mss = self._mss
        if flight_size + mss < self._cwnd:
            return  # not cwnd-limited (RFC 9438 5.8): no growth
        cwnd = self._cwnd / mss
        if self._t_epoch is None:
            # RFC 9438 4.2: a congestion avoidance epoch starts now, from the current window.
            self._t_epoch = now.micros
            self._w_est = cwnd
            if self._w_max <= cwnd:
                # Left slow start without a loss (or the window already recovered): the
                # plateau is here.
                self._w_max = cwnd
                self._k = 0.0
            else:
                self._k = ((self._w_max - cwnd) / self.C) ** (1.0 / 3.0)
        segs = acked / mss
        # RFC 9438 4.3: the Reno-friendly estimate, alpha_cubic below W_max and 1 above.
        alpha = self.ALPHA if self._w_est < self._w_max else 1.0
        self._w_est += alpha * segs / cwnd
        t = (now.micros - self._t_epoch) / 1e6
        w_cubic = self.C * (t - self._k) ** 3 + self._w_max
        if w_cubic < self._w_est:
            # RFC 9438 4.3: the Reno-friendly region.
            new = self._w_est
        else:
            # RFC 9438 4.4/4.5: aim at W_cubic one RTT ahead, bounded to [cwnd, 1.5 cwnd].
            target = self.C * (t + self._rtt - self._k) ** 3 + self._w_max
            if target < cwnd:
                target = cwnd
            elif target > 1.5 * cwnd:
                target = 1.5 * cwnd
            new = cwnd + (target - cwnd) / cwnd * segs
        if new > cwnd:
            self._cwnd = new * mss

    def _decrease(self, flight_size: int) -> None:
        mss = self._mss
        window = self._cwnd
        if 0 < flight_size < window:
            window = flight_size  # a receiver- or application-limited flow
        w = window / mss
        # RFC 9438 4.7 fast convergence: yield to newer flows when losses come below W_max.
        if w < self._w_max:
            self._w_max = w * (1.0 + self.BETA) / 2.0
        else:
            self._w_max = w
        ssthresh = window * self.BETA
        floor = 2 * mss
        self._ssthresh = ssthresh if ssthresh > floor else floor
        self._t_epoch = None
        self._hystart_stop()

    def on_congestion_event(self, now: Instant, flight_size: int) -> None:
        """Reduce to beta_cubic times the window on entering fast recovery (RFC 9438 4.6)."""
        self._decrease(flight_size)
        self._cwnd = self._ssthresh

    def on_recovery_exit(self, now: Instant) -> None:
        """Settle at ssthresh; the next ACK starts a new epoch (RFC 9438 4.2)."""
        self._cwnd = self._ssthresh
        self._t_epoch = None

    def on_rto(self, now: Instant, flight_size: int) -> None:
        """Reduce as for a congestion event, then to one SMSS (RFC 9438 4.8)."""
        if not self._rto_loss:
            self._decrease(flight_size)
            self._rto_loss = True
        self._cwnd = self._mss
        self._t_epoch = None


class NoControl(_Window):
    """No congestion control: the window is unlimited (the peer's window still applies)."""

    __slots__ = ()

    name = "none"

    def reset(self) -> None:
        """Forget everything (a new connection)."""
        super().reset()
        self._cwnd = _INFINITE_WINDOW

    def set_mss(self, mss: int) -> None:
        """Take the sender MSS (the window stays unlimited)."""
        super().set_mss(mss)
        self._cwnd = _INFINITE_WINDOW

    def on_ack(self, now: Instant, acked: int, flight_size: int, rtt: Duration | None) -> None:
        """Do nothing."""

    def on_congestion_event(self, now: Instant, flight_size: int) -> None:
        """Do nothing."""

    def on_recovery_exit(self, now: Instant) -> None:
        """Do nothing."""

    def on_rto(self, now: Instant, flight_size: int) -> None:
        """Do nothing."""


_CONTROLLERS: dict[str, type[_Window]] = {"cubic": Cubic, "reno": Reno, "none": NoControl}


def make_congestion_controller(
    name: str | CongestionController = "cubic",
) -> CongestionController:
    """Return a fresh controller named ``name`` ("cubic", "reno" or "none").

    An object that already implements `CongestionController` is returned unchanged. Any other
    name raises `ValueError`, any other type `TypeError`.
    """
    if isinstance(name, str):
        try:
            return cast(CongestionController, _CONTROLLERS[name.lower()]())
        except KeyError:
            raise ValueError(
                f"unknown congestion control {name!r}; expected one of {sorted(_CONTROLLERS)}"
            ) from None
    if isinstance(name, CongestionController):
        return name
    raise TypeError(f"expected a name or a CongestionController, got {type(name).__name__}")
