"""DHCP, DNS and multicast against real components, in a namespace each test creates.

dnsmasq on the kernel's side of tap0 (192.168.69.100) is the DHCP and DNS server; the
stack, driven by ``host_services_driver.py``, leases, renews, resolves. The kernel joins a
multicast group with a plain socket and exchanges datagrams with the stack.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import KERNEL_ADDR

DRIVER = str(Path(__file__).with_name("host_services_driver.py"))
BIG = [f"--host-record=big.test.example,10.0.{i // 200}.{i % 200 + 1}" for i in range(60)]


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def start_dnsmasq(tap_ns, tmp_path, dhcp_range: str, *extra: str) -> subprocess.Popen:
    binary = shutil.which("dnsmasq")
    if binary is None:
        pytest.skip("needs dnsmasq (apt-get install dnsmasq)")
    log = tmp_path / "dnsmasq.log"
    return tap_ns.popen(
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
        f"--dhcp-range={dhcp_range}",
        f"--dhcp-leasefile={tmp_path / 'leases'}",
        f"--dhcp-option=option:router,{KERNEL_ADDR}",
        f"--dhcp-option=option:dns-server,{KERNEL_ADDR}",
        f"--address=/www.test.example/{KERNEL_ADDR}",
        f"--host-record=v6.test.example,{KERNEL_ADDR},fdaa::64",
        "--cname=alias.test.example,www.test.example",
        *BIG,
        *extra,
        f"--log-facility={log}",
        "--log-dhcp",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.fixture
def dnsmasq(tap_ns, tmp_path):
    proc = start_dnsmasq(tap_ns, tmp_path, "192.168.69.50,192.168.69.60,255.255.255.0,2m")
    yield proc
    proc.kill()
    proc.wait(5)


@pytest.mark.netns
def test_lease_renewal_and_names_from_dnsmasq(tap_ns, dnsmasq):
    done = tap_ns.run(sys.executable, DRIVER, "dhcp-dns", timeout=180)
    got = lines(done.stdout)
    assert done.returncode == 0, (done.stdout, done.stderr)
    configured = [g for g in got if g.get("event") == "configured"]
    first = configured[0]
    assert first["address"].startswith("192.168.69.") and first["address"].endswith("/24")
    assert first["router"] == KERNEL_ADDR and first["dns"] == [KERNEL_ADDR]
    assert first["lease_time"] == 6
    # Two renewals of the same address (unicast to dnsmasq at T1, 3 s into each 6 s lease).
    assert len(configured) == 3 and {c["address"] for c in configured} == {first["address"]}
    summary = next(g for g in got if g.get("event") == "dhcp-done")
    assert summary["bound"] and summary["counters"].get("sent-request", 0) >= 3
    results = {g["query"]: g for g in got if "query" in g}
    assert results["www.test.example"]["addresses"] == [KERNEL_ADDR]
    assert results["v6.test.example"]["addresses"] == ["fdaa::64"]
    alias = results["alias.test.example"]
    assert alias["status"] == "answer" and alias["addresses"] == [KERNEL_ADDR]
    assert alias["name"] == "www.test.example"
    assert results["nothing.test.example"]["status"] == "nxdomain"
    big = results["big.test.example"]
    assert big["status"] == "truncated" or big["truncated"], big
    resolved = next(g for g in got if "resolve" in g)
    assert resolved["addresses"] == [KERNEL_ADDR]


KERNEL_SIDE = r"""
import socket, struct, sys, time
group, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", port))
mreq = struct.pack("4s4s", socket.inet_aton(group), socket.inet_aton("192.168.69.100"))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("192.168.69.100"))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
s.settimeout(0.5)
for _ in range(40):
    s.sendto(b"from-the-kernel", (group, port))
    try:
        data, src = s.recvfrom(100)
    except TimeoutError:
        continue
    if data == b"from-the-stack":
        print("kernel-received", src[0], flush=True)
        break
"""


@pytest.mark.netns
def test_multicast_both_ways_with_the_kernel(tap_ns):
    group, port = "239.1.2.3", 5007
    stack = tap_ns.popen(
        sys.executable,
        DRIVER,
        "multicast",
        group,
        str(port),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    kernel = tap_ns.python(KERNEL_SIDE, group, str(port), timeout=60)
    out, err = stack.communicate(timeout=60)
    got = lines(out)
    received = [g for g in got if g.get("event") == "received"]
    assert received and received[0]["data"] == "from-the-kernel", (out, err)
    assert received[0]["src"].startswith(KERNEL_ADDR)
    assert "kernel-received 192.168.69.1" in kernel.stdout, (kernel.stdout, kernel.stderr)


@pytest.mark.netns
def test_asyncio_runtime_fetches_by_name_through_the_stack_resolver(tap_ns, dnsmasq, tmp_path):
    (tmp_path / "index.html").write_text("hello by name\n")
    tap_ns.popen(
        sys.executable,
        "-m",
        "http.server",
        "--bind",
        KERNEL_ADDR,
        "--directory",
        str(tmp_path),
        "8000",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    done = tap_ns.run(sys.executable, DRIVER, "aio-fetch", "www.test.example", "8000", timeout=60)
    got = lines(done.stdout)
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert any(g.get("event") == "nxdomain" and "not known" in g["error"] for g in got), got
    fetched = next(g for g in got if g.get("event") == "fetched")
    assert fetched["status"].endswith("200 OK") and fetched["length"] > 0


@pytest.mark.netns
def test_dhcp_example_prints_the_lease_and_renews_it(tap_ns, dnsmasq):
    once = tap_ns.start("dhcp", "tap0", "--once", "--timeout", "30")
    assert once.wait(60) == 0, once.stderr
    lines_ = once.stdout.splitlines()
    assert lines_[0] == "configured"
    assert lines_[1].startswith("address 192.168.69.") and lines_[1].endswith("/24")
    assert f"router {KERNEL_ADDR}" in lines_ and f"dns {KERNEL_ADDR}" in lines_
    assert f"server {KERNEL_ADDR}" in lines_
    # The address is probed for 4 to 7 s before use (RFC 5227), so the lease outlasts that:
    # T1 is 8 s into the 16 s lease.
    renewing = tap_ns.start("dhcp", "tap0", "--max-lease", "16")
    # Bounded wait: each renewal prints "configured" again.
    for _ in range(300):
        if renewing.stdout.count("configured") >= 3 or renewing.proc.poll() is not None:
            break
        time.sleep(0.1)
    status = renewing.stop()
    assert renewing.stdout.count("configured") >= 3, renewing.stdout + renewing.stderr
    assert "deconfigured" not in renewing.stdout
    assert status == 130


@pytest.mark.netns
def test_httpclient_and_ping_take_names(tap_ns, dnsmasq, tmp_path):
    (tmp_path / "index.html").write_text("fetched by name\n")
    tap_ns.popen(
        sys.executable,
        "-m",
        "http.server",
        "--bind",
        KERNEL_ADDR,
        "--directory",
        str(tmp_path),
        "80",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = tap_ns.start("httpclient", "tap0", "http://www.test.example/", "--dns", KERNEL_ADDR)
    assert client.wait(60) == 0, client.stderr
    assert client.stdout == "fetched by name\n"
    leased = tap_ns.start("httpclient", "tap0", "http://www.test.example/", "--dhcp")
    assert leased.wait(60) == 0, leased.stderr
    assert leased.stdout.startswith("DHCP lease 192.168.69.")
    assert leased.stdout.endswith("fetched by name\n")
    ping = tap_ns.start("ping", "tap0", "alias.test.example", "--dhcp", "-c", "2", "-i", "0.2")
    assert ping.wait(60) == 0, ping.stderr
    assert f"bytes from {KERNEL_ADDR}" in ping.stdout
    missing = tap_ns.start("ping", "tap0", "nothing.test.example", "--dns", KERNEL_ADDR)
    assert missing.wait(60) == 1
    assert missing.stderr.strip().splitlines() == [
        "smoltcp-ping: cannot resolve 'nothing.test.example': name not known"
    ]
    nodns = tap_ns.start("ping", "tap0", "www.test.example")
    assert nodns.wait(60) == 1 and "--dns" in nodns.stderr


@pytest.mark.netns
def test_dhcp_example_declines_an_address_the_kernel_holds(tap_ns, tmp_path):
    # The kernel already holds the only address in the pool; --no-ping keeps dnsmasq from
    # noticing, so it offers it, and the stack's ARP probe is answered by the kernel.
    taken = "192.168.69.50"
    tap_ns.ip("addr", "add", f"{taken}/24", "dev", "tap0")
    server = start_dnsmasq(tap_ns, tmp_path, f"{taken},{taken},255.255.255.0,2m", "--no-ping")
    try:
        client = tap_ns.start("dhcp", "tap0")
        log = tmp_path / "dnsmasq.log"
        for _ in range(300):
            if log.exists() and "DHCPDECLINE" in log.read_text():
                break
            if client.proc.poll() is not None:
                break
            time.sleep(0.1)
        client.stop()
        text = log.read_text() if log.exists() else ""
        assert f"DHCPDECLINE(tap0) {taken}" in text, (text, client.stdout, client.stderr)
        assert f"declined {taken}/24 (in use by another host)" in client.stdout, client.stdout
        assert "configured" not in client.stdout.replace("deconfigured", "")
    finally:
        server.kill()
        server.wait(5)
