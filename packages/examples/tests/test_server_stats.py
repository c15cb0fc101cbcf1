"""smoltcp-server lists its live TCP connections on SIGUSR1, one ``ss -ti``-style line each
(the report itself is tested in process in test_tcpinfo.py)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time

import pytest

SERVER_ADDR = "192.168.69.1"
KERNEL_ADDR = "192.168.69.100"

# Runs in the namespace: holds a connection to the reverser (6970) open for a while.
HOLD = r"""
import socket, sys, time
with socket.create_connection((sys.argv[1], 6970), timeout=10) as s:
    s.sendall(b"abc\n")
    assert s.recv(100) == b"cba\n"
    print("connected", flush=True)
    time.sleep(float(sys.argv[2]))
"""


@pytest.mark.netns
def test_sigusr1_lists_a_live_kernel_connection(tap_ns) -> None:
    server = tap_ns.start("server", "tap0")
    deadline = time.monotonic() + 30
    while "Ctrl-C" not in server.stderr and server.proc.poll() is None:
        assert time.monotonic() < deadline, server.stderr
        time.sleep(0.05)
    hold = tap_ns.popen(
        sys.executable, "-c", HOLD, SERVER_ADDR, "20", stdout=subprocess.PIPE, text=True
    )
    assert hold.stdout is not None
    assert hold.stdout.readline().strip() == "connected"
    server.proc.send_signal(signal.SIGUSR1)
    pattern = re.compile(
        rf"^ESTABLISHED \d+ \d+ {re.escape(SERVER_ADDR)}:6970 {re.escape(KERNEL_ADDR)}:\d+ "
        r"cubic wscale:\d+,\d+ rto:[0-9.]+ rtt:[0-9.]+/[0-9.]+ .*bytes_received:4 .*"
        r"lastsnd:[0-9.]+ lastrcv:[0-9.]+$",
        re.MULTILINE,
    )
    deadline = time.monotonic() + 10
    while not pattern.search(server.stdout):
        assert time.monotonic() < deadline, server.stdout + server.stderr
        time.sleep(0.05)
    assert re.search(r"^\d+ TCP connection\(s\) at ", server.stdout, re.MULTILINE)
    assert server.proc.poll() is None, "the server keeps running after the report"
    hold.kill()
    hold.wait(5)
