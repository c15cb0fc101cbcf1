"""Drive two stacks joined by a `tcp_link.Link` in simulated time, and bulk-transfer apps.

`Sim` polls every host, runs the application step, then jumps simulated time to the next
event (the earliest `Interface.poll_at` or frame arrival). Loops are bounded in iterations
and in simulated time, so a stuck connection fails the test instead of hanging it.

`Bulk` moves a byte string one way over a connected `TcpSocket` (send, then close) while
hashing what arrives the other way, so each direction can be checked with sha256.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tcp_link import Link

from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.socket import SocketSet
from smoltcp.stack.socket.errors import RecvError
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import EthernetAddress, IpCidr, IpEndpoint, Ipv4Address, Medium

__all__ = ["Bulk", "Host", "Sim", "SimStuck", "make_pair", "payload"]


_TEN_MINUTES = Duration.from_secs(600)


class SimStuck(AssertionError):
    """The simulation ran out of iterations or simulated time before the apps finished."""


def payload(size: int, seed: int) -> bytes:
    """Return ``size`` pseudo-random octets (cheap: a hash chain, not random.randbytes)."""
    out = bytearray()
    block = hashlib.sha256(seed.to_bytes(8, "big")).digest()
    while len(out) < size:
        block = hashlib.sha512(block).digest()
        out += block
    return bytes(out[:size])


class Host:
    """One stack: an `Interface` on one end of the link, with its `SocketSet`."""

    def __init__(
        self, device: Any, mac: str, cidr: str, seed: int, now: Instant, **config: Any
    ) -> None:
        medium = device.capabilities().medium
        hw = EthernetAddress.parse(mac) if medium == Medium.ETHERNET else None
        self.device = device
        self.iface = Interface(Config(hardware_addr=hw, random_seed=seed, **config), device, now)
        cidr_obj = IpCidr.parse(cidr)
        self.iface.update_ip_addrs(lambda addrs: addrs.append(cidr_obj))
        self.addr: Ipv4Address = cidr_obj.address
        self.sockets = SocketSet()
        self.cpu = 0.0  # seconds spent in poll (measured by Sim when asked)

    @property
    def cx(self) -> Any:
        return self.iface.context

    def add(self, sock: TcpSocket) -> int:
        return self.sockets.add(sock)

    def get(self, handle: int) -> TcpSocket:
        return self.sockets.get(handle)


@dataclass
class Sim:
    """Simulated time for a set of hosts on one link."""

    link: Link
    hosts: list[Host]
    now: Instant = field(default_factory=lambda: Instant.ZERO)
    measure_cpu: bool = False
    iterations: int = 0
    idle_spins: int = 0

    def run(
        self,
        app: Callable[[Instant], bool],
        *,
        max_time: Duration = _TEN_MINUTES,
        max_iterations: int = 2_000_000,
    ) -> Instant:
        """Run until ``app(now)`` returns True; return the simulated time then.

        Raise `SimStuck` when ``max_time`` of simulated time or ``max_iterations`` pass first.
        """
        deadline = self.now + max_time
        hosts = self.hosts
        link = self.link
        # CPU time of this process (not wall time: the machine may be shared).
        perf = time.process_time
        for _ in range(max_iterations):
            self.iterations += 1
            now = self.now
            progressed = False
            for host in hosts:
                if self.measure_cpu:
                    t0 = perf()
                    progressed |= host.iface.poll(now, host.device, host.sockets)
                    host.cpu += perf() - t0
                else:
                    progressed |= host.iface.poll(now, host.device, host.sockets)
            if app(now):
                return now
            # Next event: a frame arriving or a stack timer.
            nxt = link.next_arrival()
            for host in hosts:
                at = host.iface.poll_at(now, host.sockets)
                if at is not None and (nxt is None or at < nxt):
                    nxt = at
            if nxt is None:
                raise SimStuck(f"nothing scheduled at {now} and the apps are not done")
            if nxt <= now:
                if progressed:
                    continue
                # A stack that asks for a poll now but does nothing: count it, move on.
                self.idle_spins += 1
                nxt = now + Duration.from_micros(100)
            if nxt > deadline:
                raise SimStuck(f"simulated time limit reached at {now}")
            self.now = nxt
        raise SimStuck(f"iteration limit reached at {self.now}")

    def run_for(self, span: Duration, app: Callable[[Instant], bool] | None = None) -> None:
        """Run for ``span`` of simulated time (timers such as TIME-WAIT expire)."""
        end = self.now + span

        def until(now: Instant) -> bool:
            if app is not None:
                app(now)
            return now >= end

        self.run(lambda now: until(now) or self._idle_to(now, end), max_time=span * 2)

    def _idle_to(self, now: Instant, end: Instant) -> bool:
        # Called when the apps are not done: if nothing is scheduled before `end`, jump there.
        nxt = self.link.next_arrival()
        for host in self.hosts:
            at = host.iface.poll_at(now, host.sockets)
            if at is not None and (nxt is None or at < nxt):
                nxt = at
        if nxt is None or nxt > end:
            self.now = end
            return True
        return False


class Bulk:
    """Send ``data`` on a socket then close it; hash what the socket receives until FIN.

    ``step()`` is idempotent and cheap; ``done`` once everything was sent and queued for
    close and the peer's FIN was read. ``error`` holds the RecvError reason of an abnormal end.
    """

    def __init__(self, sock: TcpSocket, data: bytes, chunk: int = 65536) -> None:
        self.sock = sock
        self.view = memoryview(data)
        self.sent = 0
        self.closed = False
        self.received = 0
        self.hasher = hashlib.sha256()
        self.finished = False
        self.error: str | None = None
        self.chunk = chunk
        self._buf = bytearray(1 << 20)
        self._bufv = memoryview(self._buf)

    def step(self) -> bool:
        sock = self.sock
        total = len(self.view)
        while self.sent < total and sock.can_send():
            n = sock.send(self.view[self.sent : self.sent + self.chunk])
            if n == 0:
                break
            self.sent += n
        if self.sent == total and not self.closed and sock.may_send():
            sock.close()
            self.closed = True
        while not self.finished and self.error is None:
            try:
                n = sock.recv_into(self._buf)
            except RecvError as exc:
                if exc.reason == "finished":
                    self.finished = True
                else:
                    self.error = exc.reason
                break
            if n == 0:
                break
            self.hasher.update(self._bufv[:n])
            self.received += n
        return self.done

    @property
    def done(self) -> bool:
        return self.closed and self.finished

    def digest(self) -> str:
        return self.hasher.hexdigest()


def make_pair(
    link: Link,
    seed: int = 1,
    now: Instant = Instant.ZERO,
    **config: Any,
) -> tuple[Sim, Host, Host]:
    """Return a `Sim` with host A (192.168.69.1) on ``link.a`` and B (.2) on ``link.b``;
    ``config`` goes to both interfaces' `Config`."""
    a = Host(link.a, "02-00-00-00-00-01", "192.168.69.1/24", seed, now, **config)
    b = Host(link.b, "02-00-00-00-00-02", "192.168.69.2/24", seed + 1, now, **config)
    return Sim(link, [a, b], now=now), a, b


def connect_pair(
    sim: Sim,
    a: Host,
    b: Host,
    rx_size: int = 65536,
    tx_size: int = 65536,
    port: int = 4242,
    configure: Callable[[TcpSocket], None] | None = None,
) -> tuple[TcpSocket, TcpSocket]:
    """Open a connection from A to a listener on B; run until both are ESTABLISHED."""
    server = TcpSocket(rx_size, tx_size)
    client = TcpSocket(rx_size, tx_size)
    if configure is not None:
        configure(server)
        configure(client)
    server.listen(port)
    b.add(server)
    a.add(client)

    def established(now: Instant) -> bool:
        if client.state is TcpState.CLOSED:
            return True  # the connect gave up (SYN retries exhausted): try again below
        return client.state is TcpState.ESTABLISHED and server.state is TcpState.ESTABLISHED

    # Like an application, retry a connect that timed out (at 30 % loss each way, seven
    # SYN or SYN-ACK losses in a row are not rare).
    for _ in range(5):
        client.connect(a.cx, IpEndpoint(b.addr, port), 0)
        sim.run(established, max_time=Duration.from_secs(1200))
        if client.state is TcpState.ESTABLISHED:
            return client, server
    raise SimStuck(f"no connection after 5 attempts: {client.state} {client.error}")
