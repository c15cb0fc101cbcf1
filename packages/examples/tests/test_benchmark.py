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


def _summary(lines: list[str]) -> list[str]:
    # The summary table: its heading, the column names, one row per run (and the medians).
    start = next(i for i, line in enumerate(lines) if line.startswith("summary: "))
    return lines[start:]


def test_request_response_counts_transactions_and_repeats_with_a_median(tap_ns):
    bench = tap_ns.start("benchmark", "tap0", "rr", "--time", "1", "--repeat", "3")
    assert bench.wait(90) == 0, bench.stderr
    lines = bench.stdout.splitlines()
    figures = [line for line in lines if line.startswith("transactions: ")]
    assert len(figures) == 3, lines
    rates = [float(line.split()[1]) for line in figures]
    assert all(rate > 0 for rate in rates), rates
    details = [line for line in lines if " transactions in " in line]
    assert all("1-octet messages (rr, IPv4, IP MTU 1500" in line for line in details), details
    table = _summary(lines)
    assert "load average" in table[0] and "rr, IPv4" in table[0], table
    rows = {row.split()[0]: row.split() for row in table[2:]}
    assert set(rows) == {"1", "2", "3", "median"}, table
    # The median row's figure is the median of the three runs (as printed, rounded).
    assert float(rows["median"][1]) == pytest.approx(sorted(rates)[1], abs=1)
    assert rows["median"][2] == "transactions/s"
    progress = [line for line in bench.stderr.splitlines() if "run 1/3:" in line]
    assert all(" transactions, " in line for line in progress), bench.stderr


def test_connection_rate_counts_connections(tap_ns):
    bench = tap_ns.start("benchmark", "tap0", "connect", "--time", "1", "--message", "10")
    assert bench.wait(90) == 0, bench.stderr
    lines = bench.stdout.splitlines()
    assert lines[0].startswith("connections: ") and lines[0].endswith(" per second"), lines
    count = int(lines[1].split()[0])
    assert count > 1 and "10-octet messages (connect" in lines[1], lines
    # Every connection went through the listener's backlog, and one more: the untimed first
    # connection that waits for the listener to be up.
    assert lines[2].startswith("listener *:1400: ")
    assert f"syns_received={count + 1}," in lines[2], lines[2]


def test_ipv6_moves_the_stream_over_ipv6(tap_ns):
    tap_ns.ip("-6", "addr", "add", "fdaa::100/64", "dev", "tap0", "nodad")
    bench = tap_ns.start("benchmark", "tap0", "writer", "--size", "4M", "--ipv6")
    assert bench.wait(90) == 0, bench.stderr
    lines = bench.stdout.splitlines()
    assert lines[1] == lines[1].replace("IPv4", "") and "(writer, IPv6, " in lines[1], lines
    assert lines[1].startswith(f"{4 << 20} octets in ")
    assert lines[2].startswith("connection [fdaa::1]:1235 <-> [fdaa::100]:"), lines[2]


def test_kernel_side_by_side_over_a_veth_pair_of_its_own(tap_ns):
    def ours() -> set[str]:
        # Other programs may create namespaces meanwhile: only the benchmark's names count.
        names = tap_ns.run("ip", "netns", "list").stdout.split()
        return {name for name in names if name.startswith("smoltcp-bench-")}

    before = ours()
    bench = tap_ns.start("benchmark", "tap0", "reader", "--time", "1", "--kernel")
    assert bench.wait(120) == 0, bench.stderr
    lines = bench.stdout.splitlines()
    side = [line for line in lines if line.startswith("kernel to kernel over veth: ")]
    assert len(side) == 1 and " Gbit/s; this stack: " in side[0], lines
    table = _summary(lines)
    assert table[1].split()[-1] == "ratio", table
    row = table[2].split()
    assert row[0] == "1" and float(row[-1]) > 0, table
    # Its namespaces are gone, and the caller's namespace has no new interface.
    assert ours() == before
    links = tap_ns.run("ip", "-o", "link").stdout
    assert "veth" not in links and "v0" not in links, links


def test_transactional_modes_refuse_size_and_baseline(tap_ns):
    for extra in (["--size", "1M"], ["--baseline"]):
        bench = tap_ns.start("benchmark", "tap0", "rr", *extra)
        assert bench.wait(30) == 2
        assert "only for reader and writer" in bench.stderr, bench.stderr


def test_ctrl_c_in_request_response_prints_the_partial_result(tap_ns):
    # The peer is a process of its own here: it hears of the interrupt and reports its count.
    bench = tap_ns.start("benchmark", "tap0", "rr", "--time", "60")
    deadline = time.monotonic() + 30
    while " transactions, " not in bench.stderr and time.monotonic() < deadline:
        time.sleep(0.1)
    assert " transactions, " in bench.stderr, bench.stderr
    bench.proc.send_signal(signal.SIGINT)
    assert bench.wait(30) == 130
    lines = bench.stdout.splitlines()
    assert lines[0].endswith(" per second (interrupted: partial result)"), lines
    count, _, _, seconds = lines[1].split()[:4]
    assert int(count) > 0 and 0 < float(seconds) < 60, lines
    assert "Traceback" not in bench.stderr


def test_ipv6_reader_moves_the_stream_over_ipv6(tap_ns):
    tap_ns.ip("-6", "addr", "add", "fdaa::100/64", "dev", "tap0", "nodad")
    bench = tap_ns.start("benchmark", "tap0", "reader", "--size", "1M", "--ipv6")
    assert bench.wait(90) == 0, bench.stderr
    lines = bench.stdout.splitlines()
    assert lines[1].startswith(f"{1 << 20} octets in ") and "(reader, IPv6, " in lines[1], lines
    assert lines[2].startswith("connection [fdaa::1]:1234 <-> [fdaa::100]:"), lines[2]


@pytest.mark.parametrize("mode", ["connect", "rr"])
def test_messages_larger_than_a_segment_arrive_whole(tap_ns, mode):
    # The kernel's client reads each 20,000-octet answer in parts (its socket has a time-out,
    # so MSG_WAITALL alone may return early); every answer is read whole.
    bench = tap_ns.start("benchmark", "tap0", mode, "--time", "1", "--message", "20000")
    assert bench.wait(90) == 0, bench.stderr
    lines = bench.stdout.splitlines()
    count = int(lines[1].split()[0])
    assert count >= 1 and "20000-octet messages" in lines[1], lines
