"""RACK (RFC 8985 section 6): losses found by time, above all a retransmission lost again;
and the D-SACK (RFC 2883) a receiver sends, which widens RACK's reordering window.

Unit tests drive `Rack` with explicit times; the pair test loses one segment twice (its first
send and its retransmission) on a simulated link and expects the repair without waiting for
the retransmission timeout, which is what it takes with RACK's detection turned off.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))

from tcp_link import Link
from tcp_sim import connect_pair, make_pair
from test_tcp_pair import check_intact, transfer

from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.tcp.rack import Rack
from smoltcp.stack.testing import Harness, ethernet, ipv4, mac, tcp
from smoltcp.stack.time import Duration
from smoltcp.wire import EthernetAddress, Ipv4Address, TcpRepr

MSS = 1000


def sent(rack: Rack, *ranges: tuple[int, int, int]) -> None:
    for start, end, t in ranges:
        rack.on_send(start, end, t, False)


def test_a_segment_sent_before_a_delivered_one_is_lost_after_rtt_plus_the_window() -> None:
    rack = Rack()
    sent(rack, (0, 1000, 0), (1000, 2000, 0), (2000, 3000, 10))
    # The first ACK measures the least RTT (100): the reordering window is a quarter.
    assert rack.on_ack(1000, [], 100)
    assert rack.detect(100) is None
    # [2000, 3000) arrives, [1000, 2000) does not.
    assert rack.on_ack(1000, [(2000, 3000)], 130)
    timer = rack.detect(130)
    assert timer == 0 + 120 + 25  # sent at 0, RACK.rtt 120, window 25
    assert rack.detect(timer - 1) == timer and rack.lost == []
    assert rack.detect(timer) is None
    assert rack.lost == [[1000, 2000]]


def test_a_retransmission_lost_again_is_found() -> None:
    rack = Rack()
    sent(rack, (0, 1000, 0), (1000, 2000, 0))
    rack.on_ack(0, [(1000, 2000)], 100)
    rack.detect(200)
    assert rack.lost == [[0, 1000]]
    # Sent again: no longer waiting; then new data after it, which arrives; it does not.
    rack.on_send(0, 1000, 200, True)
    assert rack.lost == []
    sent(rack, (2000, 3000, 210))
    assert rack.on_ack(0, [(1000, 3000)], 320)
    timer = rack.detect(320)
    assert timer is not None and timer > 320
    rack.detect(timer)
    assert rack.lost == [[0, 1000]]
    # Its cumulative ACK clears everything.
    rack.on_ack(3000, [], 400)
    assert rack.lost == [] and rack.detect(500) is None


def test_what_was_sacked_is_never_marked_even_when_split_by_a_retransmission() -> None:
    rack = Rack()
    sent(rack, (0, 4000, 0), (4000, 5000, 0))
    # Part of the super-segment arrives: it counts as delivered as a whole.
    rack.on_ack(0, [(1000, 4000)], 100)
    rack.on_send(0, 1000, 150, True)  # its hole, sent again
    rack.on_ack(0, [(4000, 5000)], 300)
    rack.detect(10_000)
    # [1000, 4000) stays delivered though it was split off, and the retransmission was sent
    # after [4000, 5000): nothing is lost.
    assert rack.lost == []


def test_the_lost_piece_of_a_super_segment_is_found() -> None:
    rack = Rack()
    sent(rack, (0, 3000, 0))
    rack.on_ack(0, [(1000, 2000)], 100)  # the middle piece arrived, the first did not
    rack.detect(100)
    timer = rack.detect(100)
    assert timer is not None
    rack.detect(timer)
    assert rack.lost == [[0, 1000]]  # the last piece was sent after nothing delivered
    rack.on_ack(0, [(1000, 3000)], timer + 1)
    rack.detect(timer + 10_000)
    assert rack.lost == [[0, 1000]]


def test_reordering_widens_the_window() -> None:
    rack = Rack()
    sent(rack, (0, 1000, 0), (1000, 2000, 10), (2000, 3000, 20))
    rack.on_ack(0, [(1000, 2000)], 110)
    assert rack.reordering_window == 25
    rack.on_ack(2000, [], 120)  # [0, 1000) arrived after [1000, 2000): reordered
    assert rack.reordering_window == 100


def test_each_dsack_widens_the_window_up_to_sixteen_quarters() -> None:
    rack = Rack()
    sent(rack, (0, 1000, 0))
    rack.on_ack(1000, [], 100)
    assert rack.reordering_window == 25
    rack.on_dsack()
    assert rack.reordering_window == 50
    for _ in range(30):
        rack.on_dsack()
    assert rack.reordering_window == 16 * 25
    # Sixteen recoveries with no D-SACK: back to a quarter of the least RTT.
    for _ in range(15):
        rack.on_recovery_end()
    assert rack.reordering_window == 16 * 25
    rack.on_recovery_end()
    assert rack.reordering_window == 25


def test_a_timeout_forgets_the_ranges_waiting() -> None:
    rack = Rack()
    sent(rack, (0, 1000, 0), (1000, 2000, 0))
    rack.on_ack(0, [(1000, 2000)], 100)
    rack.detect(1000)
    assert rack.lost
    rack.on_rto()
    assert rack.lost == []


@given(
    sizes=st.lists(st.integers(1, 3000), min_size=2, max_size=30),
    dropped=st.sets(st.integers(0, 29)),
    gaps=st.lists(st.integers(0, 50), min_size=30, max_size=30),
    rtt=st.integers(1, 500),
    base=st.integers(0, 2**32 - 1),
)
@settings(max_examples=200, deadline=None)
def test_in_a_fifo_network_only_lost_segments_are_marked(
    sizes: list[int], dropped: set[int], gaps: list[int], rtt: int, base: int
) -> None:
    """Segments cross a FIFO path in a fixed time, each arriving one is SACKed at once and
    every ACK arrives: RACK may mark only what was lost, and finds every loss followed by a
    delivered segment once the window has passed."""
    rack = Rack()
    t = 0
    start = base
    segs = []
    for i, size in enumerate(sizes):
        t += gaps[i]
        rack.on_send(start, start + size, t, False)
        segs.append((start & 0xFFFFFFFF, (start + size) & 0xFFFFFFFF, t, i in dropped))
        start += size
    arrived: list[tuple[int, int]] = []
    una = base & 0xFFFFFFFF
    for s, e, sent_at, lost in segs:
        if lost:
            continue
        if s == una and not arrived:
            una = e
        else:
            arrived.append((s, e))
        rack.on_ack(una, list(arrived[-3:]), sent_at + rtt)
        rack.detect(sent_at + rtt)
    marked = {s for s, _ in rack.lost}
    assert marked <= {s for s, _, _, lost in segs if lost}
    end = segs[-1][2] + rtt
    rack.detect(end + 10 * rtt + 10_000)
    last_delivered = max((i for i, x in enumerate(segs) if not x[3]), default=-1)
    expected = {s for i, (s, _, _, lost) in enumerate(segs) if lost and i < last_delivered}
    # A lost segment is marked if a later one was delivered (and not swallowed by a
    # cumulative ACK, which cannot pass a hole).
    assert {s for s, _ in rack.lost} == expected


@given(
    start=st.integers(0, 2**32 - 1),
    length=st.integers(1, 5000),
    blocks=st.lists(st.tuples(st.integers(-3000, 8000), st.integers(1, 4000)), max_size=4),
)
def test_a_partly_sacked_entry_is_cut_exactly_where_the_blocks_cover_it(
    start: int, length: int, blocks: list[tuple[int, int]]
) -> None:
    from smoltcp.stack.tcp.rack import _split

    entry = [start, (start + length) & 0xFFFFFFFF, 7, False, False, False]
    raw = [((start + a) & 0xFFFFFFFF, (start + a + n) & 0xFFFFFFFF) for a, n in blocks]
    covered = {i for a, n in blocks for i in range(max(a, 0), min(a + n, length))}
    parts = _split(entry, raw)
    if not covered:
        assert parts is None
        return
    assert parts is not None
    at = 0
    for part, sacked in parts:
        lo, hi = (part[0] - start) & 0xFFFFFFFF, (part[1] - start) & 0xFFFFFFFF
        assert lo == at and hi > lo and part[2:] == [7, False, False, False]
        assert all((i in covered) == sacked for i in range(lo, hi))
        at = hi
    assert at == length


# -- in a connection --------------------------------------------------------------------------


class TargetedLink(Link):
    """A link that loses the data segments of chosen sequence numbers, a number of times."""

    kill: dict[int, int]

    def _send(self, src: int, frame: Any, now: Any) -> None:
        if src == 0 and len(frame) > 66:
            seq = struct.unpack_from("!I", frame, 38)[0]
            left = self.kill.get(seq, 0)
            if left:
                self.kill[seq] = left - 1
                self.counters.lost += 1
                return
        super()._send(src, frame, now)


def run_with_a_retransmission_lost(rack: bool) -> Any:
    link = TargetedLink(seed=4, latency=Duration.from_millis(5))
    link.kill = {}
    sim, a, b = make_pair(link)
    client, server = connect_pair(sim, a, b, rx_size=1 << 20, tx_size=1 << 20)
    for sock in (client, server):
        sock.set_rack_enabled(rack)
        assert sock.rack_enabled is rack
    # The 41st segment: mid-stream, with plenty sent after it (and after its retransmission).
    target = (int(client.tcb.snd_una) + 40 * client.tcb.snd_mss) & 0xFFFFFFFF
    link.kill[target] = 2
    up, down, d1, d2 = transfer(sim, client, server, 600_000, 0, seed=5)
    check_intact(up, down, d1, d2)
    assert link.kill[target] == 0, "the segment was not lost twice"
    return client.stats


def test_a_retransmission_lost_again_is_repaired_without_a_timeout() -> None:
    stats = run_with_a_retransmission_lost(rack=True)
    assert stats.rack_losses >= 1
    assert stats.timeouts == 0, stats
    # The same without RACK's detection: only the retransmission timer repairs it.
    stats = run_with_a_retransmission_lost(rack=False)
    assert stats.timeouts >= 1, stats


# -- D-SACK ---------------------------------------------------------------------------------------


def test_a_duplicate_is_reported_first_in_the_next_ack() -> None:
    us, peer = Ipv4Address("192.168.69.1"), Ipv4Address("192.168.69.2")
    h = Harness()
    h.iface.neighbor_cache.fill(peer, EthernetAddress.parse("02-00-00-00-00-02"), h.now)

    def frame(seq: int, ack: int, flags: str, payload: bytes = b"", options: bytes = b"") -> bytes:
        segment = tcp(str(peer), str(us), 40000, 80, seq, ack, flags, 65535, payload, options)
        ip = ipv4(str(peer), str(us), 6, segment)
        return ethernet(mac("02-00-00-00-00-01"), mac("02-00-00-00-00-02"), 0x0800, ip)

    def segments(frames: list[bytes]) -> list[TcpRepr]:
        return [TcpRepr.parse_buffer(memoryview(f)[34:], us, peer) for f in frames]

    sock = TcpSocket(65536, 65536)
    h.sockets.add(sock)
    sock.listen(80)
    # SYN with MSS 1460 and SACK permitted (no timestamps).
    (synack,) = segments(h.feed(frame(1000, 0, "S", options=b"\x02\x04\x05\xb4\x04\x02\x01\x01")))
    iss1 = int(synack.seq_number) + 1
    h.feed(frame(1001, iss1, "A"))
    assert sock.state is TcpState.ESTABLISHED
    data = bytes(range(200))
    h.feed(frame(1001, iss1, "PA", data))
    h.advance(100)
    (ack,) = segments(h.poll())
    assert ack.ack_number == 1201 and not ack.sack_ranges
    # The same segment again: the ACK's first SACK block says which octets came twice.
    (ack,) = segments(h.feed(frame(1001, iss1, "PA", data)))
    assert ack.ack_number == 1201
    assert ack.sack_ranges == ((1001, 1201),)
    # Only that ACK: the next one carries no block.
    h.feed(frame(1201, iss1, "PA", data))
    h.advance(100)
    acks = segments(h.poll())
    assert acks and all(not a.sack_ranges for a in acks)


def test_a_dsack_is_a_first_block_below_the_ack_or_inside_the_second() -> None:
    from smoltcp.stack.tcp.sack import is_dsack

    assert not is_dsack((), 1000)
    assert is_dsack(((500, 700),), 1000)
    assert not is_dsack(((1500, 1700),), 1000)
    assert is_dsack(((1500, 1600), (1400, 1800)), 1000)
    assert not is_dsack(((1500, 1900), (1400, 1800)), 1000)
    assert is_dsack(((2**32 - 100, 2**32 - 50),), 20)  # below an ACK across the wrap
    # Below means the whole block, within the window given (one flight); a block that is not
    # a range, or far past the ACK (which modulo 2**32 reads as far below it), is not one.
    assert not is_dsack(((900, 1100),), 1000)
    # (one more than the window: a flight's FIN or SYN takes a sequence number beyond it)
    assert is_dsack(((500, 700),), 1000, window=499) and not is_dsack(((500, 700),), 1000, 498)
    assert not is_dsack(((700, 700),), 1000) and not is_dsack(((700, 500),), 1000)
    assert not is_dsack(((1000 + 3_000_000_000, 1000 + 3_000_000_100),), 1000, 1 << 30)
