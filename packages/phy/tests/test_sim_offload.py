"""Hosts with offload: TCP super-segments cross the simulated network as trains.

Each test runs real stacks with a fixed seed; a train must count, take time and deliver
exactly as the wire frames it stands for, and be cut wherever it cannot pass whole.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from smoltcp.phy.impair import Bernoulli
from smoltcp.phy.sim import Bulk, LinkSpec, QueueSpec, SimHost
from smoltcp.phy.sim.link import Port
from smoltcp.phy.sim.network import Network
from smoltcp.phy.sim.runner import Simulator
from smoltcp.phy.sim.scenario import ScenarioError, from_dict
from smoltcp.phy.sim.train import Train, make_train
from smoltcp.stack.tcp import TcpSocket
from smoltcp.stack.time import Instant
from smoltcp.wire import (
    IpEndpoint,
    IpProtocol,
    Ipv4Address,
    Ipv4Repr,
    TcpControl,
    TcpRepr,
    TcpSeqNumber,
    TcpTimestampRepr,
)

MSS = 1448


class _Stream:
    """A client that sends ``data`` and closes, and a server that keeps what it reads."""

    def __init__(self, client: SimHost, server: SimHost, data: bytes, buffer: int) -> None:
        self.data = data
        self.received = bytearray()
        self.listener = TcpSocket(buffer, buffer)
        self.listener.listen(5001)
        server.sockets.add(self.listener)
        self.sock = TcpSocket(buffer, buffer)
        client.sockets.add(self.sock)
        self.sock.connect(client.cx, IpEndpoint(server.address, 5001), 0)
        self.sent = 0
        self.accepted: TcpSocket | None = None
        self.server = server
        client.add_app(self)
        server.add_app(_Reader(self))

    def step(self, now: Instant) -> bool:
        changed = False
        while self.sent < len(self.data) and self.sock.can_send():
            n = self.sock.send(self.data[self.sent : self.sent + 65536])
            if n == 0:
                break
            self.sent += n
            changed = True
        if self.sent == len(self.data) and self.sock.may_send():
            self.sock.close()
            changed = True
        return changed


class _Reader:
    def __init__(self, stream: _Stream) -> None:
        self.stream = stream
        self.buf = bytearray(1 << 16)

    def step(self, now: Instant) -> bool:
        s = self.stream
        # Without a backlog the listening socket becomes the connection (as in smoltcp).
        s.accepted = s.listener
        changed = False
        while True:
            try:
                n = s.accepted.recv_into(self.buf)
            except Exception:
                break
            if n == 0:
                break
            s.received += self.buf[:n]
            changed = True
        return changed


def _data(size: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


def _switched(
    seed: int = 1,
    *,
    rate: int = 100_000_000,
    delay_us: int = 1_000,
    queue: int = 1_000,
    offload: tuple[bool, bool] = (True, True),
    bottleneck: LinkSpec | None = None,
) -> tuple[Network, SimHost, SimHost]:
    net = Network(seed)
    net.add_switch("sw")
    a = net.add_host("a", "10.0.0.1/24", offload=offload[0])
    b = net.add_host("b", "10.0.0.2/24", offload=offload[1])
    net.add_link("access", "a", "sw", LinkSpec(rate_bps=1_000_000_000))
    spec = bottleneck or LinkSpec(rate_bps=rate, delay_us=delay_us, queue=QueueSpec(limit=queue))
    net.add_link("bottleneck", "sw", "b", spec)
    return net, a, b


def _check_ports(net: Network) -> None:
    """Every port's queue: arrivals = departures + drops + queued, in frames."""
    for link in net.links.values():
        for port in link.ports:
            q = port.queue.counters
            assert q.arrivals == q.departures + q.drops + q.queued, port


@pytest.mark.parametrize("offload", [(True, False), (False, True)])
def test_offload_on_one_end_only_delivers_the_stream(offload: tuple[bool, bool]) -> None:
    # Trains from a sender with offload are cut before a receiver without; a receiver with
    # offload gets plain frames from a sender without.
    net, a, b = _switched(rate=1_000_000_000, offload=offload)
    stream = _Stream(a, b, _data(2_000_000), 1 << 20)
    net.run(2_000_000)
    assert bytes(stream.received) == stream.data
    port = net.links["bottleneck"].ab
    assert port.counters.tx_octets <= port.counters.tx_frames * 1514
    assert port.counters.delivered == port.counters.tx_frames
    _check_ports(net)


# -- the byte stream, the capture -------------------------------------------------------------


def _trains_reaching(host: SimHost) -> list[int]:
    """Return a list that gets the frame count of every train delivered to ``host``."""
    trains: list[int] = []
    receive = host.receive

    def spy(port: Port, frame: bytearray, now: int) -> None:
        if type(frame) is Train:
            trains.append(frame.frames)
        receive(port, frame, now)

    host.receive = spy  # type: ignore[method-assign]
    return trains


def test_bulk_flow_between_offload_hosts_delivers_the_stream_and_uses_trains() -> None:
    net, a, b = _switched(rate=1_000_000_000)
    data = _data(3_000_000)
    stream = _Stream(a, b, data, 1 << 20)
    trains = _trains_reaching(b)
    net.run(3_000_000)
    assert bytes(stream.received) == data
    # Super-segments did travel as trains, of many frames each.
    assert trains and max(trains) > 20
    _check_ports(net)


def test_ipv6_super_segments_travel_as_trains_and_deliver_the_stream(tmp_path: Path) -> None:
    net = Network(2)
    net.add_switch("sw")
    a = net.add_host("a", "fd00::1/64", offload=True)
    b = net.add_host("b", "fd00::2/64", offload=True)
    net.add_link("access", "a", "sw", LinkSpec(rate_bps=1_000_000_000))
    net.add_link("bottleneck", "sw", "b", LinkSpec(rate_bps=1_000_000_000, delay_us=1_000))
    trains = _trains_reaching(b)
    stream = _Stream(a, b, _data(1_000_000), 1 << 20)
    net.capture(tmp_path)
    net.run(2_000_000)
    assert bytes(stream.received) == stream.data
    assert trains and max(trains) > 20
    port = net.links["bottleneck"].ab
    assert port.counters.tx_octets <= port.counters.tx_frames * 1514
    _check_ports(net)


def _tshark(pcap: Path, *args: str) -> list[str]:
    out = subprocess.run(
        ["tshark", "-n", "-r", str(pcap), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return out.stdout.splitlines()


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_capture_of_a_train_link_holds_wire_frames_that_tshark_reads(tmp_path: Path) -> None:
    net, a, b = _switched(queue=30)  # small enough that some trains are cut and dropped
    data = _data(600_000)
    stream = _Stream(a, b, data, 1 << 20)
    net.capture(tmp_path)
    net.run(2_000_000)
    assert bytes(stream.received) == data
    pcap = tmp_path / "access.pcap"
    assert _tshark(pcap, "-Y", "_ws.malformed || _ws.expert.severity == error") == []
    lengths = [int(x) for x in _tshark(pcap, "-T", "fields", "-e", "frame.len")]
    assert lengths and max(lengths) <= 1500 + 14
    link = net.links["access"]
    assert len(lengths) == sum(p.counters.tx_frames for p in link.ports)
    # The client's payload, in sequence order, is the stream (no segment retransmitted on
    # this link, as nothing is lost before the switch).
    rows = _tshark(
        pcap,
        "-Y",
        "ip.src == 10.0.0.1 && tcp.len > 0",
        "-T",
        "fields",
        "-e",
        "tcp.seq",
        "-e",
        "tcp.payload",
        "-o",
        "tcp.relative_sequence_numbers:TRUE",
    )
    pieces = {}
    for row in rows:
        seq, payload = row.split("\t")
        pieces[int(seq)] = bytes.fromhex(payload.replace(":", ""))
    stream_bytes = bytearray()
    for seq in sorted(pieces):
        assert seq == len(stream_bytes) + 1
        stream_bytes += pieces[seq]
    assert bytes(stream_bytes) == data
    # The bottleneck's queue (30 frames) cut trains and dropped their tails.
    bottleneck = net.links["bottleneck"].ab
    assert bottleneck.queue.counters.drops > 0
    _check_ports(net)


# -- counting ---------------------------------------------------------------------------------


def test_queue_counters_add_up_in_frames_with_trains_cut_and_partly_dropped() -> None:
    net, a, b = _switched(queue=20, rate=20_000_000)
    stream = _Stream(a, b, _data(2_000_000), 1 << 21)
    port = net.links["bottleneck"].ab
    seen: list[tuple[int, int, int, int]] = []

    def sample() -> None:
        q = port.queue.counters
        port.queue.catch_up(net.sim.now_us)  # type: ignore[attr-defined]
        seen.append((q.arrivals, q.departures, q.drops, q.queued))
        assert q.queued <= 20
        net.sim.call_later(997, sample)

    net.sim.call_later(0, sample)
    net.run(3_000_000)
    assert bytes(stream.received) == stream.data
    assert all(arr == dep + drops + queued for arr, dep, drops, queued in seen)
    q = port.queue.counters
    assert q.drops > 0
    assert q.arrivals == q.departures + q.drops + q.queued
    # Counted in frames: what was offered is what entered the queue (no MTU drop here), and
    # what left it is what the transmitter sent (or is sending).
    assert port.counters.offered == q.arrivals
    in_service = q.departures - port.counters.tx_frames
    assert 0 <= in_service <= 45
    assert port.counters.delivered <= port.counters.tx_frames
    _check_ports(net)


def _segment(
    payload: int,
    *,
    seq: int = 1000,
    control: TcpControl = TcpControl.PSH,
    timestamp: TcpTimestampRepr | None = None,
) -> Train:
    src, dst = Ipv4Address("10.0.0.1"), Ipv4Address("10.0.0.2")
    seg = TcpRepr(
        src_port=5000,
        dst_port=80,
        control=control,
        seq_number=TcpSeqNumber(seq),
        ack_number=TcpSeqNumber(1),
        window_len=1000,
        timestamp=timestamp,
        payload=bytes((seq + i) & 0xFF for i in range(payload)),
    )
    ipr = Ipv4Repr(src, dst, IpProtocol.TCP, seg.buffer_len(), 64)
    train = Train(14 + 20 + seg.buffer_len())
    view = memoryview(train)
    view[:14] = b"\x02\x00\x00\x00\x00\x02" + bytes(6) + b"\x08\x00"
    ipr.emit_buffer(view[14:])
    seg.emit_buffer(view[34:], src, dst)
    return train


class _Sink:
    name = "sink"
    takes_trains = True
    coalesces = False

    def __init__(self) -> None:
        self.got: list[tuple[int, bytearray]] = []

    def receive(self, port: Port, frame: bytearray, now: int) -> None:
        self.got.append((now, frame))

    def on_room(self, port: Port, now: int) -> None:
        pass


def _port(rate: int, delay: int = 0, *, takes_trains: bool = True) -> tuple[Simulator, Port, _Sink]:
    sim = Simulator(0)
    spec = LinkSpec(rate_bps=rate, delay_us=delay)
    src, dst = _Sink(), _Sink()
    dst.takes_trains = takes_trains
    port = Port(sim, "p", src, spec)
    peer = Port(sim, "q", dst, spec)
    port.peer, peer.peer = peer, port
    return sim, port, dst


@pytest.mark.parametrize("rate", [7_777_777, 1_000_003, 333_333_331])
@pytest.mark.parametrize("payload", [1448 * 7 + 5, 1448 * 45, 3001])
def test_train_takes_the_time_of_its_pieces_back_to_back(rate: int, payload: int) -> None:
    starts: dict[str, list[int]] = {}
    ends = {}
    for mode in ("train", "pieces"):
        sim, port, sink = _port(rate, delay=123)
        taps: list[int] = []
        port.tap = lambda now, frame, taps=taps: taps.append(now)  # type: ignore[misc]
        # Something in front, so the train starts mid-microsecond (the carry-over).
        sim.call_at(10, port.send, 10, bytearray(1000))
        train = _segment(payload)
        assert make_train(train, 1500)
        if mode == "train":
            sim.call_at(11, port.send, 11, train)
        else:
            for piece in train.cut():
                sim.call_at(11, port.send, 11, piece)
        sim.run()
        starts[mode] = taps
        ends[mode] = (
            sim.now_us,
            port.counters.as_dict(),
            port.queue.counters.as_dict(),
            sink.got[-1][0],
            port.utilization(sim.now_us),
        )
    assert starts["train"] == starts["pieces"]
    assert ends["train"] == ends["pieces"]


def _wire_frames(got: list[tuple[int, bytearray]]) -> list[bytes]:
    out: list[bytes] = []
    for _, frame in got:
        out.extend(bytes(p) for p in (frame.cut() if type(frame) is Train else [frame]))
    return out


@pytest.mark.parametrize(
    "queue",
    [
        QueueSpec(limit=20),
        QueueSpec(limit=1000, limit_octets=20 * 1514 + 300),  # the short last piece fits
        QueueSpec(limit=3),
    ],
)
@pytest.mark.parametrize("busy", [False, True])
def test_train_without_room_gets_in_what_its_pieces_would(queue: QueueSpec, busy: bool) -> None:
    results = {}
    for mode in ("train", "pieces"):
        sim = Simulator(0)
        spec = LinkSpec(rate_bps=10_000_000, delay_us=50, queue=queue)
        src, dst = _Sink(), _Sink()
        port = Port(sim, "p", src, spec)
        peer = Port(sim, "q", dst, spec)
        port.peer, peer.peer = peer, port
        taps: list[tuple[int, bytes]] = []
        port.tap = lambda now, frame, taps=taps: taps.append((now, bytes(frame)))  # type: ignore[misc]
        if busy:
            sim.call_at(0, port.send, 0, bytearray(1514))
            sim.call_at(0, port.send, 0, bytearray(1514))
        train = _segment(1460 * 30 + 100)  # 31 pieces, the last of 154 octets
        assert make_train(train, 1500)
        if mode == "train":
            sim.call_at(5, port.send, 5, train)
        else:
            for piece in train.cut():
                sim.call_at(5, port.send, 5, piece)
        counts = []
        sim.call_at(6, lambda counts=counts, q=port.queue: counts.append(q.counters.as_dict()))
        sim.run()
        results[mode] = (
            taps,
            _wire_frames(dst.got),
            counts,
            port.counters.as_dict(),
            port.queue.counters.as_dict(),
        )
    assert results["train"] == results["pieces"]
    drops = results["train"][4]["drops"]
    assert drops > 0


@pytest.mark.parametrize("takes_trains", [False, True])
def test_train_to_a_node_without_offload_or_over_a_slow_link_arrives_as_its_pieces(
    takes_trains: bool,
) -> None:
    # Without offload, or with offload where each piece takes longer than HOLD_US (10 Mbit/s:
    # 1.2 ms): the pieces, each when it would arrive.
    got = {}
    for mode in ("train", "pieces"):
        sim, port, sink = _port(10_000_000, delay=500, takes_trains=takes_trains)
        train = _segment(1448 * 10)
        assert make_train(train, 1500)
        if mode == "train":
            port.send(0, train)
        else:
            for piece in train.cut():
                port.send(0, piece)
        sim.run()
        got[mode] = [(t, bytes(f)) for t, f in sink.got]
    assert len(got["train"]) == 10
    assert got["train"] == got["pieces"]


def test_a_long_train_arrives_in_parts_each_held_at_most_hold_us() -> None:
    # 100 Mbit/s: a piece takes 121 µs, so at most 9 arrive within a millisecond.
    sim, port, sink = _port(100_000_000, delay=500)
    train = _segment(1460 * 30)
    assert make_train(train, 1500)
    pieces = [bytes(p) for p in train.cut()]
    port.send(0, train)
    sim.run()
    sizes = [f.frames if type(f) is Train else 1 for _, f in sink.got]
    assert sum(sizes) == 30 and max(sizes) == 9 and len(sizes) == 4
    assert _wire_frames(sink.got) == pieces
    ends: list[int] = []
    done = 0
    for t, f in sink.got:
        frames = f.frames if type(f) is Train else 1
        done += frames
        # Each part when its last piece arrives: 1514 octets at 100 Mbit/s each, back to back.
        assert t == 500 + done * 1514 * 8 // 100
        ends.append(t)
    assert port.counters.delivered == 30 and port.counters.tx_frames == 30
    assert ends == sorted(ends)


def test_pieces_are_the_stacks_segmentation() -> None:
    train = _segment(1448 * 3 + 100)
    assert make_train(train, 1500)
    pieces = train.cut()
    assert [len(p) for p in pieces] == train.piece_lengths()
    assert sum(map(len, pieces)) == train.wire_len
    src, dst = Ipv4Address("10.0.0.1"), Ipv4Address("10.0.0.2")
    payload = b""
    for i, piece in enumerate(pieces):
        ipr = Ipv4Repr.parse_buffer(memoryview(piece)[14:])  # checks the header checksum
        assert ipr.payload_len == len(piece) - 34
        seg = TcpRepr.parse_buffer(memoryview(piece)[34:], src, dst)  # and the TCP one
        assert seg.seq_number == TcpSeqNumber(1000 + len(payload))
        # PSH only on the last piece, as a TSO device splits it.
        assert (seg.control is TcpControl.PSH) == (i == len(pieces) - 1)
        payload += bytes(seg.payload)
    assert payload == bytes(memoryview(train)[54:])


def test_a_train_coalesces_with_the_one_that_continues_it_as_gro_would() -> None:
    ts = TcpTimestampRepr(7, 9)
    none, psh = TcpControl.NONE, TcpControl.PSH
    a = _segment(1448 * 3, control=none, timestamp=ts)
    b = _segment(1448 * 2 + 10, seq=1000 + 1448 * 3, control=psh, timestamp=ts)
    both = _segment(1448 * 5 + 10, control=psh, timestamp=ts)
    for t in (a, b, both):
        assert make_train(t, 1500)
    assert a.size == 1448
    pieces = a.cut() + b.cut()
    assert a.coalesce(b)
    assert bytes(a) == bytes(both)
    assert (a.frames, a.wire_len, a.piece_max) == (both.frames, both.wire_len, both.piece_max)
    assert [bytes(p) for p in a.cut()] == [bytes(p) for p in pieces]
    # Not when anything but the sequence number differs, when the sequence does not
    # continue, when the first carries PSH or ends in a short piece, beyond 64 KiB.
    later = TcpTimestampRepr(8, 9)
    refused = [
        (_segment(1448, control=none, timestamp=ts), 1448, 1448, none, later),
        (_segment(1448, control=none, timestamp=ts), 1449, 1448, none, ts),
        (_segment(2896, control=psh, timestamp=ts), 2896, 1448, psh, ts),
        (_segment(1456, control=none, timestamp=ts), 1456, 1448, none, ts),
        (_segment(1448 * 40, control=none, timestamp=ts), 1448 * 40, 1448 * 10, none, ts),
    ]
    for first, offset, size, control, stamp in refused:
        second = _segment(size, seq=1000 + offset, control=control, timestamp=stamp)
        assert make_train(first, 1500) and make_train(second, 1500)
        before = bytes(first)
        assert not first.coalesce(second)
        assert bytes(first) == before


# -- theory, impairments, routers ---------------------------------------------------------------


def test_receive_window_limited_goodput_is_w_over_r_with_offload() -> None:
    """As the per-frame test in test_sim_theory: 1 Gbit/s, 100 ms round trip, the window W
    limits the flow to W / R. Both hosts offload.

    Model: the receiver takes a whole train (45 segments of 1448) in one frame and
    acknowledges it before its application reads it, so the window it offers is the buffer
    less that train: W = buffer - 45 MSS (per frame it is the buffer less one MSS). The
    round trip grows by what a train waits for its last piece, store-and-forward, on each of
    the two 1 Gbit/s hops (45 frames of 1514 octets: 0.545 ms each). The buffer (4 MiB) is
    large against a train, as the sub-MSS remainder of W the sender holds back is small
    against W. Tolerance 2 %, as per frame.
    """
    buffer = 4 << 20
    net = Network(1)
    net.add_switch("sw")
    b = net.add_host("b", "10.0.0.100/24", offload=True)
    a = net.add_host("a0", "10.0.0.1/24", offload=True)
    net.add_link(
        "access0", "a0", "sw", LinkSpec(rate_bps=1_000_000_000, queue=QueueSpec(limit=10_000))
    )
    flow = Bulk("f0", a, b, 5001, buffer=buffer)
    net.add_flow(flow)
    spec = LinkSpec(rate_bps=1_000_000_000, delay_us=50_000, queue=QueueSpec(limit=10_000))
    net.add_link("bottleneck", "sw", "b", spec)
    marks: dict[int, int] = {}
    net.sim.call_at(2_000_000, lambda: marks.__setitem__(1, flow.stats.octets))
    net.sim.call_at(6_000_000, lambda: marks.__setitem__(2, flow.stats.octets))
    net.run(6_000_000, finish=False)
    goodput = (marks[2] - marks[1]) * 8 / 4.0
    offered = buffer - 45 * MSS
    (sock,) = flow.client_sockets()
    # The sender sees about the window the model assumes (the scale unit rounds it).
    assert offered - 256 <= sock.tcb.snd_wnd <= offered + 256
    rtt = 0.1 + 2 * 45 * 1514 * 8 / 1e9
    assert goodput == pytest.approx(offered * 8 / rtt, rel=0.02)


def test_lossy_link_cuts_trains_and_still_delivers_the_stream() -> None:
    lossy = LinkSpec(rate_bps=50_000_000, delay_us=2_000, loss=Bernoulli(2))
    net, a, b = _switched(bottleneck=lossy)
    stream = _Stream(a, b, _data(1_000_000), 1 << 20)
    net.run(10_000_000)
    assert bytes(stream.received) == stream.data
    port = net.links["bottleneck"].ab
    assert port.wire.counters.lost > 0
    # Cut before the wire: every frame met the loss on its own, none above the MTU.
    assert port.counters.tx_octets <= port.counters.tx_frames * 1514
    assert stream.sock.stats.retransmissions > 0
    _check_ports(net)


def test_router_path_with_a_smaller_mtu_cuts_trains_and_pmtu_works() -> None:
    # As the shipped mtu_drop scenario: 1500 to the router, 1280 beyond it.
    net = Network(5)
    a = net.add_host("a", "10.1.0.2/24", gateway="10.1.0.1", offload=True)
    b = net.add_host("b", "10.2.0.2/24", gateway="10.2.0.1", offload=True)
    r = net.add_router("r")
    net.add_link("left", "a", "r", LinkSpec(rate_bps=100_000_000, delay_us=1_000))
    net.add_link("right", "r", "b", LinkSpec(rate_bps=100_000_000, delay_us=1_000, mtu=1280))
    r.set_interface("left", "02:00:00:00:01:01", "10.1.0.1/24")
    r.set_interface("right", "02:00:00:00:01:02", "10.2.0.1/24")
    stream = _Stream(a, b, _data(500_000), 1 << 20)
    net.run(5_000_000)
    assert bytes(stream.received) == stream.data
    # The router said "fragmentation needed" and the sender's segments then fit 1280.
    assert r.counters.too_big > 0
    right = net.links["right"].ab
    assert right.counters.tx_frames > 300
    assert right.counters.tx_octets <= right.counters.tx_frames * (1280 + 14)
    _check_ports(net)


# -- determinism ------------------------------------------------------------------------------


def _digest(tmp: Path) -> dict[str, str]:
    return {
        str(p.relative_to(tmp)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(tmp.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_byte_identical_outputs_with_offload(tmp_path: Path) -> None:
    digests = []
    for run in ("one", "two"):
        out = tmp_path / run
        net, a, b = _switched(seed=9, queue=25)
        net.add_flow(Bulk("f", a, b, 5001, size=400_000))
        net.capture(out)
        net.trace(out / "traces")
        net.run(1_500_000)
        (out / "summary.json").write_text(repr(net.summary()))
        digests.append(_digest(out))
    assert digests[0] == digests[1]
    assert "access.pcap" in digests[0] and "summary.json" in digests[0]


# -- the scenario key -------------------------------------------------------------------------


def _scenario(offload: object) -> dict[str, object]:
    return {
        "version": 1,
        "name": "offload",
        "seed": 3,
        "duration_s": 1.0,
        "switches": [{"name": "sw"}],
        "hosts": [
            {
                "name": "h",
                "count": 2,
                "address": "10.0.0.1/24",
                "attach": "sw",
                "offload": offload,
                "access": {"rate_bps": 100_000_000, "delay_ms": 1},
            }
        ],
        "flows": [{"name": "f", "kind": "bulk", "client": "h1", "server": "h2", "port": 5001}],
    }


def test_scenario_offload_key_is_parsed_and_runs() -> None:
    net = from_dict(_scenario(True)).build()
    assert all(h.offload for h in net.hosts.values())
    assert not any(h.offload for h in from_dict(_scenario(False)).build().hosts.values())
    net.run(1_000_000)
    summary = net.summary()
    assert summary["flows"][0]["octets"] > 1_000_000
    # The client's super-segments went out as trains, counted as their frames.
    port = net.links["h1-sw"].ab
    assert port.counters.tx_frames > 100
    assert port.counters.tx_octets <= port.counters.tx_frames * 1514


@pytest.mark.parametrize("bad", ["yes", 1])
def test_scenario_offload_key_must_be_a_boolean(bad: object) -> None:
    with pytest.raises(ScenarioError, match=r"^hosts\[0\]\.offload: must be"):
        from_dict(_scenario(bad))


def test_offload_argument_must_be_a_bool() -> None:
    net = Network(1)
    with pytest.raises(TypeError, match="offload"):
        net.add_host("a", "10.0.0.1/24", offload=1)


# -- trains that fit a frame, flooded trains, counters mid-train, refused headers -----------


@pytest.mark.parametrize("queue", [QueueSpec(), QueueSpec(kind="codel")])
@pytest.mark.parametrize("takes_trains", [False, True])
def test_a_train_no_longer_than_the_largest_frame_counts_as_its_pieces(
    queue: QueueSpec, takes_trains: bool
) -> None:
    # A card of IP MTU 1400 on a 1500 link: 1400 octets are two pieces in 1454 octets.
    results = {}
    for mode in ("train", "pieces"):
        sim = Simulator(0)
        spec = LinkSpec(rate_bps=10_000_000, delay_us=10, queue=queue)
        src, dst = _Sink(), _Sink()
        dst.takes_trains = takes_trains
        port = Port(sim, "p", src, spec)
        peer = Port(sim, "q", dst, spec)
        port.peer, peer.peer = peer, port
        train = _segment(1400)
        assert make_train(train, 1400)
        assert train.frames == 2 and len(train) <= spec.max_frame
        for frame in [train] if mode == "train" else train.cut():
            port.send(0, frame)
        sim.run()
        results[mode] = (
            _wire_frames(dst.got),
            port.counters.as_dict(),
            port.queue.counters.as_dict(),
        )
        if not takes_trains:
            assert all(type(f) is not Train for _, f in dst.got)
    assert results["train"] == results["pieces"]
    assert results["train"][2]["queued"] == 0


@pytest.mark.parametrize("size", [1400, 300_000])  # 1400: one train of two pieces, 1454 octets
@pytest.mark.parametrize("kind", ["droptail", "red", "codel"])
def test_hosts_with_a_smaller_mtu_than_their_links_deliver_through_any_queue(
    kind: str, size: int
) -> None:
    net = Network(1)
    net.add_switch("sw")
    a = net.add_host("a", "10.0.0.1/24", offload=True, mtu=1400)
    b = net.add_host("b", "10.0.0.2/24", offload=True, mtu=1400)
    net.add_link("access", "a", "sw", LinkSpec(rate_bps=1_000_000_000))
    bottleneck = LinkSpec(
        rate_bps=100_000_000, delay_us=1000, queue=QueueSpec(kind=kind, limit=100)
    )
    net.add_link("bn", "sw", "b", bottleneck)
    stream = _Stream(a, b, _data(size), 1 << 17)
    net.run(2_000_000)
    assert bytes(stream.received) == stream.data
    _check_ports(net)
    for link in net.links.values():
        for port in link.ports:
            assert port.queue.counters.queued >= 0
            assert port.counters.delivered <= port.counters.tx_frames


def test_a_train_flooded_by_a_switch_is_sent_once_on_each_port() -> None:
    from smoltcp.phy.sim.link import Link
    from smoltcp.phy.sim.switch import Switch

    sim = Simulator(0)
    switch = Switch(sim, "sw")
    spec = LinkSpec(rate_bps=10_000_000, delay_us=10)
    sinks = [_Sink() for _ in range(3)]
    links = []
    for i, sink in enumerate(sinks):
        sink.coalesces = True
        links.append(Link(sim, f"l{i}", sink, switch, spec))
    none = TcpControl.NONE
    first = _segment(1460 * 3, control=none)
    second = _segment(1460 * 2, seq=1000 + 1460 * 3, control=none)
    assert make_train(first, 1500) and make_train(second, 1500)
    pieces = [bytes(p) for p in first.cut() + second.cut()]
    filler = bytearray(1514)
    for link in links[1:]:
        link.ba.send(0, filler)  # busy: the trains stay queued, where they may join
    # An unknown destination: both trains are flooded to the two other ports.
    switch.receive(links[0].ba, first, 0)
    switch.receive(links[0].ba, second, 0)
    sim.run()
    for link, sink in zip(links[1:], sinks[1:], strict=True):
        assert _wire_frames(sink.got) == [bytes(filler), *pieces]
        q = link.ba.queue.counters
        assert (q.arrivals, q.departures, q.queued) == (6, 6, 0)
        assert link.ba.counters.tx_frames == 6


@pytest.mark.parametrize("stop", [0, 1, 121, 500, 1000, 2001, 3633])
def test_port_counters_are_those_of_the_pieces_at_any_instant(stop: int) -> None:
    # 100 Mbit/s: 30 pieces of 1514 octets take 3.6 ms; the run stops on the way.
    results = {}
    for mode in ("train", "pieces"):
        sim, port, _sink = _port(100_000_000, delay=50)
        train = _segment(1448 * 30)
        assert make_train(train, 1500)
        for frame in [train] if mode == "train" else train.cut():
            port.send(0, frame)
        sim.run(stop)
        port.catch_up(stop)
        counters = port.counters.as_dict()
        # A receiver with GRO gets a train (or a part) when its last piece has arrived.
        assert counters.pop("delivered") <= counters["tx_frames"]
        results[mode] = (
            counters,
            port.queue.counters.as_dict(),
            port.utilization(max(stop, 1)),
        )
    assert results["train"] == results["pieces"]


class _BlockedCard(_Sink):
    """A sender refused room for ``frames`` frames of ``octets`` octets, as a host's card:
    at each ``on_room`` it looks again, and asks to be told when there is room."""

    def __init__(self, frames: int, octets: int) -> None:
        super().__init__()
        self.want = (frames, octets)
        self.found: int | None = None

    def on_room(self, port: Port, now: int) -> None:
        if self.found is not None:
            return
        if port.queue.room_for(now, *self.want):
            self.found = now
        else:
            port.wake_at_room(*self.want)


@pytest.mark.parametrize(
    ("queue", "want"),
    [
        (QueueSpec(limit=30), (1, 1514)),
        (QueueSpec(limit=30), (10, 10 * 1514)),
        (QueueSpec(limit=40), (25, 25 * 1514)),
        (QueueSpec(limit=1000, limit_octets=30 * 1514), (1, 20_000)),
    ],
)
def test_a_card_refused_room_learns_of_it_when_a_piece_makes_it(
    queue: QueueSpec, want: tuple[int, int]
) -> None:
    # 31 pieces offered at once: 30 queued behind the first (the rest dropped).
    found = {}
    for mode in ("train", "pieces"):
        sim = Simulator(0)
        spec = LinkSpec(rate_bps=100_000_000, delay_us=50, queue=queue)
        card, dst = _BlockedCard(*want), _Sink()
        port = Port(sim, "p", card, spec)
        peer = Port(sim, "q", dst, spec)
        port.peer, peer.peer = peer, port
        train = _segment(1448 * 31)
        assert make_train(train, 1500)
        for frame in [train] if mode == "train" else train.cut():
            port.send(0, frame)
        assert not port.queue.room_for(0, *want)
        port.wake_at_room(*want)
        sim.run()
        found[mode] = card.found
    assert found["train"] == found["pieces"]
    assert found["train"] is not None and found["train"] < 31 * 121


def _header_with_nops(payload: int) -> Train:
    # Four NOP options: the stack's TCP representation does not write them back.
    frame = bytearray(_segment(payload))
    frame[34 + 12] = (6 << 4) | (frame[34 + 12] & 0x0F)
    frame[54:54] = b"\x01\x01\x01\x01"
    frame[16:18] = (len(frame) - 14).to_bytes(2, "big")
    return Train(frame)


def test_make_train_refuses_headers_it_would_not_write_back() -> None:
    assert make_train(_segment(3000), 1500)
    assert not make_train(_header_with_nops(3000), 1500)
    assert not make_train(Train(bytes(_segment(3000)) + b"xx"), 1500)  # beyond the IP packet
    # Refused, it stays an oversized frame: dropped and counted.
    _sim, port, sink = _port(10_000_000)
    frame = _header_with_nops(3000)
    make_train(frame, 1500)
    assert not port.send(0, bytearray(frame))
    assert port.counters.mtu_drops == 1 and sink.got == []


def test_the_tap_gets_every_piece_before_the_frame_after_the_train() -> None:
    # 100 Gbit/s: a piece takes 0.12 µs, so the last pieces and the next frame start in the
    # same microsecond.
    taps = {}
    for mode in ("train", "pieces"):
        sim, port, _sink = _port(100_000_000_000)
        got: list[tuple[int, bytes]] = []
        port.tap = lambda now, frame, got=got: got.append((now, bytes(frame)))  # type: ignore[misc]
        train = _segment(1448 * 20 + 7)
        assert make_train(train, 1500)
        for frame in [train] if mode == "train" else train.cut():
            port.send(0, frame)
        port.send(0, bytearray(100))
        sim.run()
        taps[mode] = got
    assert taps["train"] == taps["pieces"]
    assert len(taps["train"]) == train.frames + 1
