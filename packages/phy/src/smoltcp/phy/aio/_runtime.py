"""`Runtime`: drive an `Interface`, its device and its socket set from an asyncio event loop.

The loop wakes the stack three ways, and only these (no thread, no busy polling):

- the device's descriptor becomes readable (``loop.add_reader``): a frame arrived;
- the one timer (``loop.call_at``) set to the interface's `poll_at` fires: a retransmission,
  a delayed ACK, an ARP retry, a keep-alive is due;
- the application acts (writes, reads, connects, closes): `Runtime.wake` schedules one poll
  with ``loop.call_soon``, however many times it is called before the poll runs.

A device with no descriptor (the in-memory `Loopback`) is polled on the last two only, which
is enough: every frame it holds was sent by the stack itself during a poll, and a poll repeats
until nothing more happens.

After each `Interface.poll` the runtime visits its endpoints (transports, listeners, pending
connections, datagram endpoints): each moves data between its socket and its protocol. The
stack has no per-socket readiness notification, so every endpoint is visited at every poll.

An endpoint is any object with ``_on_poll()`` registered under its socket's handle (and
``close``/``abort`` for `Runtime.aclose`); a socket it gives up goes to `_release`, which frees
it once its connection has finished. The transparent server is such an endpoint: a `Server`
over a catch-all listener.
"""

from __future__ import annotations

import asyncio
import errno
import socket as _socket
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from smoltcp.phy.wait import _fileno
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.time import Instant
from smoltcp.wire import IpAddress

__all__ = ["Clock", "Resolver", "Runtime"]

Resolver = Callable[[str], Awaitable[Any]]
"""An async callable from a host name to an address (`IpAddress`, text, or a list of them)."""

Clock = Callable[[], Instant]
"""A callable returning the current `Instant` (microseconds): what the runtime passes to the
stack as ``now``. It must never go back, and must advance with the event loop's ``time()``
(one second of loop time is 1,000,000 microseconds): the runtime arms its timer on the loop at
``loop.time() + (deadline - clock())``."""

MAX_ROUNDS = 32
"""Polls in a row in one loop callback before yielding to the loop (with a ``call_soon``)."""

MIN_TIMER = 0.001
"""Seconds to wait at least when the stack asks for "now" and the last poll did nothing."""

DEFAULT_LINGER = 60.0
"""Seconds a closed connection may take to finish its close before it is aborted."""


class _Endpoint(Protocol):
    def _on_poll(self) -> None: ...


class Runtime:
    """Own an `Interface`, its device and its `SocketSet`, and drive them from an event loop.

    ``iface`` and ``device`` are what `Interface.poll` takes; ``sockets`` is a new set unless
    given (the runtime then assumes it owns every socket in it). ``resolver`` turns host names
    into addresses for `open_connection` and friends (without one, hosts must be IP addresses).
    ``tcp_buffer`` is the size in octets of each new TCP socket's receive and send buffers.
    ``linger`` bounds, in seconds, how long a closed connection may take to finish (FIN
    exchange) before it is aborted; TIME-WAIT is kept for its full length unless
    ``time_wait`` is False (then the socket is freed as soon as it enters TIME-WAIT).
    ``clock`` (a `Clock`) supplies the stack's time; by default instants are wall-clock
    microseconds since the Unix epoch (pcap files want real dates) that advance with the
    loop's monotonic clock. A simulator passes its virtual clock (with a loop whose ``time()``
    is that clock too); a test passes a fake one.

    Use it as ``async with Runtime(iface, device) as rt:`` (or `start` and `aclose`) inside the
    running loop. Everything it creates belongs to that loop.
    """

    def __init__(
        self,
        iface: Any,
        device: Any,
        sockets: Any = None,
        *,
        resolver: Resolver | None = None,
        tcp_buffer: int = 65536,
        linger: float = DEFAULT_LINGER,
        time_wait: bool = True,
        clock: Clock | None = None,
    ) -> None:
        from smoltcp.stack.socket import SocketSet

        if not isinstance(tcp_buffer, int) or isinstance(tcp_buffer, bool):
            raise TypeError(f"tcp_buffer must be an int, not {type(tcp_buffer).__name__}")
        if tcp_buffer <= 0:
            raise ValueError(f"tcp_buffer must be > 0, not {tcp_buffer}")
        if linger < 0:
            raise ValueError(f"linger must be >= 0, not {linger}")
        if resolver is not None and not callable(resolver):
            raise TypeError("resolver must be an async callable")
        if clock is not None and not callable(clock):
            raise TypeError(f"clock must be a callable returning an Instant, not {clock!r}")
        self.iface = iface
        self.device = device
        self.sockets = sockets if sockets is not None else SocketSet()
        self.resolver = resolver
        self.tcp_buffer = tcp_buffer
        self.linger = linger
        self.time_wait = time_wait
        self.polls = 0
        """How many times `Interface.poll` ran (for tests and benchmarks)."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._fd: int | None = None
        self._endpoints: dict[int, _Endpoint] = {}
        self._reaping: dict[int, float] = {}
        self._soon: asyncio.Handle | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0
        self._in_poll = False
        self._again = False
        self._closed = False
        self._clock = clock
        self._wall0 = 0
        self._mono0 = 0.0

    # -- life cycle ---------------------------------------------------------------------------

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop the runtime runs on (RuntimeError before `start`)."""
        if self._loop is None:
            raise RuntimeError("the runtime is not started")
        return self._loop

    def start(self) -> None:
        """Attach to the running event loop: watch the device and poll once.

        Raises RuntimeError outside a running loop or when started already.
        """
        if self._loop is not None:
            raise RuntimeError("the runtime is started already")
        loop = asyncio.get_running_loop()
        self._loop = loop
        if self._clock is None:
            # Instants are wall-clock microseconds (pcap files want real dates) that advance
            # with the loop's monotonic clock, so that the timer and the stack agree on "when".
            self._wall0 = time.time_ns() // 1000
            self._mono0 = loop.time()
            self._clock = self._loop_clock
        self._fd = _fileno(self.device)
        if self._fd is not None:
            loop.add_reader(self._fd, self._run)
        self.wake()

    async def aclose(self, timeout: float = 5.0) -> None:
        """Close every endpoint, give closing connections up to ``timeout`` s, then stop.

        Connections still open are closed gracefully (their queued data is sent first);
        whatever has not finished within ``timeout`` seconds is aborted. Afterwards the
        runtime no longer watches the device; the socket set keeps only sockets the runtime
        did not create.
        """
        if self._loop is None or self._closed:
            return
        for endpoint in list(self._endpoints.values()):
            closer = getattr(endpoint, "close", None)
            if closer is not None:
                closer()
        self.wake()
        deadline = self.loop.time() + timeout
        while self._busy() and self.loop.time() < deadline:
            await asyncio.sleep(0.01)
        for endpoint in list(self._endpoints.values()):
            aborter = getattr(endpoint, "abort", None)
            if aborter is not None:
                aborter()
        for handle in list(self._reaping):
            sock = self.sockets.get(handle)
            if sock is not None and hasattr(sock, "abort"):
                sock.abort()
        # One last poll sends the resets.
        self._run()
        for handle in list(self._reaping):
            self._forget(handle)
        self._closed = True
        if self._fd is not None:
            self.loop.remove_reader(self._fd)
        if self._soon is not None:
            self._soon.cancel()
        if self._timer is not None:
            self._timer.cancel()

    def _busy(self) -> bool:
        # Is anything still to be sent? TIME-WAIT only guards against old duplicates: a
        # runtime that stops does not wait it out.
        if self._endpoints:
            return True
        for handle in self._reaping:
            sock = self.sockets.get(handle)
            if sock is not None and getattr(sock, "state", None) is not TcpState.TIME_WAIT:
                return True
        return False

    async def __aenter__(self) -> Runtime:
        self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- time ---------------------------------------------------------------------------------

    def now(self) -> Instant:
        """Return the stack's current instant: the ``clock``'s (RuntimeError before `start`
        without one)."""
        clock = self._clock
        if clock is None:
            raise RuntimeError("the runtime is not started")
        return clock()

    def _loop_clock(self) -> Instant:
        # The default clock: wall-clock epoch, advancing with the loop.
        return Instant(self._wall0 + int((self.loop.time() - self._mono0) * 1_000_000))

    def _loop_time(self, at: Instant, now: Instant) -> float:
        """Return the loop time of instant ``at``, ``now`` being the clock's current one."""
        if self._clock == self._loop_clock:
            # The default clock maps onto the loop exactly: the same deadline gives the same
            # loop time at every poll, so an armed timer is kept rather than re-armed.
            return self._mono0 + (at.micros - self._wall0) / 1_000_000
        # Any other clock advances with the loop: the deadline is as far ahead on both.
        return self.loop.time() + (at.micros - now.micros) / 1_000_000

    # -- driving ------------------------------------------------------------------------------

    def wake(self) -> None:
        """Poll the stack soon: the application queued data, read some, opened or closed."""
        if self._closed:
            return
        if self._in_poll:
            self._again = True
        elif self._soon is None and self._loop is not None:
            self._soon = self._loop.call_soon(self._run)

    def _run(self) -> None:
        if self._soon is not None:
            self._soon.cancel()
            self._soon = None
        if self._closed or self._in_poll:
            return
        iface = self.iface
        device = self.device
        sockets = self.sockets
        self._in_poll = True
        did = False
        try:
            for _ in range(MAX_ROUNDS):
                self._again = False
                did = iface.poll(self.now(), device, sockets)
                self.polls += 1
                self._visit()
                if not (did or self._again):
                    break
            else:
                # Still busy (a long burst): let other callbacks run, then go on.
                self._soon = self.loop.call_soon(self._run)
        finally:
            self._in_poll = False
        self._arm_timer(did)

    def _visit(self) -> None:
        for endpoint in list(self._endpoints.values()):
            try:
                endpoint._on_poll()
            except Exception as exc:  # a protocol callback raised: that endpoint dies
                self.loop.call_exception_handler(
                    {"message": "exception in a smoltcp endpoint", "exception": exc}
                )
                abort = getattr(endpoint, "abort", None)
                if abort is not None:
                    abort()
        if self._reaping:
            self._reap()

    def _arm_timer(self, did: bool) -> None:
        now = self.now()
        at = self.iface.poll_at(now, self.sockets)
        if at is None or self._soon is not None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            return
        when = self._loop_time(at, now)
        floor = self.loop.time() + (0.0 if did else MIN_TIMER)
        # A deadline already passed is due now; but when nothing happened in the last poll,
        # waiting a little keeps a socket stuck on a full device from spinning the loop.
        when = max(when, floor)
        if self._timer is not None:
            if abs(self._timer_at - when) < 1e-6:
                return
            self._timer.cancel()
        self._timer_at = when
        self._timer = self.loop.call_at(when, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._run()

    # -- endpoints and sockets ----------------------------------------------------------------

    def _register(self, handle: int, endpoint: _Endpoint) -> None:
        self._endpoints[handle] = endpoint

    def _unregister(self, handle: int) -> None:
        self._endpoints.pop(handle, None)

    def _release(self, handle: int) -> None:
        """Hand a socket over to be freed once its connection has finished closing."""
        self._endpoints.pop(handle, None)
        if handle in self.sockets:
            self._reaping[handle] = (self.loop.time() + self.linger) if self._loop else 0.0
            self.wake()

    def _forget(self, handle: int) -> None:
        self._reaping.pop(handle, None)
        self._endpoints.pop(handle, None)
        if handle in self.sockets:
            self.sockets.remove(handle)

    def _reap(self) -> None:
        cx = self.iface.context
        now = self.loop.time()
        for handle, deadline in list(self._reaping.items()):
            sock = self.sockets.get(handle)
            if sock is None:
                self._reaping.pop(handle, None)
                continue
            if not isinstance(sock, TcpSocket):
                self._forget(handle)
                continue
            # Nobody reads any more: discard what arrives so the window stays open and the
            # peer's FIN can come in.
            while sock.can_recv():
                sock.recv()
            state = sock.state
            if state is TcpState.CLOSED or state is TcpState.LISTEN:
                if sock.poll_at(cx) is None:  # the RST of an abort, if any, has gone out
                    self._forget(handle)
            elif state is TcpState.TIME_WAIT and not self.time_wait:
                self._forget(handle)
            elif now >= deadline and state is not TcpState.TIME_WAIT:
                sock.abort()
                self._again = True

    def new_tcp_socket(self, buffer: int | None = None) -> TcpSocket:
        """Return a `TcpSocket` with the runtime's buffer size (or ``buffer`` octets)."""
        size = self.tcp_buffer if buffer is None else buffer
        sock = TcpSocket(size, size)
        # As asyncio does on the kernel's sockets (TCP_NODELAY): writes go out at the next
        # poll, which already coalesces everything written in one turn of the loop.
        sock.set_nagle_enabled(False)
        return sock

    @property
    def open_sockets(self) -> int:
        """Sockets in the set (endpoints, and connections still closing)."""
        return len(self.sockets)

    # -- asyncio's API over the stack ---------------------------------------------------------

    async def open_connection(self, host: Any, port: int, **kwargs: Any) -> Any:
        """Return ``(StreamReader, StreamWriter)`` connected to ``(host, port)``."""
        from ._streams import open_connection

        return await open_connection(self, host, port, **kwargs)

    async def start_server(
        self, client_connected_cb: Any, host: Any = None, port: int = 0, **kwargs: Any
    ) -> Any:
        """Listen and call ``client_connected_cb(reader, writer)`` per connection."""
        from ._streams import start_server

        return await start_server(self, client_connected_cb, host, port, **kwargs)

    async def create_connection(
        self, protocol_factory: Any, host: Any, port: int, **kwargs: Any
    ) -> Any:
        """Return ``(transport, protocol)`` connected to ``(host, port)``."""
        from ._tcp import create_connection

        return await create_connection(self, protocol_factory, host, port, **kwargs)

    async def create_server(
        self, protocol_factory: Any, host: Any = None, port: int = 0, **kwargs: Any
    ) -> Any:
        """Listen on ``(host, port)``; return the `Server`."""
        from ._tcp import create_server

        return await create_server(self, protocol_factory, host, port, **kwargs)

    async def create_datagram_endpoint(
        self,
        protocol_factory: Any,
        local_addr: tuple[Any, int] | None = None,
        remote_addr: tuple[Any, int] | None = None,
    ) -> Any:
        """Return ``(transport, protocol)`` of a new UDP endpoint."""
        from ._datagram import create_datagram_endpoint

        return await create_datagram_endpoint(self, protocol_factory, local_addr, remote_addr)

    async def start_transparent_server(self, client_connected_cb: Any, **kwargs: Any) -> Any:
        """Call ``client_connected_cb(reader, writer)`` per connection to any destination."""
        from ._transparent import start_transparent_server

        return await start_transparent_server(self, client_connected_cb, **kwargs)

    async def create_transparent_server(self, protocol_factory: Any, **kwargs: Any) -> Any:
        """Accept connections to any destination; return the `Server`."""
        from ._transparent import create_transparent_server

        return await create_transparent_server(self, protocol_factory, **kwargs)

    async def create_transparent_datagram_endpoint(self, protocol_factory: Any) -> Any:
        """Return ``(transport, protocol)`` taking datagrams to any destination."""
        from ._transparent import create_transparent_datagram_endpoint

        return await create_transparent_datagram_endpoint(self, protocol_factory)

    async def ping(self, host: Any, **kwargs: Any) -> float:
        """Return the round-trip time in seconds of one echo request to ``host``."""
        from ._datagram import ping

        return await ping(self, host, **kwargs)

    # -- names --------------------------------------------------------------------------------

    async def resolve(self, host: Any) -> IpAddress:
        """Return the address of ``host``: an `IpAddress`, an address as text, or a name.

        A name goes to the resolver given at construction (the first address it returns is
        used); without one, or when it finds nothing, raises ``socket.gaierror``.
        """
        if isinstance(host, IpAddress):
            return host
        if not isinstance(host, str):
            raise TypeError(f"host must be a str or an IpAddress, not {type(host).__name__}")
        try:
            return IpAddress.parse(host)
        except ValueError:
            pass
        if self.resolver is None:
            raise _socket.gaierror(_socket.EAI_NONAME, f"cannot resolve {host!r}: no resolver")
        found = await self.resolver(host)
        if isinstance(found, (list, tuple)):
            found = found[0] if found else None
        if found is None:
            raise _socket.gaierror(_socket.EAI_NONAME, f"{host!r}: name not known")
        return found if isinstance(found, IpAddress) else IpAddress.parse(str(found))


def os_error(reason: str | None) -> OSError:
    """Return asyncio's exception for a connection that ended for ``reason`` (stack's words)."""
    text = reason or ""
    if text.startswith("refused"):
        return ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
    if text.startswith("timed out"):
        return TimeoutError(errno.ETIMEDOUT, "Connection timed out")
    if text.startswith("reset"):
        return ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")
    if text.startswith("unaddressable"):
        return OSError(errno.ENETUNREACH, f"Network is unreachable ({text})")
    return ConnectionAbortedError(errno.ECONNABORTED, f"Connection aborted ({text})")


def endpoint_tuple(ep: Any) -> tuple[str, int] | None:
    """Return ``(address text, port)`` for an `IpEndpoint`, as asyncio reports names."""
    if ep is None:
        return None
    return ("0.0.0.0" if ep.addr is None else str(ep.addr), ep.port)
