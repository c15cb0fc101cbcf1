"""TCP over the stack as asyncio sees it: a `Transport`, active opens and a listening `Server`.

Flow control runs both ways without an unbounded buffer in between:

- sending: `TcpTransport.write` queues into the socket's send buffer at once and keeps what
  does not fit; above the high-water mark it calls the protocol's ``pause_writing`` (so that
  ``StreamWriter.drain`` waits) until the socket has taken enough of it;
- receiving: the transport reads from the socket only while reading is not paused; a paused
  transport (``pause_reading``, which a full `asyncio.StreamReader` asks for) leaves the data
  in the socket's receive buffer, whose window then closes on the peer.
"""

from __future__ import annotations

import asyncio
import collections
import errno
import socket as _socket
from collections.abc import Callable
from typing import Any

from smoltcp.stack.socket.errors import ConnectError, ListenError, SendError
from smoltcp.stack.tcp import TcpSocket, TcpState

from ._runtime import Runtime, endpoint_tuple, os_error

__all__ = ["ListeningName", "Server", "TcpTransport", "create_connection", "create_server"]

READ_CHUNK = 65536
"""Octets handed to ``data_received`` at most per call."""

HIGH_WATER = 64 * 1024
"""Default write buffer high-water mark, in octets (asyncio's)."""

_OPENING = (TcpState.SYN_SENT, TcpState.SYN_RECEIVED, TcpState.LISTEN)


class TcpTransport(asyncio.Transport):
    """One TCP connection of the stack, as an `asyncio.Transport` for any `asyncio.Protocol`.

    ``get_extra_info`` knows ``peername``, ``sockname`` (``(address, port)`` tuples) and
    ``smoltcp_socket`` (the `TcpSocket`). `write_eof` sends a FIN and keeps receiving; `close`
    sends what is queued, then a FIN, and stops receiving; `abort` resets the connection.
    ``connection_lost`` receives None after `close`/EOF, or asyncio's exception for the way
    the connection failed (`ConnectionResetError`, `TimeoutError`).
    """

    def __init__(
        self,
        runtime: Runtime,
        handle: int,
        sock: TcpSocket,
        protocol: asyncio.BaseProtocol,
        server: Server | None = None,
    ) -> None:
        super().__init__({"smoltcp_socket": sock})
        self._rt = runtime
        self._loop = runtime.loop
        self._handle = handle
        self._sock = sock
        self._protocol = protocol
        self._server = server
        self._peername = endpoint_tuple(sock.remote_endpoint)
        self._sockname = endpoint_tuple(sock.local_endpoint)
        self._pending: collections.deque[memoryview] = collections.deque()
        self._pending_size = 0
        self._high = HIGH_WATER
        self._low = HIGH_WATER // 4
        self._writing_paused = False
        self._reading_paused = False
        self._closing = False
        self._eof_wanted = False
        self._fin_sent = False
        self._eof_received = False
        self._lost = False
        self._buffered = isinstance(protocol, asyncio.BufferedProtocol)
        if server is not None:
            server._attach(self)
        runtime._register(handle, self)
        protocol.connection_made(self)
        runtime.wake()

    def __repr__(self) -> str:
        state = "closed" if self._lost else ("closing" if self._closing else "open")
        return f"<TcpTransport {self._sockname} -> {self._peername} {state}>"

    # -- asyncio.BaseTransport ----------------------------------------------------------------

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """Return ``peername``, ``sockname``, ``smoltcp_socket``, or ``default``."""
        if name == "peername":
            return self._peername
        if name == "sockname":
            return self._sockname
        return super().get_extra_info(name, default)

    def is_closing(self) -> bool:
        """Return True once `close` or `abort` was called or the connection was lost."""
        return self._closing or self._lost

    def close(self) -> None:
        """Send what is queued, then a FIN; ``connection_lost(None)`` follows."""
        if self._closing or self._lost:
            return
        self._closing = True
        self._flush()
        self._rt.wake()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        """Replace the protocol."""
        self._protocol = protocol
        self._buffered = isinstance(protocol, asyncio.BufferedProtocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        """Return the protocol."""
        return self._protocol

    # -- asyncio.ReadTransport ----------------------------------------------------------------

    def is_reading(self) -> bool:
        """Return True unless reading is paused or the transport is closing."""
        return not (self._reading_paused or self._closing or self._lost)

    def pause_reading(self) -> None:
        """Stop delivering data: it stays in the socket, whose window closes when full."""
        self._reading_paused = True

    def resume_reading(self) -> None:
        """Deliver data again (the socket reopens its window as it is read)."""
        if self._reading_paused:
            self._reading_paused = False
            self._rt.wake()

    # -- asyncio.WriteTransport ---------------------------------------------------------------

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        """Set the octets queued above which writing pauses and below which it resumes."""
        if high is None:
            high = HIGH_WATER if low is None else 4 * low
        if low is None:
            low = high // 4
        if not high >= low >= 0:
            raise ValueError(f"high ({high!r}) must be >= low ({low!r}) must be >= 0")
        self._high, self._low = high, low
        self._check_pause()

    def get_write_buffer_limits(self) -> tuple[int, int]:
        """Return ``(low, high)``."""
        return (self._low, self._high)

    def get_write_buffer_size(self) -> int:
        """Return the octets written and not yet taken by the socket's send buffer."""
        return self._pending_size

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Queue ``data``; RuntimeError after `write_eof`, ignored once the connection is lost."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes-like, not {type(data).__name__}")
        if self._eof_wanted:
            raise RuntimeError("cannot call write() after write_eof()")
        if self._lost or self._closing or not data:
            return
        view = memoryview(bytes(data) if not isinstance(data, bytes) else data).cast("B")
        if not self._pending and self._sock.may_send():
            try:
                n = self._sock.send(view)
            except SendError:
                n = 0
            if n:
                self._rt.wake()
            view = view[n:]
        if len(view):
            self._pending.append(view)
            self._pending_size += len(view)
            self._check_pause()

    def writelines(self, list_of_data: Any) -> None:
        """Write each item of ``list_of_data``."""
        for data in list_of_data:
            self.write(data)

    def write_eof(self) -> None:
        """Send a FIN after what is queued (half-close); receiving goes on."""
        if self._eof_wanted or self._lost:
            return
        self._eof_wanted = True
        self._flush()
        self._rt.wake()

    def can_write_eof(self) -> bool:
        """Return True: TCP can half-close."""
        return True

    def abort(self) -> None:
        """Reset the connection now, discarding queued data; ``connection_lost(None)`` follows."""
        if self._lost:
            return
        self._sock.abort()
        self._lose(None)

    # -- driven by the runtime ----------------------------------------------------------------

    def _check_pause(self) -> None:
        if not self._writing_paused and self._pending_size > self._high:
            self._writing_paused = True
            self._protocol.pause_writing()
        elif self._writing_paused and self._pending_size <= self._low:
            self._writing_paused = False
            self._protocol.resume_writing()

    def _flush(self) -> None:
        sock = self._sock
        pending = self._pending
        while pending and sock.can_send():
            view = pending[0]
            n = sock.send(view)
            if not n:
                break
            self._pending_size -= n
            if n == len(view):
                pending.popleft()
            else:
                pending[0] = view[n:]
        if self._writing_paused:
            self._check_pause()
        if (
            (self._closing or self._eof_wanted)
            and not pending
            and not self._fin_sent
            and sock.may_send()
        ):
            sock.close()
            self._fin_sent = True
            self._rt.wake()
        if self._closing and (self._fin_sent or not sock.is_active()):
            self._lose(None)

    def _on_poll(self) -> None:
        if self._lost:
            return
        sock = self._sock
        protocol = self._protocol
        while not (self._reading_paused or self._closing) and sock.can_recv():
            if self._buffered:
                buf = protocol.get_buffer(READ_CHUNK)  # type: ignore[attr-defined]
                n = sock.recv_into(buf)
                if not n:  # an empty buffer: wait for the protocol to make room
                    break
                protocol.buffer_updated(n)  # type: ignore[attr-defined]
            else:
                protocol.data_received(sock.recv(READ_CHUNK))  # type: ignore[attr-defined]
            if self._lost:
                return
        if not sock.can_recv():
            reason = sock.error
            if reason is not None:
                self._lose(os_error(reason))
                return
            if not self._eof_received and not sock.may_recv() and sock.state not in _OPENING:
                self._eof_received = True
                keep_open = protocol.eof_received()  # type: ignore[attr-defined]
                if self._lost:
                    return
                if not keep_open:
                    self.close()
        if self._pending or self._closing or self._eof_wanted:
            self._flush()
        if not self._lost and not sock.is_open():
            # Both FINs exchanged: nothing more will ever happen on this connection.
            self._lose(None)

    def _lose(self, exc: Exception | None) -> None:
        if self._lost:
            return
        self._lost = True
        self._closing = True
        self._pending.clear()
        self._pending_size = 0
        self._rt._release(self._handle)
        self._loop.call_soon(self._call_connection_lost, exc)

    def _call_connection_lost(self, exc: Exception | None) -> None:
        try:
            self._protocol.connection_lost(exc)
        finally:
            if self._server is not None:
                self._server._detach(self)
                self._server = None


class _Connecting:
    """Wait for an active open to complete, fail, or be cancelled."""

    def __init__(self, sock: TcpSocket, waiter: asyncio.Future[None]) -> None:
        self.sock = sock
        self.waiter = waiter

    def close(self) -> None:
        """Give up: the waiting `open_tcp` raises `ConnectionAbortedError`."""
        if not self.waiter.done():
            self.waiter.set_exception(os_error("aborted: the runtime is closing"))

    abort = close

    def _on_poll(self) -> None:
        if self.waiter.done():
            return
        state = self.sock.state
        if state is TcpState.SYN_SENT:
            return
        if state is TcpState.CLOSED:
            self.waiter.set_exception(os_error(self.sock.error or "refused"))
        else:
            self.waiter.set_result(None)


async def open_tcp(
    runtime: Runtime,
    host: Any,
    port: int,
    *,
    local_addr: tuple[Any, int] | None = None,
    buffer: int | None = None,
) -> tuple[int, TcpSocket]:
    """Open a connection to ``(host, port)``; return its handle and socket once established.

    Raises `ConnectionRefusedError`, `TimeoutError` (the stack gave up on the SYN), OSError
    (no route, a bad endpoint), ``socket.gaierror`` (a name that does not resolve). When the
    awaiting task is cancelled (``asyncio.timeout``, ``wait_for``) the attempt is aborted and
    its socket freed.
    """
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise ValueError(f"port must be an int in 1..65535, not {port!r}")
    addr = await runtime.resolve(host)
    sock = runtime.new_tcp_socket(buffer)
    handle = runtime.sockets.add(sock)
    if local_addr is None:
        local: Any = 0
    else:
        local_host, local_port = local_addr
        local = (await runtime.resolve(local_host), local_port) if local_host else local_port
    try:
        sock.connect(runtime.iface.context, (addr, port), local)
    except ConnectError as exc:
        runtime.sockets.remove(handle)
        raise os_error(exc.reason) from None
    waiter: asyncio.Future[None] = runtime.loop.create_future()
    runtime._register(handle, _Connecting(sock, waiter))
    runtime.wake()
    try:
        await waiter
    except BaseException:
        runtime._unregister(handle)
        sock.abort()
        runtime._release(handle)
        raise
    runtime._unregister(handle)
    return handle, sock


async def create_connection(
    runtime: Runtime,
    protocol_factory: Callable[[], asyncio.BaseProtocol],
    host: Any,
    port: int,
    *,
    local_addr: tuple[Any, int] | None = None,
    buffer: int | None = None,
) -> tuple[TcpTransport, asyncio.BaseProtocol]:
    """Connect to ``(host, port)`` over the stack; return ``(transport, protocol)``.

    As `asyncio.loop.create_connection`; errors as `open_tcp`.
    """
    handle, sock = await open_tcp(runtime, host, port, local_addr=local_addr, buffer=buffer)
    try:
        protocol = protocol_factory()
        transport = TcpTransport(runtime, handle, sock, protocol)
    except BaseException:
        # The application's factory or connection_made: the connection is nobody's.
        runtime._unregister(handle)
        sock.abort()
        runtime._release(handle)
        raise
    return transport, protocol


class Server(asyncio.AbstractServer):
    """A listening TCP socket of the stack that makes a transport for each connection.

    As asyncio's server: `close` stops listening (connections go on), `wait_closed` waits for
    the listener to close and every connection it made to end, `serve_forever` serves until
    cancelled, and ``async with`` closes and waits on exit.
    """

    def __init__(
        self,
        runtime: Runtime,
        handle: int,
        sock: TcpSocket,
        protocol_factory: Callable[[], asyncio.BaseProtocol],
        *,
        max_connections: int | None = None,
    ) -> None:
        self._rt = runtime
        self._handle = handle
        self._sock = sock
        self._factory = protocol_factory
        # At most this many connections at once: the rest wait in the listener's backlog
        # (itself bounded: a SYN that finds it full is dropped, and the peer retries).
        self._max = max_connections
        self._transports: set[TcpTransport] = set()
        self._closed = False
        self._waiters: list[asyncio.Future[None]] = []
        self._serving: asyncio.Future[None] | None = None
        self.sockname = endpoint_tuple(sock.local_endpoint)
        """The listening ``(address, port)`` (address ``0.0.0.0``: any of the interface's)."""
        runtime._register(handle, self)
        runtime.wake()

    def __repr__(self) -> str:
        return f"<Server {self.sockname} {'closed' if self._closed else 'serving'}>"

    @property
    def connections(self) -> int:
        """Connections made by this server that have not ended yet."""
        return len(self._transports)

    def _on_poll(self) -> None:
        sockets = self._rt.sockets
        while not self._closed:
            if self._max is not None and len(self._transports) >= self._max:
                break
            handle = self._sock.accept()
            if handle is None:
                break
            child = sockets.get(handle)
            try:
                TcpTransport(self._rt, handle, child, self._factory(), server=self)
            except Exception as exc:  # the application's factory or connection_made
                # One bad connection must not take the listener down with it.
                self._rt.loop.call_exception_handler(
                    {"message": "cannot set up an accepted connection", "exception": exc}
                )
                self._rt._unregister(handle)
                self._transports = {t for t in self._transports if t._handle != handle}
                child.abort()
                self._rt._release(handle)

    def _attach(self, transport: TcpTransport) -> None:
        self._transports.add(transport)

    def _detach(self, transport: TcpTransport) -> None:
        self._transports.discard(transport)
        if self._max is not None and not self._closed:
            self._rt.wake()  # a connection waiting in the backlog may be accepted now
        self._wakeup()

    def _wakeup(self) -> None:
        if self._closed and not self._transports:
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    def close(self) -> None:
        """Stop listening; unaccepted connections are reset, accepted ones go on."""
        if self._closed:
            return
        self._closed = True
        self._rt._unregister(self._handle)
        # The children nobody accepted: the close aborts them; the runtime frees each once
        # its RST is out. (Only these: other sockets of the set are not the server's.)
        children = self._sock.backlog_handles
        self._sock.close()
        self._rt._release(self._handle)
        for handle in children:
            self._rt._release(handle)
        if self._serving is not None and not self._serving.done():
            self._serving.cancel()
        self._wakeup()

    def close_clients(self) -> None:
        """Close every connection this server made (gracefully)."""
        for transport in list(self._transports):
            transport.close()

    def abort_clients(self) -> None:
        """Reset every connection this server made."""
        for transport in list(self._transports):
            transport.abort()

    async def wait_closed(self) -> None:
        """Wait until the server is closed and all its connections have ended."""
        if self._closed and not self._transports:
            return
        waiter: asyncio.Future[None] = self._rt.loop.create_future()
        self._waiters.append(waiter)
        await waiter

    def get_loop(self) -> asyncio.AbstractEventLoop:
        """Return the runtime's loop."""
        return self._rt.loop

    def is_serving(self) -> bool:
        """Return True until `close`."""
        return not self._closed

    async def start_serving(self) -> None:
        """Do nothing: the server listens from its creation."""

    async def serve_forever(self) -> None:
        """Serve until cancelled (or closed); on cancellation close and wait (as asyncio)."""
        if self._serving is not None:
            raise RuntimeError("serve_forever is already running")
        if self._closed:
            raise RuntimeError("the server is closed")
        self._serving = self._rt.loop.create_future()
        try:
            await self._serving
        except asyncio.CancelledError:
            try:
                self.close()
                await self.wait_closed()
            finally:
                raise
        finally:
            self._serving = None

    @property
    def sockets(self) -> tuple[ListeningName, ...]:
        """One `ListeningName` (``getsockname()``), as asyncio's ``server.sockets[0]``."""
        return () if self._closed else (ListeningName(self.sockname),)


class ListeningName:
    """What asyncio code asks of a server's socket: its name (there is no kernel socket)."""

    family = _socket.AF_INET
    type = _socket.SOCK_STREAM

    def __init__(self, name: tuple[str, int] | None) -> None:
        self._name = name

    def getsockname(self) -> tuple[str, int] | None:
        """Return ``(address, port)``; the address is ``0.0.0.0`` for every address."""
        return self._name

    def __repr__(self) -> str:
        return f"<ListeningName {self._name}>"


async def create_server(
    runtime: Runtime,
    protocol_factory: Callable[[], asyncio.BaseProtocol],
    host: Any = None,
    port: int = 0,
    *,
    backlog: int = 100,
    buffer: int | None = None,
) -> Server:
    """Listen on ``(host, port)`` of the stack (host None or ``""``: every address).

    As `asyncio.loop.create_server`: port 0 picks a free ephemeral port (read it from
    ``server.sockname`` or ``server.sockets[0].getsockname()``). ``backlog`` bounds
    connections waiting for the handshake or for acceptance. Raises ValueError for a bad port
    or backlog, OSError when the port is in use or the endpoint unusable.
    """
    if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port < 65536:
        raise ValueError(f"port must be an int in 0..65535, not {port!r}")
    if not isinstance(backlog, int) or backlog < 1:
        raise ValueError(f"backlog must be an int >= 1, not {backlog!r}")
    addr = None if host in (None, "", "0.0.0.0") else await runtime.resolve(host)
    listening = set()
    used = set()
    for _, other in runtime.sockets:
        if isinstance(other, TcpSocket):
            ep = other.local_endpoint
            if ep is not None:
                used.add(ep.port)
                if other.is_listening():
                    listening.add(ep.port)
    if port == 0:
        rand = runtime.iface.context.rand
        for _ in range(256):
            port = rand.randrange(49152, 65536)
            if port not in used:
                break
        else:
            raise OSError(errno.EADDRINUSE, "no free ephemeral port")
    elif port in listening:
        raise OSError(errno.EADDRINUSE, f"address already in use: port {port}")
    endpoint: Any = port if addr is None else (addr, port)
    sock = runtime.new_tcp_socket(buffer)
    # In the set first: the listener files its children in its own set.
    handle = runtime.sockets.add(sock)
    try:
        sock.listen(endpoint, backlog)
    except ListenError as exc:
        runtime.sockets.remove(handle)
        if exc.reason.startswith("unaddressable"):
            # An address no connection comes to (a group, a broadcast one): a bind's error,
            # not a route's.
            raise OSError(
                errno.EADDRNOTAVAIL, f"Cannot assign requested address ({exc.reason})"
            ) from None
        raise os_error(exc.reason) from None
    return Server(runtime, handle, sock, protocol_factory)
