"""smoltcp-benchmark runs for a time, shows progress, keeps its partial result on Ctrl-C, and
prints the kernel-to-kernel figure beside its own."""

from __future__ import annotations

import signal
import time

import pytest

pytestmark = pytest.mark.netns


def test_a_timed_run_shows_progress_and_a_baseline(tap_ns):
    bench = tap_ns.start("benchmark", "tap0", "writer", "--time", "2", "--baseline")
    assert bench.wait(90) == 0, bench.stderr
    lines = bench.stdout.splitlines()
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
