"""`TcpSocket.stats` and the event trace against known behaviour, over the in-memory link.

The retransmission counters are judged by an independent reader: every frame the sender puts
on the link is written to a pcap (before the link's faults), which dpkt parses; a data
segment (or SYN, or FIN) that starts below the highest sequence number already sent is a
retransmission.
"""

from __future__ import annotations

import io
import struct
import sys
from pathlib import Path

import dpkt
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tcp_link import Faults, Link
from tcp_sim import Bulk, Sim, connect_pair, make_pair, payload

from smoltcp.stack.socket import SocketSet
from smoltcp.stack.tcp import CongestionPhase, TcpSocket, TcpState, TcpStats
from smoltcp.stack.tcp import trace as tr
from smoltcp.stack.tcp.congestion import initial_window
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import IpEndpoint

_KIB = 1024


class TapLink(Link):
    """A `Link` that keeps every frame end A sends, before any fault, as a pcap."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.frames: list[tuple[int, bytes]] = []

    def _send(self, src: int, frame: bytearray, now: Instant) -> None:
        if src == 0:
            self.frames.append((now.micros, bytes(frame)))
        super()._send(src, frame, now)

    def pcap(self) -> bytes:
        out = io.BytesIO()
        # The classic pcap header: microsecond timestamps, link type 1 (Ethernet).
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t, frame in self.frames:
            out.write(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(frame), len(frame)))
            out.write(frame)
        return out.getvalue()


def retransmissions_in(pcap: bytes) -> tuple[int, int]:
    """Return (segments, payload octets) of the TCP retransmissions in ``pcap`` (dpkt)."""
    highest: int | None = None
    segments = octets = 0
    for _, buf in dpkt.pcap.Reader(io.BytesIO(pcap)):
        ip = dpkt.ethernet.Ethernet(buf).data
        if not isinstance(ip, dpkt.ip.IP) or not isinstance(ip.data, dpkt.tcp.TCP):
            continue
        tcp = ip.data
        length = len(tcp.data) + (1 if tcp.flags & (dpkt.tcp.TH_SYN | dpkt.tcp.TH_FIN) else 0)
        if not length:
            continue
        if highest is not None and (tcp.seq - highest) & 0xFFFFFFFF >= 1 << 31:
            segments += 1
            octets += len(tcp.data)
        end = (tcp.seq + length) & 0xFFFFFFFF
        if highest is None or (end - highest) & 0xFFFFFFFF < 1 << 31:
            highest = end
    return segments, octets


def transfer(
    link: Link,
    size: int,
    *,
    rx_size: int = 64 * _KIB,
    tx_size: int = 64 * _KIB,
    recorder: tr.TraceRecorder | None = None,
    cc: str = "cubic",
    ack_at_once: bool = False,
    **config: object,
) -> tuple[Sim, TcpSocket, TcpSocket]:
    """Send ``size`` octets from A to B and close both ways; return the sim and the sockets."""
    sim, a, b = make_pair(link, **config)
    if recorder is not None:
        a.sockets.set_tcp_trace(recorder)

    def configure(sock: TcpSocket) -> None:
        sock.set_congestion_control(cc)
        if ack_at_once:
            sock.set_ack_delay(None)

    client, server = connect_pair(sim, a, b, rx_size=rx_size, tx_size=tx_size, configure=configure)
    data = payload(size, 3)
    up = Bulk(client, data)
    down = Bulk(server, b"")
    sim.run(lambda now: up.step() & down.step(), max_time=Duration.from_secs(600))
    # The last ACKs (of the data and of both FINs) still travel: let them arrive.
    sim.run_for(Duration.from_secs(1))
    assert down.received == size
    return sim, client, server


def test_the_snapshot_keeps_the_old_fields_and_is_immutable() -> None:
    sock = TcpSocket(1024, 1024)
    stats = sock.stats
    assert isinstance(stats, TcpStats)
    for name in (
        "retransmissions",
        "fast_retransmits",
        "timeouts",
        "rtt",
        "rto",
        "cwnd",
        "ssthresh",
        "sacked_bytes",
        "segments_sent",
        "segments_received",
        "bytes_sent",
        "bytes_received",
        "loss_probes",
        "loss_probe_repairs",
        "rack_losses",
    ):
        assert name in TcpStats._fields
    assert stats.state is TcpState.CLOSED
    assert stats.since_last_send_us is None and stats.since_last_receive_us is None
    with pytest.raises(AttributeError):
        stats.cwnd = 1  # type: ignore[misc]
    with pytest.raises(TypeError, match="now"):
        sock.stats_at(5)  # type: ignore[arg-type]


def test_a_lossless_transfer_acknowledges_what_it_sent_and_retransmits_nothing() -> None:
    size = 300 * _KIB
    sim, client, server = transfer(Link(seed=1), size, gso_size=0)
    s = client.stats
    assert s.bytes_sent == s.acked_octets == size
    assert server.stats.bytes_received == size
    assert s.retransmissions == s.retransmitted_octets == 0
    assert (
        s.retransmits_rto_segments,
        s.retransmits_fast_segments,
        s.retransmits_tlp_segments,
        s.retransmits_rack_segments,
    ) == (0, 0, 0, 0)
    assert s.lost_octets == 0
    assert s.congestion_control == "cubic"
    assert s.phase in (CongestionPhase.SLOW_START, CongestionPhase.CONGESTION_AVOIDANCE)
    assert s.cwnd_octets == s.cwnd and s.cwnd_segments == s.cwnd // s.snd_mss_octets
    assert s.snd_mss_octets == 1460 - 12  # the timestamp option rides on every segment
    assert s.rcv_mss_octets == 1460
    assert s.busy_us > 0
    assert s.delivery_rate_octets_per_s > 0
    # Time since: `stats` stops at the latest event, `stats_at` counts on to the instant.
    later = client.stats_at(sim.now + Duration.from_millis(7))
    assert later.since_last_send_us is not None and later.since_last_receive_us is not None
    assert later.since_last_send_us >= 7000 and later.since_last_receive_us >= 7000
    assert later.at_us == sim.now.micros + 7000
    # Both ends closed: the sender is idle, and idle time is not busy time.
    assert client.state in (TcpState.TIME_WAIT, TcpState.CLOSED)
    assert later.busy_us == s.busy_us


def test_lossy_retransmission_counters_match_the_pcap() -> None:
    link = TapLink(seed=5, faults=Faults(loss=0.03), latency=Duration.from_millis(2))
    size = 400 * _KIB
    _, client, _ = transfer(link, size, gso_size=0)
    s = client.stats
    segments, octets = retransmissions_in(link.pcap())
    assert segments > 3  # the seed loses enough to test something
    assert s.retransmissions == segments
    assert s.retransmitted_octets == octets
    assert (
        s.retransmits_rto_segments
        + s.retransmits_fast_segments
        + s.retransmits_tlp_segments
        + s.retransmits_rack_segments
        == segments
    )
    assert s.acked_octets == s.bytes_sent == size


@pytest.mark.parametrize("cc", ["cubic", "reno"])
def test_cwnd_after_a_timeout_is_one_segment(cc: str) -> None:
    # The congestion controllers document it: after an RTO, cwnd is one SMSS (RFC 5681 3.1,
    # RFC 9438 4.8).
    link = Link(seed=2, latency=Duration.from_millis(5))
    sim, a, b = make_pair(link)
    client, _ = connect_pair(sim, a, b, configure=lambda s: s.set_congestion_control(cc))
    client.send(payload(20 * _KIB, 1))
    sim.run(lambda now: client.stats.bytes_sent > 0)
    link.faults = Faults(loss=1.0)  # the path goes dark: only the timer can act
    sim.run(lambda now: client.stats.timeouts >= 1, max_time=Duration.from_secs(30))
    s = client.stats
    assert s.cwnd == s.cwnd_octets == s.snd_mss_octets
    assert s.cwnd_segments == 1
    assert s.phase is CongestionPhase.LOSS
    assert s.lost_octets == s.unacked_octets > 0
    assert s.rto_backoff == 1


def test_srtt_matches_the_links_round_trip() -> None:
    one_way = Duration.from_millis(25)
    # The receiver acknowledges at once (a delayed ACK would rightly lengthen the samples),
    # and segments go one by one (many samples: the SYN's includes the ARP exchange).
    _, client, _ = transfer(
        Link(seed=3, latency=one_way), 200 * _KIB, ack_at_once=True, gso_size=0, gro=False
    )
    s = client.stats
    assert s.srtt_us is not None and s.min_rtt_us is not None
    assert s.srtt_us == pytest.approx(2 * one_way.micros, rel=0.05)
    assert s.min_rtt_us <= s.srtt_us
    assert s.rtt == Duration(s.srtt_us)
    assert s.rto_us == s.rto.micros
    assert client.srtt_us == s.srtt_us  # the socket's own reading, without a snapshot


def test_a_fresh_socket_has_no_srtt() -> None:
    sock = TcpSocket(1024, 1024)
    assert sock.srtt_us is None and sock.stats.rtt is None


def test_a_small_receive_buffer_limits_the_sender_by_the_peers_window() -> None:
    link = Link(seed=4, latency=Duration.from_millis(5))
    _, client, _ = transfer(link, 256 * _KIB, rx_size=4 * _KIB, tx_size=64 * _KIB)
    s = client.stats
    assert s.rwnd_limited_us > 0
    assert s.busy_us >= s.rwnd_limited_us + s.sndbuf_limited_us + s.cwnd_limited_us


def test_a_small_send_buffer_limits_the_sender() -> None:
    link = Link(seed=4, latency=Duration.from_millis(5))
    _, client, _ = transfer(link, 256 * _KIB, rx_size=64 * _KIB, tx_size=4 * _KIB)
    s = client.stats
    assert s.sndbuf_limited_us > 0
    assert s.rwnd_limited_us == 0


def test_the_initial_window_limits_a_fresh_connection_by_cwnd() -> None:
    link = Link(seed=4, latency=Duration.from_millis(20))
    _, client, _ = transfer(link, 256 * _KIB, rx_size=256 * _KIB, tx_size=256 * _KIB)
    s = client.stats
    assert s.cwnd_limited_us > 0
    assert initial_window(s.snd_mss_octets) <= s.cwnd


def test_describe_is_one_ss_style_line() -> None:
    _, client, _ = transfer(Link(seed=1), 64 * _KIB)
    line = client.stats.describe()
    assert "\n" not in line
    assert line.startswith("cubic wscale:")
    for key in ("rtt:", "cwnd:", "bytes_acked:65536", "retrans:0(", "rwnd_limited:", "lastsnd:"):
        assert key in line


# -- the trace --------------------------------------------------------------------------------


def test_a_lossy_transfer_records_every_kind_of_event() -> None:
    ring = tr.RingRecorder(1 << 20)
    link = TapLink(seed=5, faults=Faults(loss=0.03), latency=Duration.from_millis(2))
    _, client, _ = transfer(link, 400 * _KIB, recorder=ring, gso_size=0)
    records = ring.records()
    kinds = {type(r) for r in records}
    assert kinds == {
        tr.ConnectionOpened,
        tr.SegmentSent,
        tr.AckProcessed,
        tr.CongestionChanged,
        tr.RttChanged,
        tr.StateChanged,
        tr.LossDecision,
    }
    # One connection (the client's, on A): its segments and retransmissions are the stats'.
    opened = [r for r in records if isinstance(r, tr.ConnectionOpened)]
    assert len(opened) == 1 and opened[0].local.startswith("192.168.69.1:")
    sent = [r for r in records if isinstance(r, tr.SegmentSent)]
    s = client.stats
    assert len(sent) == s.segments_sent
    assert sum(r.retransmit is not None for r in sent) == s.retransmissions
    assert sum(r.retransmit is tr.LossReason.RTO for r in sent) == s.retransmits_rto_segments
    assert {r.new for r in records if isinstance(r, tr.StateChanged)} >= {
        "SYN-SENT",
        "ESTABLISHED",
        "CLOSE-WAIT",
        "LAST-ACK",
    }
    assert any(isinstance(r, tr.RttChanged) and r.sample_us for r in records)
    times = [r.time_us for r in records]
    assert times == sorted(times)
    # Round trip through both formats.
    assert tr.load_jsonl("".join(tr.dump_jsonl(records))) == list(records)
    assert tr.load_csv(tr.dump_csv(records)) == list(records)


def test_listener_children_inherit_the_trace_and_off_records_nothing() -> None:
    ring = tr.RingRecorder()
    link = Link(seed=1)
    sim, a, b = make_pair(link)
    listener = TcpSocket(8 * _KIB, 8 * _KIB)
    listener.set_trace(ring)
    assert listener.trace_recorder is ring
    listener.listen(80, backlog=2)
    b.add(listener)
    client = TcpSocket(8 * _KIB, 8 * _KIB)
    a.add(client)  # not traced
    client.connect(a.cx, IpEndpoint(b.addr, 80), 0)
    sim.run(lambda now: client.state is TcpState.ESTABLISHED and listener.backlog == 1)
    sim.run_for(Duration.from_millis(5))
    handle = listener.accept()
    assert handle is not None
    child = b.get(handle)
    assert child.trace_recorder is ring
    opened = [r for r in ring.records() if isinstance(r, tr.ConnectionOpened)]
    assert len(opened) == 1 and opened[0].local == f"{b.addr}:80"
    assert [r.new for r in ring.records() if isinstance(r, tr.StateChanged)] == [
        "SYN-RECEIVED",
        "ESTABLISHED",
    ]
    child.set_trace(None)
    before = len(ring)
    client.send(b"x" * 100)
    sim.run_for(Duration.from_millis(50))
    assert len(ring) == before


def test_set_trace_takes_only_a_recorder() -> None:
    sock = TcpSocket(1024, 1024)
    with pytest.raises(TypeError, match="recorder"):
        sock.set_trace(print)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="recorder"):
        SocketSet().set_tcp_trace(object())


def test_the_set_wide_recorder_reaches_sockets_added_later_but_not_traced_ones() -> None:
    sockets_ring = tr.RingRecorder()
    own = tr.RingRecorder()
    sockets = SocketSet()
    first = TcpSocket(1024, 1024)
    sockets.add(first)
    sockets.set_tcp_trace(sockets_ring)
    assert first.trace_recorder is sockets_ring
    later = TcpSocket(1024, 1024)
    sockets.add(later)
    assert later.trace_recorder is sockets_ring
    mine = TcpSocket(1024, 1024)
    mine.set_trace(own)
    sockets.add(mine)
    assert mine.trace_recorder is own
    sockets.set_tcp_trace(None)
    assert first.trace_recorder is None and mine.trace_recorder is None


def test_delivery_rate_is_the_bottlenecks() -> None:
    # 8 Mbit/s of frames: 1448 octets of payload per 1514-octet frame reach the receiver.
    rate_bps = 8_000_000
    link = Link(seed=6, latency=Duration.from_millis(5), rate_bps=rate_bps, queue_frames=1000)
    _, client, _ = transfer(link, 400 * _KIB, gso_size=0, rx_size=256 * _KIB)
    goodput = rate_bps / 8 * 1448 / 1514
    assert client.stats.delivery_rate_octets_per_s == pytest.approx(goodput, rel=0.1)


def test_reordering_is_seen_and_a_clean_link_shows_none() -> None:
    link = Link(seed=7, faults=Faults(reorder=0.05), latency=Duration.from_millis(2))
    _, client, _ = transfer(link, 300 * _KIB, gso_size=0)
    assert link.counters.reordered > 0
    assert client.stats.reordering_seen
    assert client.stats.dsacks_received > 0  # the fast retransmissions it caused were spurious
    _, clean, _ = transfer(Link(seed=7, latency=Duration.from_millis(2)), 300 * _KIB, gso_size=0)
    assert not clean.stats.reordering_seen
    assert clean.stats.dsacks_received == 0
