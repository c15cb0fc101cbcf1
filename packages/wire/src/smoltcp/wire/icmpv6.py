"""ICMPv6 (RFC 4443): the `Icmpv6Packet` view with its checksum, and `Icmpv6Repr`.

The checksum covers the IPv6 pseudo header (RFC 4443 2.3, RFC 8200 8.1), so parse and emit
take the addresses. Echo request and reply carry identifier, sequence number and data; the
error messages quote as much of the invoking packet as fits (RFC 4443 2.4 (c)). NDP and MLD
messages are ICMPv6 messages too: `Icmpv6Repr` keeps their body after the 4-octet common part,
and `smoltcp.wire.ndp`/`smoltcp.wire.mld` read it.

The echo messages are parsed and emitted by code generated from the spec
(``smoltcp.wire._generated.icmpv6_fast``: ``REPR`` in ``spec/icmpv6.py``, the ``icmpv6``
entry of ``LAYER_PROFILES``). What stays here is semantics: the message kinds and codes, the
quoting of an error, the precise errors and ``__str__``, reading through the generated view.
"""

from __future__ import annotations

from typing import NamedTuple

from ._generated.icmpv6 import (
    CHECKSUM_AT,
    ECHO_IDENT_AT,
    HEADER_LEN,
    MAX_ERROR_LEN,
    NDP_HOP_LIMIT,
    PROTOCOL,
    PSEUDO_PROTOCOL,
    Icmpv6DstUnreachable,
    Icmpv6Message,
    Icmpv6ParamProblem,
    Icmpv6TimeExceeded,
)
from ._generated.icmpv6 import Icmpv6Packet as _Icmpv6PacketView
from .address import IpAddress
from .capabilities import COMPUTE_TX, VERIFY_RX, ChecksumCapabilities
from .checksum import InternetSum, WritableBuffer, internet_sum, pseudo_header_sum
from .errors import MalformedPacket
from .ipv6 import Ipv6Repr, parse_quoted

__all__ = [
    "MAX_ERROR_LEN",
    "NDP_HOP_LIMIT",
    "Icmpv6DstUnreachable",
    "Icmpv6Message",
    "Icmpv6Packet",
    "Icmpv6ParamProblem",
    "Icmpv6Repr",
    "Icmpv6TimeExceeded",
    "fill_icmpv6_checksum",
]

_tuple_new = tuple.__new__
_DEFAULT_CAPS = ChecksumCapabilities()
_ECHO = (Icmpv6Message.ECHO_REQUEST, Icmpv6Message.ECHO_REPLY)
_ERRORS = {
    Icmpv6Message.DST_UNREACHABLE: Icmpv6DstUnreachable,
    Icmpv6Message.PKT_TOO_BIG: None,
    Icmpv6Message.TIME_EXCEEDED: Icmpv6TimeExceeded,
    Icmpv6Message.PARAM_PROBLEM: Icmpv6ParamProblem,
}
# The type and code octets and the checksum, the part every message shares, end where the
# echo identifier starts; a message of another type carries its own body from there.
_COMMON_LEN = ECHO_IDENT_AT
# Error types are 0-127 (RFC 4443 2.1): the high bit of the type says informational.
_INFORMATIONAL = 128
_HALF = 16


def _sum(
    buffer: bytes | bytearray | memoryview,
    src_addr: IpAddress,
    dst_addr: IpAddress,
    csum: InternetSum,
) -> int:
    return csum(buffer, pseudo_header_sum(src_addr, dst_addr, PSEUDO_PROTOCOL, len(buffer)))


def fill_icmpv6_checksum(
    buffer: WritableBuffer,
    src_addr: IpAddress,
    dst_addr: IpAddress,
    csum: InternetSum = internet_sum,
) -> None:
    """Compute the checksum of the whole ICMPv6 message in ``buffer`` and write it."""
    buffer[CHECKSUM_AT] = buffer[CHECKSUM_AT + 1] = 0
    s = ~_sum(buffer, src_addr, dst_addr, csum) & 0xFFFF
    buffer[CHECKSUM_AT] = s >> 8
    buffer[CHECKSUM_AT + 1] = s & 0xFF


class Icmpv6Packet(_Icmpv6PacketView):
    """A zero-copy view of an ICMPv6 message (the whole buffer, the IPv6 upper-layer payload).

    ``Icmpv6Packet(buffer)`` raises `MalformedPacket` if it is shorter than 8 octets.
    """

    __slots__ = ()

    @property
    def data(self) -> memoryview:
        """The octets after the 8-octet header."""
        return memoryview(self.buffer)[HEADER_LEN:]

    def verify_checksum(
        self, src_addr: IpAddress, dst_addr: IpAddress, csum: InternetSum = internet_sum
    ) -> bool:
        """Return whether the checksum over pseudo header and message is correct."""
        return _sum(self.buffer, src_addr, dst_addr, csum) == 0xFFFF

    def fill_checksum(
        self, src_addr: IpAddress, dst_addr: IpAddress, csum: InternetSum = internet_sum
    ) -> None:
        """Compute the checksum over pseudo header and message and write it."""
        fill_icmpv6_checksum(self.buffer, src_addr, dst_addr, csum)  # type: ignore[arg-type]


class Icmpv6Repr(NamedTuple):
    """An ICMPv6 message.

    - Echo request/reply: ``ident``, ``seq_no`` and ``data``.
    - Errors: ``header`` is the quoted IPv6 header (its ``payload_len`` the original one) and
      ``data`` the quoted octets after it; ``param`` is the 32-bit word after the checksum:
      Packet Too Big's MTU, Parameter Problem's pointer (RFC 4443 3.2, 3.4).
    - Any other type (NDP, MLD, unknown): ``data`` is the body after the 4-octet common part.

    ``code`` reads as the code enum of the type where there is one (an int otherwise).
    """

    message: Icmpv6Message
    code: int = 0
    ident: int = 0
    seq_no: int = 0
    data: bytes | memoryview = b""
    header: Ipv6Repr | None = None

    @property
    def param(self) -> int:
        """The 32-bit word after the checksum of an error: MTU or pointer."""
        return (self.ident << _HALF) | self.seq_no

    @property
    def is_error(self) -> bool:
        """Whether this is an error message (type 0-127, RFC 4443 2.1)."""
        return int(self.message) < _INFORMATIONAL

    @classmethod
    def echo_request(cls, ident: int, seq_no: int, data: bytes | memoryview) -> Icmpv6Repr:
        """Return an echo request (RFC 4443 4.1)."""
        return cls(Icmpv6Message.ECHO_REQUEST, 0, ident, seq_no, data)

    @classmethod
    def echo_reply(cls, ident: int, seq_no: int, data: bytes | memoryview) -> Icmpv6Repr:
        """Return an echo reply (RFC 4443 4.2)."""
        return cls(Icmpv6Message.ECHO_REPLY, 0, ident, seq_no, data)

    @classmethod
    def error(
        cls,
        message: Icmpv6Message,
        code: int,
        header: Ipv6Repr,
        data: bytes | memoryview,
        param: int = 0,
    ) -> Icmpv6Repr:
        """Return an error quoting ``header`` and ``data``; ``param`` is the MTU or pointer.

        ``data`` is cut so that the message fits the minimum MTU (RFC 4443 2.4 (c)) after an
        IPv6 header of its own. Raise ValueError if ``message`` is not an error type.
        """
        if int(message) >= _INFORMATIONAL:
            raise ValueError(f"message must be an error type, not {message!r}")
        room = MAX_ERROR_LEN - header.buffer_len() * 2 - HEADER_LEN
        codes = _ERRORS.get(message)
        return cls(
            message,
            codes(code) if codes is not None else code,
            param >> _HALF,
            param & 0xFFFF,
            data[:room],
            header,
        )

    @staticmethod
    def parse(
        packet: Icmpv6Packet,
        src_addr: IpAddress,
        dst_addr: IpAddress,
        checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
        csum: InternetSum = internet_sum,
    ) -> Icmpv6Repr:
        """Return the message of a checked ``packet``; see `parse_buffer`."""
        return _parse_buffer(packet.buffer, src_addr, dst_addr, checksum_caps, csum)

    @staticmethod
    def parse_buffer(
        buffer: bytes | bytearray | memoryview,
        src_addr: IpAddress,
        dst_addr: IpAddress,
        checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
        csum: InternetSum = internet_sum,
    ) -> Icmpv6Repr:
        """Return the message in ``buffer`` (the upper-layer payload); raise `MalformedPacket`.

        The checksum is verified when ``checksum_caps.icmpv6.rx()``. Echo messages with a
        non-zero code, and errors whose quoted header is truncated, are malformed. Generated
        from the spec (``smoltcp.wire._generated.icmpv6_fast``), which replaces this method
        below; this body is the general path it falls back to.
        """
        if len(buffer) < HEADER_LEN:
            raise MalformedPacket(PROTOCOL, "header", "truncated")
        if checksum_caps.icmpv6 in VERIFY_RX and _sum(buffer, src_addr, dst_addr, csum) != 0xFFFF:
            raise MalformedPacket(PROTOCOL, "checksum", "checksum mismatch")
        packet = Icmpv6Packet.new_unchecked(buffer)
        message = packet.msg_type
        code = packet.msg_code
        view = memoryview(buffer)
        if message in _ECHO:
            if code != 0:
                raise MalformedPacket(PROTOCOL, "msg_code", f"{code} in an echo message, not 0")
            return _tuple_new(
                Icmpv6Repr,
                (message, 0, packet.echo_ident, packet.echo_seq_no, view[HEADER_LEN:], None),
            )
        if message in _ERRORS:
            quoted = view[HEADER_LEN:]
            try:
                header = parse_quoted(quoted)
            except MalformedPacket as e:
                raise MalformedPacket(PROTOCOL, "header", f"quoted {e.reason}") from None
            codes = _ERRORS[message]
            return _tuple_new(
                Icmpv6Repr,
                (
                    message,
                    codes(code) if codes is not None else code,
                    packet.echo_ident,
                    packet.echo_seq_no,
                    quoted[header.buffer_len() :],
                    header,
                ),
            )
        return _tuple_new(Icmpv6Repr, (message, code, 0, 0, view[_COMMON_LEN:], None))

    def buffer_len(self) -> int:
        """Return the message length in octets."""
        if self.header is not None and self.message in _ERRORS:
            return HEADER_LEN + self.header.buffer_len() + len(self.data)
        if self.message in _ECHO:
            return HEADER_LEN + len(self.data)
        return _COMMON_LEN + len(self.data)

    def emit(
        self,
        packet: Icmpv6Packet,
        src_addr: IpAddress,
        dst_addr: IpAddress,
        checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
        csum: InternetSum = internet_sum,
    ) -> None:
        """Write the message into ``packet``'s buffer (exactly `buffer_len` octets)."""
        _emit_buffer(self, packet.buffer, src_addr, dst_addr, checksum_caps, csum)  # type: ignore[arg-type]

    def emit_buffer(
        self,
        buffer: WritableBuffer,
        src_addr: IpAddress,
        dst_addr: IpAddress,
        checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
        csum: InternetSum = internet_sum,
    ) -> None:
        """Write the message into ``buffer``; the checksum when ``checksum_caps.icmpv6.tx()``.

        The checksum covers ``buffer[:buffer_len()]``. Generated from the spec
        (``smoltcp.wire._generated.icmpv6_fast``), which replaces this method below; this body
        is the general path it falls back to.
        """
        message = self.message
        header = self.header
        packet = Icmpv6Packet.new_unchecked(buffer)
        packet.msg_type = message
        packet.msg_code = self.code
        packet.checksum = 0
        if header is not None and message in _ERRORS:
            packet.echo_ident = self.ident
            packet.echo_seq_no = self.seq_no
            start = HEADER_LEN + header.buffer_len()
            header.emit_buffer(memoryview(buffer)[HEADER_LEN:start])
        elif message in _ECHO:
            packet.echo_ident = self.ident
            packet.echo_seq_no = self.seq_no
            start = HEADER_LEN
        else:
            start = _COMMON_LEN
        end = start + len(self.data)
        buffer[start:end] = self.data
        if checksum_caps.icmpv6 in COMPUTE_TX:
            body = buffer if len(buffer) == end else memoryview(buffer)[:end]
            fill_icmpv6_checksum(body, src_addr, dst_addr, csum)

    def __str__(self) -> str:
        message = self.message
        if message in _ECHO:
            kind = "echo request" if message == Icmpv6Message.ECHO_REQUEST else "echo reply"
            return f"ICMPv6 {kind} id={self.ident} seq={self.seq_no} len={len(self.data)}"
        if self.header is not None:
            h = self.header
            return (
                f"ICMPv6 {message.name.lower()} code={getattr(self.code, 'name', self.code)} "
                f"param={self.param} for {h.src_addr} > {h.dst_addr}"
            )
        return f"ICMPv6 {message.name.lower()} code={int(self.code)} len={len(self.data)}"


# The general paths: every message type, the quoting, the precise errors.
_parse_general = Icmpv6Repr.parse_buffer
_emit_general = Icmpv6Repr.emit_buffer

# The per-packet path, generated from the spec (spec/profiles.py LAYER_PROFILES). Imported
# last: the generated module builds this module's Icmpv6Repr.
from ._generated.icmpv6_fast import emit_buffer as _emit_fast  # noqa: E402
from ._generated.icmpv6_fast import parse_buffer as _parse_fast  # noqa: E402

Icmpv6Repr.parse_buffer = staticmethod(_parse_fast)  # type: ignore[method-assign,assignment]
Icmpv6Repr.emit_buffer = _emit_fast  # type: ignore[method-assign,assignment]
_parse_buffer = _parse_fast
_emit_buffer = _emit_fast
