"""ICMPv4 (RFC 792): the `Icmpv4Packet` view with data and checksum, and `Icmpv4Repr`.

Echo request and reply carry an identifier, a sequence number and data. Destination
unreachable, time exceeded and parameter problem quote the offending datagram's IP header and
the octets after it (RFC 792 asks for 64 bits; Linux quotes more, up to 576 octets in all, RFC
1812 4.3.2.3). Any other type is kept with its raw body.

The echo messages, the per-packet case, are parsed and emitted by code generated from the spec
(``smoltcp.wire._generated.icmpv4_fast``: the ``LAYER_PROFILES`` entry ``icmpv4`` and the
``REPR`` of ``spec/icmpv4.py``, with its checksum over the whole message). What stays here is
semantics: the message kinds and their codes, the quoting of an error (an IPv4 header whose
total length is the original datagram's, so no IPv4 parse accepts it: it is read through the
generated view), the precise errors, and ``__str__``.
"""

from __future__ import annotations

from typing import NamedTuple

from ._generated.icmpv4 import (
    CHECKSUM_AT,
    ECHO_IDENT_AT,
    HEADER_LEN,
    PROTOCOL,
    Icmpv4DstUnreachable,
    Icmpv4Message,
    Icmpv4ParamProblem,
    Icmpv4TimeExceeded,
)
from ._generated.icmpv4 import Icmpv4Packet as _Icmpv4PacketView
from ._generated.ipv4 import MIN_HEADER_LEN as _IPV4_MIN_HEADER_LEN
from ._generated.ipv4 import Ipv4Packet as _Ipv4View
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
# The type and code octets and the checksum, the part every message shares, end where the
# echo identifier starts; a message of another type carries its own body from there.
_COMMON_LEN = ECHO_IDENT_AT
_IP_VERSION = 4
_IPV6_VERSION = 6


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
    if n < _IPV4_MIN_HEADER_LEN:
        raise MalformedPacket(PROTOCOL, "header", f"quoted IP header truncated to {n} octets")
    ip = _Ipv4View.new_unchecked(quoted)
    version = ip.version
    if version != _IP_VERSION:
        if version == _IPV6_VERSION:
            raise UnsupportedPacket(PROTOCOL, "header", "quoted IPv6 header")
        raise MalformedPacket(PROTOCOL, "header", f"quoted IP version {version}, not 4")
    header_len = ip.header_len
    total_len = ip.total_len
    if header_len < _IPV4_MIN_HEADER_LEN or header_len > n or total_len < header_len:
        raise MalformedPacket(PROTOCOL, "header", "quoted IP header lengths inconsistent")
    header = _tuple_new(
        Ipv4Repr,
        (
            ip.src_addr,
            ip.dst_addr,
            ip.next_header,
            total_len - header_len,
            ip.hop_limit,
            ip.dscp,
            ip.ecn,
            ip.ident,
            ip.dont_frag,
            ip.more_frags,
            ip.frag_offset,
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
        ``buffer``. Generated from the spec (``smoltcp.wire._generated.icmpv4_fast``), which
        replaces this method below; this body is the general path it falls back to.
        """
        if len(buffer) < HEADER_LEN:
            raise MalformedPacket(PROTOCOL, "header", "truncated")
        if checksum_caps.icmpv4 in VERIFY_RX and csum(buffer, 0) != 0xFFFF:
            raise MalformedPacket(PROTOCOL, "checksum", "checksum mismatch")
        packet = Icmpv4Packet.new_unchecked(buffer)
        message = packet.msg_type
        code = packet.msg_code
        view = memoryview(buffer)
        if message in _ECHO:
            if code != 0:
                raise MalformedPacket(PROTOCOL, "msg_code", f"{code} in an echo message, not 0")
            return _tuple_new(
                Icmpv4Repr,
                (message, 0, packet.echo_ident, packet.echo_seq_no, view[HEADER_LEN:], None),
            )
        codes = _ERRORS.get(message)
        if codes is not None:
            header, data = _parse_quoted(view[HEADER_LEN:])
            return _tuple_new(
                Icmpv4Repr,
                (message, codes(code), packet.echo_ident, packet.echo_seq_no, data, header),
            )
        return _tuple_new(Icmpv4Repr, (message, code, 0, 0, view[_COMMON_LEN:], None))

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
        view. Generated from the spec (``smoltcp.wire._generated.icmpv4_fast``), which replaces
        this method below; this body is the general path it falls back to."""
        message = self.message
        data = self.data
        header = self.header
        packet = Icmpv4Packet.new_unchecked(buffer)
        packet.msg_type = message
        packet.msg_code = self.code
        packet.checksum = 0
        if header is not None and message in _ERRORS:
            packet.echo_ident = self.ident
            packet.echo_seq_no = self.seq_no
            start = HEADER_LEN + header.buffer_len()
            header.emit(
                Ipv4Packet.new_unchecked(memoryview(buffer)[HEADER_LEN:start]), _DEFAULT_CAPS, csum
            )
        elif message in _ECHO:
            packet.echo_ident = self.ident
            packet.echo_seq_no = self.seq_no
            start = HEADER_LEN
        else:
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


# The general paths: every message type, the quoting, the precise errors.
_parse_general = Icmpv4Repr.parse_buffer
_emit_general = Icmpv4Repr.emit_buffer

# The per-packet path, generated from the spec (spec/profiles.py LAYER_PROFILES). Imported
# last: the generated module builds this module's Icmpv4Repr.
from ._generated.icmpv4_fast import emit_buffer as _emit_fast  # noqa: E402
from ._generated.icmpv4_fast import parse_buffer as _parse_fast  # noqa: E402

Icmpv4Repr.parse_buffer = staticmethod(_parse_fast)  # type: ignore[method-assign,assignment]
Icmpv4Repr.emit_buffer = _emit_fast  # type: ignore[method-assign,assignment]
_parse_buffer = _parse_fast
_emit_buffer = _emit_fast
