"""Two TcpSockets wired back to back (no interface): bulk data through a lossy link.

The link is a list of segments in flight with a fixed one-way delay; a seeded RNG drops,
duplicates and reorders them. Time jumps to the next event when nothing is in flight, so a
run costs milliseconds of CPU however long its simulated time.
"""

from __future__ import annotations

import hashlib
import random
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tcp_harness import (
    FakeContext,
    FakeSet,
    Instant,
    TcpControl,
    TcpSocket,
    TcpState,
)

from smoltcp.stack.socket.errors import RecvError
from smoltcp.stack.tcp.process import rst_for
from smoltcp.wire import IpEndpoint, Ipv4Address

A = IpEndpoint(Ipv4Address("10.0.0.1"), 40000)
B = IpEndpoint(Ipv4Address("10.0.0.2"), 80)
DELAY = 2_000  # one-way, microseconds


class Link:
    def __init__(self, seed: int, loss: float, dup: float, reorder: float, mtu: int = 1500):
        self.rng = random.Random(seed)
        self.loss, self.dup, self.reorder = loss, dup, reorder
        self.now = 0
        self.cx = {A: FakeContext(mtu, seed), B: FakeContext(mtu, seed + 1)}
        for ep, cx in self.cx.items():
            cx.get_source_address = lambda dst, ep=ep: ep.addr
        self.sets = {A: FakeSet(), B: FakeSet()}
        self.flight: list[tuple[int, IpEndpoint, Any, Any]] = []
        self.delivered = 0

    def sockets(self, ep: IpEndpoint) -> list[TcpSocket]:
        return list(self.sets[ep].sockets.values())

    def _emit_from(self, src: IpEndpoint) -> Any:
        dst = B if src == A else A

        def emit(ipr: Any, seg: Any) -> None:
            assert ipr.payload_len == seg.buffer_len() <= self.cx[src].ip_mtu - 20, (
                seg._replace(payload=len(seg.payload)),
                self.cx[src].ip_mtu,
            )
            seg = seg._replace(payload=bytes(seg.payload))
            if self.rng.random() < self.loss:
                return
            at = self.now + DELAY
            if self.rng.random() < self.reorder:
                at += self.rng.randrange(1, 3 * DELAY)
            self.flight.append((at, dst, ipr, seg))
            if self.rng.random() < self.dup:
                self.flight.append((at + 1, dst, ipr, seg))

        return emit

    def step(self) -> None:
        """Deliver what is due, let every socket send, then jump to the next event."""
        for ep in (A, B):
            cx = self.cx[ep]
            cx.now = Instant(self.now)
        due = sorted((f for f in self.flight if f[0] <= self.now), key=lambda f: f[0])
        self.flight = [f for f in self.flight if f[0] > self.now]
        for _, dst, ipr, seg in due:
            src = IpEndpoint(ipr.src_addr, seg.src_port)
            sock = self.sets[dst].find(src, IpEndpoint(dst.addr, seg.dst_port))
            if sock is None:
                # What the interface does for a segment no socket takes (RFC 9293 3.10.7.1).
                if seg.control != TcpControl.RST:
                    self._emit_from(dst)(*rst_for(ipr, seg))
                continue
            self.delivered += 1
            reply = sock.process(self.cx[dst], Instant(self.now), ipr, seg)
            if reply is not None:
                self._emit_from(dst)(*reply)
        for ep in (A, B):
            emit = self._emit_from(ep)
            for sock in self.sockets(ep):
                for _ in range(1000):
                    if not sock.dispatch(self.cx[ep], Instant(self.now), emit):
                        break
        nxt = [f[0] for f in self.flight]
        for ep in (A, B):
            for sock in self.sockets(ep):
                at = sock.poll_at(self.cx[ep])
                if at is not None:
                    nxt.append(max(at.total_micros(), self.now + 1))
        self.now = min(nxt) if nxt else self.now + 1_000_000


def run_transfer(link: Link, size_ab: int, size_ba: int, bufsize: int = 65536) -> None:
    data_ab = random.Random(1).randbytes(size_ab)
    data_ba = random.Random(2).randbytes(size_ba)
    server = TcpSocket(bufsize, bufsize)
    link.sets[B].add(server)
    server.listen(B.port)
    client = TcpSocket(bufsize, bufsize)
    link.sets[A].add(client)
    client.connect(link.cx[A], B, A)
    got_ab = bytearray()
    got_ba = bytearray()
    sent_ab = sent_ba = 0
    closed_a = closed_b = False
    for _ in range(200_000):
        link.step()
        if client.may_send() and sent_ab < size_ab:
            sent_ab += client.send(data_ab[sent_ab : sent_ab + 20000])
        if server.may_send() and sent_ba < size_ba:
            sent_ba += server.send(data_ba[sent_ba : sent_ba + 20000])
        if sent_ab == size_ab and not closed_a and client.may_send():
            client.close()
            closed_a = True
        if sent_ba == size_ba and not closed_b and server.may_send():
            server.close()
            closed_b = True
        for sock, got in ((server, got_ab), (client, got_ba)):
            if sock.state is TcpState.LISTEN:
                continue
            try:
                got += sock.recv(65536)
            except RecvError as exc:
                assert exc.reason == "finished"
        client_done = client.state in (TcpState.CLOSED, TcpState.TIME_WAIT)
        if client_done and server.state is TcpState.CLOSED:
            break
    assert hashlib.sha256(got_ab).digest() == hashlib.sha256(data_ab).digest()
    assert hashlib.sha256(got_ba).digest() == hashlib.sha256(data_ba).digest()
    assert server.state is TcpState.CLOSED
    assert client.state in (TcpState.TIME_WAIT, TcpState.CLOSED)
    assert client.error is None and server.error is None


def test_clean_link() -> None:
    link = Link(seed=1, loss=0, dup=0, reorder=0)
    run_transfer(link, 300_000, 100_000)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(
    ("loss", "dup", "reorder"),
    [(0.02, 0, 0), (0.1, 0.05, 0.1), (0.3, 0.1, 0.3)],
    ids=["loss2", "mixed10", "harsh30"],
)
def test_lossy_link(seed: int, loss: float, dup: float, reorder: float) -> None:
    link = Link(seed=seed, loss=loss, dup=dup, reorder=reorder)
    run_transfer(link, 100_000, 30_000)


@pytest.mark.parametrize("bufsize", [300, 3000])
def test_small_buffers_zero_windows(bufsize: int) -> None:
    link = Link(seed=7, loss=0.1, dup=0.02, reorder=0.1)
    run_transfer(link, 30_000, 10_000, bufsize=bufsize)


@pytest.mark.parametrize("mtu", [68, 100])
def test_tiny_mtu_with_every_option(mtu: int) -> None:
    # Timestamps and SACK blocks take most of a tiny segment: every segment must still fit.
    link = Link(seed=11, loss=0.1, dup=0.05, reorder=0.2, mtu=mtu)
    run_transfer(link, 20_000, 5_000, bufsize=4096)


def test_big_buffers_use_window_scaling() -> None:
    link = Link(seed=5, loss=0.01, dup=0, reorder=0.05)
    run_transfer(link, 1_000_000, 10_000, bufsize=1 << 20)


@pytest.mark.parametrize("seed", range(40))
def test_randomized_link_conditions(seed: int) -> None:
    # The sweep that found the tiny-MTU and closed-window stalls: random loss, duplication,
    # reordering, buffer sizes (down to 200 octets), MTUs (down to 68) and transfer sizes.
    r = random.Random(seed)
    link = Link(
        seed=seed,
        loss=r.choice([0.0, 0.01, 0.05, 0.2, 0.3]),
        dup=r.choice([0, 0.05, 0.2]),
        reorder=r.choice([0, 0.1, 0.3]),
        mtu=r.choice([68, 100, 576, 1500, 9000]),
    )
    bufsize = r.choice([200, 1000, 4096, 65536, 300000])
    run_transfer(link, r.choice([1, 5000, 80_000]), r.choice([0, 3000, 40_000]), bufsize=bufsize)
