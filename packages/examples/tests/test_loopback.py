"""smoltcp-loopback: a verified TCP transfer in memory, and a capture tshark dissects cleanly."""

from __future__ import annotations

import hashlib
import random
import re
import shutil
import subprocess
import sys

import pytest

from smoltcp.stack.tcp.trace import LossDecision, SegmentSent, load_csv, load_jsonl


def run_loopback(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "smoltcp.examples.loopback", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def digest_line(out: str, word: str) -> list[str]:
    return next(line.split() for line in out.splitlines() if line.startswith(word))


def test_transfer_is_verified_and_shows_handshake_and_close(tmp_path):
    proc = run_loopback("--size", "200K", "--seed", "3")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    sent = digest_line(out, "sent")
    received = digest_line(out, "received")
    expected = hashlib.sha256(random.Random(3).randbytes(200 * 1024)).hexdigest()
    assert sent[1] == received[1] == str(200 * 1024)
    assert sent[4] == received[4] == expected
    assert received[-1] == "OK"
    assert "Mbit/s" in out
    # The frames shown: the handshake first, the close last.
    lines = [line for line in out.splitlines() if "ms " in line]
    tcp = [line.split("TCP ", 1)[1].split() for line in lines if "TCP " in line]
    assert "syn" in tcp[0] and "ack" not in tcp[0]
    assert "syn" in tcp[1] and "ack" in tcp[1]
    assert sum("fin" in flags for flags in tcp[-6:]) == 2


def test_transfer_survives_loss_and_corruption():
    # A fixed seed: the run repeats (without one the faults differ every run).
    proc = run_loopback(
        "--size", "64K", "--drop-chance", "10", "--corrupt-chance", "10", "--seed", "1"
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert digest_line(proc.stdout, "received")[-1] == "OK"


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_pcap_is_dissected_by_tshark_without_malformed_frames(tmp_path):
    pcap = tmp_path / "loopback.pcap"
    proc = run_loopback("--size", "128K", "--pcap", str(pcap))
    assert proc.returncode == 0, proc.stderr
    fields = subprocess.run(
        [
            "tshark",
            "-r",
            str(pcap),
            "-T",
            "fields",
            "-e",
            "tcp.flags.syn",
            "-e",
            "tcp.flags.fin",
            "-e",
            "tcp.flags.reset",
            "-e",
            "tcp.len",
            "-e",
            "_ws.malformed",
            "-e",
            "_ws.expert.severity",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert fields.returncode == 0, fields.stderr
    rows = [line.split("\t") for line in fields.stdout.splitlines()]
    assert rows, "empty capture"
    syn = sum(1 for r in rows if r[0] in ("1", "True"))
    fin = sum(1 for r in rows if r[1] in ("1", "True"))
    rst = sum(1 for r in rows if r[2] in ("1", "True"))
    data = sum(int(r[3] or 0) for r in rows)
    assert syn == 2, "SYN and SYN-ACK"
    assert fin == 2, "one FIN each way"
    assert rst == 0
    assert data == 128 * 1024, "each octet once: the capture records transmitted frames only"
    assert not any(r[4] for r in rows), "tshark found a malformed frame"
    # The whole file dissects with no error-level expert info (bad checksums, malformed).
    errors = subprocess.run(
        ["tshark", "-r", str(pcap), "-Y", "_ws.malformed || _ws.expert.severity == error"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert errors.returncode == 0 and errors.stdout.strip() == "", errors.stdout


def test_a_smaller_mtu_makes_smaller_segments():
    proc = run_loopback("--mtu", "1514", "--size", "100K", "--frames", "200")
    assert proc.returncode == 0, proc.stderr
    # Segments by sequence number: on a loaded machine the real clock can make a retransmission,
    # which must not count twice.
    segments = {}
    for line in proc.stdout.splitlines():
        words = dict(w.split("=", 1) for w in line.split() if w.startswith(("seq=", "len=")))
        if "len" in words:
            segments[int(words["seq"])] = int(words["len"])
    lengths = list(segments.values())
    assert lengths and max(lengths) <= 1448 and sum(lengths) == 100 * 1024
    assert digest_line(proc.stdout, "received")[-1] == "OK"


def test_an_impossible_mtu_is_a_one_line_error():
    proc = run_loopback("--mtu", "100")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "smoltcp-loopback: error: argument --mtu: bad MTU '100' (want 256 to 65535) (see --help)"
    ]


def test_a_capture_limit_rotates_files_and_the_snaplen_cuts_frames(tmp_path):
    pcap = tmp_path / "cap.pcap"
    proc = run_loopback(
        "--size", "1M", "--mtu", "1514", "--seed", "1", "--pcap", str(pcap),
        "--pcap-limit", "16K", "--pcap-files", "3", "--pcap-snaplen", "128",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["cap.pcap", "cap.pcap.1", "cap.pcap.2"], names
    for path in tmp_path.iterdir():
        data = path.read_bytes()
        assert len(data) <= 16 * 1024
        assert int.from_bytes(data[16:20], "little") == 128  # the snap length in the header


def test_both_ends_retransmissions_and_the_whole_exchange_are_reported():
    proc = run_loopback("--size", "64K", "--seed", "2")
    assert proc.returncode == 0, proc.stderr
    last = next(line for line in proc.stdout.splitlines() if "whole exchange" in line)
    assert "whole exchange, handshake to close:" in last
    assert "retransmitted: client " in last and ", server " in last


@pytest.mark.parametrize("name", ["lossy.jsonl", "lossy.csv"])
def test_a_lossy_transfer_prints_both_ends_statistics_and_writes_a_trace(tmp_path, name):
    trace = tmp_path / name
    proc = run_loopback(
        *("--size", "128K", "--mtu", "1514", "--drop-chance", "5", "--seed", "4"),
        *("--frames", "0", "--trace", str(trace)),
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    totals = next(line for line in lines if "whole exchange" in line)
    retransmitted = int(re.search(r"retransmitted: client (\d+)", totals).group(1))
    client = next(line for line in lines if line.startswith("client 192.168.69.2:49152: "))
    server = next(line for line in lines if line.startswith("server 192.168.69.1:1234: "))
    assert f"retransmissions {retransmitted} (rto " in client
    assert client.split(": ", 1)[1].startswith(f"{128 * 1024} octets sent, 0 received")
    assert f"0 octets sent, {128 * 1024} received" in server
    for part in ("srtt ", "cubic cwnd ", "limited by the peer's window", "by cwnd"):
        assert part in client
    text = trace.read_text()
    records = load_csv(text) if name.endswith(".csv") else load_jsonl(text)
    assert f"trace: {len(records)} records written to {trace}" in proc.stdout
    # The client's connection is the first the trace numbered (it opens first).
    resent = [r for r in records if isinstance(r, SegmentSent) and r.retransmit and r.conn == 0]
    assert len(resent) == retransmitted > 0  # the seed loses something
    assert any(isinstance(r, LossDecision) for r in records)
    # smoltcp-tcpplot reads the file: the summary at least (pictures when matplotlib is there).
    plot = subprocess.run(
        [sys.executable, "-m", "smoltcp.examples.tcpplot", str(trace), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert plot.returncode == 0, plot.stderr
    assert f"trace, {len(records)} records, 2 connections" in plot.stdout
    assert f"{retransmitted} retransmitted" in plot.stdout
