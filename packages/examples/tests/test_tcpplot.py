"""smoltcp-tcpplot against an independent judge (tshark), its pictures, and its bad-input errors.

For each capture, the points the tool extracts (every data segment's relative sequence number
and length, the retransmissions, the ACK-timing RTT samples) must be those of tshark's own
analysis of the same file (``tcp.analysis.retransmission``, ``tcp.analysis.ack_rtt``).
The captures: the kernel's in the shared captures, the same frames rewritten into the other
link types, a lossy loopback transfer of the stack, and a kernel-to-kernel transfer over a
veth pair with a token bucket that drops, captured by tcpdump in namespaces the test creates.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from smoltcp.examples import tcpplot
from smoltcp.examples.tcpplot import draw
from smoltcp.examples.tcpplot.analysis import analyse
from smoltcp.examples.tcpplot.capture import CapturedSegment, read_segments
from smoltcp.examples.tcpplot.model import Connection, goodput, throughput
from smoltcp.stack.tcp.trace import (
    FORMAT_NAME,
    AckProcessed,
    CongestionChanged,
    LossAction,
    LossDecision,
    LossReason,
    RingRecorder,
    RttChanged,
    SegmentSent,
    StateChanged,
    dump_csv,
    dump_jsonl,
)
from smoltcp.wire import TcpControl, TcpRepr, TcpSeqNumber

REPO = Path(__file__).resolve().parents[3]


def find_capture(name: str) -> Path | None:
    """Return the path of capture ``name`` in the repository's test data, or None."""
    for pattern in (f"tests/**/{name}", f"packages/*/tests/**/{name}"):
        for found in sorted(REPO.glob(pattern)):
            return found
    return None


def capture(name: str) -> Path:
    path = find_capture(name)
    if path is None:
        pytest.skip(f"capture {name} is not in the repository's test data")
    return path


def need_tshark() -> str:
    tshark = shutil.which("tshark")
    if tshark is None:
        pytest.skip("needs tshark (apt-get install tshark)")
    return tshark


def tshark_fields(path: Path, display_filter: str, *fields: str) -> list[list[str]]:
    args = [need_tshark(), "-r", str(path), "-Y", display_filter, "-T", "fields"]
    for field in fields:
        args += ["-e", field]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return [line.split("\t") for line in proc.stdout.splitlines()]


def connections(path: Path) -> list[Connection]:
    with open(path, "rb") as f:
        return analyse(read_segments(f))


def assert_agrees_with_tshark(path: Path) -> list[Connection]:
    """Check the tool's extracted points against tshark's analysis of ``path``; return them."""
    conns = connections(path)
    segments = {s.frame: s for c in conns for f in c.flows for s in f.segments if s.length}
    # Sequence points: every IPv4 segment with payload, relative seq and length (Wireshark's
    # relative numbers: the SYN is 0).
    judged = tshark_fields(path, "ip && tcp.len > 0", "frame.number", "tcp.seq", "tcp.len")
    assert {int(n): (int(s), int(ln)) for n, s, ln in judged} == {
        n: (s.seq, s.length) for n, s in segments.items()
    }
    # Retransmissions (tshark's flag covers fast and spurious retransmissions too).
    judged = tshark_fields(path, "ip && tcp.analysis.retransmission", "frame.number")
    mine = sorted(s.frame for c in conns for f in c.flows for s in f.retransmissions)
    assert mine == sorted(int(row[0]) for row in judged)
    # ACK-timing RTT: every sample equals tshark's for the same ACK; tshark's extra samples are
    # ACKs of resent segments, which Karn's rule keeps out of ours.
    judged = tshark_fields(
        path, "ip && tcp.analysis.ack_rtt", "frame.number", "tcp.analysis.ack_rtt", "tcp.ack"
    )
    theirs = {int(n): (float(rtt), int(ack)) for n, rtt, ack in judged}
    ours = {frame: rtt for c in conns for f in c.flows for _, rtt, frame in f.rtt_ack}
    assert set(ours) <= set(theirs)
    for frame, rtt in ours.items():
        assert rtt == pytest.approx(theirs[frame][0], abs=1e-6), frame
    resent_ends = {s.seq + s.length for c in conns for f in c.flows for s in f.retransmissions}
    for frame in set(theirs) - set(ours):
        assert theirs[frame][1] in resent_ends, frame
    return conns


@pytest.mark.parametrize("name", ["linux-sack.pcap", "linux-mixed.pcap"])
def test_shared_captures_agree_with_tshark(name: str) -> None:
    conns = assert_agrees_with_tshark(capture(name))
    assert conns


def test_golden_series_of_the_sack_capture() -> None:
    # The extracted series of a known capture, as numbers (not pixels).
    conns = connections(capture("linux-sack.pcap"))
    assert len(conns) == 1
    (conn,) = conns
    assert (conn.a, conn.b) == ("192.168.69.100:58918", "192.168.69.1:6970")
    flow = conn.forward
    assert flow.data_octets == 523584
    assert len(flow.segments) == 366
    assert [(s.frame, s.seq, s.length, s.cause) for s in flow.retransmissions] == [
        (130, 94121, 1448, "fast_retransmit"),
        (132, 108601, 1448, ""),
        (260, 257801, 1448, ""),
        (335, 338889, 1448, "fast_retransmit"),
        (337, 346129, 1448, ""),
        (395, 417081, 1448, "fast_retransmit"),
        (397, 472105, 1448, ""),
        (425, 483689, 1448, "fast_retransmit"),
    ]
    assert flow.highest == 512001  # relative: the data run from 1
    assert flow.acks[-1][1] == 512002  # the FIN acknowledged
    assert (len(flow.acks), flow.dup_acks, len(flow.sacks)) == (63, 10, 20)
    assert len(flow.rtt_ack) == 50 and len(flow.rtt_ts) == 50
    assert max(n for _, n in flow.in_flight) == 74752
    rates = throughput(flow, 0.001)
    assert len(rates) == 3
    assert sum(r for _, r in rates) * 0.001 / 8 == pytest.approx(flow.data_octets)
    delivered = goodput(flow, 0.001)
    assert sum(r for _, r in delivered) * 0.001 / 8 == pytest.approx(512002 - flow.acks[0][1])


def seg(frame: int, ms: float, src: str, flags: str, seq: int, ack: int | None, n: int = 0):
    """A captured segment between 10.0.0.1:1000 ("a") and 10.0.0.2:80 ("b")."""
    control = {"S": TcpControl.SYN, "F": TcpControl.FIN, "": TcpControl.NONE}[flags]
    ports = (1000, 80) if src == "a" else (80, 1000)
    addrs = ("10.0.0.1", "10.0.0.2") if src == "a" else ("10.0.0.2", "10.0.0.1")
    tcp = TcpRepr(
        *ports, control, TcpSeqNumber(seq), None if ack is None else TcpSeqNumber(ack), 1000
    )
    return CapturedSegment(frame, int(ms * 1_000_000), *addrs, tcp, n)


def test_retransmission_causes_and_karn() -> None:
    # a sends 3 segments; the first is lost; b's two dup ACKs bring a fast retransmit; the
    # last segment is then lost and resent by the timer after a silence.
    segments = [
        seg(1, 0, "a", "S", 99, None),
        seg(2, 1, "b", "S", 499, 100),
        seg(3, 2, "a", "", 100, 500),
        seg(4, 3, "a", "", 100, 500, 100),
        seg(5, 3.1, "a", "", 200, 500, 100),
        seg(6, 3.2, "a", "", 300, 500, 100),
        seg(7, 4.1, "b", "", 500, 100),
        seg(8, 4.2, "b", "", 500, 100),
        seg(9, 4.3, "a", "", 100, 500, 100),  # fast retransmit
        seg(10, 5.3, "b", "", 500, 400),  # ends exactly at frame 6's segment, sent once
        seg(11, 6, "a", "", 400, 500, 100),
        seg(13, 400, "a", "", 400, 500, 100),  # after 0.4 s of silence: the timer
        seg(14, 401, "b", "", 500, 500),  # acks a resent segment: no sample (Karn)
    ]
    (conn,) = analyse(segments)
    flow = conn.forward
    assert [(s.frame, s.seq, s.cause) for s in flow.retransmissions] == [
        (9, 1, "fast_retransmit"),
        (13, 301, "timeout"),
    ]
    assert flow.dup_acks == 2
    assert [(frame, round(rtt, 4)) for _, rtt, frame in flow.rtt_ack] == [(2, 0.001), (10, 0.0021)]
    assert [ack for _, ack in flow.acks] == [1, 1, 1, 301, 401]


# -- the other link types: the same frames, rewritten -------------------------------------------


def read_pcap(path: Path) -> list[tuple[int, int, bytes]]:
    data = path.read_bytes()
    assert data[:4] == b"\xd4\xc3\xb2\xa1"
    out, i = [], 24
    while i < len(data):
        secs, usecs, incl, _ = struct.unpack_from("<IIII", data, i)
        out.append((secs, usecs, data[i + 16 : i + 16 + incl]))
        i += 16 + incl
    return out


def write_pcap(
    path: Path,
    link: int,
    frames: list[tuple[int, int, bytes]],
    *,
    nanos: bool = False,
    big_endian: bool = False,
) -> None:
    order = ">" if big_endian else "<"
    magic = 0xA1B23C4D if nanos else 0xA1B2C3D4
    chunks = [struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, 65535, link)]
    for secs, usecs, frame in frames:
        frac = usecs * 1000 if nanos else usecs
        chunks.append(struct.pack(order + "IIII", secs, frac, len(frame), len(frame)) + frame)
    path.write_bytes(b"".join(chunks))


def relink(frame: bytes, link: int) -> bytes:
    ethertype, packet = frame[12:14], frame[14:]
    if link in (101, 228):
        return packet
    if link == 113:  # packet type (0 = to us), ARPHRD_ETHER, address length, address, protocol
        return struct.pack("!HHH8s", 0, 1, 6, frame[6:12]) + ethertype + packet
    if link == 276:  # protocol, reserved, ifindex, ARPHRD_ETHER, packet type, length, address
        return ethertype + b"\0\0" + struct.pack("!IHBB8s", 2, 1, 0, 6, frame[6:12]) + packet
    raise AssertionError(link)


@pytest.mark.parametrize(
    ("link", "nanos", "big_endian"),
    [(101, False, False), (228, True, False), (113, False, True), (276, False, False)],
)
def test_raw_ip_and_linux_cooked_captures_read_the_same(
    tmp_path: Path, link: int, nanos: bool, big_endian: bool
) -> None:
    source = capture("linux-sack.pcap")
    path = tmp_path / f"link{link}.pcap"
    frames = [(s, u, relink(f, link)) for s, u, f in read_pcap(source)]
    write_pcap(path, link, frames, nanos=nanos, big_endian=big_endian)
    ethernet = connections(source)[0].forward
    other = assert_agrees_with_tshark(path)[0].forward
    assert other.segments == ethernet.segments
    assert other.acks == ethernet.acks
    assert other.rtt_ack == ethernet.rtt_ack


def test_a_snapped_capture_keeps_the_segment_lengths(tmp_path: Path) -> None:
    source = capture("linux-sack.pcap")
    path = tmp_path / "snap.pcap"
    chunks = [source.read_bytes()[:24]]
    for secs, usecs, frame in read_pcap(source):
        cut = frame[:96]
        chunks.append(struct.pack("<IIII", secs, usecs, len(cut), len(frame)) + cut)
    path.write_bytes(b"".join(chunks))
    assert connections(path)[0].forward.segments == connections(source)[0].forward.segments
    assert_agrees_with_tshark(path)


def pcapng_block(order: str, block_type: int, body: bytes) -> bytes:
    body += bytes(-len(body) % 4)
    total = 12 + len(body)
    return struct.pack(order + "II", block_type, total) + body + struct.pack(order + "I", total)


def write_pcapng(
    path: Path, frames: list[tuple[int, int, bytes]], order: str, *, odd_block: bool = False
) -> None:
    """Write ``frames`` (Ethernet) as pcapng: one section, nanosecond timestamps, EPBs."""
    shb = struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1)
    tsresol = struct.pack(order + "HH", 9, 1) + b"\x09\0\0\0" + struct.pack(order + "HH", 0, 0)
    idb = struct.pack(order + "HHI", 1, 0, 0) + tsresol
    blocks = [pcapng_block(order, 0x0A0D0D0A, shb), pcapng_block(order, 1, idb)]
    if odd_block:
        # tshark numbers an unknown block as a frame: only for the comparison with our pcap
        blocks.append(pcapng_block(order, 0xBAD, b"an unknown block is skipped"))
    for secs, usecs, frame in frames:
        ts = secs * 1_000_000_000 + usecs * 1000
        head = struct.pack(order + "IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(frame), len(frame))
        blocks.append(pcapng_block(order, 6, head + frame))
    path.write_bytes(b"".join(blocks))


@pytest.mark.parametrize("order", ["<", ">"])
def test_pcapng_reads_the_same(tmp_path: Path, order: str) -> None:
    source = capture("linux-sack.pcap")
    path = tmp_path / "sack.pcapng"
    write_pcapng(path, read_pcap(source), order)
    ethernet = connections(source)[0].forward
    other = assert_agrees_with_tshark(path)[0].forward
    assert other.segments == ethernet.segments
    assert other.rtt_ack == ethernet.rtt_ack
    write_pcapng(path, read_pcap(source), order, odd_block=True)
    assert connections(path)[0].forward.segments == ethernet.segments
    truncated = tmp_path / "cut.pcapng"
    truncated.write_bytes(path.read_bytes()[:5000])
    one_line_error(run_tcpplot(str(truncated)), "truncated capture", "block")


# -- the stack's own transfer over the lossy loopback -------------------------------------------


@pytest.mark.slow
def test_lossy_loopback_capture_agrees_with_tshark(tmp_path: Path) -> None:
    path = tmp_path / "loopback.pcap"
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "smoltcp.examples.loopback"),
            *("--size", "128K", "--mtu", "1514", "--drop-chance", "5", "--seed", "3"),
            *("--pcap", str(path)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    conns = assert_agrees_with_tshark(path)
    assert conns[0].forward.retransmissions  # the drops made some


# -- kernel to kernel over veth, captured by tcpdump ---------------------------------------------

RECEIVER = """
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.77.0.2", 5001)); s.listen(1); s.settimeout(20)
print("ready", flush=True)
c, _ = s.accept(); c.settimeout(20); n = 0
while True:
    b = c.recv(1 << 16)
    if not b: break
    n += len(b)
print(n, flush=True)
"""

SENDER = """
import socket, sys
c = socket.create_connection(("10.77.0.2", 5001), timeout=20)
c.sendall(bytes(int(sys.argv[1]))); c.shutdown(socket.SHUT_WR); c.recv(1); c.close()
"""


def wait_until_stable(path: Path, rounds: int = 100) -> None:
    """Return once ``path`` has kept its size for three checks 0.2 s apart (at most 20 s)."""
    last, same = -1, 0
    for _ in range(rounds):
        size = path.stat().st_size if path.exists() else 0
        same = same + 1 if size == last else 0
        if same >= 3:
            return
        last = size
        time.sleep(0.2)


@pytest.mark.netns
def test_kernel_transfer_over_veth_agrees_with_tshark(netns, tmp_path: Path) -> None:
    if shutil.which("tcpdump") is None:
        pytest.skip("needs tcpdump (apt-get install tcpdump)")
    need_tshark()
    peer = f"{netns.name}-b"
    made = subprocess.run(["ip", "netns", "add", peer], capture_output=True, timeout=10)
    if made.returncode != 0:
        pytest.skip(f"cannot create a second namespace: {made.stderr.decode().strip()}")
    try:
        netns.ip("link", "add", "v0", "type", "veth", "peer", "name", "v1", "netns", peer)
        netns.ip("addr", "add", "10.77.0.1/24", "dev", "v0")
        netns.ip("link", "set", "v0", "up")
        for args in (("addr", "add", "10.77.0.2/24", "dev", "v1"), ("link", "set", "v1", "up")):
            subprocess.run(["ip", "-n", peer, *args], check=True, timeout=10)
        # A token bucket with a short queue: bursts above the rate are dropped, so the kernel
        # has losses to repair (netem may be missing from the kernel; tbf rarely is).
        shaped = netns.run(
            "tc", "qdisc", "add", "dev", "v0", "root", "tbf",
            "rate", "40mbit", "burst", "16kb", "latency", "2ms",
        )  # fmt: skip
        path = tmp_path / "veth.pcap"
        dump = subprocess.Popen(
            ["ip", "netns", "exec", peer, "tcpdump", "-i", "v1", "-s", "128", "-U", "-n",
             "--immediate-mode",
             "-w", str(path), "tcp port 5001"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert dump.stderr is not None
            ready, _, _ = select.select([dump.stderr], [], [], 20)
            assert ready, "tcpdump said nothing in 20 s"
            line = dump.stderr.readline()  # "listening on v1 ...": the capture has started
            assert "listening" in line, line
            receiver = subprocess.Popen(
                ["ip", "netns", "exec", peer, sys.executable, "-c", RECEIVER],
                stdout=subprocess.PIPE, text=True,
            )  # fmt: skip
            try:
                assert receiver.stdout is not None
                assert receiver.stdout.readline().strip() == "ready"
                size = 4_000_000
                sent = netns.python(SENDER, str(size), timeout=60)
                assert sent.returncode == 0, sent.stderr
                assert receiver.stdout.readline().strip() == str(size)
            finally:
                receiver.kill()
                receiver.wait(10)
        finally:
            # tcpdump may lag behind on a busy machine, and drops what it has not read when
            # interrupted: wait (bounded) until the file stops growing.
            wait_until_stable(path)
            dump.send_signal(signal.SIGINT)
            try:
                dump.wait(10)
            except subprocess.TimeoutExpired:
                dump.kill()
                dump.wait(5)
        conns = assert_agrees_with_tshark(path)
        assert len(conns) == 1
        flow = conns[0].forward
        assert flow.highest == size + 1  # the data run from 1 (drops are not captured)
        print(f"veth: {len(flow.retransmissions)} retransmissions in {len(flow.segments)} segments")
        if shaped.returncode == 0:
            assert flow.retransmissions, "the token bucket dropped nothing"
    finally:
        subprocess.run(["ip", "netns", "del", peer], capture_output=True, timeout=10)


# -- the command: pictures, summary, traces, bad input ------------------------------------------


def run_tcpplot(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "smoltcp.examples.tcpplot", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_pictures_are_real_png_and_svg_of_the_expected_size(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    source = capture("linux-mixed.pcap")
    proc = run_tcpplot(str(source), "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    # The default is the connection with most data (#1 here), both of its directions.
    pngs = sorted(tmp_path.glob("conn1-*.png"))
    assert [p.name for p in pngs] == [
        "conn1-192.168.69.100_52850.png",
        "conn1-192.168.69.1_6970.png",
    ]
    width, height = (round(x * draw.FIGURE_DPI) for x in draw.FIGURE_SIZE_IN)
    for png in pngs:
        assert png_size(png) == (width, height)
    proc = run_tcpplot(str(source), "--out", str(tmp_path), "--format", "svg", "--connection", "0")
    assert proc.returncode == 0, proc.stderr
    (svg,) = tmp_path.glob("conn0-*.svg")
    root = ET.parse(svg).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    width_pt, height_pt = (f"{x * 72:g}pt" for x in draw.FIGURE_SIZE_IN)
    assert (root.get("width"), root.get("height")) == (width_pt, height_pt)
    assert "wrote" in proc.stdout


def test_summary_is_printed_and_names_the_retransmissions() -> None:
    proc = run_tcpplot(str(capture("linux-sack.pcap")), "--out", os.devnull + "-missing")
    # Without matplotlib the summary alone is printed (status 0); with it, the missing output
    # directory is an error, after the summary.
    assert "8 retransmitted (11584 octets: fast_retransmit 4, other 4)" in proc.stdout
    assert "#0   192.168.69.100:58918 <-> 192.168.69.1:6970" in proc.stdout
    assert "RTT by ACK timing" in proc.stdout


def test_without_matplotlib_only_the_summary(monkeypatch, tmp_path: Path, capsys) -> None:
    monkeypatch.setattr(draw, "available", lambda: False)
    status = tcpplot.main([str(capture("linux-sack.pcap")), "--out", str(tmp_path)])
    assert status == 0
    out = capsys.readouterr().out
    assert "matplotlib is not installed" in out and "smoltcp-examples[plot]" in out
    assert "retransmitted" in out
    assert list(tmp_path.iterdir()) == []


def synthetic_trace() -> RingRecorder:
    """A short connection as the stack would record it: one loss repaired by RACK."""
    ring = RingRecorder()
    conn = ring.connection(1_000, "192.168.69.2:49152", "192.168.69.1:1234")
    ring.record(StateChanged(1_000, conn, "CLOSED", "SYN-SENT"))
    ring.record(SegmentSent(1_000, conn, 5000, 0, "S", None, 65535))
    ring.record(AckProcessed(3_000, conn, 5001, 65535))
    ring.record(RttChanged(3_000, conn, 2_000, 2_000, 1_000, 200_000))
    ring.record(CongestionChanged(3_000, conn, 14480, 1 << 31, 0))
    ring.record(StateChanged(3_000, conn, "SYN-SENT", "ESTABLISHED"))
    for i in range(10):
        ring.record(SegmentSent(3_100 + i, conn, 5001 + i * 1448, 1448, "A", 1, 65535))
    ring.record(
        AckProcessed(5_200, conn, 5001 + 1448, 65535, ((5001 + 2 * 1448, 5001 + 10 * 1448),))
    )
    ring.record(LossDecision(5_200, conn, LossAction.MARK_LOST, LossReason.RACK, 6449, 1448))
    ring.record(LossDecision(5_200, conn, LossAction.ENTER_RECOVERY, LossReason.RACK, 6449, 1448))
    ring.record(CongestionChanged(5_200, conn, 10136, 10136, 1448))
    ring.record(SegmentSent(5_300, conn, 6449, 1448, "A", 1, 65535, LossReason.RACK))
    ring.record(AckProcessed(7_300, conn, 5001 + 10 * 1448, 65535))
    ring.record(RttChanged(7_300, conn, 2_100, 2_010, 800, 200_000))
    ring.record(LossDecision(7_300, conn, LossAction.EXIT_RECOVERY, LossReason.RACK, 6449, 0))
    return ring


@pytest.mark.parametrize("form", ["jsonl", "csv"])
def test_a_stack_trace_is_summarised_and_drawn(tmp_path: Path, form: str) -> None:
    ring = synthetic_trace()
    path = tmp_path / f"trace.{form}"
    if form == "jsonl":
        path.write_text("".join(dump_jsonl(ring.records())))
    else:
        path.write_text(dump_csv(ring.records()), newline="")
    proc = run_tcpplot(str(path), "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "trace, 25 records, 1 connection" in proc.stdout
    assert "1 retransmitted (1448 octets: rack 1)" in proc.stdout
    assert "at the end: SRTT 2.010 ms, RTO 200.0 ms" in proc.stdout
    assert "cwnd: max 14480 octets, last 10136" in proc.stdout
    assert "loss decisions: enter_recovery/rack 1, exit_recovery/rack 1, mark_lost/rack 1" in (
        proc.stdout
    )
    if draw.available():
        assert png_size(tmp_path / "conn0-192.168.69.2_49152.png")[0] > 0


def test_trace_series() -> None:
    from smoltcp.examples.tcpplot.tracefile import connections_from_trace

    (conn,) = connections_from_trace(list(synthetic_trace().records()))
    flow = conn.forward
    assert [(s.seq, s.length, s.kind) for s in flow.segments][:2] == [
        (0, 0, "new"),
        (1, 1448, "new"),
    ]
    assert flow.retransmissions[0].seq == 1449 and flow.retransmissions[0].cause == "rack"
    assert flow.sacks == [(0.0042, 2897, 14481)]
    assert flow.acks[-1] == (0.0063, 14481)
    assert flow.srtt[-1] == (0.0063, 0.00201) and flow.rto[-1][1] == 0.2
    assert not flow.in_flight_estimated and flow.in_flight[-1] == (0.0042, 1448)


def one_line_error(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("smoltcp-tcpplot: ")
    for word in words:
        assert word in lines[0], lines[0]


def test_bad_input_is_one_clear_line(tmp_path: Path) -> None:
    source = capture("linux-sack.pcap")
    truncated = tmp_path / "truncated.pcap"
    truncated.write_bytes(source.read_bytes()[:10_000])
    one_line_error(run_tcpplot(str(truncated)), "truncated capture", "record")

    no_tcp = tmp_path / "udp.pcap"
    udp = bytes.fromhex(
        "ffffffffffff020000000001080045000021000040004011f9720a0000010a000002"
        "1f401f40000d000068656c6c6f"
    )
    write_pcap(no_tcp, 1, [(1, 0, udp)])
    one_line_error(run_tcpplot(str(no_tcp)), "no IPv4 TCP segments", "1 frames")

    newer = tmp_path / "newer.jsonl"
    newer.write_text(f'{{"format": "{FORMAT_NAME}", "version": 99}}\n')
    one_line_error(run_tcpplot(str(newer)), "version 99 is newer than this reader")

    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"\x00\x01 not a capture at all" * 4)
    one_line_error(run_tcpplot(str(garbage)), "not a pcap file")

    one_line_error(run_tcpplot(str(tmp_path / "missing.pcap")), "no such file")
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    one_line_error(run_tcpplot(str(empty)), "empty file (neither a pcap capture nor a trace)")
    if draw.available():
        missing = tmp_path / "no-such-dir"
        one_line_error(run_tcpplot(str(source), "--out", str(missing)), "no such directory")
        one_line_error(run_tcpplot(str(source), "--out", str(empty)), "not a directory")
    one_line_error(run_tcpplot(str(source), "--connection", "7"), "no connection 7")


def test_help_names_the_command_and_its_options(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        tcpplot.main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "usage: smoltcp-tcpplot" in text
    for option in ("--connection", "--out", "--format", "png", "svg"):
        assert option in text
    proc = run_tcpplot("--format", "gif", "x.pcap")
    one_line_error(proc, "invalid choice")
    assert proc.returncode == 2
