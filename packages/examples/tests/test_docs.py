"""Every Python code block of the tutorial and of the READMEs runs, and prints what it promises.

A block runs in a fresh namespace that holds the names a reference listing assumes (the typing
names, the stack's and smoltcp.phy's public names, and ``frame``: a TCP frame from the Linux
captures). A block that opens a TAP interface (``TapInterface(``) runs in a network namespace
this test creates, holding ``tap0`` with the kernel's side at 192.168.69.100/24; a block
preceded by ``<!-- docs-test: kernel echo server on port N -->`` finds a kernel TCP server
there that echoes what it receives on port N. A block preceded by
``<!-- docs-test: skip (reason) -->`` is skipped with that reason. ``print(x)  # text`` promises
that the line printed is ``text``, or what comes before a colon in it (``# None: nothing``).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import struct
import subprocess
import sys
import typing
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
DOCUMENTS = [
    ROOT / "docs" / "tutorial.md",
    ROOT / "README.md",
    *sorted((ROOT / "packages").glob("*/README.md")),
]
_BLOCK = re.compile(
    r"(<!-- docs-test: skip \((.*?)\) -->\n)?"
    r"(<!-- docs-test: kernel echo server on port (\d+) -->\n)?```python\n(.*?)```",
    re.S,
)
_PROMISE = re.compile(r"^\s*print\(.*\)\s+# (.*)$", re.M)


def blocks() -> list[tuple[str, str, str | None, int | None]]:
    """Return each block's label, code, reason to skip (or None) and echo port (or None)."""
    found = []
    for path in DOCUMENTS:
        text = path.read_text()
        for number, match in enumerate(_BLOCK.finditer(text), 1):
            line = text[: match.start()].count("\n") + 1
            label = f"{path.relative_to(ROOT)}:{line}#{number}"
            echo = None if match[4] is None else int(match[4])
            found.append((label, match[5], match[2], echo))
    return found


BLOCKS = blocks()


def tcp_frame() -> bytes:
    """Return the first Ethernet/IPv4/TCP frame of the Linux captures."""
    data = (ROOT / "tests" / "data" / "linux-mixed.pcap").read_bytes()
    offset = 24
    while offset < len(data):
        caplen = struct.unpack_from("<I", data, offset + 8)[0]
        frame = data[offset + 16 : offset + 16 + caplen]
        offset += 16 + caplen
        if frame[12:14] == b"\x08\x00" and frame[23] == 6:
            return frame
    raise AssertionError("no TCP frame in the capture")


def namespace() -> dict[str, object]:
    import smoltcp.stack

    names: dict[str, object] = {"__name__": "docs"}
    names.update({name: getattr(typing, name) for name in typing.__all__})
    names.update({name: getattr(smoltcp.stack, name) for name in smoltcp.stack.__all__})
    names["frame"] = tcp_frame()
    exec(PHY_NAMES, names)
    return names


PHY_NAMES = "from smoltcp.phy import *  # noqa: F403\n"


# A kernel TCP server that echoes each connection's octets back until the peer closes, one
# connection at a time; it prints "ready" once listening.
_ECHO = """
import socket, sys
server = socket.create_server(("0.0.0.0", int(sys.argv[1])))
print("ready", flush=True)
while True:
    conn, _ = server.accept()
    with conn:
        while data := conn.recv(65536):
            conn.sendall(data)
"""


def start_echo_server(ns, port: int) -> None:
    """Start `_ECHO` on ``port`` in namespace ``ns`` (stopped with it); wait until it listens."""
    proc = subprocess.Popen(
        ["ip", "netns", "exec", ns.name, sys.executable, "-c", _ECHO, str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    ns.procs.append(proc)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"


def check_promises(code: str, printed: str) -> None:
    promises = [m.strip() for m in _PROMISE.findall(code)]
    lines = printed.splitlines()
    assert len(lines) >= len(promises), (lines, promises)
    for promise, line in zip(promises, lines[-len(promises) :] if promises else [], strict=True):
        assert promise == line or promise.startswith(line + ":"), (promise, line)


def test_the_documents_hold_blocks():
    names = [label for label, _, _, _ in BLOCKS]
    assert sum("tutorial.md" in n for n in names) >= 3, names
    assert any("stack/README.md" in n for n in names), names


@pytest.mark.parametrize(
    ("code", "skip"),
    [pytest.param(c, s, id=label) for label, c, s, _ in BLOCKS if "TapInterface(" not in c],
)
def test_a_block_runs_in_memory(code, skip, tmp_path, monkeypatch):
    if skip:
        pytest.skip(skip)
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<docs>", "exec"), namespace())
    check_promises(code, out.getvalue())


@pytest.mark.netns
@pytest.mark.parametrize(
    ("code", "skip", "echo"),
    [pytest.param(c, s, e, id=label) for label, c, s, e in BLOCKS if "TapInterface(" in c],
)
def test_a_block_runs_against_a_tap_interface_in_a_namespace(code, skip, echo, tap_ns, tmp_path):
    if skip:
        pytest.skip(skip)
    if echo is not None:
        start_echo_server(tap_ns, echo)
    proc = subprocess.run(
        # A one-line listing of devices assumes smoltcp.phy's names.
        ["ip", "netns", "exec", tap_ns.name, sys.executable, "-c", PHY_NAMES + code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert proc.returncode == 0, proc.stderr
    check_promises(code, proc.stdout)
