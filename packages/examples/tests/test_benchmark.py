"""smoltcp-benchmark runs for a time, shows progress, keeps its partial result on Ctrl-C,
prints the kernel-to-kernel figure beside its own, the connection's TCP statistics, and writes
the TCP event trace."""

from __future__ import annotations

import signal
import time

import pytest

from smoltcp.stack.tcp.trace import SegmentSent, load_csv

pytestmark = pytest.mark.netns


def test_a_timed_run_shows_progress_and_a_baseline(tap_ns, tmp_path):
    trace = tmp_path / "bench.csv"
    bench = tap_ns.start(
        "benchmark", "tap0", "writer", "--time", "2", "--baseline", "--trace", str(trace)
    )
    assert bench.wait(90) == 0, bench.stderr
    lines = bench.stdout.splitlines()
    summary = [line for line in lines if line.startswith("connection 192.168.69.1:1235 <-> ")]
    assert len(summary) == 1, lines
    for part in ("retransmissions ", "srtt ", "cwnd ", "limited by the peer's window"):
        assert part in summary[0], summary
    records = load_csv(trace.read_text())
    assert any(isinstance(r, SegmentSent) for r in records)
    assert any(line.startswith(f"trace: {len(records)} records written to ") for line in lines)
    assert lines[0].startswith("throughput: ") and lines[0].endswith(" Gbps"), lines
    assert float(lines[0].split()[1]) > 0
    assert lines[-1].startswith("kernel to kernel: "), lines
    assert lines[-1].split()[-3] != "0.00" or float(lines[0].split()[1]) < 0.01
    progress = [line for line in bench.stderr.splitlines() if " octets " in line]
    assert progress, bench.stderr  # a line a second while it ran


def test_ctrl_c_prints_the_partial_result(tap_ns):
    bench = tap_ns.start("benchmark", "tap0", "reader", "--time", "60")
    deadline = time.monotonic() + 30
    while " octets " not in bench.stderr and time.monotonic() < deadline:
        time.sleep(0.1)
    assert " octets " in bench.stderr, bench.stderr
    bench.proc.send_signal(signal.SIGINT)
    assert bench.wait(30) == 130
    out = bench.stdout
    assert "(interrupted: partial result)" in out, out
    moved = int(out.splitlines()[1].split()[0])
    assert moved > 0
    assert "Traceback" not in bench.stderr
