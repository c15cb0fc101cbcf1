"""The ACK field's bounds (RFC 9293 3.10.7.4 fifth check, RFC 5961 5.2) at every distance.

SND.UNA < SEG.ACK =< SND.MAX acknowledges data; SEG.ACK > SND.MAX and SEG.ACK < SND.UNA -
MAX.SND.WND draw a challenge ACK; anything between is an old ACK, taken silently. Each bound
is tried one octet inside and one outside, with our ISS placed so that SND.UNA, SND.MAX and the
bounds straddle 2**32 (all comparisons are modulo 2**32), and at the ambiguous distance of
exactly 2**31.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tcp_harness import TcpHarness, TcpState, fields

PEER_ISS = 5000
MOD = 1 << 32
WINDOW = 1000
SENT = 300  # octets in flight
# Our ISS: far from the wrap; SND.UNA just below it (SND.MAX beyond it); and SND.UNA - WINDOW
# below it while SND.UNA is beyond.
ISSES = [1000, MOD - 100, 200]


def _flight(iss: int) -> TcpHarness:
    """Return an ESTABLISHED connection with SENT octets in flight and MAX.SND.WND = WINDOW."""
    h = TcpHarness(rx=4096, tx=4096, iss=iss)
    h.establish_passive(peer_iss=PEER_ISS, window=WINDOW)
    assert h.sock.send(bytes(SENT)) == SENT
    assert sum(len(s.payload) for s in h.recv()) == SENT
    return h


def _ack(h: TcpHarness, distance: int) -> list[int]:
    """Send an empty segment whose SEG.ACK is SND.UNA + ``distance``; return the ACK numbers
    of what the socket emits in answer."""
    una = int(h.sock.tcb.snd_una)
    h.send(seq=PEER_ISS + 1, ack=(una + distance) % MOD, window=WINDOW)
    return [fields(s)["ack"] for s in h.recv()]


@pytest.mark.parametrize("iss", ISSES)
@pytest.mark.parametrize("distance", [1, SENT // 2, SENT])
def test_ack_of_sent_data_advances_snd_una(iss: int, distance: int) -> None:
    h = _flight(iss)
    una = int(h.sock.tcb.snd_una)
    _ack(h, distance)
    assert int(h.sock.tcb.snd_una) == (una + distance) % MOD
    assert h.sock.send_queue == SENT - distance


@pytest.mark.parametrize("iss", ISSES)
@pytest.mark.parametrize("distance", [SENT + 1, SENT + 1000, 1 << 31, (1 << 31) - 1])
def test_ack_beyond_snd_max_gets_challenge_ack(iss: int, distance: int) -> None:
    h = _flight(iss)
    una = int(h.sock.tcb.snd_una)
    assert _ack(h, distance) == [PEER_ISS + 1]
    assert int(h.sock.tcb.snd_una) == una
    assert h.sock.send_queue == SENT and h.sock.state is TcpState.ESTABLISHED


@pytest.mark.parametrize("iss", ISSES)
@pytest.mark.parametrize("distance", [-WINDOW - 1, -WINDOW - 5000, -(1 << 31) + 1])
def test_ack_older_than_the_window_gets_challenge_ack(iss: int, distance: int) -> None:
    h = _flight(iss)
    una = int(h.sock.tcb.snd_una)
    assert _ack(h, distance) == [PEER_ISS + 1]
    assert int(h.sock.tcb.snd_una) == una


@pytest.mark.parametrize("iss", ISSES)
@pytest.mark.parametrize("distance", [0, -1, -WINDOW])
def test_old_ack_within_the_window_is_taken_silently(iss: int, distance: int) -> None:
    h = _flight(iss)
    una = int(h.sock.tcb.snd_una)
    assert _ack(h, distance) == []
    assert int(h.sock.tcb.snd_una) == una
    assert h.sock.send_queue == SENT and h.sock.state is TcpState.ESTABLISHED
