"""A soak of two stacks in memory: many connections, random sizes, sha256 checks, faults.

Host A runs ``concurrency`` clients at a time against a listener (with an accept backlog) on
host B, over a `tcp_link.Link` that drops, corrupts, duplicates and reorders frames. Each
client sends a random number of pseudo-random octets and closes; the server reads to the FIN,
answers with the sha256 of what it read followed by a random number of octets derived from
that digest, and closes. The client checks both: the digest against what it sent, the octets
against what the digest announces. A finished connection is replaced by a new one until the
budget (connections, simulated time, wall time) is spent.

Everything is seeded, and the run is bounded in connections, in simulated time and in wall
time (the last only cuts the run short; it never decides a check).
"""

from __future__ import annotations

import gc
import hashlib
import random
import time
import tracemalloc
from dataclasses import dataclass, field

from tcp_link import Faults, Link
from tcp_sim import Host, SimStuck, make_pair, payload

from smoltcp.stack.socket.errors import RecvError
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import IpEndpoint

__all__ = ["SoakResult", "reply_size", "soak_pair"]

PORT = 5001
_DONE = (TcpState.CLOSED, TcpState.TIME_WAIT)


def reply_size(digest: bytes, max_size: int) -> int:
    """Return how many octets the server sends after ``digest`` (derived from it)."""
    return int.from_bytes(digest[:4], "big") % (max_size + 1)


@dataclass
class SoakResult:
    """What a soak did; ``failures`` lists connections that ended badly, with the reason."""

    completed: int = 0
    started: int = 0
    octets_verified: int = 0
    mismatches: int = 0
    failures: list[str] = field(default_factory=list)
    sim_seconds: float = 0.0
    wall_seconds: float = 0.0
    memory_start: int = 0
    memory_end: int = 0
    memory_peak: int = 0
    sockets_left: int = 0
    frames: int = 0
    lost: int = 0
    corrupted: int = 0
    reordered: int = 0
    duplicated: int = 0


class _Client:
    def __init__(self, host: Host, server: IpEndpoint, size: int, seed: int) -> None:
        self.sock = TcpSocket(16384, 16384)
        self.handle = host.add(self.sock)
        self.data = payload(size, seed)
        self.sent = 0
        self.closed = False
        self.got = bytearray()
        self.finished = False
        self.error: str | None = None
        self.sock.connect(host.cx, server, 0)

    def step(self) -> None:
        sock = self.sock
        while self.sent < len(self.data) and sock.can_send():
            n = sock.send(self.data[self.sent : self.sent + 16384])
            if n == 0:
                break
            self.sent += n
        if self.sent == len(self.data) and not self.closed and sock.may_send():
            sock.close()
            self.closed = True
        while not self.finished and self.error is None:
            try:
                chunk = sock.recv(65536)
            except RecvError as exc:
                if exc.reason == "finished":
                    self.finished = True
                else:
                    self.error = exc.reason
                break
            if not chunk:
                break
            self.got += chunk
        if self.error is None and sock.state is TcpState.CLOSED and not self.finished:
            self.error = f"closed: {sock.error}"


class _Served:
    def __init__(self, sock: TcpSocket, handle: int, max_reply: int) -> None:
        self.sock = sock
        self.handle = handle
        self.hasher = hashlib.sha256()
        self.reply: bytes | None = None
        self.sent = 0
        self.closed = False
        self.max_reply = max_reply

    def step(self) -> None:
        sock = self.sock
        while self.reply is None:
            try:
                chunk = sock.recv(65536)
            except RecvError as exc:
                if exc.reason == "finished":
                    digest = self.hasher.digest()
                    n = reply_size(digest, self.max_reply)
                    self.reply = digest + payload(n, int.from_bytes(digest[4:12], "big"))
                else:
                    self.closed = True  # reset or timed out: the client will count it
                    return
                break
            if not chunk:
                return
            self.hasher.update(chunk)
        while self.sent < len(self.reply) and sock.can_send():
            n = sock.send(self.reply[self.sent : self.sent + 16384])
            if n == 0:
                break
            self.sent += n
        if self.sent == len(self.reply) and not self.closed:
            sock.close()
            self.closed = True


def soak_pair(
    *,
    seed: int = 1,
    connections: int = 200,
    concurrency: int = 8,
    max_size: int = 200_000,
    faults: Faults | None = None,
    sim_limit: Duration | None = None,
    wall_limit: float = 60.0,
    backlog: int = 16,
) -> SoakResult:
    """Run the soak; return its figures (see the module docstring).

    ``connections`` bounds how many are opened; ``max_size`` the octets each side sends;
    ``faults`` the link's (default 1 % loss and corruption, 0.5 % duplication and reordering);
    ``sim_limit`` stops opening connections after that much simulated time (default 1 h).
    """
    faults = faults if faults is not None else Faults.uniform(0.01)
    sim_limit = sim_limit if sim_limit is not None else Duration.from_secs(3600)
    rng = random.Random(seed)
    link = Link(seed=seed, faults=faults, latency=Duration.from_millis(2))
    sim, a, b = make_pair(link, seed=seed)
    listener = TcpSocket(16384, 16384)
    listener.listen(PORT, backlog=backlog)
    b.add(listener)
    server = IpEndpoint(b.addr, PORT)
    result = SoakResult()
    clients: list[_Client] = []
    served: list[_Served] = []
    wall_end = time.monotonic() + wall_limit
    sim_end = sim.now + sim_limit

    tracemalloc.start()
    try:

        def app(now: Instant) -> bool:
            while (handle := listener.accept()) is not None:
                served.append(_Served(b.get(handle), handle, max_size))
            for s in served[:]:
                s.step()
                if s.closed and s.sock.state in _DONE:
                    b.sockets.remove(s.handle)
                    served.remove(s)
            for c in clients[:]:
                c.step()
                if c.error is not None or (c.finished and c.sock.state in _DONE):
                    _finish(c, result, max_size)
                    if result.memory_start == 0 and result.completed:
                        # Warm-up ends with the first connection: memory is measured from here.
                        result.memory_start = tracemalloc.get_traced_memory()[0]
                    a.sockets.remove(c.handle)
                    clients.remove(c)
            stop = time.monotonic() > wall_end or now > sim_end
            while not stop and len(clients) < concurrency and result.started < connections:
                size = rng.randrange(0, max_size + 1)
                clients.append(_Client(a, server, size, rng.getrandbits(32)))
                result.started += 1
            return not clients and (stop or result.started >= connections)

        try:
            sim.run(app, max_time=sim_limit + Duration.from_secs(600), max_iterations=50_000_000)
        except SimStuck as exc:
            result.failures.append(f"stuck: {exc}")
        # Let the servers' last segments and the TIME-WAITs play out.
        try:
            sim.run_for(Duration.from_secs(120), app)
        except SimStuck as exc:
            result.failures.append(f"stuck draining: {exc}")
        gc.collect()  # the TCP parts link each other: closed connections are cycles
        result.memory_end, result.memory_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    result.sim_seconds = sim.now.total_secs()
    result.wall_seconds = wall_limit - (wall_end - time.monotonic())
    result.sockets_left = len(a.sockets) + len(b.sockets)
    c = link.counters
    result.frames, result.lost, result.corrupted = c.sent, c.lost, c.corrupted
    result.reordered, result.duplicated = c.reordered, c.duplicated
    return result


def _finish(c: _Client, result: SoakResult, max_size: int) -> None:
    if c.error is not None:
        result.failures.append(f"{c.sock.local_endpoint}: {c.error}")
        return
    digest = hashlib.sha256(c.data).digest()
    got = bytes(c.got)
    want_tail = payload(reply_size(digest, max_size), int.from_bytes(digest[4:12], "big"))
    if got[:32] != digest or got[32:] != want_tail:
        result.mismatches += 1
        result.failures.append(f"{c.sock.local_endpoint}: sha256 mismatch")
        return
    result.completed += 1
    result.octets_verified += len(c.data) + len(got)
