"""The eleven connection states of RFC 9293 section 3.3.2 and the transitions between them.

`TRANSITIONS` is the state diagram (RFC 9293 Figure 5) in one place: every change of state
the socket makes, with the event and the RFC section that decides it. The code that makes
each change lives with the event (`process.py` for arriving segments, `socket.py` for user
calls, `send.py` and `recovery.py` for timers, `listener.py` for passive opens) and goes
through `tcb.Tcb.set_state`; the tests check that no state change outside this table ever
happens.
"""

from __future__ import annotations

import enum

__all__ = ["TRANSITIONS", "TcpState"]


class TcpState(enum.Enum):
    """A TCP connection state; ``str(state)`` is the RFC name (``SYN-SENT``, ...)."""

    CLOSED = "CLOSED"
    LISTEN = "LISTEN"
    SYN_SENT = "SYN-SENT"
    SYN_RECEIVED = "SYN-RECEIVED"
    ESTABLISHED = "ESTABLISHED"
    FIN_WAIT_1 = "FIN-WAIT-1"
    FIN_WAIT_2 = "FIN-WAIT-2"
    CLOSE_WAIT = "CLOSE-WAIT"
    CLOSING = "CLOSING"
    LAST_ACK = "LAST-ACK"
    TIME_WAIT = "TIME-WAIT"

    # The per-segment paths test states against sets; Enum's own hash is a Python method
    # (hash of the name), this one is C's identity hash, consistent with Enum's identity
    # equality, and about three times cheaper per test.
    __hash__ = object.__hash__

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"TcpState.{self.name}"


_S = TcpState

# (from, to) -> the events that make the change, with their RFC 9293 sections.
TRANSITIONS: dict[tuple[TcpState, TcpState], str] = {
    # Opening (3.5, 3.10.1 OPEN, 3.10.7.2 LISTEN, 3.10.7.3 SYN-SENT).
    (_S.CLOSED, _S.LISTEN): "passive OPEN (listen)",
    (_S.CLOSED, _S.SYN_SENT): "active OPEN (connect): send SYN",
    (_S.LISTEN, _S.SYN_RECEIVED): "SYN arrives: send SYN-ACK (3.10.7.2 third check)",
    (_S.SYN_SENT, _S.ESTABLISHED): "SYN-ACK acknowledging our SYN: send ACK (3.10.7.3)",
    (_S.SYN_SENT, _S.SYN_RECEIVED): "SYN without ACK, simultaneous open (3.10.7.3, Figure 8)",
    (_S.SYN_RECEIVED, _S.ESTABLISHED): "acceptable ACK of our SYN (3.10.7.4 fifth check)",
    (_S.SYN_RECEIVED, _S.FIN_WAIT_1): "ACK of our SYN after CLOSE in SYN-RECEIVED (3.10.4)",
    (_S.SYN_RECEIVED, _S.LISTEN): "RST, or handshake timeout, in a passive open (3.10.7.4)",
    # Closing (3.6, 3.10.4 CLOSE, 3.10.7.4 fifth and eighth checks).
    (_S.ESTABLISHED, _S.FIN_WAIT_1): "CLOSE: queue FIN",
    (_S.ESTABLISHED, _S.CLOSE_WAIT): "FIN arrives (eighth check)",
    (_S.FIN_WAIT_1, _S.FIN_WAIT_2): "our FIN acknowledged (fifth check)",
    (_S.FIN_WAIT_1, _S.CLOSING): "FIN arrives before the ACK of ours: simultaneous close",
    (_S.FIN_WAIT_2, _S.TIME_WAIT): "FIN arrives (eighth check)",
    (_S.CLOSE_WAIT, _S.LAST_ACK): "CLOSE: queue FIN",
    (_S.CLOSING, _S.TIME_WAIT): "our FIN acknowledged (fifth check)",
    # Every other state to CLOSED: CLOSE in LISTEN or SYN-SENT (3.10.4), ABORT (3.10.5), an
    # acceptable RST (3.10.7.3, 3.10.7.4 second check), a handshake or user timeout (3.10.8).
    **{
        (state, _S.CLOSED): "CLOSE, ABORT, RST or timeout"
        for state in _S
        if state not in (_S.CLOSED, _S.LAST_ACK, _S.TIME_WAIT)
    },
    (_S.LAST_ACK, _S.CLOSED): "our FIN acknowledged (fifth check); ABORT, RST or timeout",
    (_S.TIME_WAIT, _S.CLOSED): "2 MSL elapsed (3.4.2), a new SYN reuses the four-tuple; ABORT",
}
