"""smoltcp-relay between real peers: curl and UDP through a TUN device to a kernel server.

Three namespaces, all made by the test: the client (C) routes 172.31.0.0/24 and 192.0.2.0/24
into ``rtun0``; the relay runs in R, where it opened ``rtun0`` before the device was moved
into C, and reaches the server namespace (S, 172.31.0.2) over a veth pair. So the client's
packets arrive on the relay's TUN device, and the relay's kernel sockets leave from R.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from smoltcp.examples.relay import Policy, build_parser

from .conftest import Netns, netns_skip_reason

SERVER = "172.31.0.2"
SERVER6 = "fd31::2"
RELAY_SIDE = "172.31.0.1"
CLIENT = "10.99.0.2"
FILES = {"1k": 1024, "64k": 65536, "1m": 1 << 20, "8m": 8 << 20}

UDP_CLIENT = r"""
import socket, sys
out = []
family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
for port in (9000, 9001):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.connect((sys.argv[1], port))  # a connected socket takes answers from there only
    for i in range(3):
        s.send(b"ping %d %d" % (port, i))
        data, addr = s.recvfrom(2048)
        out.append(f"{addr[0]} {addr[1]} {data.decode()}")
    s.close()
print("\n".join(out))
"""

UDP_ECHO = r"""
import selectors, socket, sys, time
sel = selectors.DefaultSelector()
for host in sys.argv[1:]:
    for port in (9000, 9001):
        s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((host, port))
        sel.register(s, selectors.EVENT_READ)
print("ready", flush=True)
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    for key, _ in sel.select(1):
        data, addr = key.fileobj.recvfrom(2048)
        key.fileobj.sendto(b"echo " + data, addr)
"""


def wait_for(what: str, check, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def three_ns(tmp_path: Path) -> Iterator[tuple[Netns, Netns, Netns]]:
    reason = netns_skip_reason() or (None if shutil.which("curl") else "needs curl")
    if reason:
        pytest.skip(reason)
    made: list[Netns] = []
    try:
        for _ in range(3):
            ns = Netns(tmp_path)
            subprocess.run(["ip", "netns", "add", ns.name], check=True, timeout=10)
            made.append(ns)
            ns.ip("link", "set", "lo", "up")
        yield made[0], made[1], made[2]
    finally:
        for ns in made:
            ns.close()


@pytest.mark.netns
def test_curl_and_udp_through_the_relay(three_ns, tmp_path: Path) -> None:
    client, relay_ns, server = three_ns
    # R <-> S over a veth pair.
    relay_ns.ip("link", "add", "vr", "type", "veth", "peer", "name", "vs", "netns", server.name)
    relay_ns.ip("addr", "add", f"{RELAY_SIDE}/24", "dev", "vr")
    relay_ns.ip("link", "set", "vr", "up")
    server.ip("addr", "add", f"{SERVER}/24", "dev", "vs")
    server.ip("link", "set", "vs", "up")
    relay_ns.ip("-6", "addr", "add", "fd31::1/64", "dev", "vr", "nodad")
    server.ip("-6", "addr", "add", f"{SERVER6}/64", "dev", "vs", "nodad")
    # The relay opens rtun0 in R; then the device moves to C (the relay keeps its descriptor).
    relay_ns.ip("tuntap", "add", "dev", "rtun0", "mode", "tun")
    relay = relay_ns.start(
        "relay", "rtun0", "--tun", "--seed", "1", "--address6", "fd99::1/64",
        "--allow", "172.31.0.0/24", "--allow", "fd31::/64",
        "--max-connections", "8", "--idle-timeout", "30",
    )  # fmt: skip
    wait_for("the relay", lambda: "relaying from" in relay.stdout or relay.proc.poll() is not None)
    assert relay.proc.poll() is None, relay.stderr
    relay_ns.ip("link", "set", "rtun0", "netns", client.name)
    client.ip("addr", "add", f"{CLIENT}/24", "dev", "rtun0")
    client.ip("link", "set", "rtun0", "up")
    client.ip("route", "add", "172.31.0.0/24", "dev", "rtun0")
    client.ip("route", "add", "192.0.2.0/24", "dev", "rtun0")
    client.ip("-6", "addr", "add", "fd99::2/64", "dev", "rtun0", "nodad")
    client.ip("-6", "route", "add", "fd31::/64", "dev", "rtun0")
    # The kernel's HTTP server and UDP echo in S.
    root = tmp_path / "www"
    root.mkdir()
    digests = {}
    for name, size in FILES.items():
        data = os.urandom(size)
        (root / name).write_bytes(data)
        digests[name] = hashlib.sha256(data).hexdigest()
    http = server.popen(
        sys.executable, "-m", "http.server", "8000", "--bind", "::", "--directory", str(root),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    echo_out = tmp_path / "echo.out"
    with open(echo_out, "wb") as sink:  # the child keeps its own descriptor
        server.popen(sys.executable, "-c", UDP_ECHO, SERVER, SERVER6, stdout=sink)
    wait_for("the UDP echo", lambda: b"ready" in echo_out.read_bytes())

    def http_up() -> bool:
        probe = server.run("curl", "-s", "-o", "/dev/null", f"http://{SERVER}:8000/1k", timeout=10)
        return probe.returncode == 0 or http.poll() is not None

    wait_for("the HTTP server", http_up)

    # Files through the relay, checked by SHA-256.
    for name in FILES:
        out = tmp_path / f"got-{name}"
        result = client.run(
            "curl", "-s", "-f", "--max-time", "60", "-o", str(out),
            f"http://{SERVER}:8000/{name}", timeout=70,
        )  # fmt: skip
        assert result.returncode == 0, (name, result.stderr, relay.stdout, relay.stderr)
        assert hashlib.sha256(out.read_bytes()).hexdigest() == digests[name]

    # 20 clients at once through a relay that serves 8 at a time: the rest wait, all arrive.
    urls: list[str] = []
    for i in range(20):
        urls += ["-o", str(tmp_path / f"par-{i}"), f"http://{SERVER}:8000/64k"]
    result = client.run(
        "curl", "-s", "-f", "--parallel", "--parallel-max", "20", "--max-time", "60", *urls,
        timeout=70,
    )  # fmt: skip
    assert result.returncode == 0, (result.stderr, relay.stdout)
    for i in range(20):
        assert hashlib.sha256((tmp_path / f"par-{i}").read_bytes()).hexdigest() == digests["64k"]

    # And over IPv6.
    out = tmp_path / "got-1m-v6"
    result = client.run(
        "curl", "-s", "-f", "-g", "--max-time", "60", "-o", str(out),
        f"http://[{SERVER6}]:8000/1m", timeout=70,
    )  # fmt: skip
    assert result.returncode == 0, (result.stderr, relay.stdout, relay.stderr)
    assert hashlib.sha256(out.read_bytes()).hexdigest() == digests["1m"]

    # UDP: the answers come from the address and port the client sent to.
    for host in (SERVER, SERVER6):
        result = client.python(UDP_CLIENT, host, timeout=30)
        assert result.returncode == 0, (result.stderr, relay.stdout)
        assert result.stdout.splitlines() == [
            f"{host} {port} echo ping {port} {i}" for port in (9000, 9001) for i in range(3)
        ]

    # Refused: a destination outside --allow, and the clients' own subnet; and a closed port
    # on the server (the relay's kernel connection fails: the client gets a reset).
    for url in ("http://192.0.2.1:80/", "http://10.99.0.9:80/", f"http://{SERVER}:8001/"):
        refused = client.run("curl", "-s", "-f", "--max-time", "10", url, timeout=20)
        assert refused.returncode != 0
    wait_for("the refusals", lambda: relay.stdout.count("refused") >= 2)
    log = relay.stdout
    assert "192.0.2.1:80 refused: not allowed" in log
    assert "10.99.0.9:80 refused: the clients' own subnet" in log
    wait_for("the failure", lambda: ":8001 failed: ConnectionRefusedError" in relay.stdout)
    # One log line per relayed connection, with the octets sent down.
    down = [line for line in log.splitlines() if f"-> {SERVER}:8000 closed" in line]
    assert len(down) == len(FILES) + 20, log
    octets_down = sorted(int(line.rsplit(" ", 1)[1]) for line in down)
    # Each file and its HTTP head (a few hundred octets).
    sizes = sorted([*FILES.values(), *[FILES["64k"]] * 20])
    for got, size in zip(octets_down, sizes, strict=True):
        assert size < got < size + 1024, log
    assert relay.proc.poll() is None, relay.stderr
    assert relay.stop() == 130  # Ctrl-C: a quiet exit


@pytest.mark.netns
def test_the_loop_check_reads_the_kernel_routes(three_ns) -> None:
    _, relay_ns, _ = three_ns
    relay_ns.ip("link", "add", "vr", "type", "veth", "peer", "name", "vr2")
    relay_ns.ip("addr", "add", f"{RELAY_SIDE}/24", "dev", "vr")
    relay_ns.ip("link", "set", "vr", "up")
    relay_ns.ip("-6", "addr", "add", "fd31::1/64", "dev", "vr", "nodad")
    script = (
        "from smoltcp.examples.relay import kernel_route_interface as k\n"
        "print(k('172.31.0.9'), k('198.51.100.1'), k('fd31::9'))\n"
    )
    result = relay_ns.python(script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["vr", "None", "vr"]
    # A policy routing rule sends 198.51.100.0/24 through table 100, which the main table
    # does not show: the kernel's own lookup must still see the loop.
    relay_ns.ip("route", "add", "198.51.100.0/24", "dev", "vr", "table", "100")
    relay_ns.ip("rule", "add", "to", "198.51.100.0/24", "lookup", "100")
    relay_ns.ip("route", "add", "unreachable", "203.0.113.0/24")
    script = (
        "from smoltcp.examples.relay import kernel_route_interface as k\n"
        "from smoltcp.examples.kernel_route import _read_proc\n"
        "import ipaddress\n"
        "print(k('198.51.100.1'), _read_proc(ipaddress.ip_address('198.51.100.1')),"
        " k('203.0.113.5'))\n"
    )
    result = relay_ns.python(script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["vr", "None", "None"]


def test_the_policy(monkeypatch) -> None:
    import smoltcp.examples.relay as relay

    routes = {"198.51.100.7": "eth0", "203.0.113.1": "tun0"}
    monkeypatch.setattr(relay, "kernel_route_interface", routes.get)
    own = [ipaddress.ip_network("10.99.0.0/24")]
    policy = Policy("tun0", own, [ipaddress.ip_network("0.0.0.0/0")])
    assert policy.refusal("198.51.100.7") is None
    # The kernel would send it back into the relay's own device: a loop.
    assert policy.refusal("203.0.113.1") == "routed back into tun0 (a loop)"
    assert policy.refusal("10.99.0.7") == "the clients' own subnet"
    assert policy.refusal("127.0.0.1") == "not a unicast host"
    assert policy.refusal("2001:db8::1") == "not allowed"  # no IPv6 prefix allowed
    narrow = Policy("tun0", own, [ipaddress.ip_network("172.31.0.0/24")])
    assert narrow.refusal("172.32.0.1") == "not allowed"
    assert narrow.refusal("172.31.0.200") is None


def test_parser_defaults_and_bounds() -> None:
    args = build_parser().parse_args(["tun0", "--tun"])
    assert args.max_connections == 256 and args.max_flows == 256 and args.buffer == 65536
    assert args.connect_timeout == 10.0 and args.idle_timeout == 300.0
    with pytest.raises(SystemExit):
        build_parser().parse_args(["tun0", "--allow", "300.1.1.1/8"])


def test_the_route_reply_reader_takes_only_its_answer_and_rejects_truncation() -> None:
    import struct

    from smoltcp.examples import kernel_route

    header = struct.Struct("=IHHII")
    error = header.pack(header.size + 4, 2, 0, 7, 0) + struct.pack("=i", -101)
    other = header.pack(header.size + 4, 2, 0, 8, 0) + struct.pack("=i", -101)
    assert kernel_route._read_reply(other, 7) == (False, None)
    assert kernel_route._read_reply(other + error, 7) == (True, None)
    route = struct.pack("=BBBBBBBBI", 2, 32, 0, 0, 254, 0, 0, 1, 0)
    oif = struct.pack("=HHI", 8, 4, 1)  # RTA_OIF: interface 1, the loopback
    reply = header.pack(header.size + len(route) + 8, 24, 0, 7, 0) + route + oif
    assert kernel_route._read_reply(reply, 7) == (True, "lo")
    with pytest.raises(ValueError):
        kernel_route._read_reply(reply[:-4], 7)
    with pytest.raises(ValueError):
        kernel_route._read_reply(header.pack(header.size + 64, 24, 0, 7, 0), 7)
