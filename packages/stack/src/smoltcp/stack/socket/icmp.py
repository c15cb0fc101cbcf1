"""ICMP sockets: send and receive ICMPv4 and ICMPv6 messages (ping, and the errors about a UDP
port). The version of the peer's address picks the protocol; echo identifiers are shared."""

from __future__ import annotations

import logging
from collections.abc import Hashable
from typing import Any, NamedTuple

from smoltcp.stack.storage import BufferEmpty, BufferFull
from smoltcp.stack.time import Instant
from smoltcp.wire import ChecksumCapabilities, IpAddress, IpEndpoint, Ipv6Address, MalformedPacket
from smoltcp.wire.icmpv4 import Icmpv4Packet, Icmpv4Repr
from smoltcp.wire.icmpv6 import Icmpv6Repr
from smoltcp.wire.ip import ip_repr
from smoltcp.wire.ipv4 import IpProtocol

from .base import Emit
from .datagram import DatagramSocket, check_bytes, check_size
from .errors import BindError, RecvError, SendError
from .udp import to_endpoint

__all__ = ["IcmpEndpoint", "IcmpSocket"]

log = logging.getLogger("smoltcp.stack.socket.icmp")

DEFAULT_HOP_LIMIT = 64
_ICMP = IpProtocol.ICMP
_ICMPV6 = IpProtocol.ICMPV6
_ZERO = Instant.ZERO
_NO_CHECK = ChecksumCapabilities.ignored()


class IcmpEndpoint(NamedTuple):
    """What an `IcmpSocket` is bound to: an echo identifier, or a UDP endpoint.

    Build one with `IcmpEndpoint.ident` or `IcmpEndpoint.udp`.
    """

    ident_value: int | None = None
    udp_endpoint: IpEndpoint | None = None

    @classmethod
    def ident(cls, ident: int) -> IcmpEndpoint:
        """Receive echo requests and replies carrying ``ident`` (16 bits)."""
        if not isinstance(ident, int) or isinstance(ident, bool):
            raise TypeError(f"ident must be an int, not {type(ident).__name__}")
        if not 0 <= ident <= 0xFFFF:
            raise ValueError(f"ident must be in [0, 65535], not {ident!r}")
        return cls(ident, None)

    @classmethod
    # Any: whatever to_endpoint accepts (an endpoint, a port, a pair or text), checked there.
    def udp(cls, endpoint: Any) -> IcmpEndpoint:
        """Receive the ICMP errors about datagrams sent from the UDP ``endpoint``."""
        ep = to_endpoint(endpoint, "endpoint")
        if ep.port == 0:
            raise ValueError("endpoint needs a port (not 0)")
        return cls(None, ep)


class IcmpSocket(DatagramSocket):
    """An ICMP socket, for ICMPv4 and ICMPv6 alike (the address family of each message is
    its peer's).

    Bind it to an echo identifier (``bind(IcmpEndpoint.ident(0x1234))`` or ``bind(0x1234)``)
    to receive echo requests and replies with that identifier (and the errors quoting echo
    requests with it, such as host unreachable), or to a UDP endpoint
    (``bind(IcmpEndpoint.udp(ep))`` or ``bind(ep)``) to receive the destination unreachable,
    time exceeded and parameter problem messages quoting datagrams sent from it.

    Messages are whole ICMP messages (type, code, checksum, body): `send_to` takes one (its
    checksum is recomputed on the way out, so it may be left zero), `recv_from` returns one
    with the address of the host that sent it. The interface still answers echo requests by
    itself.
    """

    __slots__ = ()

    def set_multicast_hop_limit(self, value: int | None) -> None:
        """Set `multicast_hop_limit`: an int in [1, 255] or None (the default, 1); TypeError
        for anything but an int or None, ValueError outside [1, 255]."""
        self.multicast_hop_limit = value

    @property
    def endpoint(self) -> IcmpEndpoint | None:
        """What the socket is bound to, or None."""
        endpoint: IcmpEndpoint | None = self._endpoint
        return endpoint

    def bind(self, endpoint: IcmpEndpoint | int | IpEndpoint) -> None:
        """Bind to an `IcmpEndpoint`, an echo identifier (int) or a UDP `IpEndpoint`.

        Raises BindError("already bound") when bound; TypeError/ValueError naming
        ``endpoint`` or ``ident`` for a value of the wrong type or range.
        """
        if isinstance(endpoint, IcmpEndpoint):
            ep = endpoint
        elif isinstance(endpoint, int) and not isinstance(endpoint, bool):
            ep = IcmpEndpoint.ident(endpoint)
        else:
            ep = IcmpEndpoint.udp(endpoint)
        if ep.ident_value is None and ep.udp_endpoint is None:
            raise BindError("unaddressable: an empty endpoint")
        if self._endpoint is not None:
            raise BindError("already bound")
        self._endpoint = ep
        self._rebind()

    def close(self) -> None:
        """Unbind and drop every queued message."""
        self._endpoint = None
        self._rx.clear()
        self._tx.clear()
        self._rebind()

    def can_send(self) -> bool:
        """Return whether a message slot is free in the transmit buffer."""
        return not self._tx.is_full()

    def can_recv(self) -> bool:
        """Return whether a message waits in the receive buffer."""
        return not self._rx.is_empty()

    def send(self, size: int, addr: IpAddress) -> memoryview:
        """Queue an ICMP message of ``size`` octets to ``addr``; return the view to fill.

        Raises SendError("unaddressable") for an unspecified or an IPv4-mapped IPv6 address
        (``::ffff:a.b.c.d``, which never appears on the wire: RFC 4291 2.5.5.2; send ICMPv4 to
        the IPv4 address), SendError("buffer full") when it does not fit,
        SendError("malformed") for fewer than 8 octets. A message to a loopback address
        (127/8, ::1) is dropped when it would leave a non-loopback interface and counted in
        ``tx_dropped``, as one to a destination the interface has no source address for.
        """
        check_size(size)
        if isinstance(addr, str):
            try:
                addr = IpAddress.parse(addr)
            except (ValueError, TypeError):
                raise ValueError(f"addr must be an IP address, not {addr!r}") from None
        if not isinstance(addr, IpAddress):
            raise TypeError(f"addr must be an IpAddress, not {type(addr).__name__}")
        if addr.is_unspecified:
            raise SendError(f"unaddressable: {addr!r}")
        if type(addr) is Ipv6Address and addr.is_ipv4_mapped:
            raise SendError(f"unaddressable: {addr} is IPv4-mapped (send to the IPv4 address)")
        if size < 8:
            raise SendError(f"malformed: an ICMP message has at least 8 octets, not {size}")
        try:
            view = self._tx.enqueue(size, addr)
        except BufferFull:
            raise SendError("buffer full") from None
        except ValueError:
            raise SendError(f"buffer full: {size} octets exceed the buffer") from None
        self._wake()
        return view

    def send_to(self, data: bytes | bytearray | memoryview, addr: IpAddress) -> None:
        """Queue a copy of the ICMP message ``data`` for ``addr``; raise like `send`."""
        check_bytes(data)
        self.send(len(data), addr)[:] = data

    send_slice = send_to

    def recv_from(self) -> tuple[bytes, IpAddress]:
        """Take the oldest message: a copy of it and its sender. RecvError("exhausted")."""
        try:
            addr, view = self._rx.dequeue()
        except BufferEmpty:
            raise RecvError("exhausted") from None
        return bytes(view), addr

    recv = recv_from

    # -- for the socket set and the interface -------------------------------------------------

    def demux_keys(self) -> tuple[Hashable, ...]:
        ep = self._endpoint
        if ep is None:
            return ()
        if ep.ident_value is not None:
            return ((_ICMP, "ident", ep.ident_value),)
        udp = ep.udp_endpoint
        assert udp is not None  # an ICMP endpoint is bound by ident or by a UDP endpoint
        return ((_ICMP, "udp", udp.addr, udp.port),)

    # Any: the interface's context and this kind's own representations; see Socket.process.
    def process(self, cx: Any, now: Instant, ip_repr: Any, repr: Any) -> None:
        """Queue a received message; ``repr`` is the whole ICMP message (a memoryview)."""
        try:
            self._rx.enqueue(len(repr), ip_repr.src_addr)[:] = repr
        except (BufferFull, ValueError):
            self.rx_dropped += 1
            if log.isEnabledFor(logging.DEBUG):
                log.debug("drop: icmp receive buffer full")
        return None

    # Any: the interface's context, read duck-typed (tests pass stand-ins); see Socket.process.
    def dispatch(self, cx: Any, now: Instant, emit: Emit) -> bool:
        tx = self._tx
        while len(tx):
            addr, data = tx.peek()
            src = cx.get_source_address(addr)
            try:
                if addr.version == 6:
                    # The checksum covers the pseudo header: emit computes it.
                    # Any: an ICMPv6 or an ICMPv4 representation, which share no base class.
                    icmp: Any = Icmpv6Repr.parse_buffer(data, src or addr, addr, _NO_CHECK)
                else:
                    icmp = Icmpv4Repr.parse(Icmpv4Packet(data), _NO_CHECK)
            except MalformedPacket as exc:
                icmp = None
                why = str(exc)
            if icmp is None or src is None:
                tx.dequeue()
                self.tx_dropped += 1
                if log.isEnabledFor(logging.DEBUG):
                    log.debug(
                        "drop: icmp message to %s: %s", addr, why if icmp is None else "no source"
                    )
                continue
            hop = self._hop_limit_for(addr, DEFAULT_HOP_LIMIT)
            proto = _ICMPV6 if addr.version == 6 else _ICMP
            emit(ip_repr(src, addr, proto, icmp.buffer_len(), hop), icmp)
            tx.dequeue()
            return True
        return False

    # Any: the interface's context, read duck-typed (tests pass stand-ins); see Socket.process.
    def poll_at(self, cx: Any) -> Instant | None:
        return _ZERO if len(self._tx) else None

    def __repr__(self) -> str:
        return f"IcmpSocket(endpoint={self._endpoint}, rx={self._rx!r}, tx={self._tx!r})"
