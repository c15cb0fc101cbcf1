"""The catch-all UDP socket of transparent mode: every unclaimed datagram, with its destination.

A `UdpSocket` is bound to one port and answers from it; a transparent relay must take
datagrams to any address and port (`Config.any_ip`) and answer each from the address and
port the client sent it to, or the client's own UDP socket would not recognise the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from typing import Any

from smoltcp.stack.storage import BufferEmpty, BufferFull
from smoltcp.stack.time import Instant
from smoltcp.wire import IpEndpoint, Ipv6Address
from smoltcp.wire.ip import ip_repr
from smoltcp.wire.ipv4 import IpProtocol
from smoltcp.wire.udp import UdpRepr

from .base import Emit
from .datagram import DatagramSocket, check_bytes, check_size
from .errors import BindError, RecvError, SendError
from .set import ANY_UDP_KEY
from .udp import DEFAULT_HOP_LIMIT, to_endpoint

__all__ = ["TransparentUdpSocket"]

log = logging.getLogger("smoltcp.stack.socket.udp")

_UDP = IpProtocol.UDP
_ZERO = Instant.ZERO


class TransparentUdpSocket(DatagramSocket):
    """Take every unicast datagram no `UdpSocket` takes; answer from any address and port.

    `open` files it under the catch-all key: a datagram whose destination address and port
    match no bound socket comes here (broadcasts never do), with addresses other than the
    interface's own only under `Config.any_ip`. `recv_from` gives the payload, the source and
    the destination the client sent to; `send_to` names the remote and the local endpoint
    to send from (normally the destination of the datagram being answered). Buffers as
    `UdpSocket`'s; ``rx_dropped`` counts what did not fit. One open catch-all per set takes
    the datagrams (the first filed).
    """

    __slots__ = ()

    def open(self) -> None:
        """Start taking datagrams (`is_open` is then True); raise BindError("already bound")
        when open."""
        if self._endpoint is not None:
            raise BindError("already bound")
        self._endpoint = IpEndpoint(None, 0)
        self._rebind()

    def close(self) -> None:
        """Stop taking datagrams and drop every queued one."""
        self._endpoint = None
        self._rx.clear()
        self._tx.clear()
        self._rebind()

    def can_send(self) -> bool:
        """Return whether a datagram slot is free in the transmit buffer."""
        return not self._tx.is_full()

    def can_recv(self) -> bool:
        """Return whether a datagram waits in the receive buffer."""
        return not self._rx.is_empty()

    # Any: whatever to_endpoint accepts (an endpoint, a port, a pair or text), checked there.
    def send_to(self, data: bytes | bytearray | memoryview, remote: Any, local: Any) -> None:
        """Queue a copy of ``data`` from ``local`` to ``remote`` (each an `IpEndpoint`,
        ``(address, port)`` or ``"address:port"``, with an address and a non-zero port).

        Raises SendError("unaddressable") when closed, for an endpoint without address or
        port, for endpoints of two IP versions, for a ``local`` address no packet may leave
        from: multicast or broadcast (RFC 1122 3.2.1.3, RFC 4291 2.7), for an IPv4-mapped
        IPv6 address at either end (``::ffff:a.b.c.d``, never on the wire: RFC 4291 2.5.5.2;
        use the IPv4 address), whatever the interface; SendError("buffer
        full") when it does not fit; TypeError/ValueError naming the argument for one of the
        wrong kind. A datagram from or to a loopback address (127/8, ::1: never outside a
        host) is dropped when it would leave and counted in ``tx_dropped``, unless the
        interface is a loopback one (see `Context.loopback_ok`).
        """
        check_bytes(data)
        check_size(len(data))
        if self._endpoint is None:
            raise SendError("unaddressable: the socket is not open")
        dst = to_endpoint(remote, "remote")
        src = to_endpoint(local, "local")
        for ep in (dst, src):
            if ep.port == 0 or ep.addr is None or ep.addr.is_unspecified:
                raise SendError(f"unaddressable: {ep}")
        if dst.addr.version != src.addr.version:  # type: ignore[union-attr]
            raise SendError(f"unaddressable: {src} cannot send to {dst}")
        if not src.addr.is_unicast:  # type: ignore[union-attr]
            raise SendError(f"unaddressable: no packet leaves from {src}")
        if type(src.addr) is Ipv6Address and (
            src.addr._int >> 32 == 0xFFFF or dst.addr._int >> 32 == 0xFFFF  # type: ignore[union-attr]
        ):
            # ::ffff:0:0/96 (an int test per end, as every datagram comes this way; both ends
            # are IPv6 here) never appears on the wire (RFC 4291 2.5.5.2, RFC 4942 2.2).
            raise SendError(f"unaddressable: an IPv4-mapped end in {src} -> {dst} (use IPv4)")
        try:
            self._tx.enqueue(len(data), (dst, src))[:] = data
        except BufferFull:
            raise SendError("buffer full") from None
        except ValueError:
            raise SendError(f"buffer full: {len(data)} octets exceed the buffer") from None
        self._wake()

    def recv_from(self) -> tuple[bytes, IpEndpoint, IpEndpoint]:
        """Take the oldest datagram: a copy of its payload, its source and its destination.

        Raises RecvError("exhausted") when none waits.
        """
        try:
            (src, dst), view = self._rx.dequeue()
        except BufferEmpty:
            raise RecvError("exhausted") from None
        return bytes(view), src, dst

    @property
    def send_queue(self) -> int:
        """Datagrams waiting to be sent."""
        return len(self._tx)

    @property
    def recv_queue(self) -> int:
        """Datagrams waiting to be read."""
        return len(self._rx)

    # -- for the socket set and the interface -------------------------------------------------

    def demux_keys(self) -> tuple[Hashable, ...]:
        return () if self._endpoint is None else (ANY_UDP_KEY,)

    # Any: the interface's context and this kind's own representations; see Socket.process.
    def process(self, cx: Any, now: Instant, ip_repr: Any, repr: Any) -> None:
        """Queue a received datagram with both its ends (dropped and counted when full)."""
        payload = repr.payload
        ends = (
            IpEndpoint(ip_repr.src_addr, repr.src_port),
            IpEndpoint(ip_repr.dst_addr, repr.dst_port),
        )
        try:
            self._rx.enqueue(len(payload), ends)[:] = payload
        except (BufferFull, ValueError):
            self.rx_dropped += 1
            if log.isEnabledFor(logging.DEBUG):
                log.debug("drop: transparent udp receive buffer full")
        return None

    # Any: the interface's context, read duck-typed (tests pass stand-ins); see Socket.process.
    def dispatch(self, cx: Any, now: Instant, emit: Emit) -> bool:
        tx = self._tx
        if not len(tx):
            return False
        (dst, src), payload = tx.peek()
        if (src.addr.is_loopback or dst.addr.is_loopback) and not cx.loopback_ok(
            src.addr, dst.addr
        ):
            # Loopback addresses leave only a loopback interface (`Context.loopback_ok`).
            tx.dequeue()
            self.tx_dropped += 1
            log.debug("drop: transparent UDP datagram %s -> %s off a loopback interface", src, dst)
            return False
        hop = self._hop_limit or DEFAULT_HOP_LIMIT
        emit(
            ip_repr(src.addr, dst.addr, _UDP, 8 + len(payload), hop),
            UdpRepr(src.port, dst.port, payload),
        )
        tx.dequeue()
        return True

    # Any: the interface's context, read duck-typed (tests pass stand-ins); see Socket.process.
    def poll_at(self, cx: Any) -> Instant | None:
        return _ZERO if len(self._tx) else None

    def __repr__(self) -> str:
        return f"TransparentUdpSocket(open={self.is_open()}, rx={self._rx!r}, tx={self._tx!r})"
