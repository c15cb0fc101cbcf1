"""A listener's two queues, SYN cookies and its counters, through a whole interface.

The interface is an IP (TUN) device at 192.168.69.1; peers are other hosts of its /24. Frames
the stack sends are read back with scapy, an independent parser, for the TCP options.
"""

from __future__ import annotations

import struct
from typing import Any

import pytest
from scapy.layers.inet import IP, TCP

from smoltcp.stack.tcp import ListenerStats, TcpSocket, TcpState
from smoltcp.stack.tcp.congestion import CongestionController
from smoltcp.stack.tcp.demux import connection_key
from smoltcp.stack.tcp.listener import PRESSURE_SYN_RETRIES
from smoltcp.stack.tcp.syncookie import MSS_TABLE
from smoltcp.stack.testing import Harness, ipv4, tcp
from smoltcp.stack.time import Duration
from smoltcp.wire import Medium

US = "192.168.69.1"
PORT = 80
MSS_1460 = b"\x02\x04\x05\xb4"


def ts_option(tsval: int, tsecr: int) -> bytes:
    return b"\x01\x01\x08\x0a" + struct.pack("!II", tsval, tsecr)


FULL_OPTIONS_TS = 7_000_000


def full_options() -> bytes:
    """MSS 1460, window scale 7, SACK permitted, timestamps (as Linux sends in a SYN)."""
    return MSS_1460 + b"\x01\x03\x03\x07" + b"\x01\x01\x04\x02" + ts_option(FULL_OPTIONS_TS, 0)


def make(backlog: int, syn_backlog: int | None, **config: Any) -> tuple[Harness, TcpSocket]:
    h = Harness(medium=Medium.IP, **config)
    listener = TcpSocket(4096, 4096)
    listener.listen(PORT, backlog=backlog, syn_backlog=syn_backlog)
    h.sockets.add(listener)
    return h, listener


def segment(
    h: Harness,
    src: str,
    sport: int,
    seq: int,
    ack: int = 0,
    flags: str = "S",
    payload: bytes = b"",
    options: bytes = b"",
) -> list[Any]:
    """Feed one segment from ``src``; return the TCP segments sent back to it (scapy)."""
    frame = ipv4(src, US, 6, tcp(src, US, sport, PORT, seq, ack, flags, 65535, payload, options))
    out = []
    for sent in h.feed(frame):
        pkt = IP(sent)
        if pkt.dst == src and TCP in pkt and pkt[TCP].dport == sport:
            out.append(pkt[TCP])
    return out


def options_of(seg: Any) -> dict[str, Any]:
    return {name: value for name, value in seg.options if name != "NOP"}


def fill_syn_queue(h: Harness, count: int) -> None:
    for i in range(count):
        segment(h, f"192.168.69.{100 + i}", 40000 + i, 5000 * i)


def test_syn_beyond_the_syn_queue_gets_a_cookie_and_its_ack_creates_an_established_child() -> None:
    h, listener = make(backlog=2, syn_backlog=1)
    fill_syn_queue(h, 1)
    [synack] = segment(h, "192.168.69.2", 50000, 1000, options=b"\x02\x04\x05\x78")
    assert synack.flags == "SA" and synack.ack == 1001
    opts = options_of(synack)
    # No timestamp to carry them: no window scaling, no SACK (RFC 4987 3.6).
    assert set(opts) == {"MSS"}
    assert listener.listener_stats().cookies_sent == 1
    assert listener.listener_stats().half_open == 1
    cookie = synack.seq
    assert segment(h, "192.168.69.2", 50000, 1001, cookie + 1, "A") == []
    handle = listener.accept()
    assert handle is not None
    child = h.sockets.get(handle)
    assert child.state is TcpState.ESTABLISHED
    tcb = child.tcb
    assert int(tcb.iss) == cookie and int(tcb.irs) == 1000
    assert not tcb.ws_ok and not tcb.sack_ok and not tcb.ts_ok
    # The cookie remembers the largest table entry not above the 1400 offered.
    assert tcb.snd_mss == max(m for m in MSS_TABLE if m <= 1400) == 1380
    stats = listener.listener_stats()
    assert stats.cookies_accepted == 1 and stats.cookies_failed == 0
    assert stats.syns_received == 2


def test_cookie_with_timestamps_restores_window_scale_and_sack() -> None:
    h, listener = make(backlog=2, syn_backlog=1)
    fill_syn_queue(h, 1)
    h.advance(Duration.from_secs(3))
    [synack] = segment(h, "192.168.69.2", 50001, 1000, options=full_options())
    opts = options_of(synack)
    assert "MSS" in opts and "SAckOK" in opts and "WScale" in opts
    tsval, tsecr = opts["Timestamp"]
    assert tsecr == FULL_OPTIONS_TS
    cookie = synack.seq
    h.advance(Duration.from_millis(20))
    ack = ts_option(FULL_OPTIONS_TS + 20, tsval)
    segment(h, "192.168.69.2", 50001, 1001, cookie + 1, "A", options=ack)
    handle = listener.accept()
    assert handle is not None
    child = h.sockets.get(handle)
    tcb = child.tcb
    assert tcb.ws_ok and tcb.snd_shift == 7 and tcb.sack_ok and tcb.ts_ok
    assert tcb.ts_recent == FULL_OPTIONS_TS + 20
    # Our clock goes on from the SYN-ACK's TSval: the child's offset is the cookie's.
    child.send(b"x")
    [data] = [IP(f)[TCP] for f in h.poll() if TCP in IP(f) and IP(f)[TCP].dport == 50001]
    new_tsval, new_tsecr = options_of(data)["Timestamp"]
    assert 0 <= (new_tsval - tsval) % 2**32 < 1000
    assert new_tsecr == FULL_OPTIONS_TS + 20


def test_data_and_fin_riding_on_the_cookie_ack_are_taken() -> None:
    h, listener = make(backlog=2, syn_backlog=1)
    fill_syn_queue(h, 1)
    [synack] = segment(h, "192.168.69.3", 50002, 7000, options=MSS_1460)
    replies = segment(h, "192.168.69.3", 50002, 7001, synack.seq + 1, "PAF", b"hello")
    handle = listener.accept()
    assert handle is not None
    child = h.sockets.get(handle)
    assert child.state is TcpState.CLOSE_WAIT
    assert child.recv() == b"hello"
    # The FIN took the child to CLOSE-WAIT, whose ACK waits for the ACK delay (10 ms).
    h.advance(10)
    acks = replies + [IP(f)[TCP] for f in h.poll() if TCP in IP(f) and IP(f)[TCP].dport == 50002]
    assert any(s.ack == 7001 + 5 + 1 for s in acks)


def test_forged_cookie_is_answered_with_a_rst_and_counted() -> None:
    h, listener = make(backlog=2, syn_backlog=1)
    fill_syn_queue(h, 1)
    [synack] = segment(h, "192.168.69.2", 50000, 1000, options=MSS_1460)
    [rst] = segment(h, "192.168.69.2", 50000, 1001, synack.seq + 2, "A")
    assert rst.flags == "R" and rst.seq == synack.seq + 2
    # The same cookie from another port (a peer replaying someone else's cookie).
    [rst] = segment(h, "192.168.69.2", 50009, 1001, synack.seq + 1, "A")
    assert rst.flags == "R"
    stats = listener.listener_stats()
    assert stats.cookies_failed == 2 and stats.cookies_accepted == 0
    assert listener.accept() is None


def test_expired_cookie_is_refused() -> None:
    h, listener = make(backlog=2, syn_backlog=1)
    fill_syn_queue(h, 1)
    [old] = segment(h, "192.168.69.2", 50000, 1000, options=MSS_1460)
    # Two counter periods (64 s each) later; another cookie keeps cookie ACKs checked.
    h.advance(Duration.from_secs(200))
    fill_syn_queue(h, 1)
    segment(h, "192.168.69.4", 50004, 3000, options=MSS_1460)
    [rst] = segment(h, "192.168.69.2", 50000, 1001, old.seq + 1, "A")
    assert rst.flags == "R"
    assert listener.listener_stats().cookies_failed == 1
    assert listener.accept() is None


def test_an_ack_to_a_listener_that_sent_no_cookie_lately_is_reset_without_a_check() -> None:
    h, listener = make(backlog=2, syn_backlog=1)
    [rst] = segment(h, "192.168.69.2", 50000, 1001, 12345, "A")
    assert rst.flags == "R"
    assert listener.listener_stats() == ListenerStats()


def test_syn_is_dropped_while_the_accept_queue_is_full() -> None:
    h, listener = make(backlog=1, syn_backlog=4)
    [synack] = segment(h, "192.168.69.2", 50000, 1000)
    segment(h, "192.168.69.2", 50000, 1001, synack.seq + 1, "A")
    assert listener.listener_stats().accept_queue == 1
    assert segment(h, "192.168.69.3", 50001, 2000) == []
    stats = listener.listener_stats()
    assert stats.accept_queue_full == 1 and stats.half_open == 0
    assert listener.accept() is not None
    assert len(segment(h, "192.168.69.3", 50001, 2000)) == 1


def test_without_cookies_a_full_syn_queue_drops_the_syn() -> None:
    h, listener = make(backlog=4, syn_backlog=1, syncookies=False)
    fill_syn_queue(h, 1)
    assert segment(h, "192.168.69.2", 50000, 1000) == []
    stats = listener.listener_stats()
    assert stats.syn_queue_full == 1 and stats.cookies_sent == 0


def synacks_until(h: Harness, secs: int) -> dict[int, int]:
    """Advance ``secs`` seconds in 100 ms steps; count the SYN-ACKs per destination port."""
    seen: dict[int, int] = {}
    for _ in range(secs * 10):
        h.advance(Duration.from_millis(100))
        for f in h.poll():
            seg = IP(f)[TCP]
            if seg.flags == "SA":
                seen[seg.dport] = seen.get(seg.dport, 0) + 1
    return seen


def test_half_open_children_retry_less_while_the_syn_queue_is_half_full() -> None:
    h, listener = make(backlog=8, syn_backlog=4)
    fill_syn_queue(h, 3)
    # Each timeout looks at the queue as it is then: the first two children give up after
    # PRESSURE_SYN_RETRIES (at 7 s); the third then sits in a queue a quarter full.
    p = PRESSURE_SYN_RETRIES
    assert synacks_until(h, 10) == {40000: p, 40001: p, 40002: 3}
    stats = listener.listener_stats()
    assert stats.half_open == 1 and stats.half_open_expired == 2
    assert stats.synack_retransmits == 2 * p + 3
    assert listener.backlog == 1


def test_half_open_children_keep_the_full_retries_without_pressure() -> None:
    h, listener = make(backlog=8, syn_backlog=8)
    fill_syn_queue(h, 2)
    # SYN-ACKs again at 1, 3, 7 and 15 s: still half-open after 10 s.
    assert synacks_until(h, 10) == {40000: 3, 40001: 3}
    assert listener.listener_stats().half_open == 2


@pytest.mark.parametrize("bad", [0, -1])
def test_syn_backlog_must_be_positive(bad: int) -> None:
    with pytest.raises(ValueError, match="syn_backlog"):
        TcpSocket(64, 64).listen(80, backlog=1, syn_backlog=bad)


def test_syn_backlog_must_be_an_int() -> None:
    with pytest.raises(TypeError, match="syn_backlog"):
        TcpSocket(64, 64).listen(80, backlog=1, syn_backlog="2")  # type: ignore[arg-type]


def establish(h: Harness, listener: TcpSocket, src: str, sport: int) -> TcpSocket:
    [synack] = segment(h, src, sport, 1000)
    segment(h, src, sport, 1001, synack.seq + 1, "A")
    handle = listener.accept()
    assert handle is not None
    return h.sockets.get(handle)


def test_challenge_acks_are_limited_for_the_whole_interface() -> None:
    h, listener = make(backlog=4, syn_backlog=4, challenge_ack_limit=1)
    establish(h, listener, "192.168.69.2", 50000)
    establish(h, listener, "192.168.69.3", 50000)
    # A SYN in a synchronized state gets a challenge ACK (RFC 5961 4.2): one for the whole
    # interface in this second, though each socket alone would send ten.
    first = segment(h, "192.168.69.2", 50000, 5000)
    second = segment(h, "192.168.69.3", 50000, 5000)
    assert [s.flags for s in first] == ["A"]
    assert second == []
    assert h.iface.context.challenge_acks is not None
    assert h.iface.context.challenge_acks.refused == 1


def test_the_cookie_secret_comes_from_the_configuration() -> None:
    def cookie(**config: Any) -> int:
        h, _ = make(backlog=1, syn_backlog=1, **config)
        fill_syn_queue(h, 1)
        [synack] = segment(h, "192.168.69.2", 50000, 1000, options=MSS_1460)
        return int(synack.seq)

    a = cookie(syncookie_secret=b"A" * 16)
    assert cookie(syncookie_secret=b"A" * 16) == a
    assert cookie(syncookie_secret=b"B" * 16) != a
    # Without a secret it derives from the random seed: reproducible, seed by seed.
    assert cookie(random_seed=1) == cookie(random_seed=1) != cookie(random_seed=2)


@pytest.mark.parametrize(
    ("config", "name"),
    [
        ({"challenge_ack_limit": -1}, "challenge_ack_limit"),
        ({"syncookie_secret": b"short"}, "syncookie_secret"),
    ],
)
def test_bad_limits_in_the_configuration_are_named(config: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        Harness(medium=Medium.IP, **config)


def test_accept_waits_for_half_open_children_and_drops_a_failed_one() -> None:
    h, listener = make(backlog=4, syn_backlog=4)
    [synack_a] = segment(h, "192.168.69.2", 50000, 1000)
    [synack_b] = segment(h, "192.168.69.3", 50001, 2000)
    # Both children are half-open: nothing to accept, and both stay in the set.
    assert listener.accept() is None
    assert len(h.sockets) == 3 and listener.backlog == 2
    # The first peer resets its handshake: its child fails and accept drops it from the set.
    segment(h, "192.168.69.2", 50000, 1001, flags="R")
    assert listener.accept() is None
    assert len(h.sockets) == 2
    # The second completes its handshake and is handed out.
    segment(h, "192.168.69.3", 50001, 2001, ack=synack_b.seq + 1, flags="A")
    handle = listener.accept()
    assert handle is not None
    child = h.sockets[handle]
    assert child.state is TcpState.ESTABLISHED
    assert str(child.remote_endpoint.addr) == "192.168.69.3"
    assert listener.accept() is None and listener.backlog == 0
    assert synack_a.flags == "SA"


class _TaggedSocket(TcpSocket):
    """A subclass of the application's, to see what class the children are."""

    __slots__ = ()


def test_a_child_is_of_the_listeners_class_and_filed_only_under_its_connection() -> None:
    h = Harness(medium=Medium.IP)
    listener = _TaggedSocket(4096, 8192)
    listener.listen(PORT, backlog=4)
    h.sockets.add(listener)
    [synack] = segment(h, "192.168.69.2", 50000, 1000)
    [(handle, child)] = [(hd, s) for hd, s in h.sockets if s is not listener]
    assert type(child) is _TaggedSocket
    assert (child.recv_capacity, child.send_capacity) == (4096, 8192)
    assert child.state is TcpState.SYN_RECEIVED
    # The listener's key leads to the listener alone; the child's four-tuple to the child.
    demux = h.sockets.demux
    [listener_key] = [k for k, socks in demux.items() if listener in socks]
    assert list(demux[listener_key]) == [listener]
    [key] = [k for k, socks in demux.items() if child in socks]
    assert list(demux[key]) == [child]
    local, remote = child.local_endpoint, child.remote_endpoint
    assert key == connection_key(local.addr, local.port, remote.addr, remote.port)
    # Its handshake completes through that key, and accept hands it out.
    segment(h, "192.168.69.2", 50000, 1001, ack=synack.seq + 1, flags="A")
    assert listener.accept() == handle and child.state is TcpState.ESTABLISHED


class _SocketWithState(TcpSocket):
    """A subclass with an ``__init__`` of its own, as an application may write."""

    def __init__(self, rx_buffer: int, tx_buffer: int, **kwargs: object) -> None:
        self.controllers: list[str] = []
        super().__init__(rx_buffer, tx_buffer, **kwargs)  # type: ignore[arg-type]
        self.requests = 0

    def set_congestion_control(self, cc: str | CongestionController) -> None:
        super().set_congestion_control(cc)
        self.controllers.append(type(self._rec.cc).__name__)


def test_a_child_of_a_subclass_with_its_own_init_gets_its_state() -> None:
    h = Harness(medium=Medium.IP)
    listener = _SocketWithState(4096, 8192)
    listener.set_congestion_control("reno")
    listener.listen(PORT, backlog=4)
    h.sockets.add(listener)
    [synack] = segment(h, "192.168.69.2", 50000, 1000)
    [child] = [s for _, s in h.sockets if s is not listener]
    assert type(child) is _SocketWithState and child.requests == 0
    # The subclass's own setter saw the child's controller, as it sees any socket's.
    assert child.controllers == listener.controllers == ["Reno"]
    assert (child.recv_capacity, child.send_capacity) == (4096, 8192)
    assert type(child._rec.cc) is type(listener._rec.cc)
    assert child._rec.cc is not listener._rec.cc
    segment(h, "192.168.69.2", 50000, 1001, ack=synack.seq + 1, flags="A")
    assert child.state is TcpState.ESTABLISHED and listener.accept() is not None


def _refusing_listener(
    backlog: int, syn_backlog: int | None, **config: Any
) -> tuple[Harness, TcpSocket, list[bool]]:
    # A listener whose observer (its children's too) refuses SYN-RECEIVED while asked to.
    refuse = [True]

    def observe(old: TcpState, new: TcpState) -> None:
        if new is TcpState.SYN_RECEIVED and refuse[0]:
            raise RuntimeError("not now")

    h = Harness(medium=Medium.IP, **config)
    listener = TcpSocket(4096, 4096, on_state_change=observe)
    listener.listen(PORT, backlog=backlog, syn_backlog=syn_backlog)
    h.sockets.add(listener)
    return h, listener, refuse


def test_a_child_whose_open_is_refused_is_forgotten() -> None:
    # A child whose SYN-RECEIVED the observer refuses answered nothing: it leaves the backlog
    # and the set, is never handed out by accept, and the peer's next SYN is served.
    h, listener, refuse = _refusing_listener(backlog=4, syn_backlog=None)
    with pytest.raises(AssertionError, match="unexpected exception"):
        segment(h, "192.168.69.2", 50000, 1000)
    assert [s for _, s in h.sockets] == [listener]
    [(key, socks)] = list(h.sockets.demux.items())
    assert list(socks) == [listener]
    assert listener.accept() is None
    assert listener.backlog == 0
    stats = listener.listener_stats()
    assert (stats.half_open, stats.accept_queue, stats.syns_received) == (0, 0, 1)
    # Allowed again, the retransmitted SYN opens a child filed under its connection alone.
    refuse[0] = False
    [synack] = segment(h, "192.168.69.2", 50000, 1000)
    assert synack.flags == "SA"
    assert list(h.sockets.demux[key]) == [listener]
    [opened] = [s for _, s in h.sockets if s is not listener]
    assert opened.state is TcpState.SYN_RECEIVED
    local, remote = opened.local_endpoint, opened.remote_endpoint
    ckey = connection_key(local.addr, local.port, remote.addr, remote.port)
    assert list(h.sockets.demux[ckey]) == [opened]
    segment(h, "192.168.69.2", 50000, 1001, ack=synack.seq + 1, flags="A")
    assert listener.accept() == opened.handle


def test_a_cookie_child_whose_open_is_refused_is_forgotten() -> None:
    h, listener, refuse = _refusing_listener(backlog=2, syn_backlog=1)
    refuse[0] = False
    fill_syn_queue(h, 1)
    [synack] = segment(h, "192.168.69.2", 50000, 1000, options=b"\x02\x04\x05\x78")
    assert listener.listener_stats().cookies_sent == 1
    before = {id(s) for _, s in h.sockets}
    refuse[0] = True
    with pytest.raises(AssertionError, match="unexpected exception"):
        segment(h, "192.168.69.2", 50000, 1001, synack.seq + 1, "A")
    # Its cookie was good, but no child came of it: not counted as accepted.
    assert listener.listener_stats().cookies_accepted == 0
    assert {id(s) for _, s in h.sockets} == before
    assert not [s for _, s in h.sockets if s.state is TcpState.LISTEN and s is not listener]
    [key] = [k for k, socks in h.sockets.demux.items() if listener in socks]
    assert list(h.sockets.demux[key]) == [listener]
    assert listener.accept() is None
    # Allowed again, the peer's retransmitted ACK completes the handshake, and counts.
    refuse[0] = False
    segment(h, "192.168.69.2", 50000, 1001, synack.seq + 1, "A")
    assert listener.listener_stats().cookies_accepted == 1
    handle = listener.accept()
    assert handle is not None and h.sockets.get(handle).state is TcpState.ESTABLISHED


def test_backlog_handles_name_the_unaccepted_children_that_a_close_leaves_in_the_set() -> None:
    h, listener = make(backlog=4, syn_backlog=4)
    [synack] = segment(h, "192.168.69.2", 50000, 1000)
    segment(h, "192.168.69.3", 50001, 2000)  # stays half-open
    first, second = listener.backlog_handles
    assert h.sockets.get(first).state is h.sockets.get(second).state is TcpState.SYN_RECEIVED
    segment(h, "192.168.69.2", 50000, 1001, synack.seq + 1, "A")
    assert listener.accept() == first  # handed out: the caller's, no longer the listener's
    assert listener.backlog_handles == (second,)
    [synack] = segment(h, "192.168.69.4", 50002, 3000)
    segment(h, "192.168.69.4", 50002, 3001, synack.seq + 1, "A")
    left = listener.backlog_handles
    assert len(left) == 2 and left[0] == second
    listener.close()
    assert listener.backlog_handles == ()
    # The close aborted them and left them in the set; each sends its RST, then may go.
    assert all(h.sockets.get(c).state is TcpState.CLOSED for c in left)
    resets = [IP(f)[TCP] for f in h.poll() if TCP in IP(f)]
    assert sorted(seg.dport for seg in resets if "R" in seg.flags) == [50001, 50002]
    for c in left:
        h.sockets.remove(c)
    assert h.sockets.get(first).state is TcpState.ESTABLISHED
