"""Estimate the round-trip time and the retransmission timeout (RFC 6298).

The estimator keeps SRTT and RTTVAR in integer microseconds and caches the RTO as a
`Duration`, so that reading it on the per-segment path allocates nothing.

Karn's rule (RFC 6298 section 3): a segment that was retransmitted gives no sample, because
its ACK cannot be matched to one transmission. The connection (`recovery.Recovery`) enforces
that itself and calls `RttEstimator.sample`. Timestamp echoes (RFC 7323) are unambiguous and
are fed to `sample` directly.
"""

from __future__ import annotations

from smoltcp.stack.time import Duration, Instant

__all__ = ["RttEstimator"]

_MIN_RTO = Duration.from_millis(200)
_MAX_RTO = Duration.from_secs(60)
_INITIAL_RTO = Duration.from_secs(1)
_GRANULARITY = Duration.from_millis(1)


class RttEstimator:
    """Track SRTT/RTTVAR and derive the RTO with exponential back-off (RFC 6298).

    ``min_rto`` defaults to 200 ms as in Linux (RFC 6298 2.4 asks for 1 s, which makes
    recovery on a local link painfully slow); ``max_rto`` is 60 s (RFC 6298 2.5);
    ``initial_rto`` applies before the first sample (RFC 6298 2.1: 1 s). ``granularity`` is
    the clock granularity G of RFC 6298 2.3. Every argument must be a positive `Duration`
    and ``min_rto <= max_rto``; otherwise `ValueError`.
    """

    __slots__ = (
        "_backoff",
        "_granularity",
        "_initial_rto",
        "_max_rto",
        "_min_rto",
        "_min_rtt",
        "_rto",
        "_rto_base",
        "_rttvar",
        "_srtt",
        "_timeout_at",
    )

    def __init__(
        self,
        min_rto: Duration = _MIN_RTO,
        max_rto: Duration = _MAX_RTO,
        initial_rto: Duration = _INITIAL_RTO,
        granularity: Duration = _GRANULARITY,
    ) -> None:
        for name, value in (
            ("min_rto", min_rto),
            ("max_rto", max_rto),
            ("initial_rto", initial_rto),
            ("granularity", granularity),
        ):
            if type(value) is not Duration:
                raise TypeError(f"{name} must be a Duration, not {type(value).__name__}")
            if value.micros <= 0:
                raise ValueError(f"{name} must be positive, got {value}")
        if min_rto.micros > max_rto.micros:
            raise ValueError(f"min_rto {min_rto} exceeds max_rto {max_rto}")
        self._min_rto = min_rto.micros
        self._max_rto = max_rto.micros
        self._initial_rto = initial_rto.micros
        self._granularity = granularity.micros
        self.reset()

    def reset(self) -> None:
        """Forget every sample and the back-off (a new connection)."""
        self._srtt: int | None = None
        self._rttvar = 0
        self._min_rtt: int | None = None
        self._backoff = 0
        self._rto_base = self._initial_rto
        # When the last retransmission timeout fired (micros), if the caller said.
        self._timeout_at: int | None = None
        self._rto = Duration(self._initial_rto)
        self._update_rto()

    # -- configuration --------------------------------------------------------------------

    @property
    def min_rto(self) -> Duration:
        """The lower bound of the RTO (settable; 200 ms by default)."""
        return Duration(self._min_rto)

    @min_rto.setter
    def min_rto(self, value: Duration) -> None:
        if type(value) is not Duration:
            raise TypeError(f"min_rto must be a Duration, not {type(value).__name__}")
        if value.micros <= 0 or value.micros > self._max_rto:
            raise ValueError(f"min_rto must be in (0, {Duration(self._max_rto)}], got {value}")
        self._min_rto = value.micros
        self._update_rto()

    @property
    def max_rto(self) -> Duration:
        """The upper bound of the RTO, back-off included (60 s by default)."""
        return Duration(self._max_rto)

    # -- state ----------------------------------------------------------------------------

    @property
    def srtt(self) -> Duration | None:
        """The smoothed RTT, or None before the first sample."""
        return None if self._srtt is None else Duration(self._srtt)

    @property
    def rttvar(self) -> Duration:
        """The RTT variation (zero before the first sample)."""
        return Duration(self._rttvar)

    @property
    def min_rtt_us(self) -> int | None:
        """The least RTT sample taken since the connection began, in microseconds, or None."""
        return self._min_rtt

    @property
    def srtt_us(self) -> int | None:
        """The smoothed RTT in microseconds, or None before the first sample."""
        return self._srtt

    @property
    def rttvar_us(self) -> int:
        """The RTT variation in microseconds (zero before the first sample)."""
        return self._rttvar

    @property
    def rto(self) -> Duration:
        """The current RTO, back-off included, clamped to [min_rto, max_rto]."""
        return self._rto

    @property
    def backoff(self) -> int:
        """How many times the RTO has been doubled since the last sample."""
        return self._backoff

    # -- RFC 6298 -------------------------------------------------------------------------

    def sample(self, rtt: Duration, now: Instant | None = None) -> bool:
        """Take one RTT measurement (RFC 6298 2.2 / 2.3), clear the back-off; return True.

        The caller guarantees Karn's rule for timed segments. With ``now`` (the time the ACK
        arrived), a sample whose transmission precedes the last retransmission timeout (see
        `on_timeout`) is refused and False returned: everything outstanding then was
        retransmitted, so the sample is ambiguous (Karn), and for a timestamp echo (RFC 7323
        4.1, where the receiver may echo the TSval of a segment sent before the timeout,
        e.g. after a lost ACK) it would include the timeout itself: SRTT would grow with
        every loss, the RTO with it, and recovery would slow down without bound. A negative
        sample (a clock that went backwards in a test) counts as zero.
        """
        return self.sample_us(rtt.micros, None if now is None else now.micros)

    def sample_us(self, r: int, now_us: int | None = None) -> bool:
        """Take one RTT measurement of ``r`` microseconds: `sample` in integers.

        ``now_us`` is the time the ACK arrived in microseconds, or None; the rules and the
        result are those of `sample` (the per-ACK path calls this one, which allocates no
        `Duration`).
        """
        timeout_at = self._timeout_at
        if now_us is not None and timeout_at is not None and now_us - r < timeout_at:
            return False
        if r < 0:
            r = 0
        least = self._min_rtt
        if least is None or r < least:
            self._min_rtt = r
        srtt = self._srtt
        if srtt is None:
            # RFC 6298 2.2: SRTT <- R, RTTVAR <- R/2.
            self._srtt = r
            self._rttvar = r >> 1
        else:
            # RFC 6298 2.3 with alpha = 1/8, beta = 1/4; RTTVAR first, from the old SRTT.
            delta = srtt - r
            if delta < 0:
                delta = -delta
            self._rttvar += (delta - self._rttvar) >> 2
            self._srtt = srtt + ((r - srtt) >> 3)
        var4 = self._rttvar << 2
        self._rto_base = self._srtt + (var4 if var4 > self._granularity else self._granularity)
        # RFC 6298 5.7: a fresh measurement after back-off recomputes the RTO from scratch.
        self._backoff = 0
        self._update_rto()
        return True

    def on_timeout(self, now: Instant | None = None) -> None:
        """Double the RTO after a retransmission timeout (RFC 6298 5.5), capped at max_rto.

        Pass ``now`` so that `sample` can refuse measurements that span this timeout.
        """
        if now is not None:
            self._timeout_at = now.micros
        if self._rto.micros < self._max_rto:
            self._backoff += 1
        self._update_rto()

    def _update_rto(self) -> None:
        # RFC 6298 2.4 clamps the computed RTO, 5.5 doubles the clamped value.
        rto = self._rto_base
        if rto < self._min_rto:
            rto = self._min_rto
        rto <<= self._backoff
        if rto > self._max_rto:
            rto = self._max_rto
        # Once SRTT settles the RTO mostly stays at its floor: keep the cached Duration then
        # (this runs on every RTT sample, that is nearly every ACK).
        if rto != self._rto.micros:
            self._rto = Duration(rto)

    def __repr__(self) -> str:
        srtt = "-" if self._srtt is None else str(Duration(self._srtt))
        return (
            f"RttEstimator(srtt={srtt}, rttvar={Duration(self._rttvar)}, rto={self._rto}, "
            f"backoff={self._backoff})"
        )
