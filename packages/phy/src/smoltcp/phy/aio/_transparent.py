"""Transparent mode on the event loop: serve every destination that reaches the interface.

The interface must have `Config.any_ip` on (see `smoltcp.stack.iface.transparent` for which
packets that lets in). Then:

- `create_transparent_server` / `start_transparent_server`: one catch-all listener
  (`TcpSocket.listen_any`); each connection's ``get_extra_info('sockname')`` is the address
  and port the client dialled, ``peername`` the client;
- `create_transparent_datagram_endpoint`: one catch-all UDP socket; its protocol's
  ``datagram_received(data, addr, dst)`` gets the destination as well, and
  ``transport.sendto(data, addr, src)`` answers from any address and port (``src`` is
  normally the ``dst`` of the datagram answered).

A connection or datagram to a port that a socket of the runtime is bound to goes to that
socket first (see `Config.any_ip`).
"""

from __future__ import annotations

import asyncio
import collections
import errno
from collections.abc import Callable
from typing import Any

from smoltcp.stack.socket import TransparentUdpSocket
from smoltcp.stack.socket.errors import BindError, SendError
from smoltcp.stack.socket.udp import to_endpoint
from smoltcp.stack.storage import PacketBuffer
from smoltcp.stack.tcp import TcpSocket
from smoltcp.wire import IpEndpoint

from ._runtime import Runtime, endpoint_tuple
from ._streams import DEFAULT_LIMIT, ClientConnected
from ._tcp import Server

__all__ = [
    "TransparentDatagramProtocol",
    "TransparentUdpTransport",
    "create_transparent_datagram_endpoint",
    "create_transparent_server",
    "start_transparent_server",
]

DATAGRAMS = 256
"""Datagrams the catch-all UDP socket's buffers hold (each way)."""

PAYLOAD = 256 * 1024
"""Octets the catch-all UDP socket's buffers hold (each way)."""

HIGH_WATER = 256 * 1024
"""Octets waiting in the transport above which the protocol's ``pause_writing`` is called."""

_CATCH_ALL = IpEndpoint(None, 0)  # a catch-all listener's local endpoint


def _check_positive(value: Any, what: str, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{what} must be >= 1, not {value}")


def _is_catch_all(sock: Any) -> bool:
    return isinstance(sock, TcpSocket) and sock.is_listening() and sock.local_endpoint == _CATCH_ALL


async def create_transparent_server(
    runtime: Runtime,
    protocol_factory: Callable[[], asyncio.BaseProtocol],
    *,
    backlog: int = 100,
    buffer: int | None = None,
    max_connections: int | None = None,
) -> Server:
    """Accept TCP connections to every address and port; return the `Server`.

    Each connection's transport reports the destination the client dialled as
    ``sockname``. ``backlog`` bounds the connections waiting for their handshake or to be
    accepted; ``max_connections`` (None: no limit) those served at once, the next ones
    waiting in the backlog. The server's own ``sockname`` is ``("0.0.0.0", 0)``. Raises
    TypeError/ValueError for a bad ``backlog`` or ``max_connections``, OSError when a
    catch-all listener exists already in the runtime's set.
    """
    _check_positive(backlog, "backlog")
    _check_positive(max_connections, "max_connections", allow_none=True)
    if any(_is_catch_all(other) for _, other in runtime.sockets):
        raise OSError(errno.EADDRINUSE, "a catch-all TCP listener exists already")
    sock = runtime.new_tcp_socket(buffer)
    handle = runtime.sockets.add(sock)
    sock.listen_any(backlog)
    return Server(runtime, handle, sock, protocol_factory, max_connections=max_connections)


async def start_transparent_server(
    runtime: Runtime,
    client_connected_cb: ClientConnected,
    *,
    limit: int = DEFAULT_LIMIT,
    backlog: int = 100,
    buffer: int | None = None,
    max_connections: int | None = None,
) -> Server:
    """Call ``client_connected_cb(reader, writer)`` for each connection to any destination.

    ``writer.get_extra_info('sockname')`` is the ``(address, port)`` the client dialled.
    Arguments and errors as `create_transparent_server` (``limit`` as `start_server`).
    """
    loop = runtime.loop

    def factory() -> asyncio.BaseProtocol:
        reader = asyncio.StreamReader(limit=limit, loop=loop)
        return asyncio.StreamReaderProtocol(reader, client_connected_cb, loop=loop)

    return await create_transparent_server(
        runtime, factory, backlog=backlog, buffer=buffer, max_connections=max_connections
    )


class TransparentDatagramProtocol(asyncio.BaseProtocol):
    """The protocol of a `TransparentUdpTransport`: as `asyncio.DatagramProtocol`, with the
    destination of each datagram."""

    def datagram_received(self, data: bytes, addr: tuple[str, int], dst: tuple[str, int]) -> None:
        """Take ``data`` sent from ``addr`` to ``dst`` (both ``(address text, port)``)."""

    def error_received(self, exc: Exception) -> None:
        """Take an error of a send (``OSError``)."""


class TransparentUdpTransport(asyncio.BaseTransport):
    """The catch-all UDP socket of the stack as a transport.

    `sendto` queues in the socket (what does not fit waits here, and the protocol's
    ``pause_writing`` is called above `HIGH_WATER` octets). Datagrams that arrive while the
    socket's receive buffer is full are dropped (counted in the socket's ``rx_dropped``).
    """

    def __init__(
        self,
        runtime: Runtime,
        handle: int,
        sock: TransparentUdpSocket,
        protocol: TransparentDatagramProtocol,
    ) -> None:
        super().__init__({"smoltcp_socket": sock})
        self._rt = runtime
        self._handle = handle
        self._sock = sock
        self._protocol = protocol
        self._pending: collections.deque[tuple[bytes, IpEndpoint, IpEndpoint]] = collections.deque()
        self._pending_size = 0
        self._paused = False
        self._closing = False
        runtime._register(handle, self)
        protocol.connection_made(self)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """Return ``sockname`` (``("0.0.0.0", 0)``: every address and port), or ``default``."""
        if name == "sockname":
            return ("0.0.0.0", 0)
        return super().get_extra_info(name, default)

    def is_closing(self) -> bool:
        """Return True after `close` or `abort`."""
        return self._closing

    def get_protocol(self) -> asyncio.BaseProtocol:
        """Return the protocol."""
        return self._protocol

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        """Replace the protocol."""
        self._protocol = protocol  # type: ignore[assignment]

    def get_write_buffer_size(self) -> int:
        """Return the octets waiting in the transport (not yet in the socket's buffer)."""
        return self._pending_size

    def close(self) -> None:
        """Send what is queued, then free the socket; ``connection_lost(None)`` follows."""
        if self._closing:
            return
        self._closing = True
        self._rt.wake()
        if not self._pending:
            self._finish()

    def abort(self) -> None:
        """Drop what is queued and free the socket now."""
        self._closing = True
        self._pending.clear()
        self._finish()

    def sendto(self, data: Any, addr: Any, src: Any) -> None:
        """Send ``data`` to ``addr`` from ``src`` (each ``(address, port)`` with a port).

        Raises TypeError for data that is not bytes-like, ValueError for a bad address.
        """
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes-like, not {type(data).__name__}")
        try:
            remote = to_endpoint(addr, "addr")
            local = to_endpoint(src, "src")
        except TypeError as exc:
            raise ValueError(str(exc)) from None
        if self._closing:
            return
        item = (bytes(data), remote, local)
        if not self._pending and self._try_send(item):
            return
        self._pending.append(item)
        self._pending_size += len(item[0])
        if not self._paused and self._pending_size > HIGH_WATER:
            self._paused = True
            self._protocol.pause_writing()

    def _try_send(self, item: tuple[bytes, IpEndpoint, IpEndpoint]) -> bool:
        try:
            self._sock.send_to(*item)
        except SendError as exc:
            if exc.reason.startswith("buffer full") and len(item[0]) <= PAYLOAD:
                return False
            self._rt.loop.call_soon(self._protocol.error_received, OSError(exc.reason))
            return True
        self._rt.wake()
        return True

    def _on_poll(self) -> None:
        sock = self._sock
        while sock.can_recv() and not self._closing:
            data, src, dst = sock.recv_from()
            self._protocol.datagram_received(data, endpoint_tuple(src), endpoint_tuple(dst))  # type: ignore[arg-type]
        while self._pending and self._try_send(self._pending[0]):
            self._pending_size -= len(self._pending.popleft()[0])
        if self._paused and self._pending_size <= HIGH_WATER // 4:
            self._paused = False
            self._protocol.resume_writing()
        if self._closing and not self._pending and sock.send_queue == 0:
            self._finish()

    def _finish(self) -> None:
        if self._handle in self._rt._endpoints:
            self._rt._forget(self._handle)
            self._rt.loop.call_soon(self._protocol.connection_lost, None)


async def create_transparent_datagram_endpoint(
    runtime: Runtime,
    protocol_factory: Callable[[], TransparentDatagramProtocol],
) -> tuple[TransparentUdpTransport, TransparentDatagramProtocol]:
    """Take every UDP datagram no other socket takes; return ``(transport, protocol)``.

    Raises OSError when the runtime's set has an open catch-all UDP socket already.
    """
    for _, other in runtime.sockets:
        if isinstance(other, TransparentUdpSocket) and other.is_open():
            raise OSError(errno.EADDRINUSE, "a catch-all UDP socket exists already")
    sock = TransparentUdpSocket(PacketBuffer(DATAGRAMS, PAYLOAD), PacketBuffer(DATAGRAMS, PAYLOAD))
    try:
        sock.open()
    except BindError as exc:  # pragma: no cover - a new socket is closed
        raise OSError(exc.reason) from None
    handle = runtime.sockets.add(sock)
    protocol = protocol_factory()
    transport = TransparentUdpTransport(runtime, handle, sock, protocol)
    runtime.wake()
    return transport, protocol
