"""smoltcp-httpserver against curl: the server runs on the stack over tap0, curl on the kernel.

Each test creates its own namespace (see conftest.py): the kernel is 192.168.69.100 on tap0,
the stack 192.168.69.1. Downloads are checked by SHA-256; the server's request log tells how
many connections carried the requests.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from smoltcp.examples.httpserver import build_parser, generated, parse_head

BASE = "http://192.168.69.1:8080"


def curl_skip_reason() -> str | None:
    return None if shutil.which("curl") else "needs curl (apt-get install curl)"


def start(tap_ns, *args: str):
    reason = curl_skip_reason()
    if reason:
        pytest.skip(reason)
    server = tap_ns.start("httpserver", "tap0", *args)
    deadline = time.monotonic() + 20
    while "listening on" not in server.stdout:
        assert server.proc.poll() is None, server.stderr
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    return server


def log_lines(server, count: int, timeout: float = 20) -> list[str]:
    """Wait (bounded) for ``count`` request lines in the server's log and return them."""
    deadline = time.monotonic() + timeout
    while True:
        lines = [line for line in server.stdout.splitlines() if not line.startswith("listening")]
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def peers(lines: list[str]) -> set[str]:
    return {line.split(" ", 1)[0] for line in lines}


@pytest.fixture
def files(tmp_path: Path) -> Path:
    root = tmp_path / "www"
    root.mkdir()
    for name, size in [("1k", 1024), ("64k", 65536), ("1m", 1 << 20), ("16m", 16 << 20)]:
        (root / name).write_bytes(os.urandom(size))
    return root


def fetch(tap_ns, tmp_path: Path, url: str, timeout: float = 120) -> bytes:
    out = tmp_path / "download"
    result = tap_ns.run(
        "curl",
        "-s",
        "-f",
        "--max-time",
        str(int(timeout)),
        "-o",
        str(out),
        url,
        timeout=timeout + 10,
    )
    assert result.returncode == 0, result.stderr
    return out.read_bytes()


@pytest.mark.netns
@pytest.mark.parametrize("name", ["1k", "64k", "1m", "16m"])
def test_curl_fetches_files(tap_ns, tmp_path, files, name) -> None:
    server = start(tap_ns, "--root", str(files))
    data = fetch(tap_ns, tmp_path, f"{BASE}/{name}")
    expected = (files / name).read_bytes()
    assert hashlib.sha256(data).hexdigest() == hashlib.sha256(expected).hexdigest()
    assert server.proc.poll() is None


@pytest.mark.netns
@pytest.mark.slow
def test_curl_fetches_64_mib(tap_ns, tmp_path) -> None:
    root = tmp_path / "big"
    root.mkdir()
    content = os.urandom(64 << 20)
    (root / "64m").write_bytes(content)
    start(tap_ns, "--root", str(root), "--quiet")
    data = fetch(tap_ns, tmp_path, f"{BASE}/64m", timeout=300)
    assert len(data) == len(content)
    assert hashlib.sha256(data).digest() == hashlib.sha256(content).digest()


@pytest.mark.netns
def test_generated_content_head_and_errors(tap_ns, tmp_path, files) -> None:
    start(tap_ns, "--root", str(files))
    data = fetch(tap_ns, tmp_path, f"{BASE}/bytes/300000")
    assert data == generated(300000)
    head = tap_ns.run("curl", "-s", "-I", f"{BASE}/bytes/12345", timeout=30)
    assert head.returncode == 0
    assert "HTTP/1.1 200 OK" in head.stdout
    assert "Content-Length: 12345" in head.stdout
    for path, status in [("/missing", "404"), ("/../../etc/passwd", "404"), ("/", "404")]:
        result = tap_ns.run(
            "curl", "-s", "--path-as-is", "-o", "/dev/null", "-w", "%{http_code}", BASE + path
        )
        assert result.stdout == status, (path, result.stderr)
    post = tap_ns.run("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-d", "x=1", BASE)
    assert post.stdout == "405"


@pytest.mark.netns
@pytest.mark.parametrize("keep_alive", [True, False])
def test_200_requests_in_a_row(tap_ns, keep_alive) -> None:
    server = start(tap_ns)
    args: list[str] = []
    for i in range(200):
        args += ["-o", "/dev/null", f"{BASE}/bytes/{100 + i}"]
    extra = [] if keep_alive else ["-H", "Connection: close"]
    result = tap_ns.run(
        "curl", "-s", "-f", *extra, "-w", "%{http_code} %{size_download}\n", *args, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"200 {100 + i}" for i in range(200)]
    logged = log_lines(server, 200)
    assert len(logged) == 200
    # Keep-alive: one connection carried them all; without it, one connection per request.
    assert len(peers(logged)) == (1 if keep_alive else 200)


@pytest.mark.netns
def test_50_concurrent_clients(tap_ns) -> None:
    server = start(tap_ns)
    args: list[str] = []
    for i in range(50):
        args += ["-o", "/dev/null", f"{BASE}/bytes/{200_000 + i}"]
    result = tap_ns.run(
        "curl",
        "-s",
        "-f",
        "--parallel",
        "--parallel-immediate",
        "--parallel-max",
        "50",
        "-w",
        "%{http_code} %{size_download}\n",
        *args,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    got = sorted(result.stdout.splitlines())
    assert got == sorted(f"200 {200_000 + i}" for i in range(50))
    logged = log_lines(server, 50)
    assert len(logged) == 50
    assert len(peers(logged)) > 1  # served over several connections at once


@pytest.mark.netns
def test_interrupt_stops_the_server_even_with_an_idle_connection(tap_ns) -> None:
    server = start(tap_ns)
    # A kernel client that makes one request and then keeps its connection open.
    idle = tap_ns.popen(
        sys.executable,
        "-c",
        "import socket, time\n"
        "s = socket.create_connection(('192.168.69.1', 8080))\n"
        "s.sendall(b'GET /bytes/10 HTTP/1.1\\r\\n\\r\\n')\n"
        "print(len(s.recv(1000)), flush=True)\n"
        "time.sleep(60)\n",
        stdout=subprocess.PIPE,
        text=True,
    )
    assert idle.stdout is not None
    assert int(idle.stdout.readline()) > 10
    assert server.stop() == 130


# -- without a network ----------------------------------------------------------------------------


def test_parse_head() -> None:
    request = parse_head(b"GET /x HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n")
    assert (request.method, request.target, request.version) == ("GET", "/x", "HTTP/1.1")
    assert request.headers["host"] == "a"
    assert not request.keep_alive()
    assert parse_head(b"GET / HTTP/1.1\r\n\r\n").keep_alive()
    assert not parse_head(b"GET / HTTP/1.0\r\n\r\n").keep_alive()
    assert parse_head(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive()
    for bad in (b"GET /\r\n\r\n", b"GET / HTTP/1.1\r\nno colon\r\n\r\n", b"HELLO\r\n\r\n"):
        with pytest.raises(Exception) as info:
            parse_head(bad)
        assert getattr(info.value, "status", None) == 400


def test_generated_content() -> None:
    assert generated(0) == b""
    assert generated(300) == bytes(range(256)) + bytes(range(44))
    assert len(generated(1 << 20)) == 1 << 20


def test_parser_defaults() -> None:
    args = build_parser().parse_args(["tap0"])
    assert args.port == 8080
    assert str(args.address) == "192.168.69.1/24"
    assert args.root is None


@pytest.mark.parametrize("value", ["x", "fd00::1", "192.168.69.1/24"])
def test_a_bad_gateway_is_refused_at_parsing(value, capsys) -> None:
    # It was taken as text and parsed when the interface was made: a traceback.
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["tap0", "--gateway", value])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--gateway" in err and "bad" in err


def test_no_gateway() -> None:
    assert build_parser().parse_args(["tap0", "--gateway", "none"]).gateway is None


# -- the server on the in-memory loopback, a stream client of the same stack --------------------


def serve_in_memory(root: Path | None, requests: bytes, *, eof: bool = True) -> bytes:
    """Send ``requests`` to an `HttpServer` over the loopback; return all the answer octets."""
    import asyncio

    from smoltcp.examples.httpserver import HttpServer
    from smoltcp.phy import Loopback
    from smoltcp.phy.aio import Runtime
    from smoltcp.stack.iface import Config, Interface
    from smoltcp.stack.time import Instant
    from smoltcp.wire import EthernetAddress, IpCidr

    async def main() -> bytes:
        device = Loopback()
        config = Config(hardware_addr=EthernetAddress.parse("02-00-00-00-00-01"))
        iface = Interface(config, device, Instant(0))
        iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("192.168.69.1/24")))
        app = HttpServer(root, quiet=True)
        async with Runtime(iface, device) as rt:
            server = await rt.start_server(app.handle, None, 8080)
            reader, writer = await rt.open_connection("192.168.69.1", 8080)
            writer.write(requests)
            if eof:
                writer.write_eof()
            answer = await reader.read(-1)
            writer.close()
            server.close()
            await server.wait_closed()
            return answer

    return asyncio.run(asyncio.wait_for(main(), 30))


def test_pipelined_keep_alive_in_memory(tmp_path) -> None:
    (tmp_path / "hello.txt").write_bytes(b"hello world")
    requests = (
        b"GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n"
        b"HEAD /bytes/5 HTTP/1.1\r\nHost: x\r\n\r\n"
        b"POST /bytes/3 HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody"
        b"GET /bytes/3 HTTP/1.1\r\nConnection: close\r\n\r\n"
        b"GET /never HTTP/1.1\r\n\r\n"
    )
    answer = serve_in_memory(tmp_path, requests, eof=False)
    parts = answer.split(b"HTTP/1.1 ")[1:]
    assert [p.split(b"\r\n", 1)[0] for p in parts] == [
        b"200 OK",
        b"200 OK",
        b"405 Method Not Allowed",
        b"200 OK",
    ]
    assert parts[0].endswith(b"\r\n\r\nhello world")
    assert b"Content-Length: 5" in parts[1] and parts[1].endswith(b"\r\n\r\n")
    assert parts[3].endswith(b"Connection: close\r\n\r\n" + generated(3))


def test_bad_and_oversized_requests_in_memory() -> None:
    assert serve_in_memory(None, b"NONSENSE\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    huge = b"GET / HTTP/1.1\r\nX: " + b"a" * 20000 + b"\r\n\r\n"
    assert serve_in_memory(None, huge).startswith(b"HTTP/1.1 431 ")
    chunked = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    assert serve_in_memory(None, chunked).startswith(b"HTTP/1.1 501 ")
    assert serve_in_memory(None, b"GET / HTTP/1.1\r\n").startswith(b"HTTP/1.1 400 ")  # truncated


def test_help_and_one_line_errors() -> None:
    from smoltcp.examples.httpserver import main

    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    for args, words in [
        (["tap0", "--port", "0"], "bad port"),
        (["tap0", "--root", "/nonexistent-dir"], "not a directory"),
        (["no-such-iface0"], "smoltcp-httpserver: "),
    ]:
        proc = subprocess.run(
            [sys.executable, "-m", "smoltcp.examples.httpserver", *args],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert proc.returncode != 0
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0], proc.stderr
