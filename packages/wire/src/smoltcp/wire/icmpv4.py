"""ICMPv4 (RFC 792): the `Icmpv4Packet` view with data and checksum, and `Icmpv4Repr`.

Echo request and reply carry an identifier, a sequence number and data. Destination
unreachable, time exceeded and parameter problem quote the offending datagram's IP header and
the octets after it (RFC 792 asks for 64 bits; Linux quotes more, up to 576 octets in all, RFC
1812 4.3.2.3). Any other type is kept with its raw body.
"""

from __future__ import annotations

import struct
from typing import NamedTuple, cast

from ._generated import ipv4 as _ip
from ._generated.icmpv4 import (
    CHECKSUM_AT,
    HEADER,
    HEADER_LEN,
    PROTOCOL,
    Icmpv4DstUnreachable,
    Icmpv4Message,
    Icmpv4ParamProblem,
    Icmpv4TimeExceeded,
)
from ._generated.icmpv4 import Icmpv4Packet as _Icmpv4PacketView
from ._generated.ipv4 import HEADER as _IPV4_HEADER
from ._generated.ipv4 import IpProtocol
from .address import ipv4_cache_get, ipv4_from_packed
from .capabilities import COMPUTE_TX, VERIFY_RX, ChecksumCapabilities
from .checksum import InternetSum, WritableBuffer, internet_sum
from .errors import MalformedPacket, UnsupportedPacket
from .ipv4 import Ipv4Packet, Ipv4Repr

__all__ = [
    "Icmpv4DstUnreachable",
    "Icmpv4Message",
    "Icmpv4Packet",
    "Icmpv4ParamProblem",
    "Icmpv4Repr",
    "Icmpv4TimeExceeded",
]

_MESSAGES = cast("dict[int, Icmpv4Message]", Icmpv4Message._value2member_map_)
_PROTOCOLS = IpProtocol._value2member_map_
_unpack_header = HEADER.unpack_from
_pack_header = HEADER.pack_into
_unpack_ipv4 = _IPV4_HEADER.unpack_from
_tuple_new = tuple.__new__
_DEFAULT_CAPS = ChecksumCapabilities()

# Typed module constants: mypy reads the generated enums' members as plain ints.
_ECHO_REQUEST = Icmpv4Message(8)
_ECHO_REPLY = Icmpv4Message(0)
_DST_UNREACHABLE = Icmpv4Message(3)
_TIME_EXCEEDED = Icmpv4Message(11)
_ECHO = (Icmpv4Message.ECHO_REQUEST, Icmpv4Message.ECHO_REPLY)
# Error messages and the enum of their codes.
_ERRORS = {
    Icmpv4Message.DST_UNREACHABLE: Icmpv4DstUnreachable,
    Icmpv4Message.TIME_EXCEEDED: Icmpv4TimeExceeded,
    Icmpv4Message.PARAM_PROBLEM: Icmpv4ParamProblem,
}
# The type and code octets and the checksum: the part every message shares.
_COMMON_LEN = 4


class Icmpv4Packet(_Icmpv4PacketView):
    """A zero-copy view of an ICMPv4 message: header accessors, data and checksum.

    The buffer is the whole message (the IP payload). ``Icmpv4Packet(buffer)`` raises
    `MalformedPacket` if it is shorter than the 8-octet header every message has.
    """

    __slots__ = ()

    @property
    def data(self) -> memoryview:
        """The octets after the 8-octet header (echo data, or the quoted datagram)."""
        return memoryview(self.buffer)[HEADER_LEN:]

    def verify_checksum(self, csum: InternetSum = internet_sum) -> bool:
        """Return whether the checksum over the whole message is correct."""
        return csum(self.buffer, 0) == 0xFFFF

    def fill_checksum(self, csum: InternetSum = internet_sum) -> None:
        """Compute the checksum over the whole message and write it."""
        buffer: WritableBuffer = self.buffer  # type: ignore[assignment]
        buffer[CHECKSUM_AT] = buffer[CHECKSUM_AT + 1] = 0
        s = ~csum(buffer, 0) & 0xFFFF
        buffer[CHECKSUM_AT] = s >> 8
        buffer[CHECKSUM_AT + 1] = s & 0xFF


def _parse_quoted(quoted: memoryview) -> tuple[Ipv4Repr, memoryview]:
    """Parse the IP header quoted in an error message, whose total_len is the original one."""
    n = len(quoted)
    if n < 20:
        raise MalformedPacket(PROTOCOL, "header", f"quoted IP header truncated to {n} octets")
    vihl, dscp_ecn, total_len, ident, frag, ttl, proto, _, src, dst = _unpack_ipv4(quoted)
    header_len = (vihl & _ip.HEADER_LEN_OCTET_MASK) * _ip.HEADER_LEN_UNIT
    if vihl >> 4 != 4:
        if vihl >> 4 == 6:
            raise UnsupportedPacket(PROTOCOL, "header", "quoted IPv6 header")
        raise MalformedPacket(PROTOCOL, "header", f"quoted IP version {vihl >> 4}, not 4")
    if header_len < 20 or header_len > n or total_len < header_len:
        raise MalformedPacket(PROTOCOL, "header", "quoted IP header lengths inconsistent")
    next_header = _PROTOCOLS.get(proto)
    if next_header is None:
        next_header = IpProtocol(proto)
    header = _tuple_new(
        Ipv4Repr,
        (
            ipv4_cache_get(src) or ipv4_from_packed(src),
            ipv4_cache_get(dst) or ipv4_from_packed(dst),
            next_header,
            total_len - header_len,
            ttl,
            dscp_ecn >> _ip.DSCP_OCTET_SHIFT,
            dscp_ecn & _ip.ECN_OCTET_MASK,
            ident,
            bool(frag & _ip.DONT_FRAG_MASK),
            bool(frag & _ip.MORE_FRAGS_MASK),
            (frag & _ip.FRAG_OFFSET_MASK) * _ip.FRAG_OFFSET_UNIT,
        ),
    )
    return header, quoted[header_len:]


class Icmpv4Repr(NamedTuple):
    """An ICMPv4 message.

    - Echo request/reply: ``ident``, ``seq_no`` and ``data``.
    - Destination unreachable, time exceeded, parameter problem: ``header`` is the quoted IP
      header (its ``payload_len`` that of the original datagram) and ``data`` the quoted octets
      after it. ``ident`` and ``seq_no`` hold the two 16-bit halves of the word after the
      checksum, which those messages mostly leave unused: the next-hop MTU of "fragmentation
      needed" (RFC 1191) is ``seq_no``; the parameter-problem pointer is ``ident >> 8``.
    - Any other type: ``data`` is the whole body after the 4-octet type/code/checksum.

    ``code`` reads as the code enum of the type where there is one (an int otherwise).
    """

    message: Icmpv4Message
    code: int = 0
    ident: int = 0
    seq_no: int = 0
    data: bytes | memoryview = b""
    header: Ipv4Repr | None = None

    @classmethod
    def echo_request(cls, ident: int, seq_no: int, data: bytes | memoryview) -> Icmpv4Repr:
        """Return an echo request (ping)."""
        return Icmpv4Repr(_ECHO_REQUEST, 0, ident, seq_no, data)

    @classmethod
    def echo_reply(cls, ident: int, seq_no: int, data: bytes | memoryview) -> Icmpv4Repr:
        """Return an echo reply."""
        return Icmpv4Repr(_ECHO_REPLY, 0, ident, seq_no, data)

    @classmethod
    def dst_unreachable(
        cls, code: Icmpv4DstUnreachable, header: Ipv4Repr, data: bytes | memoryview
    ) -> Icmpv4Repr:
        """Return a destination unreachable quoting ``header`` and ``data`` (8 octets, RFC 792)."""
        return Icmpv4Repr(_DST_UNREACHABLE, code, 0, 0, data, header)

    @classmethod
    def time_exceeded(
        cls, code: Icmpv4TimeExceeded, header: Ipv4Repr, data: bytes | memoryview
    ) -> Icmpv4Repr:
        """Return a time exceeded message quoting ``header`` and ``data``."""
        return Icmpv4Repr(_TIME_EXCEEDED, code, 0, 0, data, header)

    @staticmethod
    def parse(
        packet: Icmpv4Packet,
        checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
        csum: InternetSum = internet_sum,
    ) -> Icmpv4Repr:
        """Return the message of a checked ``packet``; raise `MalformedPacket`.

        The checksum is verified when ``checksum_caps.icmpv4.rx()``. Echo messages with a
        non-zero code and error messages whose quoted header is unreadable are malformed. The
        same as ``parse_buffer(packet.buffer, ...)``.
        """
        return _parse_buffer(packet.buffer, checksum_caps, csum)

    @staticmethod
    def parse_buffer(
        buffer: bytes | bytearray | memoryview,
        checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
        csum: InternetSum = internet_sum,
    ) -> Icmpv4Repr:
        """Return the message in ``buffer`` (the IP payload); raise `MalformedPacket`.

        `Icmpv4Repr.parse` without the view: it makes every check of the checked
        ``Icmpv4Packet(buffer)`` and raises the same errors. ``data`` is a memoryview into
        ``buffer``.
        """
        try:
            msg_type, code, _, ident, seq_no = _unpack_header(buffer)
        except struct.error:
            raise MalformedPacket(PROTOCOL, "header", "truncated") from None
        if checksum_caps.icmpv4 in VERIFY_RX and csum(buffer, 0) != 0xFFFF:
            raise MalformedPacket(PROTOCOL, "checksum", "checksum mismatch")
        message = _MESSAGES.get(msg_type)
        if message is None:
            message = Icmpv4Message(msg_type)
        if message in _ECHO:
            if code != 0:
                raise MalformedPacket(PROTOCOL, "msg_code", f"{code} in an echo message, not 0")
            return _tuple_new(
                Icmpv4Repr, (message, 0, ident, seq_no, memoryview(buffer)[HEADER_LEN:], None)
            )
        codes = _ERRORS.get(message)
        if codes is not None:
            header, data = _parse_quoted(memoryview(buffer)[HEADER_LEN:])
            return _tuple_new(Icmpv4Repr, (message, codes(code), ident, seq_no, data, header))
        return _tuple_new(Icmpv4Repr, (message, code, 0, 0, memoryview(buffer)[_COMMON_LEN:], None))

    def buffer_len(self) -> int:
        """Return the message length in octets."""
        message = self.message
        if self.header is not None and message in _ERRORS:
            return HEADER_LEN + self.header.buffer_len() + len(self.data)
        if message in _ECHO:
            return HEADER_LEN + len(self.data)
        return _COMMON_LEN + len(self.data)

    def emit(
        self,
        packet: Icmpv4Packet,
        checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
        csum: InternetSum = internet_sum,
    ) -> None:
        """Write the message into ``packet``'s buffer (at least `buffer_len` octets).

        The quoted header of an error message always gets its checksum (no device computes
        it); the ICMP checksum is computed when ``checksum_caps.icmpv4.tx()``, else left zero.
        The same as ``emit_buffer(packet.buffer, ...)``.
        """
        _emit_buffer(self, packet.buffer, checksum_caps, csum)  # type: ignore[arg-type]

    def emit_buffer(
        self,
        buffer: WritableBuffer,
        checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
        csum: InternetSum = internet_sum,
    ) -> None:
        """Write the message into ``buffer`` (at least `buffer_len` octets): `emit` without the
        view."""
        message = self.message
        data = self.data
        header = self.header
        if header is not None and message in _ERRORS:
            _pack_header(buffer, 0, message, self.code, 0, self.ident, self.seq_no)
            start = HEADER_LEN + header.buffer_len()
            header.emit(
                Ipv4Packet.new_unchecked(memoryview(buffer)[HEADER_LEN:start]), _DEFAULT_CAPS, csum
            )
        elif message in _ECHO:
            _pack_header(buffer, 0, message, self.code, 0, self.ident, self.seq_no)
            start = HEADER_LEN
        else:
            buffer[0] = message
            buffer[1] = self.code
            buffer[CHECKSUM_AT] = buffer[CHECKSUM_AT + 1] = 0
            start = _COMMON_LEN
        end = start + len(data)
        buffer[start:end] = data
        if checksum_caps.icmpv4 in COMPUTE_TX:
            body = buffer if len(buffer) == end else memoryview(buffer)[:end]
            s = ~csum(body, 0) & 0xFFFF
            buffer[CHECKSUM_AT] = s >> 8
            buffer[CHECKSUM_AT + 1] = s & 0xFF

    def __str__(self) -> str:
        message = self.message
        if message in _ECHO:
            kind = "echo request" if message == Icmpv4Message.ECHO_REQUEST else "echo reply"
            return f"ICMPv4 {kind} id={self.ident} seq={self.seq_no} len={len(self.data)}"
        if self.header is not None:
            h = self.header
            return (
                f"ICMPv4 {message.name.lower()} code={getattr(self.code, 'name', self.code)} "
                f"for {h.src_addr} > {h.dst_addr} proto={int(h.next_header)}"
            )
        return f"ICMPv4 type={int(message)} code={int(self.code)} len={len(self.data)}"


_parse_buffer = Icmpv4Repr.parse_buffer
_emit_buffer = Icmpv4Repr.emit_buffer
