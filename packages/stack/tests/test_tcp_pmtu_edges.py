"""Edge cases of a path MTU drop and of RACK's bookkeeping around it.

A super-segment acknowledged piece by piece straddles SND.UNA; a loss probe is out when the
error comes; an error lowers the MSS but nothing in flight was too big; a delivered run of
segments beside a retransmission. Each must leave loss recovery exactly as it would be
without the drop: what was dropped goes again, nothing else changes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether
from scapy.packet import Raw

sys.path.insert(0, str(Path(__file__).parent))

from test_tcp_pmtu import (
    PEER,
    PEER_PORT,
    PORT,
    SMALL_MTU,
    US,
    established,
    eth,
    frag_needed,
    peer_tcp,
)

from smoltcp.stack.tcp.rack import Rack
from smoltcp.stack.tcp.seq import SEQ_MASK
from smoltcp.stack.time import Duration
from smoltcp.wire import TcpSeqNumber

WRAP = (1 << 32) - 3000  # the sequence space wraps inside the flight


def rel(base: int, seq: int) -> int:
    return (seq - base) & SEQ_MASK


@pytest.mark.parametrize("base", [0, WRAP])
def test_a_super_segment_partly_acknowledged_is_marked_from_snd_una(base: int) -> None:
    rack = Rack()
    rack.on_send(base, (base + 4 * 1460) & SEQ_MASK, 1000, False)  # 4 pieces of 1460
    una = (base + 2 * 1460) & SEQ_MASK
    rack.on_ack(una, [], 21_000)  # the first two pieces arrived
    found = rack.mark_too_big(960, 1460, True)
    assert [(rel(base, s), rel(base, e)) for s, e in found] == [(2920, 5840)]
    assert [[rel(base, r[0]), rel(base, r[1]), *r[2:]] for r in rack.lost] == [[2920, 5840, 1]]


@pytest.mark.parametrize("base", [0, WRAP])
def test_rack_finds_a_lost_piece_from_snd_una_when_the_ack_cuts_the_segment(base: int) -> None:
    rack = Rack()
    rack.on_send(base, (base + 14600) & SEQ_MASK, 1000, False)  # 10 pieces
    una = (base + 7300) & SEQ_MASK
    # Piece 5 lost, 6..9 SACKed.
    rack.on_ack(una, [((base + 8760) & SEQ_MASK, (base + 14600) & SEQ_MASK)], 21_000)
    timer = rack.detect(21_000)
    assert timer is not None
    rack.detect(timer)
    assert [(rel(base, r[0]), rel(base, r[1])) for r in rack.lost] == [(7300, 8760)]


def test_a_lost_range_reaching_below_snd_una_still_goes_from_snd_una() -> None:
    h, sock, iss1 = established(True)
    sock.set_nagle_enabled(False)
    sock.send(b"x" * 1460 * 3)
    h.poll()
    h.advance(Duration.from_millis(5))
    h.feed(peer_tcp(1001, (iss1 + 1000) % (1 << 32), "A"))
    rec = sock._rec
    # A range whose head was acknowledged meanwhile.
    rec.rack.lost = [[iss1, (iss1 + 2920) % (1 << 32), 1]]
    nxt = rec.rack_next()
    assert nxt is not None
    assert nxt[0] == TcpSeqNumber((iss1 + 1000) % (1 << 32))
    assert nxt[1] == sock.tcb.snd_mss


def grow_window(h, sock, rounds: int = 3) -> None:  # type: ignore[no-untyped-def]
    for _ in range(rounds):
        sock.send(b"w" * 1460 * 4)
        out = [Ether(f) for f in h.poll()]
        h.advance(Duration.from_millis(20))
        end = max((f[TCP].seq + len(f[TCP].payload)) % (1 << 32) for f in out)
        h.feed(peer_tcp(1001, end, "A"))


def sent_one_by_one(sizes: tuple[int, ...], fill: bytes):  # type: ignore[no-untyped-def]
    """Return (harness, socket, SND.UNA, frames) of an established SACK connection, Nagle
    off, window grown, that sent each of ``sizes`` octets of ``fill`` in a poll of its own."""
    h, sock, _ = established(True)
    sock.set_nagle_enabled(False)
    grow_window(h, sock)
    una = int(sock.tcb.snd_una)
    frames = []
    for size in sizes:
        sock.send(fill * size)
        frames += [Ether(f) for f in h.poll()]
    return h, sock, una, frames


def test_a_loss_probe_lost_to_the_path_is_not_settled_as_congestion() -> None:
    h, sock, _ = established(True)
    sock.set_nagle_enabled(False)
    grow_window(h, sock)
    sock.send(b"a" * 1460 * 2)
    first = [Ether(f) for f in h.poll()]
    probe: list[bytes] = []
    for _ in range(100):  # nothing comes back: the loss probe resends the last segment
        h.advance(Duration.from_millis(5))
        probe = h.poll()
        if probe:
            break
    assert probe and sock._rec.tlp_end is not None
    before = sock.stats
    resent = [Ether(f) for f in h.feed(frag_needed(SMALL_MTU, first[0]))]
    assert resent and all(len(f[TCP].payload) <= SMALL_MTU - 40 for f in resent)
    h.advance(Duration.from_millis(20))
    h.feed(peer_tcp(1001, int(sock.tcb.snd_max), "A"))
    after = sock.stats
    assert (after.cwnd, after.ssthresh) == (before.cwnd, before.ssthresh)
    assert sock._rec.n_tlp_repairs == 0


@pytest.mark.parametrize("error", [False, True])
def test_an_error_that_finds_nothing_too_big_leaves_fast_retransmit_alone(error: bool) -> None:
    h, sock, iss1 = established(True)
    sock.set_nagle_enabled(False)
    first = []
    for i in range(5):
        sock.send(bytes([65 + i]) * 500)
        first += [Ether(f) for f in h.poll()]
    assert [len(f[TCP].payload) for f in first] == [500] * 5
    if error:
        # The MSS falls to 960, yet every segment in flight (540-octet packets) fits.
        h.feed(frag_needed(SMALL_MTU, first[0]))
        assert sock.tcb.snd_mss < 1460
    out = []
    for k in range(1, 5):  # segment 0 is lost to congestion; 1..4 arrive
        h.advance(Duration.from_millis(1))
        sack = [("SAck", (iss1 + 500, iss1 + 500 * (k + 1)))]
        out += [Ether(f) for f in h.feed(peer_tcp(1001, iss1, "A", sack))]
    assert any(f[TCP].seq == iss1 and len(f[TCP].payload) for f in out)
    assert sock.stats.fast_retransmits == 1
    assert sock.stats.ssthresh < 1 << 30


def test_a_delivered_run_spans_only_octets_delivered() -> None:
    rack = Rack()
    for s in (0, 100, 200, 300):
        rack.on_send(s, s + 100, 1000 + s, False)
    rack.on_send(200, 300, 5000, True)  # [200, 300) lost and sent again
    rack.on_ack(0, [(100, 200), (300, 400)], 9000)  # SACKs around the hole only
    delivered = [(e[0], e[1]) for e in rack._sent if e[4]]
    for s, e in delivered:
        assert not (s < 300 and e > 200), delivered
    assert sorted(delivered) == [(100, 200), (300, 400)]


def test_the_pieces_of_a_super_segment_carrying_sack_blocks_are_judged_as_sent() -> None:
    # MSS 1460 without timestamps; one SACK block (12 octets) on each segment, so the
    # interface cut the super-segment in pieces of 1448, and a 1020-octet last piece.
    rack = Rack()
    length = 3 * 1448 + 1020
    rack.on_send(0, length, 1000, False, 1448, 12)
    # A new path MTU of 1040: 1000 octets of payload and options. 1020 + 12 do not fit:
    # every piece was dropped.
    assert rack.mark_too_big(1000, 1460, True) == [(0, length)]
    # A 980-octet last piece with its 12 octets of options fits, and stays in flight.
    rack = Rack()
    rack.on_send(0, 3 * 1448 + 980, 1000, False, 1448, 12)
    assert rack.mark_too_big(1000, 1460, True) == [(0, 3 * 1448)]
    # A lone segment of 995 octets fits as payload alone, not with its options.
    rack = Rack()
    rack.on_send(0, 995, 1000, False, 0, 12)
    rack.on_send(995, 995 + 980, 1000, False, 0, 12)
    assert rack.mark_too_big(1000, 1460, True) == [(0, 995)]
    # Pieces that all fit the new size: nothing was dropped.
    rack = Rack()
    rack.on_send(0, 4 * 900, 1000, False, 900, 0)
    assert rack.mark_too_big(1000, 1460, True) == []


def test_a_segment_that_fits_only_without_its_sack_option_goes_again() -> None:
    h, sock, iss1 = established(True)
    sock.set_nagle_enabled(False)
    # The peer's first 100 octets are missing: our segments carry a SACK block.
    seg = TCP(sport=PEER_PORT, dport=PORT, seq=1101, ack=iss1, flags="A", window=65535)
    h.feed(eth(IP(src=PEER, dst=US) / seg / Raw(b"p" * 100)))
    sock.send(b"q" * 955)  # 955 + 12 octets of options: more than the new 960
    (frame,) = [Ether(f) for f in h.poll()]
    assert len(frame[TCP].payload) == 955
    assert any(opt[0] == "SAck" for opt in frame[TCP].options)
    resent = [Ether(f) for f in h.feed(frag_needed(SMALL_MTU, frame))]
    data = [(f[TCP].seq, len(f[TCP].payload)) for f in resent if len(f[TCP].payload)]
    assert data and data[0][0] == iss1
    assert sum(size for _, size in data) == 955
    assert all(len(f[IP]) <= SMALL_MTU for f in resent)


def test_a_congestion_loss_beside_a_path_mtu_drop_gets_one_window_reduction() -> None:
    h, sock, una, frames = sent_one_by_one((1460, 500, 500, 500, 500, 500), b"z")
    rec = sock._rec
    big, lost, *arrive = frames
    assert len(big[TCP].payload) == 1460 and lost[TCP].seq == una + 1460
    before = sock.stats
    h.advance(Duration.from_millis(1))
    resent = [Ether(f) for f in h.feed(frag_needed(SMALL_MTU, big))]
    assert sum(len(f[TCP].payload) for f in resent) == 1460
    # The small segments after `lost` arrive: duplicate ACKs for the path MTU hole, which
    # start no recovery.
    top = una + 1960
    for f in arrive:
        h.advance(Duration.from_millis(1))
        end = f[TCP].seq + len(f[TCP].payload)
        assert not h.feed(peer_tcp(1001, una, "A", [("SAck", (top, end))]))
    assert rec.n_fast == 0
    # The resends arrive; `lost` was lost to congestion: it goes again, in recovery.
    h.advance(Duration.from_millis(1))
    out = [Ether(f) for f in h.feed(peer_tcp(1001, una + 1460, "A", [("SAck", (top, top + 2000))]))]
    for _ in range(100):
        if any(f[TCP].seq == una + 1460 and len(f[TCP].payload) for f in out):
            break
        h.advance(Duration.from_millis(1))
        out = [Ether(f) for f in h.poll()]
    else:
        raise AssertionError("the segment lost to congestion was not retransmitted")
    h.advance(Duration.from_millis(1))
    h.feed(peer_tcp(1001, int(sock.tcb.snd_max), "A"))
    after = sock.stats
    # Exactly one congestion response: one recovery, no timeout, no loss-probe repair.
    assert (rec.n_fast, rec.n_timeouts, rec.n_tlp_repairs) == (1, 0, 0)
    assert after.ssthresh < before.cwnd
    assert rec.n_retx_pmtu == len(resent)


def test_in_recovery_the_path_mtu_resends_are_not_sent_again_as_holes() -> None:
    # S0 (lost to congestion), one that arrives, S1 (too big for a path whose MTU falls),
    # S2..S8 arrive.
    h, sock, una, frames = sent_one_by_one((500, 500, 1460, *[500] * 7), b"y")
    rec = sock._rec
    s1 = frames[2]
    assert s1[TCP].seq == una + 1000 and len(s1[TCP].payload) == 1460
    top = una + 2460
    sent: list[tuple[int, int]] = []

    def dup_ack(k: int) -> None:
        h.advance(Duration.from_millis(1))
        sack = [("SAck", (una + 500, una + 1000, top, top + 500 * k))]
        out = h.feed(peer_tcp(1001, una, "A", sack))
        sent.extend((Ether(f)[TCP].seq - una, len(Ether(f)[TCP].payload)) for f in out)

    for k in (1, 2, 3):
        dup_ack(k)
    # Recovery: the first hole goes again.
    assert rec.in_recovery and sent == [(0, 500)]
    sent.clear()
    h.advance(Duration.from_millis(1))
    out = h.feed(frag_needed(SMALL_MTU, s1))
    sent.extend((Ether(f)[TCP].seq - una, len(Ether(f)[TCP].payload)) for f in out)
    for k in (4, 5, 6, 7):
        dup_ack(k)
    # S1's octets went again once each, cut to the new size (not again as a SACK hole).
    resent = sorted((seq, size) for seq, size in sent if 1000 <= seq < 2460 and size)
    assert all(size <= SMALL_MTU - 40 for _, size in resent)
    at = 1000
    for seq, size in resent:
        assert seq == at, resent
        at += size
    assert at == 2460, resent
