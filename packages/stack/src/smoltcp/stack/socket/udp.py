"""UDP sockets (RFC 768): bounded datagram queues in both directions."""

from __future__ import annotations

import logging
from collections.abc import Hashable
from typing import Any

from smoltcp.stack.storage import BufferEmpty, BufferFull, PacketBuffer
from smoltcp.stack.time import Instant
from smoltcp.wire import IpAddress, IpEndpoint, Ipv6Address
from smoltcp.wire.ip import ip_repr
from smoltcp.wire.ipv4 import IpProtocol
from smoltcp.wire.udp import UdpRepr

from .base import Emit
from .datagram import (
    DEFAULT_MULTICAST_HOP_LIMIT,
    DatagramSocket,
    check_bytes,
    check_size,
    check_writable,
)
from .errors import BindError, RecvError, SendError

__all__ = ["UdpSocket", "to_endpoint"]

log = logging.getLogger("smoltcp.stack.socket.udp")

DEFAULT_HOP_LIMIT = 64
_UDP = IpProtocol.UDP
_ZERO = Instant.ZERO
# The most a UDP datagram carries: what the IP header's 16-bit length leaves after the IPv4
# header (without options) and UDP's (RFC 791, RFC 768), or after UDP's alone (RFC 8200).
_MAX_PAYLOAD_V4 = 65535 - 20 - 8
_MAX_PAYLOAD_V6 = 65535 - 8
_tuple_new = tuple.__new__


# Any: user input of any type, converted or refused here.
def to_endpoint(value: Any, what: str = "endpoint") -> IpEndpoint:
    """Return ``value`` as an `IpEndpoint`: an endpoint, a port, ``(addr, port)`` or
    ``"addr:port"``; the address may be None, text or an `IpAddress`. Raise TypeError or
    ValueError naming ``what`` otherwise."""
    if type(value) is IpEndpoint:
        addr, port = value
    elif isinstance(value, bool):
        raise TypeError(f"{what} must be an endpoint or a port, not a bool")
    elif isinstance(value, int):
        addr, port = None, value
    elif isinstance(value, str):
        try:
            parsed = IpEndpoint.parse(value)
        except (ValueError, TypeError):
            raise ValueError(f"{what} must be 'ADDRESS:PORT', not {value!r}") from None
        return to_endpoint(parsed, what)
    elif isinstance(value, tuple) and len(value) == 2:
        addr, port = value
    else:
        raise TypeError(
            f"{what} must be an IpEndpoint, a port or (address, port), not {type(value).__name__}"
        )
    if isinstance(addr, str):
        try:
            addr = IpAddress.parse(addr)
        except (ValueError, TypeError):
            raise ValueError(f"{what} has a bad address {addr!r}") from None
    elif addr is not None and not isinstance(addr, IpAddress):
        raise TypeError(f"{what}'s address must be an IpAddress, not {type(addr).__name__}")
    if not isinstance(port, int) or isinstance(port, bool):
        raise TypeError(f"{what}'s port must be an int, not {type(port).__name__}")
    if not 0 <= port <= 0xFFFF:
        raise ValueError(f"{what}'s port must be in [0, 65535], not {port!r}")
    return IpEndpoint(addr, port)


class UdpSocket(DatagramSocket):
    """A UDP socket: `bind` a local port, then `send_to` and `recv_from` datagrams.

    ``rx_buffer`` and ``tx_buffer`` are `PacketBuffer`s or int sizes in octets
    (``UdpSocket(4096, 4096)``, as ``TcpSocket(4096, 4096)``; an int N holds up to N // 64
    datagrams): their capacities bound how many datagrams (and octets) wait in each direction.
    A datagram that arrives when the receive buffer is full is dropped and counted in
    ``rx_dropped``. Datagrams to a multicast group leave with `multicast_hop_limit` (1 by
    default: the link only), all others with `hop_limit` (64 by default).

    A datagram leaves from the bound address, or, when the socket is bound to none, to a
    multicast group or to a broadcast address (which it then receives on), from the
    interface's address for the destination (`Context.get_source_address`): a source is
    always unicast (RFC 1122 3.2.1.3, RFC 4291 2.7). A loopback address (127/8, ::1) at
    either end leaves only a loopback interface that holds it (`Context.loopback_ok`): it
    never appears outside a host (RFC 1122 3.2.1.3, RFC 4291 2.5.3). A datagram with no
    source to leave from, or with a loopback end elsewhere, is dropped when it would leave
    and counted in ``tx_dropped``.
    """

    # _src: the bound address datagrams leave from, or None (bound to none, to a group or to
    # the limited broadcast: the interface chooses per destination). _vetted: the
    # ``cx.broadcasts`` under which _src was last found fit to send from (see `_vet`), None
    # while datagrams need the slow path. _loopback_queued: queued datagrams to a loopback
    # address from _src, which each take the slow path. _version: the IP version of the
    # bound address (4 or 6), 0 when bound to none: a datagram must be of that version.
    __slots__ = ("_loopback_queued", "_src", "_version", "_vetted")

    def __init__(
        self,
        # Any: the socket keeps each datagram's remote endpoint beside it.
        rx_buffer: PacketBuffer[Any] | int,
        tx_buffer: PacketBuffer[Any] | int,  # Any: as rx_buffer
    ) -> None:
        super().__init__(rx_buffer, tx_buffer)
        self._src: IpAddress | None = None
        self._vetted: frozenset[IpAddress] | None = None
        self._loopback_queued = 0
        self._version = 0

    # -- the user's API -----------------------------------------------------------------------

    @property
    def endpoint(self) -> IpEndpoint | None:
        """The local endpoint (address None: any of the interface's), or None if unbound."""
        endpoint: IpEndpoint | None = self._endpoint
        return endpoint

    def set_hop_limit(self, value: int | None) -> None:
        """Set `hop_limit` (TypeError for a non-int, ValueError outside [1, 255])."""
        self.hop_limit = value

    def set_multicast_hop_limit(self, value: int | None) -> None:
        """Set `multicast_hop_limit`: an int in [1, 255] or None (the default, 1); TypeError
        for anything but an int or None, ValueError outside [1, 255]."""
        self.multicast_hop_limit = value

    # Any: whatever to_endpoint accepts (an endpoint, a port, a pair or text), checked there.
    def bind(self, endpoint: Any) -> None:
        """Bind to ``endpoint``: a port, ``(addr, port)`` or an `IpEndpoint`.

        An address filters what the socket receives. Datagrams leave from it when it is
        unicast; from a multicast group or a broadcast address they leave from the
        interface's address for their destination instead, as with Linux. Raises
        BindError("unaddressable") for port 0 or an IPv4-mapped IPv6 address (``::ffff:a.b.c.d``,
        never on the wire: RFC 4291 2.5.5.2; this stack has no dual-stack sockets), and
        BindError("already bound") when bound.
        """
        ep = to_endpoint(endpoint)
        if ep.port == 0:
            raise BindError("unaddressable: port 0")
        addr = ep.addr
        if addr is not None and addr.is_unspecified:
            ep = IpEndpoint(None, ep.port)
            addr = None
        if type(addr) is Ipv6Address and addr.is_ipv4_mapped:
            raise BindError(f"unaddressable: {addr} is IPv4-mapped (bind to the IPv4 address)")
        if self._endpoint is not None:
            raise BindError("already bound")
        self._endpoint = ep
        # What the bound address means for sending, decided here once rather than per
        # datagram. (A subnet's directed broadcast is known only to the interface: `_vet`.)
        self._src = None if addr is None or not addr.is_unicast else addr
        self._version = 0 if addr is None else addr.version
        self._vetted = None
        self._loopback_queued = 0
        self._rebind()

    def close(self) -> None:
        """Unbind and drop every queued datagram."""
        self._endpoint = None
        self._src = self._vetted = None
        self._loopback_queued = self._version = 0
        self._rx.clear()
        self._tx.clear()
        self._rebind()

    def can_send(self) -> bool:
        """Return whether a datagram slot is free in the transmit buffer."""
        return not self._tx.is_full()

    def can_recv(self) -> bool:
        """Return whether a datagram waits in the receive buffer."""
        return not self._rx.is_empty()

    @property
    def send_queue(self) -> int:
        """Datagrams waiting to be sent."""
        return len(self._tx)

    @property
    def recv_queue(self) -> int:
        """Datagrams waiting to be read."""
        return len(self._rx)

    # Any: whatever to_endpoint accepts (an endpoint, a port, a pair or text), checked there.
    def _check_send(self, endpoint: Any) -> IpEndpoint:
        if self._endpoint is None:
            raise SendError("unaddressable: the socket is not bound")
        remote = endpoint if type(endpoint) is IpEndpoint else to_endpoint(endpoint, "endpoint")
        addr = remote.addr
        # Int tests, as every datagram comes this way: the unspecified address is the int 0
        # in both versions, ::ffff:0:0/96 the IPv6 ints whose upper 96 bits are 0xffff.
        port = remote.port
        if type(port) is not int or not 0 <= port <= 0xFFFF:
            # An IpEndpoint does not check its port either: a bad one made every poll fail.
            raise ValueError(f"endpoint port must be an int in 0..65535, not {port!r}")
        try:
            if port == 0 or addr is None or addr._int == 0:
                raise SendError(f"unaddressable: {remote}")
        except AttributeError:
            # An IpEndpoint built around something else (it does not check its address).
            raise TypeError(f"endpoint address must be an IpAddress, not {addr!r}") from None
        if type(addr) is Ipv6Address:
            if addr._int >> 32 == 0xFFFF:
                # Never on the wire (RFC 4291 2.5.5.2, RFC 4942 2.2).
                raise SendError(f"unaddressable: {addr} is IPv4-mapped (send to the IPv4 address)")
            if self._version == 4:
                raise SendError(f"unaddressable: {addr} from a socket bound to IPv4")
        elif self._version == 6:
            raise SendError(f"unaddressable: {addr} from a socket bound to IPv6")
        return remote

    # Any: whatever to_endpoint accepts (an endpoint, a port, a pair or text), checked there.
    def send(self, size: int, endpoint: Any) -> memoryview:
        """Queue a datagram of ``size`` octets to ``endpoint``; return the view to fill.

        Fill it before the next poll. Raises SendError("unaddressable") when unbound or for
        a remote without address or port, of the other IP version than the bound address, or
        with an IPv4-mapped IPv6 address (``::ffff:a.b.c.d``, which never appears on the wire:
        RFC 4291 2.5.5.2; this stack has no dual-stack sockets); SendError("too long") over
        what one datagram carries (65507 octets over IPv4, 65527 over IPv6);
        SendError("buffer full") when it does not fit; TypeError for an `IpEndpoint` that
        holds no `IpAddress`.
        Whether the datagram may leave depends on the interface that sends it: one from or
        to a loopback address off a loopback interface, or with no source address for the
        remote, is dropped then and counted in ``tx_dropped`` (see the class).
        """
        check_size(size)
        remote = self._check_send(endpoint)
        if size > _MAX_PAYLOAD_V4 and (
            size > _MAX_PAYLOAD_V6 or type(remote.addr) is not Ipv6Address
        ):
            # The IP header's length field could not carry it (and the poll would fail on it).
            most = _MAX_PAYLOAD_V6 if type(remote.addr) is Ipv6Address else _MAX_PAYLOAD_V4
            raise SendError(f"too long: {size} octets, at most {most} in one UDP datagram")
        try:
            view = self._tx.enqueue(size, remote)
        except BufferFull:
            raise SendError("buffer full") from None
        except ValueError:
            raise SendError(f"buffer full: {size} octets exceed the buffer") from None
        if self._src is not None:
            dst = remote.addr
            # Int tests first (127/8 is 127 in an int's top octet of 32 bits, ::1 the int 1):
            # the property call only for those.
            if dst is not None and (dst._int >> 24 == 127 or dst._int == 1) and dst.is_loopback:
                # From a fixed source: `dispatch` vets this datagram (the source chosen for an
                # unbound socket is vetted by `Context.get_source_address`, which has none for
                # a loopback destination the interface does not hold).
                self._loopback_queued += 1
                self._vetted = None
        self._wake()
        return view

    # Any: whatever to_endpoint accepts (an endpoint, a port, a pair or text), checked there.
    def send_to(self, data: bytes | bytearray | memoryview, endpoint: Any) -> None:
        """Queue a copy of ``data`` for ``endpoint``; raise like `send`."""
        check_bytes(data)
        self.send(len(data), endpoint)[:] = data

    send_slice = send_to

    def recv(self) -> tuple[memoryview, IpEndpoint]:
        """Take the oldest datagram: a view of its payload (valid until the next poll) and
        its source. Raises RecvError("exhausted") when none waits."""
        try:
            remote, view = self._rx.dequeue()
        except BufferEmpty:
            raise RecvError("exhausted") from None
        return view, remote

    def recv_from(self) -> tuple[bytes, IpEndpoint]:
        """Take the oldest datagram: a copy of its payload and its source; raise like `recv`."""
        view, remote = self.recv()
        return bytes(view), remote

    def recv_into(self, buffer: bytearray | memoryview) -> tuple[int, IpEndpoint]:
        """Copy the oldest datagram into ``buffer``; return its length and source.

        A datagram longer than ``buffer`` is truncated (the rest is lost, as with POSIX
        ``recvfrom``). Raises like `recv`.
        """
        check_writable(buffer)
        view, remote = self.recv()
        n = min(len(view), len(buffer))
        buffer[:n] = view[:n]
        return n, remote

    def peek(self) -> tuple[memoryview, IpEndpoint]:
        """Return the oldest datagram without taking it; raise like `recv`."""
        try:
            remote, view = self._rx.peek()
        except BufferEmpty:
            raise RecvError("exhausted") from None
        return view, remote

    # -- for the socket set and the interface -------------------------------------------------

    def demux_keys(self) -> tuple[Hashable, ...]:
        ep = self._endpoint
        if ep is None:
            return ()
        return ((_UDP, ep.addr, ep.port),)

    # Any: the interface's context and this kind's own representations; see Socket.process.
    def process(self, cx: Any, now: Instant, ip_repr: Any, repr: Any) -> None:
        """Queue a received datagram (dropped and counted when the buffer is full)."""
        payload = repr.payload
        try:
            self._rx.enqueue(
                len(payload), _tuple_new(IpEndpoint, (ip_repr.src_addr, repr.src_port))
            )[:] = payload
        except (BufferFull, ValueError):
            self.rx_dropped += 1
            if log.isEnabledFor(logging.DEBUG):
                log.debug("drop: udp receive buffer full on port %d", repr.dst_port)
        return None

    # Any: the interface's context, read duck-typed (tests pass stand-ins); see Socket.process.
    def dispatch(self, cx: Any, now: Instant, emit: Emit) -> bool:
        tx = self._tx
        ep = self._endpoint
        while len(tx):
            if ep is None:
                tx.clear()
                return False
            remote, payload = tx.peek()
            src = self._src
            # Whether `send` counted this datagram in _loopback_queued (to a loopback address
            # from a fixed source): it leaves the count when it leaves the queue.
            counted = False
            if src is None or self._vetted is not cx.broadcasts:
                # Bound to no unicast address, or the bound one not yet found fit under the
                # interface's present addresses (the one attribute test per datagram).
                if src is None:
                    src = cx.get_source_address(remote.addr)
                else:
                    counted = remote.addr.is_loopback
                    src = self._vet(cx, remote, counted)
                if src is None:
                    tx.dequeue()
                    if counted:
                        self._loopback_queued -= 1
                    self.tx_dropped += 1
                    if log.isEnabledFor(logging.DEBUG):
                        log.debug(
                            "drop: no source address to reach %s from %s (a loopback end off "
                            "a loopback interface, or no address for it)",
                            remote.addr,
                            ep.addr or "any address",
                        )
                    continue
            udp = UdpRepr(ep.port, remote.port, payload)
            dst = remote.addr
            # `DatagramSocket._hop_limit_for` inlined: a method call per datagram on the hot
            # path of UDP output; keep the two in step.
            if dst.is_multicast:
                hop = self._multicast_hop_limit or DEFAULT_MULTICAST_HOP_LIMIT
            else:
                hop = self._hop_limit or DEFAULT_HOP_LIMIT
            emit(ip_repr(src, dst, _UDP, 8 + len(payload), hop), udp)
            tx.dequeue()
            if counted:
                self._loopback_queued -= 1
            return True
        return False

    # Any: the interface's context, read duck-typed (tests pass stand-ins); see Socket.process.
    def _vet(self, cx: Any, remote: IpEndpoint, to_loopback: bool) -> IpAddress | None:
        """Return the source of the next datagram, to ``remote`` (a loopback address when
        ``to_loopback``), from the bound unicast address, or None to drop it: the slow path
        of `dispatch`, taken until the address is found fit to send from under the
        interface's present addresses, and for each datagram from or to a loopback address.

        A subnet's directed broadcast is no source (RFC 1122 3.2.1.3): the socket then sends
        from the interface's address for the destination, as when bound to the limited
        broadcast, and keeps asking (the interface's addresses may change). A loopback end
        leaves only a loopback interface that holds it (`Context.loopback_ok`).
        """
        src = self._src
        dst = remote.addr
        # dispatch takes this path only from a bound unicast address; send checked dst.
        assert src is not None and dst is not None
        if src in cx.broadcasts:
            chosen: IpAddress | None = cx.get_source_address(dst)
            return chosen
        from_loopback = src.is_loopback
        if (from_loopback or to_loopback) and not cx.loopback_ok(src, dst):
            return None
        if not (from_loopback or self._loopback_queued):
            # No datagram waits that needs this path (this one, if to a loopback address,
            # is still counted: it leaves the count when it leaves the queue).
            self._vetted = cx.broadcasts
        return src

    # Any: the interface's context, read duck-typed (tests pass stand-ins); see Socket.process.
    def poll_at(self, cx: Any) -> Instant | None:
        return _ZERO if len(self._tx) else None

    def __repr__(self) -> str:
        return f"UdpSocket(endpoint={self._endpoint}, rx={self._rx!r}, tx={self._tx!r})"
