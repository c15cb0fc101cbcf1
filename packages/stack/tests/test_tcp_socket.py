"""TcpSocket through the harness: opens, data both ways, closes, and the public API."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tcp_harness import (
    LOCAL,
    REMOTE,
    Duration,
    TcpControl,
    TcpHarness,
    TcpSocket,
    TcpState,
    TcpTimestampRepr,
    fields,
)

from smoltcp.stack.socket.errors import ConnectError, ListenError, RecvError, SendError

SYN = TcpControl.SYN
FIN = TcpControl.FIN
RST = TcpControl.RST
PSH = TcpControl.PSH
NONE = TcpControl.NONE


@pytest.fixture
def h() -> TcpHarness:
    return TcpHarness()


def test_state_prints_rfc_names() -> None:
    assert str(TcpState.SYN_SENT) == "SYN-SENT"
    assert str(TcpState.TIME_WAIT) == "TIME-WAIT"
    assert len(TcpState) == 11


def test_passive_open_sends_syn_ack_with_options(h: TcpHarness) -> None:
    h.listen()
    assert h.sock.state is TcpState.LISTEN
    assert h.send(SYN, seq=5000, max_seg_size=1460, window_scale=7, sack_permitted=True) is None
    assert h.sock.state is TcpState.SYN_RECEIVED
    synack = h.recv_one()
    assert fields(synack) == {
        "control": SYN,
        "seq": 1000,
        "ack": 5001,
        "window": 64,
        "payload": b"",
    }
    assert synack.max_seg_size == 1460
    assert synack.window_scale == 0
    assert synack.sack_permitted
    assert synack.timestamp is None  # the peer offered none
    h.send(seq=5001, ack=1001)
    assert h.sock.state is TcpState.ESTABLISHED
    h.recv_none()


def test_active_open(h: TcpHarness) -> None:
    h.sock.connect(h.cx, REMOTE, LOCAL)
    assert h.sock.state is TcpState.SYN_SENT
    syn = h.recv_one()
    assert fields(syn) == {"control": SYN, "seq": 1000, "ack": None, "window": 64, "payload": b""}
    assert syn.max_seg_size == 1460 and syn.sack_permitted and syn.window_scale == 0
    assert syn.timestamp is not None and syn.timestamp.tsecr == 0
    h.send(SYN, seq=5000, ack=1001, max_seg_size=1200)
    assert h.sock.state is TcpState.ESTABLISHED
    ack = h.recv_one()
    assert fields(ack) == {"control": NONE, "seq": 1001, "ack": 5001, "window": 64, "payload": b""}
    assert ack.timestamp is None and ack.sack_ranges == ()


def test_connect_picks_ephemeral_port_and_source(h: TcpHarness) -> None:
    h.sock.connect(h.cx, REMOTE, 0)
    local = h.sock.local_endpoint
    assert local.addr == LOCAL.addr and 49152 <= local.port < 65536
    with pytest.raises(ConnectError):
        h.sock.connect(h.cx, REMOTE, 0)


def test_data_both_ways_and_close_from_us(h: TcpHarness) -> None:
    h.establish_passive()
    # Receive: one segment is ACKed after the (zero) ack delay.
    h.send(seq=5001, ack=1001, payload=b"hello")
    assert h.sock.recv_queue == 5
    ack = h.recv_one()
    assert fields(ack) == {"control": NONE, "seq": 1001, "ack": 5006, "window": 59, "payload": b""}
    assert h.sock.recv(3) == b"hel"
    assert h.sock.peek() == b"lo"
    assert h.sock.recv() == b"lo"
    assert h.sock.recv() == b""
    # Send.
    assert h.sock.send(b"world") == 5
    seg = h.recv_one()
    assert fields(seg) == {
        "control": PSH,
        "seq": 1001,
        "ack": 5006,
        "window": 59,
        "payload": b"world",
    }
    h.send(seq=5006, ack=1006)
    assert h.sock.send_queue == 0
    # Close: FIN, peer ACKs and FINs, we ACK and sit in TIME-WAIT.
    h.sock.close()
    assert h.sock.state is TcpState.FIN_WAIT_1
    fin = h.recv_one()
    assert fields(fin) == {"control": FIN, "seq": 1006, "ack": 5006, "window": 59, "payload": b""}
    h.send(seq=5006, ack=1007)
    assert h.sock.state is TcpState.FIN_WAIT_2
    h.send(FIN, seq=5006, ack=1007)
    assert h.sock.state is TcpState.TIME_WAIT
    assert fields(h.recv_one())["ack"] == 5007
    with pytest.raises(RecvError, match="finished"):
        h.sock.recv()
    h.advance(9999)
    h.recv_none()
    assert h.sock.state is TcpState.TIME_WAIT
    h.advance(1)
    h.recv_none()
    assert h.sock.state is TcpState.CLOSED
    assert h.sock.demux_keys() == ()


def test_close_from_peer(h: TcpHarness) -> None:
    h.establish_passive()
    h.send(FIN, seq=5001, ack=1001, payload=b"bye")
    assert h.sock.state is TcpState.CLOSE_WAIT
    assert fields(h.recv_one())["ack"] == 5005
    assert h.sock.recv() == b"bye"
    with pytest.raises(RecvError, match="finished"):
        h.sock.recv()
    assert h.sock.may_send() and not h.sock.may_recv()
    h.sock.send(b"last")
    h.sock.close()
    assert h.sock.state is TcpState.LAST_ACK
    seg = h.recv_one()
    assert fields(seg) == {
        "control": FIN,
        "seq": 1001,
        "ack": 5005,
        "window": 60,
        "payload": b"last",
    }
    h.send(seq=5005, ack=1006)
    assert h.sock.state is TcpState.CLOSED


def test_send_and_recv_errors(h: TcpHarness) -> None:
    with pytest.raises(SendError):
        h.sock.send(b"x")
    with pytest.raises(RecvError, match="invalid state"):
        h.sock.recv()
    with pytest.raises(ListenError):
        h.sock.listen(0)
    with pytest.raises(TypeError):
        TcpSocket("big", 10)  # type: ignore[arg-type]


def test_abort_sends_one_rst(h: TcpHarness) -> None:
    h.establish_passive()
    h.sock.abort()
    assert h.sock.state is TcpState.CLOSED
    rst = h.recv_one()
    assert fields(rst) == {"control": RST, "seq": 1001, "ack": 5001, "window": 0, "payload": b""}
    h.recv_none()


def test_reset_by_peer_keeps_received_data(h: TcpHarness) -> None:
    h.establish_passive()
    h.send(seq=5001, ack=1001, payload=b"abc")
    h.send(RST, seq=5004)
    assert h.sock.state is TcpState.CLOSED
    assert h.sock.recv() == b"abc"
    with pytest.raises(RecvError, match="reset"):
        h.sock.recv()


def test_stats_count_segments(h: TcpHarness) -> None:
    h.establish_passive()
    h.sock.send(b"abc")
    h.recv()
    st = h.sock.stats
    assert st.segments_sent == 2 and st.segments_received == 2 and st.bytes_sent == 3
    assert st.cwnd > 0 and st.retransmissions == 0
    h.sock.set_timeout(Duration.from_secs(1))
    assert h.sock.timeout == Duration.from_secs(1)


def test_ephemeral_port_avoids_a_four_tuple_in_use(h: TcpHarness) -> None:
    h.sock.connect(h.cx, REMOTE, 50000)

    class Picks:
        def __init__(self) -> None:
            self.ports = [50000, 50001]

        def randrange(self, lo: int, hi: int) -> int:
            return self.ports.pop(0)

        def getrandbits(self, n: int) -> int:
            return 0

    other = h.new_socket(64, 64)
    h.set.add(other)
    h.cx.rand = Picks()
    other.connect(h.cx, REMOTE, 0)
    assert other.local_endpoint.port == 50001


def test_send_fills_the_buffer_then_returns_zero(h: TcpHarness) -> None:
    h.establish_passive(window=0)
    assert h.sock.send(bytes(100)) == 64
    assert not h.sock.can_send()
    assert h.sock.send(b"x") == 0
    assert h.sock.send_queue == 64


def test_recv_into_and_can_recv(h: TcpHarness) -> None:
    h.establish_passive()
    assert not h.sock.can_recv()
    h.send(seq=5001, ack=1001, payload=b"abcdef")
    assert h.sock.can_recv()
    buf = bytearray(4)
    assert h.sock.recv_into(buf) == 4 and buf == b"abcd"
    assert h.sock.recv_into(buf) == 2 and buf[:2] == b"ef"


def test_hop_limit_reaches_the_ip_header(h: TcpHarness) -> None:
    h.sock.set_hop_limit(7)
    h.sock.connect(h.cx, REMOTE, LOCAL)
    seen = []
    h.sock.dispatch(h.cx, h.now, lambda ip, seg: seen.append(ip.hop_limit))
    assert seen == [7]
    with pytest.raises(ValueError):
        h.sock.set_hop_limit(0)


def test_congestion_control_is_switchable(h: TcpHarness) -> None:
    h.sock.set_congestion_control("reno")
    assert h.sock.congestion_control.name == "reno"
    h.establish_passive()
    assert h.sock.congestion_control.name == "reno"
    with pytest.raises(ValueError):
        h.sock.set_congestion_control("vegas")


def test_active_open_with_every_option() -> None:
    h = TcpHarness(rx=1 << 18, tx=1 << 18)
    h.sock.connect(h.cx, REMOTE, LOCAL)
    syn = h.recv_one()
    assert syn.window_scale == 3 and syn.sack_permitted and syn.timestamp is not None
    h.send(
        SYN,
        seq=5000,
        ack=1001,
        max_seg_size=1460,
        window_scale=9,
        sack_permitted=True,
        timestamp=TcpTimestampRepr(77, syn.timestamp.tsval),
    )
    ack = h.recv_one()
    assert ack.timestamp.tsecr == 77
    assert ack.window_len == (1 << 18) >> 3
    h.send(seq=5001, ack=1001, window=10, timestamp=TcpTimestampRepr(78, 0))
    h.sock.send(bytes(10000))
    # The peer's window is 10 << 9 = 5120 octets; segments carry 1460 - 12 octets.
    assert [len(s.payload) for s in h.recv()] == [1448, 1448, 1448]


def test_keep_alive_with_timeout_aborts_a_dead_peer(h: TcpHarness) -> None:
    h.establish_passive()
    h.sock.set_keep_alive(Duration.from_secs(1))
    h.sock.set_timeout(Duration.from_secs(3))
    out = []
    for _ in range(10):
        at = h.sock.poll_at(h.cx)
        if at is None:
            break
        h.at(at.total_micros() / 1000)
        out += h.recv()
    assert [s.control for s in out] == [NONE, NONE, RST]
    assert h.sock.state is TcpState.CLOSED and h.sock.error == "timed out"
