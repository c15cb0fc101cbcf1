"""Offloads by default (``--no-offload`` for plain frames) and the benchmark's ``--ack-stretch``."""

from __future__ import annotations

import pytest

from smoltcp.examples import benchmark


def test_offload_is_on_unless_refused() -> None:
    parser = benchmark.build_parser()
    # None: offloads whenever the kernel grants them (no fault injection asked for).
    assert parser.parse_args(["tap0", "reader"]).offload is None
    assert parser.parse_args(["tap0", "reader", "--no-offload"]).offload is False
    assert parser.parse_args(["tap0", "reader", "--offload"]).offload is True
    with pytest.raises(SystemExit):
        parser.parse_args(["tap0", "reader", "--offload", "--no-offload"])


@pytest.mark.parametrize("mode", ["reader", "writer"])
@pytest.mark.parametrize("offload", [False, True], ids=["plain", "offload"])
def test_benchmark_says_which_mode_it_used(tap_ns, mode, offload):
    # Plain must be asked for; offloads are the default.
    extra = [] if offload else ["--no-offload"]
    bench = tap_ns.start("benchmark", "tap0", mode, "--size", "4M", "--timeout", "60", *extra)
    assert bench.wait(90) == 0, bench.stderr
    lines = bench.stdout.splitlines()
    assert lines[0].startswith("throughput: ") and float(lines[0].split()[1]) > 0
    assert ("no offload," in lines[1]) is not offload
    assert ", offload," in lines[1] or not offload
    assert lines[1].endswith("ACK every second segment)")


def test_ack_stretch_option() -> None:
    parser = benchmark.build_parser()
    assert parser.parse_args(["tap0", "writer"]).ack_stretch is None
    assert parser.parse_args(["tap0", "writer", "--ack-stretch", "rfc"]).ack_stretch is None
    assert parser.parse_args(["tap0", "writer", "--ack-stretch", "16K"]).ack_stretch == 16384
