"""Raw IP sockets: whole IP packets of one IP version and protocol (IPv4) or next header (IPv6).

`RawIpSocket` was called ``RawSocket`` before, a name it shared with `smoltcp.phy.RawSocket`
(an ``AF_PACKET`` device, a different thing). The old name still works for one release and
warns once (`DeprecationWarning`).
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from typing import Any

from smoltcp.stack._deprecated import deprecated_alias
from smoltcp.stack.storage import BufferEmpty, BufferFull, PacketBuffer
from smoltcp.stack.time import Instant
from smoltcp.wire import ChecksumCapabilities, IpVersion, MalformedPacket
from smoltcp.wire.capabilities import COMPUTE_TX
from smoltcp.wire.icmpv6 import fill_icmpv6_checksum
from smoltcp.wire.ipv4 import IpProtocol, Ipv4Packet, Ipv4Repr
from smoltcp.wire.ipv6 import Ipv6Packet, Ipv6Repr

from .base import Emit, Socket
from .datagram import check_bytes, check_size, check_writable, packet_buffer
from .errors import RecvError, SendError

__all__ = ["RawIpSocket"]

log = logging.getLogger("smoltcp.stack.socket.raw")

_ZERO = Instant.ZERO
_NO_CHECK = ChecksumCapabilities.ignored()
_ICMPV6 = IpProtocol.ICMPV6
_MIN_CHECKSUMMED = 4  # an ICMPv6 message shorter than its common part has no checksum field


class RawIpSocket(Socket):
    """A socket that sees every received IP packet of ``ip_version`` and ``ip_protocol``.

    Received packets are queued whole (IP header included) before the interface handles them
    as usual. `send` takes a whole IP packet: the interface writes a fresh header from its
    fields (the IPv4 header checksum is recomputed; IPv4 options are not sent) and copies the
    payload as it is, so the payload's own checksum is the caller's. A packet from or to a
    loopback address leaves only a loopback interface; elsewhere it is dropped and counted
    in ``tx_dropped``, as one of another version or protocol is, and as one from or to an
    IPv4-mapped IPv6 address (``::ffff:a.b.c.d``, never on the wire: RFC 4291 2.5.5.2) is
    on every interface. ``rx_buffer`` and
    ``tx_buffer`` are `PacketBuffer`s or int sizes in octets, as for `UdpSocket`.

    IPv6 (``ip_version`` 6): ``ip_protocol`` is the upper-layer Next Header, found after any
    extension headers of a received packet (which are kept in what the socket receives); a
    packet sent must carry no extension header (its Next Header is ``ip_protocol``). For
    ICMPv6 the semantics of RFC 3542 3.1 hold: the socket receives only messages whose
    checksum verified, and the stack computes the checksum of every message sent (the
    caller's value is overwritten). Other protocols' checksums are the caller's on both sides
    (RFC 3542's IPV6_CHECKSUM off).

    `hop_limit` (None by default) overrides the TTL or hop limit of every packet sent; None
    keeps the one written in the packet.
    """

    __slots__ = (
        "_hop_limit",
        "_ip_protocol",
        "_ip_version",
        "_rx",
        "_tx",
        "rx_dropped",
        "tx_dropped",
    )

    def __init__(
        self,
        ip_version: IpVersion | int,
        ip_protocol: IpProtocol | int,
        # Any: the buffers' per-packet metadata is unused here.
        rx_buffer: PacketBuffer[Any] | int,
        # Any: the buffers' per-packet metadata is unused here.
        tx_buffer: PacketBuffer[Any] | int,
    ) -> None:
        super().__init__()
        for what, value in (("ip_version", ip_version), ("ip_protocol", ip_protocol)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{what} must be an int, not {type(value).__name__}")
        if ip_version not in (4, 6):
            raise ValueError(f"ip_version must be 4 or 6, not {ip_version}")
        if not 0 <= ip_protocol <= 255:
            raise ValueError(f"ip_protocol must be in [0, 255], not {ip_protocol}")
        self._ip_version = IpVersion(int(ip_version))
        self._ip_protocol = IpProtocol(int(ip_protocol))
        self._rx = packet_buffer(rx_buffer, "rx_buffer")
        self._tx = packet_buffer(tx_buffer, "tx_buffer")
        self.rx_dropped = 0
        self.tx_dropped = 0
        self._hop_limit: int | None = None

    @property
    def hop_limit(self) -> int | None:
        """The TTL (IPv4) or hop limit (IPv6) of the packets sent, or None: the packet's own."""
        return self._hop_limit

    @hop_limit.setter
    def hop_limit(self, value: int | None) -> None:
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise TypeError(f"hop_limit must be an int or None, not {type(value).__name__}")
        if value is not None and not 1 <= value <= 255:
            raise ValueError(f"hop_limit must be in [1, 255] or None, not {value!r}")
        self._hop_limit = value

    @property
    def ip_version(self) -> IpVersion:
        """The IP version of the packets this socket sees."""
        return self._ip_version

    @property
    def ip_protocol(self) -> IpProtocol:
        """The IP protocol of the packets this socket sees."""
        return self._ip_protocol

    def can_send(self) -> bool:
        """Return whether a packet slot is free in the transmit buffer."""
        return not self._tx.is_full()

    def can_recv(self) -> bool:
        """Return whether a packet waits in the receive buffer."""
        return not self._rx.is_empty()

    def send(self, size: int) -> memoryview:
        """Queue an IP packet of ``size`` octets; return the view to fill before the next poll.

        Raises SendError("buffer full") when it does not fit. A packet that may not leave
        (malformed, of another version or protocol, with a loopback or IPv4-mapped end: see
        the class) is dropped when it would and counted in ``tx_dropped``.
        """
        check_size(size)
        try:
            view = self._tx.enqueue(size, None)
        except BufferFull:
            raise SendError("buffer full") from None
        except ValueError:
            raise SendError(f"buffer full: {size} octets exceed the buffer") from None
        self._wake()
        return view

    def send_slice(self, data: bytes | bytearray | memoryview) -> None:
        """Queue a copy of the IP packet ``data``; raise like `send`."""
        check_bytes(data)
        self.send(len(data))[:] = data

    def recv(self) -> bytes:
        """Take the oldest received IP packet (a copy); RecvError("exhausted") if none."""
        try:
            _, view = self._rx.dequeue()
        except BufferEmpty:
            raise RecvError("exhausted") from None
        return bytes(view)

    def recv_into(self, buffer: bytearray | memoryview) -> int:
        """Copy the oldest packet into ``buffer`` (truncated if longer); return its length."""
        check_writable(buffer)
        try:
            _, view = self._rx.dequeue()
        except BufferEmpty:
            raise RecvError("exhausted") from None
        n = min(len(view), len(buffer))
        buffer[:n] = view[:n]
        return n

    # -- for the socket set and the interface -------------------------------------------------

    def demux_keys(self) -> tuple[Hashable, ...]:
        return (("raw", self._ip_version, self._ip_protocol),)

    # Any: the interface's context and this kind's own representations; see Socket.process.
    def process(self, cx: Any, now: Instant, ip_repr: Any, repr: Any) -> None:
        """Queue a received packet; ``repr`` is the whole IP packet (a memoryview)."""
        try:
            self._rx.enqueue(len(repr), None)[:] = repr
        except (BufferFull, ValueError):
            self.rx_dropped += 1
            if log.isEnabledFor(logging.DEBUG):
                log.debug("drop: raw receive buffer full")
        return None

    # Any: the interface's context, read duck-typed (tests pass stand-ins); see Socket.process.
    def dispatch(self, cx: Any, now: Instant, emit: Emit) -> bool:
        tx = self._tx
        while len(tx):
            _, data = tx.peek()
            try:
                if self._ip_version == 6:
                    packet6 = Ipv6Packet(data)
                    # Any: an IPv6 or an IPv4 representation and payload, which share no base class.
                    ipr: Any = Ipv6Repr.parse(packet6)
                    payload: Any = packet6.payload  # Any: as ipr
                    if ipr.src_addr._int >> 32 == 0xFFFF or ipr.dst_addr._int >> 32 == 0xFFFF:
                        # ::ffff:0:0/96 never appears on the wire (RFC 4291 2.5.5.2, RFC 4942
                        # 2.2), whatever the interface (an int test per end, per packet).
                        tx.dequeue()
                        self.tx_dropped += 1
                        if log.isEnabledFor(logging.DEBUG):
                            log.debug("drop: raw packet from or to an IPv4-mapped address: %s", ipr)
                        continue
                else:
                    packet = Ipv4Packet(data)
                    ipr = Ipv4Repr.parse(packet, _NO_CHECK)
                    payload = packet.payload
            except MalformedPacket as exc:
                tx.dequeue()
                self.tx_dropped += 1
                if log.isEnabledFor(logging.DEBUG):
                    log.debug("drop: raw socket packet: %s", exc)
                continue
            if ipr.next_header != self._ip_protocol:
                tx.dequeue()
                self.tx_dropped += 1
                continue
            # 127/8 and ::1 never leave a host (RFC 1122 3.2.1.3, RFC 4291 2.5.3): only a
            # loopback interface, which holds them, takes such a packet.
            if (ipr.src_addr.is_loopback or ipr.dst_addr.is_loopback) and not cx.loopback_ok(
                ipr.src_addr, ipr.dst_addr
            ):
                tx.dequeue()
                self.tx_dropped += 1
                if log.isEnabledFor(logging.DEBUG):
                    log.debug("drop: raw packet from or to a loopback address: %s", ipr)
                continue
            if self._hop_limit is not None:
                ipr = ipr._replace(hop_limit=self._hop_limit)
            if (
                self._ip_protocol == _ICMPV6
                and self._ip_version == 6
                and len(payload) >= _MIN_CHECKSUMMED
                and cx.checksum_caps.icmpv6 in COMPUTE_TX
            ):
                # RFC 3542 3.1: the stack computes every outgoing ICMPv6 checksum.
                payload = bytearray(payload)
                fill_icmpv6_checksum(payload, ipr.src_addr, ipr.dst_addr, cx.csum)
            emit(ipr, payload)
            tx.dequeue()
            return True
        return False

    # Any: the interface's context, read duck-typed (tests pass stand-ins); see Socket.process.
    def poll_at(self, cx: Any) -> Instant | None:
        return _ZERO if len(self._tx) else None

    def __repr__(self) -> str:
        return (
            f"RawIpSocket(IPv{int(self._ip_version)}, {self._ip_protocol.name}, "
            f"rx={self._rx!r}, tx={self._tx!r})"
        )


def __getattr__(name: str) -> type[RawIpSocket]:
    # The deprecated name: warn once, then bind it so later look-ups do not come here.
    if name == "RawSocket":
        return deprecated_alias(globals(), name, RawIpSocket, __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
