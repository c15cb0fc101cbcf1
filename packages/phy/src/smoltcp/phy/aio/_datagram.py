"""Datagrams over the stack: a UDP `DatagramTransport`, and an ICMP echo (ping) helper."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable
from typing import Any

from smoltcp.stack.socket import IcmpEndpoint, IcmpSocket, UdpSocket
from smoltcp.stack.socket.errors import BindError, SendError
from smoltcp.stack.storage import PacketBuffer
from smoltcp.wire import ChecksumCapabilities, Icmpv4Message, Icmpv4Packet, Icmpv4Repr, IpEndpoint

from ._icmp_errors import udp_error
from ._runtime import Runtime, endpoint_tuple

__all__ = ["UdpTransport", "create_datagram_endpoint", "ping"]

DATAGRAMS = 64
"""Datagrams each UDP socket buffer holds."""

PAYLOAD = 64 * 1024
"""Octets each UDP socket buffer holds."""

HIGH_WATER = 64 * 1024

ERRORS = 8
"""ICMP errors each endpoint keeps until its next visit (more are dropped, as a kernel does)."""


class UdpTransport(asyncio.DatagramTransport):
    """A UDP socket of the stack as an `asyncio.DatagramTransport`.

    Datagrams that do not fit in the socket's send buffer wait in the transport (the protocol's
    ``pause_writing`` is called above the high-water mark). With a remote address, datagrams
    from anyone else are ignored, as on a connected kernel socket. Addresses are
    ``(address text, port)`` tuples.

    ICMP errors about datagrams sent from the endpoint (port unreachable, host unreachable,
    time exceeded, ...) reach the protocol's ``error_received`` as the `OSError` a kernel
    socket reports (`ConnectionRefusedError` for port unreachable); with a remote address,
    only those about datagrams to it. An ICMP socket bound to the endpoint takes them (``icmp``
    below; None: errors are not reported).
    """

    def __init__(
        self,
        runtime: Runtime,
        handle: int,
        sock: UdpSocket,
        protocol: asyncio.DatagramProtocol,
        remote: IpEndpoint | None,
        icmp: tuple[int, IcmpSocket] | None = None,
    ) -> None:
        super().__init__({"smoltcp_socket": sock})
        self._rt = runtime
        self._handle = handle
        self._sock = sock
        self._icmp = icmp
        if icmp is not None:
            runtime._register(icmp[0], _ErrorSink(self, icmp[1]))
        self._protocol = protocol
        self._remote = remote
        self._pending: collections.deque[tuple[bytes, IpEndpoint]] = collections.deque()
        self._pending_size = 0
        self._paused = False
        self._closing = False
        runtime._register(handle, self)
        protocol.connection_made(self)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """Return ``sockname``, ``peername`` (with a remote address), or ``default``."""
        if name == "sockname":
            ep = self._sock.endpoint
            return endpoint_tuple(ep)
        if name == "peername":
            return endpoint_tuple(self._remote) if self._remote is not None else default
        return super().get_extra_info(name, default)

    def is_closing(self) -> bool:
        """Return True after `close` or `abort`."""
        return self._closing

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

    def get_write_buffer_size(self) -> int:
        """Return the octets waiting in the transport (not yet in the socket's buffer)."""
        return self._pending_size

    def get_protocol(self) -> asyncio.BaseProtocol:
        """Return the protocol."""
        return self._protocol

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        """Replace the protocol."""
        self._protocol = protocol  # type: ignore[assignment]

    def sendto(self, data: Any, addr: Any = None) -> None:
        """Send the datagram ``data`` to ``addr`` (default: the remote address).

        Raises ValueError without an address (or with another one than the remote address).
        """
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes-like, not {type(data).__name__}")
        if self._closing:
            return
        if addr is None:
            if self._remote is None:
                raise ValueError("addr is required without a remote address")
            ep = self._remote
        else:
            ep = _endpoint(addr)
            if self._remote is not None and ep != self._remote:
                raise ValueError(f"addr must be the remote address {self._remote}, not {addr!r}")
        data = bytes(data)
        if not self._pending and self._try_send(data, ep):
            return
        self._pending.append((data, ep))
        self._pending_size += len(data)
        if not self._paused and self._pending_size > HIGH_WATER:
            self._paused = True
            self._protocol.pause_writing()

    def _try_send(self, data: bytes, ep: IpEndpoint) -> bool:
        try:
            self._sock.send_to(data, ep)
        except SendError as exc:
            if exc.reason.startswith("buffer full"):
                return False
            self._rt.loop.call_soon(self._protocol.error_received, OSError(exc.reason))
            return True
        self._rt.wake()
        return True

    def _on_poll(self) -> None:
        sock = self._sock
        remote = self._remote
        while sock.can_recv() and not self._closing:
            data, ep = sock.recv_from()
            if remote is not None and ep != remote:
                continue
            self._protocol.datagram_received(bytes(data), endpoint_tuple(ep))  # type: ignore[arg-type]
        while self._pending and self._try_send(*self._pending[0]):
            self._pending_size -= len(self._pending.popleft()[0])
        if self._paused and self._pending_size <= HIGH_WATER // 4:
            self._paused = False
            self._protocol.resume_writing()
        if self._closing and not self._pending and sock.send_queue == 0:
            self._finish()

    def _take_errors(self, icmp: IcmpSocket) -> None:
        remote = self._remote
        while icmp.can_recv() and not self._closing:
            message, source = icmp.recv_from()
            found = udp_error(message, source)
            if found is None:
                continue
            exc, dst = found
            if remote is not None and dst != remote:
                continue
            self._protocol.error_received(exc)

    def _finish(self) -> None:
        if self._handle in self._rt._endpoints:
            self._rt._forget(self._handle)
            if self._icmp is not None:
                self._rt._forget(self._icmp[0])
            self._rt.loop.call_soon(self._protocol.connection_lost, None)


class _ErrorSink:
    """The runtime's endpoint for a transport's ICMP socket: hands the errors over."""

    def __init__(self, transport: UdpTransport, icmp: IcmpSocket) -> None:
        self._transport = transport
        self._icmp = icmp

    def _on_poll(self) -> None:
        self._transport._take_errors(self._icmp)


def _endpoint(addr: Any) -> IpEndpoint:
    from smoltcp.stack.socket.udp import to_endpoint

    try:
        return to_endpoint(addr)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"bad address {addr!r}: {exc}") from None


async def create_datagram_endpoint(
    runtime: Runtime,
    protocol_factory: Callable[[], asyncio.DatagramProtocol],
    local_addr: tuple[Any, int] | None = None,
    remote_addr: tuple[Any, int] | None = None,
) -> tuple[UdpTransport, asyncio.DatagramProtocol]:
    """Open a UDP endpoint of the stack; return ``(transport, protocol)``.

    As `asyncio.loop.create_datagram_endpoint`: ``local_addr`` ``(host, port)`` to bind (port
    0 or no ``local_addr``: an ephemeral port), ``remote_addr`` to send to by default and to
    receive from only. ICMP errors about the datagrams sent reach the protocol's
    ``error_received`` (see `UdpTransport`). Raises OSError when the port is taken.
    """
    remote = None
    if remote_addr is not None:
        host, port = remote_addr
        remote = IpEndpoint(await runtime.resolve(host), port)
    host, port = local_addr if local_addr is not None else (None, 0)
    addr = await runtime.resolve(host) if host not in (None, "", "0.0.0.0") else None
    taken = {s.endpoint.port for _, s in runtime.sockets if isinstance(s, UdpSocket) and s.endpoint}
    if port == 0:
        rand = runtime.iface.context.rand
        for _ in range(64):
            port = rand.randrange(49152, 65536)
            if port not in taken:
                break
    elif port in taken:
        raise OSError(98, f"address already in use: UDP port {port}")
    sock = UdpSocket(PacketBuffer(DATAGRAMS, PAYLOAD), PacketBuffer(DATAGRAMS, PAYLOAD))
    try:
        sock.bind((addr, port))
    except BindError as exc:
        raise OSError(f"cannot bind UDP port {port}: {exc.reason}") from None
    handle = runtime.sockets.add(sock)
    errors = IcmpSocket(PacketBuffer(ERRORS, ERRORS * 576), PacketBuffer(1, 1))
    errors.bind(IcmpEndpoint.udp((addr, port)))
    icmp = (runtime.sockets.add(errors), errors)
    protocol = protocol_factory()
    transport = UdpTransport(runtime, handle, sock, protocol, remote, icmp)
    runtime.wake()
    return transport, protocol


class _Pinger:
    def __init__(self, sock: IcmpSocket, ident: int, seq: int, waiter: asyncio.Future[Any]):
        self.sock = sock
        self.ident = ident
        self.seq = seq
        self.waiter = waiter
        self.caps = ChecksumCapabilities()

    def close(self) -> None:
        if not self.waiter.done():
            self.waiter.set_exception(ConnectionAbortedError("the runtime is closing"))

    abort = close

    def _on_poll(self) -> None:
        while self.sock.can_recv():
            payload, source = self.sock.recv_from()
            try:
                reply = Icmpv4Repr.parse(Icmpv4Packet(bytes(payload)), self.caps)
            except ValueError:
                continue  # damaged: not our reply
            if self.waiter.done():
                continue
            message = reply.message
            if message == Icmpv4Message.ECHO_REPLY:
                if reply.ident == self.ident and reply.seq_no == self.seq:
                    self.waiter.set_result(source)
            elif message == Icmpv4Message.DST_UNREACHABLE:
                self.waiter.set_exception(OSError(113, f"host unreachable (from {source})"))


async def ping(
    runtime: Runtime,
    host: Any,
    *,
    payload: bytes = b"smoltcp asyncio ping",
    seq: int = 1,
    ident: int | None = None,
    timeout: float = 5.0,
) -> float:
    """Send one ICMP echo request to ``host``; return the round-trip time in seconds.

    Raises `TimeoutError` when no reply comes within ``timeout`` seconds, OSError when an
    ICMP destination unreachable answers. The ICMP socket is freed in every case.
    """
    if timeout <= 0:
        raise ValueError(f"timeout must be > 0, not {timeout}")
    if not 0 <= seq <= 0xFFFF:
        raise ValueError(f"seq must be in 0..65535, not {seq}")
    addr = await runtime.resolve(host)
    if ident is None:
        ident = runtime.iface.context.rand.randrange(1, 0x10000)
    sock = IcmpSocket(PacketBuffer(8, 8 * 1024), PacketBuffer(8, 8 * 1024))
    sock.bind(ident)
    handle = runtime.sockets.add(sock)
    loop = runtime.loop
    waiter: asyncio.Future[Any] = loop.create_future()
    runtime._register(handle, _Pinger(sock, ident, seq, waiter))
    try:
        request = Icmpv4Repr.echo_request(ident, seq, payload)
        buf = bytearray(request.buffer_len())
        request.emit(Icmpv4Packet.new_unchecked(buf), ChecksumCapabilities())
        start = loop.time()
        sock.send_to(buf, addr)
        runtime.wake()
        await asyncio.wait_for(waiter, timeout)
        return loop.time() - start
    finally:
        runtime._forget(handle)
