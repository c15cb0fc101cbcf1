"""Audit of TCP states: the gaps the other TCP tests left, each shown to fail on a broken stack.

- every transition of the RFC 9293 diagram (`state.TRANSITIONS`) is exercised, and no state
  change outside it happens (the harness checks each one);
- ABORT sends exactly one RST where RFC 9293 3.10.5 says so, and none elsewhere;
- a SYN never answered ends in CLOSED with "timed out"; a RST in an actively opened
  SYN-RECEIVED refuses the connection (3.10.7.4 second check);
- Karn's rule inside the socket: no RTT sample from a retransmitted segment (RFC 6298 3);
- octets received before a FIN or a RST stay readable through every read call; then the
  stream tells a clean end from a reset;
- the urgent pointer is ignored and urgent data delivered in line (documented in tcp/).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tcp_harness import LOCAL, REMOTE, Duration, TcpControl, TcpHarness, TcpState, fields
from test_tcp_states import _to_state

from smoltcp.stack.socket.errors import RecvError
from smoltcp.stack.tcp.state import TRANSITIONS

SYN = TcpControl.SYN
FIN = TcpControl.FIN
RST = TcpControl.RST
NONE = TcpControl.NONE
S = TcpState


@pytest.fixture
def h() -> TcpHarness:
    return TcpHarness()


# -- the state diagram -------------------------------------------------------------------


def _closed_by_abort(state: TcpState) -> Callable[[TcpHarness], None]:
    def run(h: TcpHarness) -> None:
        if state is S.LISTEN:
            h.listen()
        elif state is S.SYN_SENT:
            h.sock.connect(h.cx, REMOTE, LOCAL)
        else:
            _to_state(h, state)
        h.sock.abort()

    return run


def _simultaneous_open_then_rst(h: TcpHarness) -> None:
    h.sock.connect(h.cx, REMOTE, LOCAL)
    h.recv_one()
    h.send(SYN, seq=5000)
    h.recv_one()
    h.send(RST, seq=5001)


def _simultaneous_open(h: TcpHarness) -> None:
    h.sock.connect(h.cx, REMOTE, LOCAL)
    h.recv_one()
    h.send(SYN, seq=5000)
    h.recv_one()
    h.send(seq=5001, ack=1001)


def _close_in_syn_received(h: TcpHarness) -> None:
    _to_state(h, S.SYN_RECEIVED)
    h.sock.close()
    h.send(seq=5001, ack=1001)


def _syn_received_rst(h: TcpHarness) -> None:
    _to_state(h, S.SYN_RECEIVED)
    h.send(RST, seq=5001)


def _active_close_through_fin_wait_2(h: TcpHarness) -> None:
    _to_state(h, S.FIN_WAIT_2)
    h.send(FIN, seq=5001, ack=1002)
    h.advance(10_000)
    h.recv()


def _simultaneous_close(h: TcpHarness) -> None:
    _to_state(h, S.CLOSING)
    h.send(seq=5002, ack=1002)


def _passive_close(h: TcpHarness) -> None:
    _to_state(h, S.LAST_ACK)
    h.send(seq=5002, ack=1002)


def _close_listen_and_syn_sent(h: TcpHarness) -> None:
    h.listen()
    h.sock.close()
    h.sock.connect(h.cx, REMOTE, LOCAL)
    h.sock.close()


SCENARIOS: list[Callable[[TcpHarness], None]] = [
    TcpHarness.establish_active,
    _simultaneous_open_then_rst,
    _simultaneous_open,
    _close_in_syn_received,
    _syn_received_rst,
    _active_close_through_fin_wait_2,
    _simultaneous_close,
    _passive_close,
    _close_listen_and_syn_sent,
    *(_closed_by_abort(s) for s in S if s is not S.CLOSED),
]


def test_every_transition_of_the_diagram_is_exercised() -> None:
    seen: set[tuple[TcpState, TcpState]] = set()
    for scenario in SCENARIOS:
        h = TcpHarness()
        scenario(h)
        seen.update(h.transitions)
    missing = set(TRANSITIONS) - seen
    assert not missing, sorted(f"{a} -> {b}" for a, b in missing)


def test_a_change_of_state_outside_the_diagram_fails(h: TcpHarness) -> None:
    h.establish_passive()
    with pytest.raises(AssertionError, match="ESTABLISHED -> LISTEN"):
        h.check_transition(h.sock.state, S.LISTEN)


# -- ABORT (RFC 9293 3.10.5) -------------------------------------------------------------

# SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT: "Send a reset segment".
# (CLOSING and LAST-ACK: our FIN is out and the RFC sends none; test_tcp_abort_silent.py.)
ABORT_RESETS = [S.SYN_RECEIVED, S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT]


@pytest.mark.parametrize("state", ABORT_RESETS, ids=str)
def test_abort_sends_one_rst_in_synchronized_states(h: TcpHarness, state: TcpState) -> None:
    _to_state(h, state)
    snd_nxt = 1001 if state in (S.SYN_RECEIVED, S.ESTABLISHED, S.CLOSE_WAIT) else 1002
    h.sock.abort()
    assert h.sock.state is S.CLOSED and h.sock.demux_keys() == ()
    rst = h.recv_one()
    assert fields(rst) == {
        "control": RST,
        "seq": snd_nxt,
        "ack": 5002 if state is S.CLOSE_WAIT else 5001,
        "window": 0,
        "payload": b"",
    }
    h.advance(60_000)
    h.recv_none()


@pytest.mark.parametrize("state", [S.LISTEN, S.SYN_SENT, S.TIME_WAIT], ids=str)
def test_abort_sends_nothing_before_synchronization_or_in_time_wait(
    h: TcpHarness, state: TcpState
) -> None:
    if state is S.TIME_WAIT:
        _to_state(h, S.TIME_WAIT)
        h.sock.abort()
    else:
        _closed_by_abort(state)(h)
    assert h.sock.state is S.CLOSED
    h.recv_none()


# -- opening failures --------------------------------------------------------------------


def test_unanswered_syn_gives_up_timed_out(h: TcpHarness) -> None:
    h.sock.connect(h.cx, REMOTE, LOCAL)
    sent = []
    for _ in range(20):
        sent += h.recv()
        at = h.sock.poll_at(h.cx)
        if at is None:
            break
        h.at(at.total_micros() / 1000)
    # One SYN and six retransmissions backing off from 1 s (Linux tcp_syn_retries = 6).
    assert [s.control for s in sent] == [SYN] * 7
    assert h.sock.state is S.CLOSED and h.sock.error == "timed out"
    # Given up one RTO after the last: 1 + 2 + ... + 32 s, then 64 s capped at the 60 s maximum.
    assert h.now.total_millis() == 63_000 + 60_000
    with pytest.raises(RecvError, match="timed out"):
        h.sock.recv()


def test_rst_in_an_active_syn_received_refuses(h: TcpHarness) -> None:
    _simultaneous_open_then_rst(h)
    assert h.sock.state is S.CLOSED and h.sock.error == "refused"
    h.recv_none()


# -- Karn's rule in the socket (RFC 6298 section 3) --------------------------------------


def test_no_rtt_sample_from_a_retransmitted_segment(h: TcpHarness) -> None:
    h.listen()
    h.send(SYN, seq=5000)
    h.recv_one()
    h.advance(100)
    h.send(seq=5001, ack=1001)
    assert h.sock.stats.rtt == Duration.from_millis(100)
    h.sock.send(b"data")
    h.recv_one()
    h.advance(300)  # RTO = 100 + 4 * 50 ms
    assert fields(h.recv_one())["payload"] == b"data"
    h.advance(50)
    h.send(seq=5001, ack=1005)  # ambiguous: for the original (350 ms) or the copy (50 ms)?
    assert h.sock.stats.rtt == Duration.from_millis(100)
    # The next new segment is timed again: 40 ms moves SRTT by an eighth of the difference.
    h.sock.send(b"more")
    h.recv_one()
    h.advance(40)
    h.send(seq=5001, ack=1009)
    assert h.sock.stats.rtt == Duration.from_micros(100_000 - 60_000 // 8)


# -- reading after the end of the stream -------------------------------------------------


@pytest.mark.parametrize("end", ["fin", "rst"])
def test_received_octets_stay_readable_after_fin_or_rst(h: TcpHarness, end: str) -> None:
    h.establish_passive()
    h.send(seq=5001, ack=1001, payload=b"abcdef")
    if end == "fin":
        h.send(FIN, seq=5007, ack=1001)
        assert h.sock.state is S.CLOSE_WAIT
    else:
        h.send(RST, seq=5007)
        assert h.sock.state is S.CLOSED
    assert h.sock.can_recv() and h.sock.may_recv() and h.sock.recv_queue == 6
    assert h.sock.peek(2) == b"ab"
    buf = bytearray(2)
    assert h.sock.recv_into(buf) == 2 and buf == b"ab"
    assert h.sock.recv(3) == b"cde"
    assert h.sock.recv() == b"f"
    assert not h.sock.can_recv() and not h.sock.may_recv()
    reason = "finished" if end == "fin" else "reset"
    for read in (h.sock.recv, h.sock.peek, lambda: h.sock.recv_into(bytearray(4))):
        with pytest.raises(RecvError, match=reason):
            read()


def test_fin_then_close_then_time_wait_still_reads_finished(h: TcpHarness) -> None:
    _to_state(h, S.LAST_ACK)
    h.send(seq=5002, ack=1002)
    assert h.sock.state is S.CLOSED and h.sock.error is None
    with pytest.raises(RecvError, match="finished"):
        h.sock.recv()


# -- urgent pointer (ignored, data in line) ----------------------------------------------


def test_urgent_data_is_delivered_in_line() -> None:
    import struct

    from smoltcp.stack.tcp import TcpSocket
    from smoltcp.stack.testing import Harness, arp, ethernet, ipv4, mac, tcp
    from smoltcp.wire import IpEndpoint, Ipv4Address
    from smoltcp.wire.checksum import internet_sum, pseudo_header_sum

    us, peer, peer_mac = "192.168.69.1", "192.168.69.2", "02-00-00-00-00-02"

    def to_us(segment: bytes) -> bytes:
        return ethernet(mac("02-00-00-00-00-01"), peer_mac, 0x0800, ipv4(peer, us, 6, segment))

    def urgent(segment: bytes, pointer: int) -> bytes:
        seg = bytearray(segment)
        struct.pack_into("!HH", seg, 16, 0, pointer)
        pseudo = pseudo_header_sum(Ipv4Address(peer), Ipv4Address(us), 6, len(seg))
        struct.pack_into("!H", seg, 16, ~internet_sum(seg, pseudo) & 0xFFFF)
        return bytes(seg)

    hs = Harness()
    hs.feed(
        ethernet(
            "ff-ff-ff-ff-ff-ff", peer_mac, 0x0806, arp(1, peer_mac, peer, "00-00-00-00-00-00", us)
        )
    )
    sock = TcpSocket(1024, 1024)
    sock.set_ack_delay(None)
    hs.sockets.add(sock)
    sock.listen(IpEndpoint(None, 80))
    (synack,) = [d for d in hs.decode(hs.feed(to_us(tcp(peer, us, 4000, 80, 100)))) if d.tcp]
    iss = synack.tcp["seq"]
    hs.feed(to_us(tcp(peer, us, 4000, 80, 101, ack=iss + 1, flags="A")))
    assert sock.state is S.ESTABLISHED
    # "ab" with URG and the urgent pointer on "b", then "cd": one in-line stream.
    seg = urgent(tcp(peer, us, 4000, 80, 101, ack=iss + 1, flags="UA", payload=b"ab"), 2)
    out = hs.decode(hs.feed(to_us(seg)))
    hs.feed(to_us(tcp(peer, us, 4000, 80, 103, ack=iss + 1, flags="PA", payload=b"cd")))
    assert sock.recv() == b"abcd"
    assert all(not d.errors and "U" not in d.tcp["flags"] for d in out if d.tcp)
    assert not any(hs.iface.counters.dropped.values())


# -- backlog children copy the listener's configuration ----------------------------------


def test_children_get_their_own_copy_of_a_custom_congestion_controller() -> None:
    from smoltcp.stack.tcp.congestion import Cubic

    class Custom(Cubic):
        name = "custom"

    mine = Cubic(hystart=False)
    for cc in (Custom(), mine):
        hh = TcpHarness()
        hh.sock.set_congestion_control(cc)
        hh.listen(backlog=2)
        hh.send(SYN, seq=100, src_port=1001)  # must not raise out of process()
        child = next(s for s in hh.set.sockets.values() if s is not hh.sock)
        assert child.state is S.SYN_RECEIVED
        assert type(child.congestion_control) is type(cc)
        assert child.congestion_control is not cc
    assert child.congestion_control.hystart_enabled is False  # the configuration came along


# -- initial sequence numbers through the interface (RFC 6528) ---------------------------


def _iss_through_an_interface(seed: int, at_us: int, sport: int = 4000) -> int:
    from smoltcp.stack.tcp import TcpSocket
    from smoltcp.stack.testing import Harness, arp, decode, ethernet, ipv4, mac, tcp
    from smoltcp.stack.time import Instant
    from smoltcp.wire import IpEndpoint

    us, peer, peer_mac = "192.168.69.1", "192.168.69.2", "02-00-00-00-00-02"
    hs = Harness(random_seed=seed)
    hs.feed(
        ethernet("ff-ff-ff-ff-ff-ff", peer_mac, 0x0806, arp(1, peer_mac, peer, mac(peer_mac), us))
    )
    sock = TcpSocket(1024, 1024)
    hs.sockets.add(sock)
    sock.listen(IpEndpoint(None, 80))
    syn = ethernet(
        mac("02-00-00-00-00-01"), peer_mac, 0x0800, ipv4(peer, us, 6, tcp(peer, us, sport, 80, 100))
    )
    (synack,) = [d for d in map(decode, hs.feed(syn, at=Instant(at_us))) if d.tcp]
    return synack.tcp["seq"]


def test_isn_is_a_keyed_hash_from_the_configured_seed_plus_a_4_us_clock() -> None:
    base = _iss_through_an_interface(seed=1, at_us=1_000_000)
    assert _iss_through_an_interface(seed=1, at_us=1_000_000) == base  # no hidden randomness
    assert _iss_through_an_interface(seed=2, at_us=1_000_000) != base  # the secret is the seed's
    assert _iss_through_an_interface(seed=1, at_us=1_000_000, sport=4001) != base  # the tuple's
    # M ticks every 4 microseconds (RFC 6528 3).
    later = _iss_through_an_interface(seed=1, at_us=1_000_000 + 4 * 12345)
    assert (later - base) % 2**32 == 12345


# -- two of our sockets wired back to back ----------------------------------------------


class _Wire:
    """Two `TcpSocket`s of one harness talking to each other directly (no interface)."""

    def __init__(self, h: TcpHarness) -> None:
        self.h = h
        self.a = h.sock
        self.b = h.new_socket(64, 64)
        h.set.add(self.b)

    def _drain(self, src: Any) -> list[Any]:
        out: list[Any] = []
        while src.dispatch(self.h.cx, self.h.now, lambda ip, seg: out.append((ip, seg))):
            pass
        return out

    def _deliver(self, dst: Any, packets: list[Any]) -> list[Any]:
        replies = []
        for ip, seg in packets:
            reply = dst.process(self.h.cx, self.h.now, ip, seg)
            if reply is not None:
                replies.append(reply)
        return replies

    def exchange(self, rounds: int = 10) -> int:
        """Let both sides send until they are quiet; return the segments exchanged."""
        to_b, to_a = self._drain(self.a), self._drain(self.b)
        exchanged = len(to_b) + len(to_a)
        for _ in range(rounds):
            if not to_a and not to_b:
                break
            replies_to_a, replies_to_b = self._deliver(self.b, to_b), self._deliver(self.a, to_a)
            to_b, to_a = replies_to_b + self._drain(self.a), replies_to_a + self._drain(self.b)
            exchanged += len(to_a) + len(to_b)
        assert not to_a and not to_b, f"still sending after {rounds} rounds"
        return exchanged


def test_simultaneous_open_between_two_sockets_establishes() -> None:
    # RFC 9293 Figure 8: both send SYN, both answer SYN-ACK, and each SYN-ACK, acknowledging
    # the other's SYN, completes the handshake (it must not just draw another SYN-ACK: two
    # ends doing that would bounce SYN-ACKs for ever).
    w = _Wire(TcpHarness())
    w.a.connect(w.h.cx, REMOTE, LOCAL)
    w.b.connect(w.h.cx, LOCAL, REMOTE)
    assert w.exchange() <= 6  # SYN, SYN, SYN-ACK, SYN-ACK, ACK, ACK
    assert w.a.state is S.ESTABLISHED and w.b.state is S.ESTABLISHED
    w.a.send(b"ping")
    w.exchange()
    assert w.b.recv() == b"ping"


def test_simultaneous_close_between_two_sockets() -> None:
    # RFC 9293 Figure 13: both FINs cross; both ends pass CLOSING into TIME-WAIT.
    w = _Wire(TcpHarness())
    w.b.listen(REMOTE.port)
    w.a.connect(w.h.cx, REMOTE, LOCAL)
    w.exchange()
    assert w.a.state is S.ESTABLISHED and w.b.state is S.ESTABLISHED
    w.a.close()
    w.b.close()
    assert w.exchange() == 4  # FIN, FIN, ACK, ACK
    assert w.h.transitions.count((S.FIN_WAIT_1, S.CLOSING)) == 2
    assert w.a.state is S.TIME_WAIT and w.b.state is S.TIME_WAIT
    w.h.advance(10_000)
    w.exchange()
    assert w.a.state is S.CLOSED and w.b.state is S.CLOSED
    for sock in (w.a, w.b):
        with pytest.raises(RecvError, match="finished"):
            sock.recv()


def test_a_child_reset_before_accept_still_hands_out_what_it_received(h: TcpHarness) -> None:
    # "Bytes already received stay readable after the peer closes or resets" holds for a
    # connection still waiting in the backlog too; one with nothing to read is dropped.
    h.listen(backlog=2)
    for port in (1001, 1002):
        h.send(SYN, seq=100, src_port=port)
        child = next(s for s in h.set.sockets.values() if s.remote_endpoint == (REMOTE.addr, port))
        assert h.recv_one(child).control == SYN
        h.deliver(h.seg(seq=101, ack=1001, src_port=port))
        assert child.state is S.ESTABLISHED
    h.deliver(h.seg(seq=101, ack=1001, src_port=1001, payload=b"hi"))
    h.deliver(h.seg(RST, seq=103, src_port=1001))
    h.deliver(h.seg(RST, seq=101, src_port=1002))
    handle = h.sock.accept()
    assert handle is not None and h.sock.accept() is None
    child = h.set.get(handle)
    assert child.remote_endpoint.port == 1001 and child.state is S.CLOSED
    assert child.recv() == b"hi"
    with pytest.raises(RecvError, match="reset"):
        child.recv()
    assert len(h.set.sockets) == 2  # the listener and the accepted child


def test_a_syn_with_a_newer_timestamp_reopens_time_wait_below_rcv_nxt(h: TcpHarness) -> None:
    # RFC 6191 4.2: with timestamps, a SYN whose TSval is newer than TS.Recent may reopen a
    # four-tuple in TIME-WAIT even when its sequence number lies below RCV.NXT.
    from smoltcp.wire import TcpTimestampRepr

    h.listen(backlog=2)
    h.send(SYN, seq=100, src_port=1001, timestamp=TcpTimestampRepr(10, 0))
    child = next(s for s in h.set.sockets.values() if s is not h.sock)
    ours = h.recv_one(child).timestamp.tsval
    h.deliver(h.seg(seq=101, ack=1001, src_port=1001, timestamp=TcpTimestampRepr(11, ours)))
    assert h.sock.accept() is not None
    child.close()
    h.recv(child)
    h.deliver(h.seg(FIN, seq=101, ack=1002, src_port=1001, timestamp=TcpTimestampRepr(12, ours)))
    assert child.state is S.TIME_WAIT
    h.recv(child)
    # Same TSval as the FIN: could be an old duplicate; answered, not reopened.
    h.deliver(h.seg(SYN, seq=50, src_port=1001, timestamp=TcpTimestampRepr(12, 0)))
    assert child.state is S.TIME_WAIT
    h.recv(child)
    h.deliver(h.seg(SYN, seq=50, src_port=1001, timestamp=TcpTimestampRepr(13, 0)))
    assert child.state is S.CLOSED
    new = [s for s in h.set.sockets.values() if s.state is S.SYN_RECEIVED]
    assert len(new) == 1 and fields(h.recv_one(new[0]))["ack"] == 51
