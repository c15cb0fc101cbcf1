"""IPv6 (RFC 8200): the `Ipv6Packet` view over the fixed header and payload, and `Ipv6Repr`.

The fixed header has no checksum (RFC 8200 section 3); the transport checksums cover a pseudo
header instead (RFC 8200 8.1, `smoltcp.wire.checksum.pseudo_header_sum`). Extension headers
are the payload's business: `smoltcp.wire.ipv6ext` walks them.

`Ipv6Repr.parse_buffer`/`emit_buffer` are generated from the spec
(``smoltcp.wire._generated.ipv6_fast``: ``REPR`` in ``spec/ipv6.py``, the ``ipv6`` entry of
``LAYER_PROFILES``); what stays here is the precise error of a bad header, the quoted header of
an ICMPv6 error (its payload length is the original packet's) and ``__str__``, all reading
through the generated view.
"""

from __future__ import annotations

from typing import NamedTuple

from ._generated.ipv4 import IpProtocol
from ._generated.ipv6 import HEADER_LEN, MIN_MTU, PAYLOAD_LEN_AT, PROTOCOL, VERSION_OCTET_SHIFT
from ._generated.ipv6 import Ipv6Packet as _Ipv6PacketView
from .address import Ipv6Address
from .capabilities import ChecksumCapabilities
from .checksum import InternetSum, WritableBuffer, internet_sum
from .errors import MalformedPacket

__all__ = ["MIN_MTU", "Ipv6Packet", "Ipv6Repr", "parse_quoted"]

_tuple_new = tuple.__new__
_DEFAULT_CAPS = ChecksumCapabilities()
_VERSION = 6


def _payload_len(buffer: bytes | bytearray | memoryview) -> int:
    return (buffer[PAYLOAD_LEN_AT] << 8) | buffer[PAYLOAD_LEN_AT + 1]


def _check(buffer: bytes | bytearray | memoryview) -> None:
    """Raise unless ``buffer`` starts with a whole IPv6 header and holds its payload."""
    n = len(buffer)
    if n < HEADER_LEN:
        raise MalformedPacket(PROTOCOL, "header", f"{n} octets, fewer than the 40-octet header")
    version = buffer[0] >> VERSION_OCTET_SHIFT
    if version != _VERSION:
        raise MalformedPacket(PROTOCOL, "version", f"{version}, not 6")
    payload_len = _payload_len(buffer)
    if HEADER_LEN + payload_len > n:
        raise MalformedPacket(
            PROTOCOL,
            "payload_len",
            f"{payload_len} octets, but only {n - HEADER_LEN} octets follow the header",
        )


class Ipv6Packet(_Ipv6PacketView):
    """A zero-copy view of an IPv6 packet: fixed-header accessors and payload.

    ``Ipv6Packet(buffer)`` raises `MalformedPacket` unless the version is 6 and the buffer holds
    the 40-octet header and payload_len octets after it. The buffer may be longer (link-layer
    padding). A payload length of zero with a Jumbo Payload option (RFC 2675) is not supported:
    it reads as an empty payload.
    """

    __slots__ = ()

    def check_len(self) -> None:
        """Raise `MalformedPacket` unless the lengths are consistent (see the class)."""
        _check(self.buffer)

    @property
    def payload(self) -> memoryview:
        """The octets after the fixed header, up to payload_len (padding excluded)."""
        buffer = self.buffer
        return memoryview(buffer)[HEADER_LEN : HEADER_LEN + _payload_len(buffer)]


class Ipv6Repr(NamedTuple):
    """The fields of an IPv6 fixed header.

    ``next_header`` is the header right after the fixed one (maybe an extension header);
    ``payload_len`` counts every octet after the fixed header, extension headers included.
    """

    src_addr: Ipv6Address
    dst_addr: Ipv6Address
    next_header: IpProtocol
    payload_len: int
    hop_limit: int
    dscp: int = 0
    ecn: int = 0
    flow_label: int = 0

    @property
    def version(self) -> int:
        """Return 6, the IP version of this representation."""
        return _VERSION

    @staticmethod
    def parse(
        packet: Ipv6Packet,
        checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
        csum: InternetSum = internet_sum,
    ) -> Ipv6Repr:
        """Return the header of a checked ``packet``; raise `MalformedPacket`.

        ``checksum_caps`` and ``csum`` are accepted for the signature every `IpRepr` shares;
        the IPv6 header has no checksum.
        """
        return _parse_buffer(packet.buffer, checksum_caps, csum)

    @staticmethod
    def parse_buffer(
        buffer: bytes | bytearray | memoryview,
        checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
        csum: InternetSum = internet_sum,
    ) -> Ipv6Repr:
        """Return the header of the IPv6 packet in ``buffer``; raise `MalformedPacket`.

        It makes every check of the checked ``Ipv6Packet(buffer)``. The payload is
        ``buffer[40 : 40 + payload_len]``. Generated from the spec
        (``smoltcp.wire._generated.ipv6_fast``), which replaces this method below; this body is
        the general path it falls back to, with the precise error.
        """
        _check(buffer)
        return _build(Ipv6Packet.new_unchecked(buffer))

    def emit(
        self,
        packet: Ipv6Packet,
        checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
        csum: InternetSum = internet_sum,
    ) -> None:
        """Write the 40-octet header into ``packet``'s buffer (the payload is the caller's)."""
        _emit_buffer(self, packet.buffer, checksum_caps, csum)  # type: ignore[arg-type]

    def emit_buffer(
        self,
        buffer: WritableBuffer,
        checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
        csum: InternetSum = internet_sum,
    ) -> None:
        """Write the 40-octet header into ``buffer``: `emit` without the view.

        Generated from the spec (``smoltcp.wire._generated.ipv6_fast``), which replaces this
        method below.
        """
        _emit_fast(self, buffer, checksum_caps, csum)

    def buffer_len(self) -> int:
        """Return the fixed header length, 40 (extension headers are payload)."""
        return HEADER_LEN

    def __str__(self) -> str:
        proto = self.next_header
        name = (
            proto.name if proto.name and not proto.name.startswith("Unknown") else str(int(proto))
        )
        if name == "ICMPV6":
            name = "ICMPv6"
        flow = f" flow={self.flow_label:#x}" if self.flow_label else ""
        return (
            f"IPv6 src={self.src_addr} dst={self.dst_addr} nxt={name} "
            f"len={self.payload_len} hlim={self.hop_limit}{flow}"
        )


def _build(packet: _Ipv6PacketView) -> Ipv6Repr:
    return _tuple_new(
        Ipv6Repr,
        (
            packet.src_addr,
            packet.dst_addr,
            packet.next_header,
            packet.payload_len,
            packet.hop_limit,
            packet.dscp,
            packet.ecn,
            packet.flow_label,
        ),
    )


def parse_quoted(buffer: bytes | bytearray | memoryview) -> Ipv6Repr:
    """Return the IPv6 header at the start of ``buffer`` without checking the payload length.

    For the header an ICMPv6 error quotes: its payload_len is the original packet's, longer than
    the quote. Raise `MalformedPacket` if fewer than 40 octets or the version is not 6.
    """
    if len(buffer) < HEADER_LEN:
        raise MalformedPacket(PROTOCOL, "header", f"{len(buffer)} octets, fewer than 40")
    packet = _Ipv6PacketView.new_unchecked(buffer)
    version = packet.version
    if version != _VERSION:
        raise MalformedPacket(PROTOCOL, "version", f"{version}, not 6")
    return _build(packet)


# The general parse: the precise error of every malformed header.
_parse_general = Ipv6Repr.parse_buffer

# The per-packet path, generated from the spec (spec/profiles.py LAYER_PROFILES). Imported
# last: the generated module builds this module's Ipv6Repr.
from ._generated.ipv6_fast import emit_buffer as _emit_fast  # noqa: E402
from ._generated.ipv6_fast import parse_buffer as _parse_fast  # noqa: E402

Ipv6Repr.parse_buffer = staticmethod(_parse_fast)  # type: ignore[method-assign,assignment]
Ipv6Repr.emit_buffer = _emit_fast  # type: ignore[method-assign,assignment]
_parse_buffer = _parse_fast
_emit_buffer = _emit_fast
