"""Workloads over simulated hosts: bulk transfer, request/response, connection rate.

Every workload is a client and a server of real `TcpSocket`s on two `SimHost`s:

- `Bulk`: one connection; the client sends ``size`` octets (None: until the run ends), the
  server reads and discards them.
- `RequestResponse`: one connection; the client sends ``request`` octets, the server answers
  ``response`` octets, ``count`` times (None: until the run ends), ``think_us`` apart.
- `ConnectionRate`: a new connection per transaction (connect, request, response, close),
  ``count`` of them, started ``interval_us`` apart (0: each when the previous ends).

A workload runs once `Network.add_flow` has accepted it (which calls `Workload.install`);
building one changes nothing on its hosts.

`FlowStats` holds what a workload measured: octets delivered, when, the senders'
retransmissions (from `TcpSocket.stats`), samples of the smoothed RTT, transaction times.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smoltcp.stack.socket.errors import RecvError
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.tcp.congestion import make_congestion_controller
from smoltcp.stack.time import Instant
from smoltcp.wire import IpEndpoint, Ipv6Address

from .host import SimHost

__all__ = [
    "MAX_BUFFER",
    "Bulk",
    "ConnectionRate",
    "FlowStats",
    "RequestResponse",
    "Server",
    "Workload",
]

_ZEROS = memoryview(bytes(1 << 16))
_RTT_SAMPLE_US = 10_000
_DEFAULT_BUFFER = 1 << 18
_CLOSED = TcpState.CLOSED
_TIME_WAIT = TcpState.TIME_WAIT


@dataclass
class FlowStats:
    """What one workload measured (times in microseconds)."""

    name: str
    octets: int = 0
    """Application octets delivered to the receiving side (both ways for transactions)."""
    first_us: int | None = None
    last_us: int | None = None
    start_us: int = 0
    retransmissions: int = 0
    timeouts: int = 0
    segments_sent: int = 0
    rtt_samples_us: list[int] = field(default_factory=list)
    transactions: int = 0
    transaction_us: list[int] = field(default_factory=list)
    connections: int = 0
    failures: int = 0

    def goodput_bps(self, end_us: int) -> float:
        """Return delivered octets x 8 per second, from the start to the last delivery
        (or ``end_us`` for a flow still running at the end)."""
        span = (self.last_us if self.last_us is not None else end_us) - self.start_us
        return 0.0 if span <= 0 else self.octets * 8 * 1_000_000 / span


class _Sink:
    """Per-connection state on the server: how much was read, what remains to answer."""

    __slots__ = ("finished", "handle", "pending", "sock", "unanswered")

    def __init__(self, handle: int, sock: TcpSocket) -> None:
        self.handle = handle
        self.sock = sock
        self.unanswered = 0
        self.pending = 0
        self.finished = False
        """Whether a read raised `RecvError` (the stream is over)."""


class Server:
    """Accept connections on ``port``; answer every ``request`` octets with ``response``.

    ``request`` 0 reads and discards (a bulk sink). ``stats`` counts what arrived; the
    retransmissions of its connections are added to ``stats`` when they end.
    """

    def __init__(
        self,
        host: SimHost,
        port: int,
        stats: FlowStats,
        *,
        request: int = 0,
        response: int = 0,
        buffer: int = _DEFAULT_BUFFER,
        backlog: int = 256,
        configure: object = None,
    ) -> None:
        self.host = host
        self.port = port
        self.stats = stats
        self.request = request
        self.response = response
        self._configure = configure
        self.listener = TcpSocket(buffer, buffer)
        if configure is not None:
            configure(self.listener)  # type: ignore[operator]
        self.listener.listen(port, backlog=backlog)
        self._listener_handle = host.sockets.add(self.listener)
        self._conns: list[_Sink] = []
        self._buf = bytearray(1 << 16)
        host.server_ports.add(port)
        host.add_app(self)

    def step(self, now: Instant) -> bool:
        """Accept, read and answer; return whether a socket changed."""
        accept = self.listener.accept
        handle = accept()
        while handle is not None:
            self._conns.append(_Sink(handle, self.host.sockets.get(handle)))
            handle = accept()
        conns = self._conns
        if not conns:
            # A listener between connections: nothing to read or answer. Every poll of the
            # host steps every server on it, so this is the common case with many flows.
            return False
        changed = False
        stats = self.stats
        t = now.micros
        buf = self._buf
        request = self.request
        # The connections that stay, made only once one has gone (most steps: none).
        keep: list[_Sink] | None = None
        for i, conn in enumerate(conns):
            sock = conn.sock
            # A read that raised raises again while nothing is readable: the stream ended
            # (the peer's FIN or an error), and a connection never goes back to a state that
            # reads, so the exception is not raised again at every step until it closes.
            finished = conn.finished and not sock.can_recv()
            while not finished:
                try:
                    n = sock.recv_into(buf)
                except RecvError:
                    finished = conn.finished = True
                    break
                if n == 0:
                    break
                # Reading frees receive window: poll again so a window update can go out.
                changed = True
                stats.octets += n
                if stats.first_us is None:
                    stats.first_us = t
                stats.last_us = t
                if request:
                    conn.unanswered += n
                    while conn.unanswered >= request:
                        conn.unanswered -= request
                        conn.pending += self.response
            while conn.pending and sock.can_send():
                n = sock.send(_ZEROS[: min(conn.pending, len(_ZEROS))])
                if n == 0:
                    break
                conn.pending -= n
                changed = True
            if finished and sock.may_send() and not conn.pending:
                sock.close()
                changed = True
            state = sock.state
            if state is _CLOSED or state is _TIME_WAIT:
                s = sock.stats
                stats.retransmissions += s.retransmissions
                stats.timeouts += s.timeouts
                stats.segments_sent += s.segments_sent
                self.host.retire(conn.handle)
                if keep is None:
                    keep = conns[:i]
                continue
            if keep is not None:
                keep.append(conn)
        if keep is not None:
            self._conns = keep
        return changed


class _Client:
    """One client connection: connect, send, read, close; counts into ``stats``."""

    __slots__ = ("done", "expect", "handle", "last_rtt", "sent_at", "sock", "to_send")

    def __init__(self, host: SimHost, server: IpEndpoint, buffer: int, configure: object) -> None:
        self.sock = TcpSocket(buffer, buffer)
        if configure is not None:
            configure(self.sock)  # type: ignore[operator]
        self.handle = host.sockets.add(self.sock)
        self.sock.connect(host.cx, server, 0)
        self.to_send = 0
        self.expect = 0
        self.sent_at = 0
        self.last_rtt = -_RTT_SAMPLE_US
        self.done = False


MAX_BUFFER = 1 << 30
"""The largest socket buffer of a workload: the largest window TCP offers (RFC 7323, 2.3)."""


def _check_int(what: str, value: object, low: int, high: int | None = None) -> None:
    """Raise TypeError or ValueError naming ``what`` unless ``value`` is an int in range."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if value < low or (high is not None and value > high):
        bound = f"in [{low}, {high}]" if high is not None else f">= {low}"
        raise ValueError(f"{what} must be {bound}, not {value}")


def _check_workload(
    name: object,
    client: object,
    server: object,
    port: object,
    start_us: object,
    buffer: object,
    cc: object,
) -> None:
    # Checked at construction: found later, a bad value fails inside `Network.run`, or
    # (a huge buffer) asks for more memory than there is.
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, not {type(name).__name__}")
    for what, host in (("client", client), ("server", server)):
        if not isinstance(host, SimHost):
            raise TypeError(f"{what} must be a SimHost, not {type(host).__name__}")
    _check_int("port", port, 1, 65535)
    _check_int("start_us", start_us, 0)
    _check_int("buffer", buffer, 1, MAX_BUFFER)
    _check_cc(cc)
    assert isinstance(client, SimHost) and isinstance(server, SimHost)
    assert isinstance(port, int)
    _check_port(server, port)
    _check_ip_version(client, server)


def _check_cc(cc: object) -> None:
    """Raise TypeError or ValueError unless ``cc`` is None or a congestion control's name."""
    if cc is not None:
        if not isinstance(cc, str):
            raise TypeError(f"cc must be a str or None, not {type(cc).__name__}")
        make_congestion_controller(cc)  # ValueError naming an unknown one


def _check_ip_version(client: SimHost, server: SimHost) -> None:
    """Raise ValueError unless ``server`` has an address of ``client``'s IP version."""
    if isinstance(client.address, Ipv6Address) != isinstance(server.address, Ipv6Address):
        raise ValueError(
            f"server {server.name} ({server.address}) has no address of the IP version of "
            f"client {client.name} ({client.address})"
        )


def _check_port(server: SimHost, port: int) -> None:
    """Raise ValueError if a workload's `Server` listens on ``port`` of ``server`` already."""
    if port in server.server_ports:
        # A second listener would never see a connection: the first one takes them all, and
        # this workload would measure nothing.
        raise ValueError(f"port {port} of server {server.name} is taken by another workload")


class Workload:
    """The client side of a workload between ``client`` and ``server`` (see the module).

    ``name`` names the flow; ``port`` is the server port; ``start_us`` when the client
    starts; ``cc`` the congestion control of both ends ("cubic", "reno"); ``buffer`` the
    socket buffers in octets (the receive buffer bounds the window), 1 to `MAX_BUFFER`.
    TypeError or ValueError, naming the argument, for a value out of range, an unknown
    ``cc``, a ``port`` the server already serves another workload on, and a server with no
    address of the client's IP version (the connection could not start).

    Building a workload changes nothing on its hosts: `Network.add_flow` accepts it and then
    calls `install`, which makes the server listen and schedules the client's start. A
    workload the network refuses so leaves nothing behind. ``server`` is None until then.
    """

    request = 0
    response = 0

    def __init__(
        self,
        name: str,
        client: SimHost,
        server: SimHost,
        port: int,
        *,
        start_us: int = 0,
        cc: str | None = None,
        buffer: int = _DEFAULT_BUFFER,
    ) -> None:
        _check_workload(name, client, server, port, start_us, buffer, cc)
        self.name = name
        self.client = client
        self.server_host = server
        # Fixed at build (the client's endpoint holds the port): read-only properties.
        self._port = port
        self._start_us = start_us
        self.sim = client.sim
        self.stats = FlowStats(name, start_us=start_us)
        self.buffer = buffer
        self.cc = cc
        self.endpoint = IpEndpoint(server.address, port)
        self._buf = bytearray(1 << 16)
        self._conns: list[_Client] = []
        self._started = False
        self.server: Server | None = None
        """The server side, listening once `install` has run (None before)."""

    @property
    def port(self) -> int:
        """The server port."""
        return self._port

    @property
    def start_us(self) -> int:
        """When the client starts (µs of simulated time)."""
        return self._start_us

    def install(self) -> None:
        """Make the server listen on `port` and schedule the client's start at ``start_us``.

        `Network.add_flow` calls it once it has accepted the workload; call it yourself only
        for hosts outside a `Network`. ValueError, with nothing changed, if the workload is
        installed already or another workload's server has taken the port since it was built,
        TypeError or ValueError naming it for a ``buffer`` or ``cc`` changed since to what
        the constructor refuses.
        """
        if self.server is not None:
            raise ValueError(f"workload {self.name!r} is installed already")
        _check_int("buffer", self.buffer, 1, MAX_BUFFER)
        _check_cc(self.cc)
        _check_port(self.server_host, self._port)
        self.server = Server(
            self.server_host,
            self._port,
            self.stats,
            request=self.request,
            response=self.response,
            buffer=self.buffer,
            configure=self._configure,
        )
        self.sim.call_at(self._start_us, self._start)

    def client_sockets(self) -> list[TcpSocket]:
        """Return the client's sockets still in use (for sampling their `TcpSocket.stats`)."""
        return [conn.sock for conn in self._conns if not conn.done]

    def _configure(self, sock: TcpSocket) -> None:
        if self.cc is not None:
            sock.set_congestion_control(self.cc)

    def _start(self) -> None:
        self._started = True
        self.client.add_app(self)

    def _open(self) -> _Client:
        conn = _Client(self.client, self.endpoint, self.buffer, self._configure)
        self.stats.connections += 1
        self._conns.append(conn)
        self.client.kick()
        return conn

    def _finish(self, conn: _Client) -> None:
        s = conn.sock.stats
        self.stats.retransmissions += s.retransmissions
        self.stats.timeouts += s.timeouts
        self.stats.segments_sent += s.segments_sent
        conn.done = True

    def _pump(self, conn: _Client, t: int) -> bool:
        """Send what ``conn`` owes, read what arrives; return whether the socket changed."""
        sock = conn.sock
        changed = False
        while conn.to_send and sock.can_send():
            n = sock.send(_ZEROS[: min(conn.to_send, len(_ZEROS))])
            if n == 0:
                break
            conn.to_send -= n
            changed = True
        if t - conn.last_rtt >= _RTT_SAMPLE_US and sock.state is TcpState.ESTABLISHED:
            conn.last_rtt = t
            rtt_us = sock.srtt_us
            if rtt_us is not None:
                self.stats.rtt_samples_us.append(rtt_us)
        while conn.expect > 0:
            try:
                n = sock.recv_into(self._buf)
            except RecvError:
                break
            if n == 0:
                break
            conn.expect -= n
            self._delivered(n, t)
            if conn.expect <= 0:
                self._answered(conn, t)
        return changed

    def _delivered(self, n: int, t: int) -> None:
        stats = self.stats
        stats.octets += n
        if stats.first_us is None:
            stats.first_us = t
        stats.last_us = t

    def _answered(self, conn: _Client, t: int) -> None:
        self.stats.transactions += 1
        self.stats.transaction_us.append(t - conn.sent_at)

    def step(self, now: Instant) -> bool:
        """Move the client connections on; return whether a socket changed."""
        raise NotImplementedError

    def finish(self) -> None:
        """Add the counters of the connections still open to `stats` (at the end of a run)."""
        for conn in self._conns:
            if not conn.done:
                self._finish(conn)
        self._conns = []


class Bulk(Workload):
    """Send ``size`` octets (None: without end) from the client to the server, then close."""

    def __init__(
        self,
        name: str,
        client: SimHost,
        server: SimHost,
        port: int,
        *,
        size: int | None = None,
        **kw: object,
    ) -> None:
        if size is not None:
            _check_int("size", size, 1)
        self.size = size
        super().__init__(name, client, server, port, **kw)  # type: ignore[arg-type]

    def _start(self) -> None:
        conn = self._open()
        conn.to_send = self.size if self.size is not None else 1 << 62
        super()._start()

    def step(self, now: Instant) -> bool:
        """Keep the send buffer full; close once everything is queued."""
        changed = False
        for conn in self._conns:
            if conn.done:
                continue
            changed = self._pump(conn, now.micros) or changed
            sock = conn.sock
            if conn.to_send == 0 and sock.may_send():
                sock.close()
                changed = True
            if sock.state is TcpState.CLOSED and sock.error is not None:
                self.stats.failures += 1
                self._finish(conn)
            elif sock.state in (TcpState.TIME_WAIT, TcpState.CLOSED) and conn.to_send == 0:
                self._finish(conn)
        return changed


class RequestResponse(Workload):
    """``count`` transactions of ``request`` then ``response`` octets over one connection."""

    def __init__(
        self,
        name: str,
        client: SimHost,
        server: SimHost,
        port: int,
        *,
        request: int = 100,
        response: int = 1000,
        count: int | None = None,
        think_us: int = 0,
        **kw: object,
    ) -> None:
        # Checked here: a negative think time failed inside the run, a count of 0 ran none.
        _check_int("request", request, 1)
        _check_int("response", response, 1)
        if count is not None:
            _check_int("count", count, 1)
        _check_int("think_us", think_us, 0)
        self.request = request
        self.response = response
        self.count = count
        self.think_us = think_us
        self._issued = 0
        super().__init__(name, client, server, port, **kw)  # type: ignore[arg-type]

    def _start(self) -> None:
        self._open()
        super()._start()

    def _issue(self, conn: _Client, t: int) -> None:
        self._issued += 1
        conn.to_send = self.request
        conn.expect = self.response
        conn.sent_at = t

    def _next(self, conn: _Client) -> None:
        if self.count is not None and self._issued >= self.count:
            return
        self._issue(conn, self.sim.now_us)
        self.client.kick()

    def _answered(self, conn: _Client, t: int) -> None:
        super()._answered(conn, t)
        if self.count is not None and self._issued >= self.count:
            conn.sock.close()
        elif self.think_us:
            self.sim.call_later(self.think_us, self._next, conn)
        else:
            self._issue(conn, t)

    def step(self, now: Instant) -> bool:
        """Issue, send and read transactions."""
        changed = False
        t = now.micros
        for conn in self._conns:
            if conn.done:
                continue
            sock = conn.sock
            if self._issued == 0 and sock.state is TcpState.ESTABLISHED:
                self._issue(conn, t)
            changed = self._pump(conn, t) or changed
            if sock.state in (TcpState.CLOSED, TcpState.TIME_WAIT):
                if sock.error is not None:
                    self.stats.failures += 1
                self._finish(conn)
        return changed


class ConnectionRate(Workload):
    """``count`` connections, each one ``request``/``response`` transaction then close."""

    def __init__(
        self,
        name: str,
        client: SimHost,
        server: SimHost,
        port: int,
        *,
        request: int = 100,
        response: int = 1000,
        count: int = 1,
        interval_us: int = 0,
        **kw: object,
    ) -> None:
        # Checked here: a negative interval failed inside the run.
        _check_int("request", request, 1)
        _check_int("response", response, 1)
        _check_int("count", count, 1)
        _check_int("interval_us", interval_us, 0)
        self.request = request
        self.response = response
        self.count = count
        self.interval_us = interval_us
        super().__init__(name, client, server, port, **kw)  # type: ignore[arg-type]

    def _start(self) -> None:
        super()._start()
        self._launch()

    def _launch(self) -> None:
        if self.stats.connections >= self.count:
            return
        conn = self._open()
        conn.to_send = self.request
        conn.expect = self.response
        conn.sent_at = self.sim.now_us
        if self.interval_us:
            self.sim.call_later(self.interval_us, self._launch)

    def _answered(self, conn: _Client, t: int) -> None:
        super()._answered(conn, t)
        conn.sock.close()

    def step(self, now: Instant) -> bool:
        """Send requests, read responses, close, and open the next connection."""
        if not self._conns:
            return False  # all launched and done, or the next waits for its timer
        changed = False
        t = now.micros
        launch = False
        finished = False
        for conn in self._conns:
            if conn.done:
                continue
            changed = self._pump(conn, t) or changed
            sock = conn.sock
            if sock.state in (TcpState.CLOSED, TcpState.TIME_WAIT):
                if sock.error is not None:
                    self.stats.failures += 1
                self._finish(conn)
                self.client.retire(conn.handle)
                launch = not self.interval_us
                finished = True
        if finished:
            self._conns = [c for c in self._conns if not c.done]
        if launch:
            self._launch()
            changed = True
        return changed
