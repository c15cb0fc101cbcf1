"""The fuzz targets under pytest: the corpus, hypothesis with a large budget, bounded memory.

``FUZZ_EXAMPLES`` sets the hypothesis budget per target (default 2,000). Run with
``python -m pytest fuzz``.
"""

from __future__ import annotations

import gc
import os
import random
import sys
import tracemalloc
from pathlib import Path

import pytest

from smoltcp.wire import Medium, TcpRepr

sys.path.insert(0, str(Path(__file__).resolve().parent))

import strategies
import targets

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2000"))
TARGETS = ("wire", "poll", "tcp", "app")


@pytest.mark.parametrize("target", TARGETS)
def test_the_corpus_passes(target: str) -> None:
    seeds = strategies.corpus(target)
    assert seeds, f"fuzz/corpus/{target} is empty: run python fuzz/make_corpus.py"
    for data in seeds:
        strategies.FUNCTIONS[target](data)


@pytest.mark.parametrize("target", TARGETS)
def test_hypothesis_finds_no_failure(target: str) -> None:
    strategies.property_test(target, max_examples=EXAMPLES)()


def test_the_poll_seeds_reach_the_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    """The harness is worth something only if inputs get past the interface to the sockets."""
    reached = {"tcp": 0, "udp": 0}
    original = targets._Stack.serve

    def spy(stack: targets._Stack) -> None:
        reached["tcp"] += sum(s.backlog for s in stack.tcp)
        reached["udp"] += sum(u.recv_queue for u in stack.udp)
        original(stack)

    monkeypatch.setattr(targets._Stack, "serve", spy)
    for data in strategies.corpus("poll"):
        targets.fuzz_poll(data)
    assert reached["tcp"] > 0
    assert reached["udp"] > 0


def test_the_tcp_seeds_reach_every_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Super-segments leave (cut by the interface, or whole to a TSO device), a SYN cookie
    completes a handshake, our own SYN gets answered, and an ICMP error aborts it."""
    seen: dict[str, int] = {"super": 0, "tso": 0, "cookie": 0, "active": 0, "aborted": 0}
    original = targets._Conn.sent

    def spy(conn: targets._Conn) -> list[TcpRepr]:
        out = original(conn)
        tso = bool(conn.stack.device.capabilities().max_tso_size)
        for seg in out:
            if len(seg.payload) > 1500:
                seen["tso" if tso else "super"] += 1
        sock = conn.sock
        if sock is not None and sock.state.name == "ESTABLISHED":
            if conn.listener is None:
                seen["active"] += 1
            elif conn.listener.listener_stats().cookies_accepted:
                seen["cookie"] += 1
        if sock is not None and sock.error == "unreachable":
            seen["aborted"] += 1
        return out

    monkeypatch.setattr(targets._Conn, "sent", spy)
    for data in strategies.corpus("tcp"):
        targets.fuzz_tcp(data)
    assert seen["tso"] > 0, seen
    assert seen["super"] == 0, seen  # a device without TSO never sees one
    assert all(seen[k] > 0 for k in ("cookie", "active", "aborted")), seen


def test_the_app_seeds_reach_transparent_mode_and_the_sends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Connections to other hosts' addresses get accepted, datagrams to them reach the
    catch-all, and the ICMP, raw, UDP and TCP sockets' sends leave."""
    seen = {"accepted": 0, "relayed": 0, "connected": 0, "sent": 0}
    original = targets._App.serve

    def spy(app: targets._App) -> None:
        seen["accepted"] += sum(
            1
            for s in app.accepted
            if s.local_endpoint is not None
            and str(s.local_endpoint.addr) in ("10.0.0.5", "2001:db8::5")
        )
        if app.any_udp is not None:
            seen["relayed"] += app.any_udp.recv_queue
        seen["connected"] += sum(1 for s in app.conns if s.state.name == "ESTABLISHED")
        seen["sent"] += len(app.stack.device.tx)
        original(app)

    monkeypatch.setattr(targets._App, "serve", spy)
    for data in strategies.corpus("app"):
        targets.fuzz_app(data)
    assert all(seen.values()), seen


def _mutations(seeds: tuple[bytes, ...], n: int, rng: random.Random) -> list[bytes]:
    out = []
    for _ in range(n):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randrange(1, 6)):
            if data:
                data[rng.randrange(len(data))] = rng.randrange(256)
        out.append(bytes(data))
    return out


# Peak traced memory allowed while the harness runs (Python allocations only): one stack with
# its buffers is a few hundred KiB; anything near this bound means state a peer controls.
PEAK_BOUND = 16 * 1024 * 1024
# Growth allowed after warm-up over many inputs, each on a fresh stack: caches of the wire
# layer (parsed-header memo tables) may fill up to their bound, nothing may grow per input.
GROWTH_BOUND = 2 * 1024 * 1024


@pytest.mark.parametrize("target", TARGETS)
def test_memory_is_bounded_over_many_inputs(target: str) -> None:
    rng = random.Random(7)
    function = strategies.FUNCTIONS[target]
    seeds = strategies.corpus(target)
    batch = _mutations(seeds, 300, rng)
    # Warm-up: imports, memo tables, and the kernels numba compiles on their first use (the
    # large sends of some seeds are the first to need some of them).
    for data in (*seeds, *batch[:100]):
        function(data)
    # Garbage (each input's stack is a web of reference cycles, its buffers up to 64 KiB each)
    # waits for the cycle collector: collect it before both readings, so that only what
    # survives an input counts as growth.
    gc.collect()
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        for data in batch[100:]:
            function(data)
        gc.collect()
        end, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < PEAK_BOUND, f"peak {peak} octets"
    assert end - start < GROWTH_BOUND, f"grew by {end - start} octets"


def test_one_interface_under_a_flood_keeps_bounded_memory() -> None:
    """SYNs, datagrams, ARP and pings from ever new sources: state stays within its bounds."""
    from smoltcp.stack.testing import arp, ethernet, icmp_echo, ipv4, mac, tcp, udp
    from smoltcp.stack.time import Duration

    rng = random.Random(11)
    stack = targets._Stack(Medium.ETHERNET, targets._VERIFY)
    us_mac = mac(targets.US_MAC)

    def frame(i: int) -> bytes:
        src = f"192.168.{rng.randrange(60, 80)}.{rng.randrange(1, 255)}"
        src_mac = bytes([2, 0, rng.randrange(256), rng.randrange(256), 0, 0])
        kind = i % 4
        if kind == 0:
            seg = tcp(src, targets.US, rng.randrange(1024, 65536), 80, rng.getrandbits(32))
            return ethernet(us_mac, src_mac, 0x0800, ipv4(src, targets.US, 6, seg))
        if kind == 1:
            dgram = udp(src, targets.US, rng.randrange(1024, 65536), 53, bytes(rng.randrange(64)))
            return ethernet(us_mac, src_mac, 0x0800, ipv4(src, targets.US, 17, dgram))
        if kind == 2:
            request = arp(1, src_mac, src, b"\0" * 6, targets.US)
            return ethernet(b"\xff" * 6, src_mac, 0x0806, request)
        echo = icmp_echo(rng.randrange(65536), i & 0xFFFF, bytes(32))
        return ethernet(us_mac, src_mac, 0x0800, ipv4(src, targets.US, 1, echo))

    def feed(n: int) -> None:
        for i in range(n):
            stack.device.rx.append(frame(i))
            stack.poll()
            stack.now = stack.now + Duration.from_millis(1)

    feed(3000)  # warm-up: the neighbour cache and the listener's backlog fill up
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        feed(3000)
        end, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(stack.sockets) == len(targets.TCP_PORTS) + len(targets.UDP_PORTS) + 4
    assert len(stack.iface.neighbor_cache) <= 1024
    assert end - start < 1024 * 1024, f"grew by {end - start} octets"
    assert peak - start < 4 * 1024 * 1024
