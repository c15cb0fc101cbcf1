"""What `SegmentOutput.send` records for the segments it builds (RACK's sent ranges)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from tcp_harness import TcpHarness

from smoltcp.wire import TcpControl


def _sent(h: TcpHarness) -> list[tuple[int, int]]:
    return [(entry[0], entry[1]) for entry in h.sock._rec.rack._sent]


def test_rack_records_the_data_of_a_fin_segment_not_the_fin() -> None:
    h = TcpHarness(tx=2000)
    h.establish_passive(sack_permitted=True)
    h.sock.send(b"abc")
    h.sock.close()
    (seg,) = h.recv()
    assert seg.control is TcpControl.FIN and bytes(seg.payload) == b"abc"
    # The FIN takes sequence space, but RACK follows the data octets only.
    assert _sent(h) == [(1001, 1004)]
    # The peer takes the data, not yet the FIN: nothing of it is left for RACK to lose.
    h.send(seq=5001, ack=1004)
    assert _sent(h) == []


def test_rack_records_each_data_segment_whole() -> None:
    h = TcpHarness(tx=2000)
    h.establish_passive(sack_permitted=True, max_seg_size=100)
    h.sock.set_nagle_enabled(False)
    h.sock.send(bytes(250))
    assert [len(s.payload) for s in h.recv()] == [100, 100, 50]
    assert _sent(h) == [(1001, 1101), (1101, 1201), (1201, 1251)]
