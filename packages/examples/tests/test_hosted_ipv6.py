"""The examples over IPv6 against the Linux kernel, over tap0 in a namespace the test creates.

The kernel's end of tap0 has fdaa::100/64 and fe80::100/64 besides 192.168.69.100/24 (no
duplicate address detection, so they are usable at once); the examples use their default IPv6
addresses (the server fdaa::1 and fe80::1, the client fdaa::2, httpclient fdaa::3, ping
fdaa::4, each also with the link-local address of its MAC). The kernel's ``ping -6``, curl,
socat and Python sockets talk to the server; the client, ping and httpclient talk to kernel
services. tshark, when installed, finds no malformed frame in the examples' captures.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.netns

KERNEL6 = "fdaa::100"
KERNEL_LL = "fe80::100"
SERVER6 = "fdaa::1"


def wait_for(predicate, timeout: float, what: str) -> None:
    """Poll ``predicate`` until it is true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture
def tap6_ns(tap_ns):
    """tap_ns with the kernel's IPv6 addresses on tap0, usable at once (no DAD)."""
    tap_ns.run("sysctl", "-q", "-w", "net.ipv6.conf.tap0.accept_dad=0")
    tap_ns.ip("addr", "add", f"{KERNEL6}/64", "dev", "tap0", "nodad")
    tap_ns.ip("addr", "add", f"{KERNEL_LL}/64", "dev", "tap0", "nodad")
    return tap_ns


def no_malformed_frame(pcap: Path) -> None:
    """tshark (when installed) dissects ``pcap`` with no malformed frame and no error."""
    assert pcap.exists() and pcap.stat().st_size > 24, "the capture has frames"
    if shutil.which("tshark") is None:
        return
    shark = subprocess.run(
        ["tshark", "-r", str(pcap), "-Y", "_ws.malformed || _ws.expert.severity >= error"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shark.returncode == 0, shark.stderr
    assert shark.stdout.strip() == "", shark.stdout


def ipv6_frames(pcap: Path) -> int:
    """Count the IPv6 frames (EtherType 0x86dd) of an Ethernet pcap."""
    import struct

    data = pcap.read_bytes()
    count, offset = 0, 24
    while offset + 16 <= len(data):
        incl = struct.unpack_from("<I", data, offset + 8)[0]
        frame = data[offset + 16 : offset + 16 + incl]
        offset += 16 + incl
        count += frame[12:14] == b"\x86\xdd"
    return count


def start_server(ns, *args: str):
    server = ns.start("server", "tap0", *args)
    wait_for(lambda: "Ctrl-C" in server.stderr or server.proc.poll() is not None, 30, "server")
    assert server.proc.poll() is None, server.stderr
    return server


# Runs in the namespace: the server's services over IPv6, from kernel sockets. Prints JSON.
SERVER_PROBE = r"""
import json, socket, sys
HOST = sys.argv[1]
SCOPE = socket.if_nametoindex("tap0") if HOST.startswith("fe80") else 0
out = {}

def tcp(port, send=b"", want=1 << 20):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect((HOST, port, 0, SCOPE))
    with s:
        s.sendall(send)
        s.shutdown(socket.SHUT_WR)
        data = b""
        while len(data) < want:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return data

def udp(port, payload):
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
        s.connect((HOST, port, 0, SCOPE))
        s.settimeout(2)
        for _ in range(3):
            s.send(payload)
            try:
                return s.recv(2048).decode()
            except socket.timeout:
                continue
            except ConnectionRefusedError:
                return "refused"
        return "timeout"

out["udp_6969"] = udp(6969, b"abcdefg")
out["udp_closed"] = udp(7001, b"anyone?")
out["tcp_6969"] = tcp(6969).decode()
out["tcp_6970"] = tcp(6970, b"abcdefg\nhijk\n").decode()
try:
    tcp(7000)
    out["tcp_closed"] = "connected"
except ConnectionRefusedError:
    out["tcp_closed"] = "refused"
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.settimeout(10)
s.connect((HOST, 6972, 0, SCOPE))
data = bytearray()
while len(data) < 1_000_000:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
s.close()
data = data[:1_000_000]
out["tcp_6972"] = len(data) == 1_000_000 and data == bytes(i % 256 for i in range(1_000_000))
print(json.dumps(out))
"""


def test_server_answers_over_ipv6_on_every_address(tap6_ns, tmp_path):
    pcap = tmp_path / "server6.pcap"
    server = start_server(tap6_ns, "--pcap", str(pcap))
    assert "fdaa::1 fe80::1 fe80::ff:fe00:1 on tap0" in server.stderr, server.stderr
    for target in (SERVER6, "fe80::1%tap0", "fe80::ff:fe00:1%tap0"):
        ping = tap6_ns.run("ping", "-6", "-n", "-c", "3", "-i", "0.2", "-W", "3", target)
        assert ping.returncode == 0, ping.stdout + ping.stderr
        assert " 0% packet loss" in ping.stdout, ping.stdout
    neigh = tap6_ns.run("ip", "-6", "neigh", "show", "dev", "tap0").stdout
    assert f"{SERVER6} lladdr 02:00:00:00:00:01" in neigh, "the kernel resolved us by NDP"
    for host in (SERVER6, "fe80::1"):
        probe = tap6_ns.python(SERVER_PROBE, host, timeout=120)
        assert probe.returncode == 0, probe.stderr + server.stderr
        got = json.loads(probe.stdout)
        assert got == {
            "udp_6969": "hello\n",
            "udp_closed": "refused",  # ICMPv6 port unreachable
            "tcp_6969": "hello\n",
            "tcp_6970": "gfedcba\nkjih\n",
            "tcp_closed": "refused",  # RST
            "tcp_6972": True,
        }, (host, got)
    # IPv4 is still served beside IPv6 (a dual-stack host).
    ping4 = tap6_ns.run("ping", "-n", "-c", "1", "-W", "3", "192.168.69.1")
    assert ping4.returncode == 0, ping4.stdout
    assert server.stop() in (0, -2, 130), server.stderr
    assert ipv6_frames(pcap) > 50
    no_malformed_frame(pcap)


@pytest.mark.skipif(
    shutil.which("socat") is None or shutil.which("curl") is None, reason="needs socat and curl"
)
def test_server_over_ipv6_with_socat_and_curl(tap6_ns):
    start_server(tap6_ns)
    udp = tap6_ns.run("socat", "-t", "2", "stdio", f"udp6-connect:[{SERVER6}]:6969", input="x\n")
    assert udp.stdout == "hello\n", udp.stderr
    tcp = tap6_ns.run(
        "socat", "-t", "5", "stdio", f"tcp6-connect:[{SERVER6}]:6970", input="abcdefg\n"
    )
    assert tcp.stdout == "gfedcba\n", tcp.stderr
    # curl's request goes to the hello service, which says hello (an HTTP/0.9 answer) and closes.
    curl = tap6_ns.run(
        "curl", "-sS", "-g", "--http0.9", "--max-time", "10", f"http://[{SERVER6}]:6969/"
    )
    assert curl.stdout == "hello\n", curl.stderr
    link_local = tap6_ns.run(
        "curl", "-sS", "-g", "--http0.9", "--max-time", "10", "http://[fe80::1%tap0]:6969/"
    )
    assert link_local.stdout == "hello\n", link_local.stderr


# Runs in the namespace: a kernel listener on [::]:1234 that says two lines, checks the answers.
LISTENER6 = r"""
import socket
srv = socket.create_server(("::", 1234), family=socket.AF_INET6)
srv.settimeout(30)
print("listening", flush=True)
for _ in range(2):
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


def test_client_talks_to_a_kernel_listener_over_ipv6(tap6_ns, tmp_path):
    listener = tap6_ns.popen(sys.executable, "-c", LISTENER6, stdout=subprocess.PIPE, text=True)
    assert listener.stdout is not None
    assert listener.stdout.readline().strip() == "listening"
    pcap = tmp_path / "client6.pcap"
    client = tap6_ns.start("client", "tap0", KERNEL6, "1234", "--pcap", str(pcap))
    assert client.wait(30) == 0, client.stderr
    assert f"connected to [{KERNEL6}]:1234 from [fdaa::2]:" in client.stderr
    assert listener.stdout.readline().split() == ["b'dlrow", "olleh\\npctloms\\n'", "fdaa::2"]
    # A link-local peer, with its zone: our source is the link-local address formed from our
    # MAC 02-00-00-00-00-02 (RFC 6724 5 rule 2), not the global fdaa::2.
    client = tap6_ns.start("client", "tap0", f"{KERNEL_LL}%tap0", "1234")
    assert client.wait(30) == 0, client.stderr
    words = listener.stdout.readline().split()
    assert words == ["b'dlrow", "olleh\\npctloms\\n'", "fe80::ff:fe00:2"]
    no_malformed_frame(pcap)


def test_client_over_ipv6_reports_refused_and_a_zoneless_link_local(tap6_ns):
    refused = tap6_ns.start("client", "tap0", KERNEL6, "1")
    assert refused.wait(30) == 1
    assert refused.stderr.strip().splitlines() == [
        f"smoltcp-client: cannot connect to [{KERNEL6}]:1: connection refused"
    ]
    zoneless = tap6_ns.start("client", "tap0", KERNEL_LL, "1234")
    assert zoneless.wait(30) == 2
    assert zoneless.stderr.strip().splitlines() == [
        "smoltcp-client: error: argument ADDRESS: link-local address fe80::100 needs its link "
        "as a zone: write fe80::100%tap0 (see --help)"
    ]


def test_ping_over_ipv6_to_the_kernel(tap6_ns, tmp_path):
    pcap = tmp_path / "ping6.pcap"
    ping = tap6_ns.start("ping", "tap0", KERNEL6, "-c", "3", "-i", "0.2", "--pcap", str(pcap))
    assert ping.wait(30) == 0, ping.stderr
    out = ping.stdout
    replies = [line for line in out.splitlines() if f"from {KERNEL6}" in line]
    assert [line.split("icmp_seq=")[1].split()[0] for line in replies] == ["1", "2", "3"], out
    assert replies[0].startswith("64 bytes from"), "8 octets of header and 56 of data"
    assert "3 packets transmitted, 3 received, 0% packet loss" in out
    no_malformed_frame(pcap)
    link_local = tap6_ns.start("ping", "-6", "tap0", f"{KERNEL_LL}%tap0", "-c", "2", "-i", "0.2")
    assert link_local.wait(30) == 0, link_local.stderr
    assert "2 packets transmitted, 2 received" in link_local.stdout
    absent = tap6_ns.start("ping", "tap0", "fdaa::50", "-c", "2", "-i", "0.2", "--timeout", "1")
    assert absent.wait(30) == 1
    assert "2 packets transmitted, 0 received, 100% packet loss" in absent.stdout


def test_ping_6_looks_a_name_up_as_aaaa(tap6_ns, tmp_path):
    binary = shutil.which("dnsmasq")
    if binary is None:
        pytest.skip("needs dnsmasq (apt-get install dnsmasq)")
    tap6_ns.popen(
        binary,
        "--no-daemon",
        "--conf-file=/dev/null",
        "--interface=tap0",
        "--bind-interfaces",
        "--user=root",
        "--group=root",
        "--pid-file",
        "--no-resolv",
        "--no-hosts",
        "--local=/test.example/",
        f"--host-record=both.test.example,192.168.69.100,{KERNEL6}",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    probe = "import socket; socket.create_connection(('fdaa::100', 53), timeout=1).close()"
    wait_for(lambda: tap6_ns.python(probe).returncode == 0, 15, "dnsmasq")
    six = tap6_ns.start(
        "ping", "-6", "tap0", "both.test.example", "--dns", KERNEL6, "-c", "2", "-i", "0.2"
    )
    assert six.wait(40) == 0, six.stderr + six.stdout
    assert f"PING {KERNEL6}:" in six.stdout and "2 received" in six.stdout
    four = tap6_ns.start(
        "ping", "tap0", "both.test.example", "--dns", KERNEL6, "-c", "1", "--timeout", "2"
    )
    assert four.wait(40) == 0, four.stderr + four.stdout
    assert "PING 192.168.69.100:" in four.stdout


def serve_http6(ns, tmp_path, size: int) -> str:
    """Start python3 -m http.server on [::]:8000 in the namespace; return the body's sha256."""
    root = tmp_path / "www"
    root.mkdir()
    body = random.Random(6).randbytes(size)
    (root / "big.bin").write_bytes(body)
    ns.popen(
        sys.executable,
        "-m",
        "http.server",
        "--bind",
        "::",
        "--directory",
        str(root),
        "8000",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    probe = "import socket; socket.create_connection(('fdaa::100', 8000), timeout=1).close()"
    wait_for(lambda: ns.python(probe).returncode == 0, 15, "http.server")
    return hashlib.sha256(body).hexdigest()


def test_httpclient_fetches_bracketed_ipv6_urls(tap6_ns, tmp_path):
    expected = serve_http6(tap6_ns, tmp_path, 1_000_000)
    pcap = tmp_path / "http6.pcap"
    client = tap6_ns.start(
        "httpclient", "tap0", f"http://[{KERNEL6}]:8000/big.bin", "--buffer", "65536",
        "--pcap", str(pcap),
    )  # fmt: skip
    assert client.wait(60) == 0, client.stderr[-2000:]
    body = client.stdout_path.read_bytes()
    assert len(body) == 1_000_000 and hashlib.sha256(body).hexdigest() == expected
    assert "200" in client.stderr.splitlines()[0]
    no_malformed_frame(pcap)
    link_local = tap6_ns.start(
        "httpclient", "tap0", f"http://[{KERNEL_LL}%25tap0]:8000/big.bin", "--buffer", "65536"
    )
    assert link_local.wait(60) == 0, link_local.stderr[-2000:]
    assert hashlib.sha256(link_local.stdout_path.read_bytes()).hexdigest() == expected
    zoneless = tap6_ns.start("httpclient", "tap0", f"http://[{KERNEL_LL}]:8000/big.bin")
    assert zoneless.wait(30) == 2
    assert "needs its link as a zone: write [fe80::100%25tap0]" in zoneless.stderr
    bare = tap6_ns.start("httpclient", "tap0", f"http://{KERNEL6}:8000/big.bin")
    assert bare.wait(30) == 2
    assert "an IPv6 address goes in brackets" in bare.stderr
    missing = tap6_ns.start("httpclient", "tap0", f"http://[{KERNEL6}]:8000/nope")
    assert missing.wait(30) == 1 and "404" in missing.stderr
    refused = tap6_ns.start("httpclient", "tap0", f"http://[{KERNEL6}]:1/")
    assert refused.wait(30) == 1
    assert refused.stderr.strip().splitlines() == [
        f"smoltcp-httpclient: cannot connect to [{KERNEL6}]:1: connection refused"
    ]


def test_tcpdump_prints_ipv6_frames(tap6_ns):
    start_server(tap6_ns)
    dump = tap6_ns.start("tcpdump", "tap0", "-c", "1000", "--timeout", "60")

    def seen() -> bool:
        # Ping until the dump shows the exchanges (it may take a moment to open its socket).
        tap6_ns.run("ping", "-6", "-n", "-c", "1", "-W", "2", SERVER6)
        tap6_ns.run("ping", "-6", "-n", "-c", "1", "-W", "2", "fe80::1%tap0")
        # Every exchange the assertions below look for: the link-local ones alone can come
        # first, while the global address is still being probed.
        v6 = [line for line in dump.stdout.splitlines() if "type=IPv6" in line]
        return (
            any(f"src={SERVER6}" in line and "echo reply" in line for line in v6)
            and any(f"dst={SERVER6}" in line and "echo request" in line for line in v6)
            and any("echo request" in line and "dst=fe80::1 " in line for line in v6)
        )

    wait_for(seen, 40, "tcpdump to print the pings")
    dump.stop()
    lines = [line for line in dump.stdout.splitlines() if line]
    assert all(line[:2].isdigit() and "EthernetII" in line for line in lines), lines
    v6 = [line for line in lines if "type=IPv6" in line]
    requests = [line for line in v6 if f"dst={SERVER6}" in line and "echo request" in line]
    replies = [line for line in v6 if f"src={SERVER6}" in line and "echo reply" in line]
    assert requests and replies, lines
    assert any("ICMPv6 echo request" in line and "dst=fe80::1 " in line for line in v6), v6
    assert all("|   " not in line for line in lines), "one line per frame, no indentation"


# Runs in the namespace: read SIZE octets of the server's pattern over IPv6, hash them.
SOURCE_HASH = r"""
import hashlib, json, socket, sys
size = int(sys.argv[2])
pattern = bytes(range(256)) * 256
want, got = hashlib.sha256(), hashlib.sha256()
for _ in range(size // len(pattern)):
    want.update(pattern)
n = 0
with socket.create_connection((sys.argv[1], 6972), timeout=20) as s:
    while n < size:
        chunk = s.recv(min(1 << 16, size - n))
        if not chunk:
            break
        got.update(chunk)
        n += len(chunk)
print(json.dumps({"got": n, "ok": got.hexdigest() == want.hexdigest()}))
"""


@pytest.mark.parametrize("offload", [False, True], ids=["plain", "offload"])
def test_server_sources_16_mib_over_ipv6(tap6_ns, offload):
    start_server(tap6_ns, *(["--offload"] if offload else []))
    size = 16 << 20
    probe = tap6_ns.python(SOURCE_HASH, SERVER6, str(size), timeout=180)
    assert probe.returncode == 0, probe.stderr
    assert json.loads(probe.stdout) == {"got": size, "ok": True}
