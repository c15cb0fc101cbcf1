"""UDP (RFC 768): the `UdpPacket` view with payload and checksum, and `UdpRepr`."""

from __future__ import annotations

import struct
from typing import NamedTuple

from ._generated.udp import CHECKSUM_AT, HEADER, HEADER_LEN, LEN_AT, PROTOCOL, PSEUDO_PROTOCOL
from ._generated.udp import UdpPacket as _UdpPacketView
from .address import IpAddress
from .capabilities import COMPUTE_TX, VERIFY_RX, ChecksumCapabilities
from .checksum import InternetSum, WritableBuffer, internet_sum, pseudo_header_sum
from .errors import MalformedPacket

__all__ = ["UdpPacket", "UdpRepr"]

_unpack_header = HEADER.unpack_from
_pack_header = HEADER.pack_into
_tuple_new = tuple.__new__
_DEFAULT_CAPS = ChecksumCapabilities()
_PROTO_UDP = PSEUDO_PROTOCOL


def _length(buffer: bytes | bytearray | memoryview) -> int:
    return (buffer[LEN_AT] << 8) | buffer[LEN_AT + 1]


def _check(buffer: bytes | bytearray | memoryview) -> int:
    """Raise unless ``buffer`` holds a whole datagram; return its length field."""
    n = len(buffer)
    if n < HEADER_LEN:
        raise MalformedPacket(PROTOCOL, "header", f"{n} octets, fewer than the 8-octet header")
    length = _length(buffer)
    if length < HEADER_LEN:
        raise MalformedPacket(PROTOCOL, "len", f"{length} octets, less than the 8-octet header")
    if length > n:
        raise MalformedPacket(PROTOCOL, "len", f"{length} octets, but only {n} were received")
    return length


def _sum(
    buffer: bytes | bytearray | memoryview,
    length: int,
    src_addr: IpAddress,
    dst_addr: IpAddress,
    csum: InternetSum,
) -> int:
    data = buffer if len(buffer) == length else memoryview(buffer)[:length]
    return csum(data, pseudo_header_sum(src_addr, dst_addr, _PROTO_UDP, length))


class UdpPacket(_UdpPacketView):
    """A zero-copy view of a UDP datagram: header accessors, payload and checksum.

    ``UdpPacket(buffer)`` raises `MalformedPacket` unless 8 <= len <= the buffer length; the
    buffer may be longer than ``len`` (the datagram ends there).
    """

    __slots__ = ()

    def check_len(self) -> None:
        """Raise `MalformedPacket` unless the length field fits the buffer."""
        _check(self.buffer)

    @property
    def payload(self) -> memoryview:
        """The octets after the header, up to the length field."""
        buffer = self.buffer
        return memoryview(buffer)[HEADER_LEN : _length(buffer)]

    def verify_checksum(
        self, src_addr: IpAddress, dst_addr: IpAddress, csum: InternetSum = internet_sum
    ) -> bool:
        """Return whether the checksum is right; a zero checksum means none (RFC 768)."""
        buffer = self.buffer
        if buffer[CHECKSUM_AT] == 0 and buffer[CHECKSUM_AT + 1] == 0:
            return True
        return _sum(buffer, _length(buffer), src_addr, dst_addr, csum) == 0xFFFF

    def fill_checksum(
        self, src_addr: IpAddress, dst_addr: IpAddress, csum: InternetSum = internet_sum
    ) -> None:
        """Compute the checksum and write it; a computed zero is sent as 0xffff (RFC 768)."""
        buffer: WritableBuffer = self.buffer  # type: ignore[assignment]
        buffer[CHECKSUM_AT] = buffer[CHECKSUM_AT + 1] = 0
        s = ~_sum(buffer, _length(buffer), src_addr, dst_addr, csum) & 0xFFFF
        if s == 0:
            s = 0xFFFF
        buffer[CHECKSUM_AT] = s >> 8
        buffer[CHECKSUM_AT + 1] = s & 0xFF


class UdpRepr(NamedTuple):
    """A UDP datagram: ports and payload (a zero-copy memoryview after parse)."""

    src_port: int
    dst_port: int
    payload: bytes | memoryview

    @staticmethod
    def parse(
        packet: UdpPacket,
        src_addr: IpAddress,
        dst_addr: IpAddress,
        checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
        csum: InternetSum = internet_sum,
    ) -> UdpRepr:
        """Return the datagram of a checked ``packet``; raise `MalformedPacket`.

        The checksum is verified when ``checksum_caps.udp.rx()`` and it is not zero (zero
        means the sender computed none, RFC 768). The same as ``parse_buffer(packet.buffer,
        ...)``.
        """
        return _parse_buffer(packet.buffer, src_addr, dst_addr, checksum_caps, csum)

    @staticmethod
    def parse_buffer(
        buffer: bytes | bytearray | memoryview,
        src_addr: IpAddress,
        dst_addr: IpAddress,
        checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
        csum: InternetSum = internet_sum,
    ) -> UdpRepr:
        """Return the datagram in ``buffer`` (the IP payload); raise `MalformedPacket`.

        `UdpRepr.parse` without the view: it makes every check of the checked
        ``UdpPacket(buffer)`` and raises the same errors. ``payload`` is a memoryview into
        ``buffer``, up to the length field.
        """
        try:
            src_port, dst_port, length, checksum = _unpack_header(buffer)
        except struct.error:
            raise MalformedPacket(PROTOCOL, "header", "truncated") from None
        if not HEADER_LEN <= length <= len(buffer):
            _check(buffer)
        if (
            checksum
            and checksum_caps.udp in VERIFY_RX
            and _sum(buffer, length, src_addr, dst_addr, csum) != 0xFFFF
        ):
            raise MalformedPacket(PROTOCOL, "checksum", "checksum mismatch")
        return _tuple_new(UdpRepr, (src_port, dst_port, memoryview(buffer)[HEADER_LEN:length]))

    def emit(
        self,
        packet: UdpPacket,
        src_addr: IpAddress,
        dst_addr: IpAddress,
        checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
        csum: InternetSum = internet_sum,
    ) -> None:
        """Write header and payload into ``packet``'s buffer; fill the checksum if asked.

        The checksum is computed when ``checksum_caps.udp.tx()``, else left zero. The same as
        ``emit_buffer(packet.buffer, ...)``.
        """
        _emit_buffer(self, packet.buffer, src_addr, dst_addr, checksum_caps, csum)  # type: ignore[arg-type]

    def emit_buffer(
        self,
        buffer: WritableBuffer,
        src_addr: IpAddress,
        dst_addr: IpAddress,
        checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
        csum: InternetSum = internet_sum,
    ) -> None:
        """Write header and payload into ``buffer`` (at least `buffer_len` octets): `emit`
        without the view."""
        payload = self.payload
        length = HEADER_LEN + len(payload)
        _pack_header(buffer, 0, self.src_port, self.dst_port, length, 0)
        buffer[HEADER_LEN:length] = payload
        if checksum_caps.udp in COMPUTE_TX:
            s = ~_sum(buffer, length, src_addr, dst_addr, csum) & 0xFFFF
            if s == 0:
                s = 0xFFFF
            buffer[CHECKSUM_AT] = s >> 8
            buffer[CHECKSUM_AT + 1] = s & 0xFF

    def buffer_len(self) -> int:
        """Return the datagram length: 8 + the payload length."""
        return HEADER_LEN + len(self.payload)

    def __str__(self) -> str:
        return f"UDP src={self.src_port} dst={self.dst_port} len={len(self.payload)}"


_parse_buffer = UdpRepr.parse_buffer
_emit_buffer = UdpRepr.emit_buffer
