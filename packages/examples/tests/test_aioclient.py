"""smoltcp-aioclient (smoltcp-client on asyncio) against a kernel listener over tap0."""

from __future__ import annotations

import subprocess
import sys

import pytest

KERNEL_ADDR = "192.168.69.100"

# Runs in the namespace: a kernel listener that says two lines and prints the answers.
LISTENER = r"""
import socket, sys
srv = socket.create_server((sys.argv[1], 1234))
srv.settimeout(30)
print("listening", flush=True)
conn, peer = srv.accept()
conn.settimeout(20)
conn.sendall(b"hello world\nsmoltcp\n")
data = b""
while data.count(b"\n") < 2:
    chunk = conn.recv(1024)
    if not chunk:
        break
    data += chunk
conn.close()
print(repr(data), peer[0], flush=True)
"""


@pytest.mark.netns
def test_aioclient_talks_to_a_kernel_listener(tap_ns) -> None:
    listener = tap_ns.popen(
        sys.executable, "-c", LISTENER, KERNEL_ADDR, stdout=subprocess.PIPE, text=True
    )
    assert listener.stdout is not None
    assert listener.stdout.readline().strip() == "listening"
    client = tap_ns.start("aioclient", "tap0", KERNEL_ADDR, "1234")
    assert client.wait(30) == 0, client.stderr
    out = listener.stdout.read()
    assert out.split() == ["b'dlrow", "olleh\\npctloms\\n'", "192.168.69.2"]
    assert (
        client.stderr.splitlines()[-1]
        == f"smoltcp-aioclient: connection to {KERNEL_ADDR}:1234 closed"
    )


@pytest.mark.netns
def test_aioclient_reports_refused_and_unreachable_in_one_line(tap_ns) -> None:
    refused = tap_ns.start("aioclient", "tap0", KERNEL_ADDR, "1")
    assert refused.wait(30) == 1
    assert refused.stderr.strip().splitlines() == [
        f"smoltcp-aioclient: cannot connect to {KERNEL_ADDR}:1: connection refused"
    ]
    nobody = tap_ns.start("aioclient", "tap0", "192.168.69.50", "80", "--timeout", "2")
    assert nobody.wait(30) == 1
    lines = nobody.stderr.strip().splitlines()
    assert len(lines) == 1 and "no answer" in lines[0], lines


def test_help_and_one_line_errors(capsys) -> None:
    from smoltcp.examples.aioclient import main

    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    assert "usage: smoltcp-aioclient" in capsys.readouterr().out
    proc = subprocess.run(
        [sys.executable, "-m", "smoltcp.examples.aioclient", "tap0", "192.168.69.300", "80"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("smoltcp-aioclient: error: ")
    assert "bad IP address" in proc.stderr
