"""Random segments never make a TcpSocket raise, and it always stays consistent."""

from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))

import contextlib

from tcp_harness import Duration, TcpControl, TcpHarness, TcpState, TcpTimestampRepr

from smoltcp.stack.socket.errors import RecvError

# Sequence numbers near both ends' current positions (ISS 1000, peer 5000) and far away.
near_seq = st.one_of(st.integers(4990, 5200), st.integers(0, 2**32 - 1))
near_ack = st.one_of(st.none(), st.integers(990, 1200), st.integers(0, 2**32 - 1))
segment = st.fixed_dictionaries(
    {
        "control": st.sampled_from(list(TcpControl)),
        "seq": near_seq,
        "ack": near_ack,
        "window": st.integers(0, 0xFFFF),
        "payload": st.binary(max_size=120),
        "window_scale": st.one_of(st.none(), st.integers(0, 255)),
        "max_seg_size": st.one_of(st.none(), st.integers(0, 0xFFFF)),
        "sack_permitted": st.booleans(),
        "sack_ranges": st.lists(
            st.tuples(st.integers(990, 1300), st.integers(990, 1300)), max_size=4
        ).map(tuple),
        "timestamp": st.one_of(
            st.none(),
            st.builds(TcpTimestampRepr, st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)),
        ),
        # -1: jump to the socket's own poll_at (timers firing exactly on time).
        "advance_ms": st.one_of(st.just(-1), st.integers(0, 3000)),
        "user": st.sampled_from(
            ["none", "send", "recv", "close", "abort", "keepalive", "timeout", "nodelay"]
        ),
    }
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(start=st.sampled_from(["listen", "passive", "active"]), segs=st.lists(segment, max_size=25))
def test_random_segments_never_raise(start: str, segs: list[dict]) -> None:
    h = TcpHarness(rx=200, tx=200)
    if start == "listen":
        h.listen()
    elif start == "passive":
        h.establish_passive(sack_permitted=True, timestamp=TcpTimestampRepr(1, 0))
    else:
        h.establish_active()
    for s in segs:
        s = dict(s)
        advance = s.pop("advance_ms")
        if advance < 0:
            at = h.sock.poll_at(h.cx)
            if at is not None:
                h.at(at.total_micros() / 1000)
                h.recv()
        else:
            h.advance(advance)
        user = s.pop("user")
        if user == "send" and h.sock.may_send():
            h.sock.send(b"u" * 50)
        elif user == "recv":
            with contextlib.suppress(RecvError):
                h.sock.recv(30)
        elif user == "keepalive":
            h.sock.set_keep_alive(Duration.from_millis(700))
        elif user == "timeout":
            h.sock.set_timeout(Duration.from_millis(2500))
        elif user == "nodelay":
            h.sock.set_nagle_enabled(False)
            h.sock.set_ack_delay(Duration.from_millis(10))
        elif user == "close":
            h.sock.close()
        elif user == "abort":
            h.sock.abort()
        if h.sock.state is TcpState.CLOSED:
            return
        h.deliver(h.seg(**s), h.sock)
        h.recv()  # also checks poll_at never asks for "now" after a drain
        assert h.sock.send_queue <= 200 and h.sock.recv_queue <= 200
