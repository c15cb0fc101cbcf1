"""How often a burst of in-order data is acknowledged (RFC 5681 4.2, `set_ack_stretch`).

The interface feeds a whole burst of received segments to `process` before any `dispatch`;
the ACKs owed inside the burst are answered from `process` itself.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tcp_harness import Duration, TcpHarness, fields


def burst(stretch: int | None, size: int, count: int) -> list:
    h = TcpHarness(rx=1 << 18, ack_delay=Duration.from_millis(10))
    h.establish_passive(window_scale=0)
    if stretch is not None:
        h.sock.set_ack_stretch(stretch)
    h.send(seq=5001, ack=1001, payload=bytes(1000))
    h.advance(10)
    assert fields(h.recv_one())["ack"] == 6001
    replies = [h.send(seq=6001 + size * i, ack=1001, payload=bytes(size)) for i in range(count)]
    return [fields(r)["ack"] - 6001 for r in replies if r is not None]


def test_default_acknowledges_every_second_full_segment() -> None:
    h = TcpHarness()
    assert h.sock.ack_stretch is None
    # Full-sized segments (MSS 1460, no timestamps here): an ACK after each second one.
    acks = burst(None, 1460, 10)
    assert acks == [1460 * n for n in (2, 4, 6, 8, 10)]


def test_small_segments_are_acknowledged_every_two_full_segments_worth() -> None:
    acks = burst(None, 1000, 9)
    assert acks == [3000, 6000, 9000]


def test_a_bulk_receiver_stretches_acks_to_what_it_asks() -> None:
    acks = burst(10_000, 1000, 25)
    assert acks == [10_000, 20_000]


@pytest.mark.parametrize("bad", [0, -1])
def test_stretch_must_be_positive(bad: int) -> None:
    h = TcpHarness()
    with pytest.raises(ValueError):
        h.sock.set_ack_stretch(bad)


def test_stretch_must_be_an_int() -> None:
    h = TcpHarness()
    with pytest.raises(TypeError):
        h.sock.set_ack_stretch(1.5)  # type: ignore[arg-type]
    h.sock.set_ack_stretch(4096)
    assert h.sock.ack_stretch == 4096
    h.sock.set_ack_stretch(None)
    assert h.sock.ack_stretch is None
