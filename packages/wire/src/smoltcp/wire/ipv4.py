"""IPv4 (RFC 791): the `Ipv4Packet` view with options, payload and checksum, and `Ipv4Repr`.

The options area is exposed as octets but not interpreted; `Ipv4Repr` describes a header
without options (the stack neither sends nor needs them). Fragments are not rejected here: their
fields are reported and the stack decides.
"""

from __future__ import annotations

from typing import NamedTuple

from ._generated.ipv4 import (
    CHECKSUM_AT,
    HEADER_LEN,
    PROTOCOL,
    IpProtocol,
)
from ._generated.ipv4 import HEADER_LEN_AT as _IHL_AT
from ._generated.ipv4 import HEADER_LEN_OCTET_MASK as _IHL_MASK
from ._generated.ipv4 import HEADER_LEN_UNIT as _IHL_UNIT
from ._generated.ipv4 import TOTAL_LEN_AT as _TOTAL_LEN_AT
from ._generated.ipv4 import Ipv4Packet as _Ipv4PacketView
from .address import Ipv4Address
from .capabilities import VERIFY_RX, ChecksumCapabilities
from .checksum import InternetSum, WritableBuffer, internet_sum
from .errors import MalformedPacket, UnsupportedPacket

__all__ = ["IpProtocol", "Ipv4Packet", "Ipv4Repr"]

_tuple_new = tuple.__new__
_DEFAULT_CAPS = ChecksumCapabilities()


def _check(buffer: bytes | bytearray | memoryview) -> None:
    """Raise unless ``buffer`` starts with a whole IPv4 header and holds total_len octets."""
    n = len(buffer)
    if n < HEADER_LEN:
        raise MalformedPacket(PROTOCOL, "header", f"{n} octets, fewer than the 20-octet header")
    version = buffer[0] >> 4
    if version != 4:
        if version == 6:
            raise UnsupportedPacket(PROTOCOL, "version", "an IPv6 packet (see Ipv6Packet)")
        raise MalformedPacket(PROTOCOL, "version", f"{version}, not 4")
    header_len = (buffer[_IHL_AT] & _IHL_MASK) * _IHL_UNIT
    if header_len < HEADER_LEN:
        raise MalformedPacket(PROTOCOL, "header_len", f"{header_len} octets, fewer than 20")
    total_len = (buffer[_TOTAL_LEN_AT] << 8) | buffer[_TOTAL_LEN_AT + 1]
    if total_len < header_len:
        raise MalformedPacket(
            PROTOCOL, "total_len", f"{total_len} octets, less than the {header_len}-octet header"
        )
    if total_len > n:
        raise MalformedPacket(
            PROTOCOL, "total_len", f"{total_len} octets, but only {n} octets were received"
        )


class Ipv4Packet(_Ipv4PacketView):
    """A zero-copy view of an IPv4 packet: header accessors, options, payload and checksum.

    ``Ipv4Packet(buffer)`` raises `UnsupportedPacket` for IPv6 and `MalformedPacket` unless the
    version is 4, the header length at least 20 octets and header_len <= total_len <= the
    buffer length. The buffer may be longer than total_len (link-layer padding).
    """

    __slots__ = ()

    def __init__(self, buffer: bytes | bytearray | memoryview) -> None:
        """Wrap ``buffer``; raise `MalformedPacket` unless the lengths are consistent."""
        self.buffer = buffer
        # The check of check_len, inlined for the common case: this runs for every packet.
        n = len(buffer)
        if (
            n < HEADER_LEN
            or buffer[0] != 0x45
            or not 20 <= ((buffer[_TOTAL_LEN_AT] << 8) | buffer[_TOTAL_LEN_AT + 1]) <= n
        ):
            _check(buffer)

    def check_len(self) -> None:
        """Raise `MalformedPacket` unless the lengths are consistent (see the class)."""
        _check(self.buffer)

    @property
    def options(self) -> memoryview:
        """The options area, between the fixed header and header_len (often empty)."""
        return memoryview(self.buffer)[HEADER_LEN : (self.buffer[_IHL_AT] & _IHL_MASK) * _IHL_UNIT]

    @property
    def payload(self) -> memoryview:
        """The octets after the header, up to total_len (link-layer padding excluded)."""
        buffer = self.buffer
        start = (buffer[_IHL_AT] & _IHL_MASK) * _IHL_UNIT
        end = (buffer[_TOTAL_LEN_AT] << 8) | buffer[_TOTAL_LEN_AT + 1]
        if type(buffer) is memoryview:
            return buffer[start:end]
        return memoryview(buffer)[start:end]

    def verify_checksum(self, csum: InternetSum = internet_sum) -> bool:
        """Return whether the header checksum is correct (RFC 791 3.1)."""
        buffer = self.buffer
        return csum(memoryview(buffer)[: (buffer[_IHL_AT] & _IHL_MASK) * _IHL_UNIT], 0) == 0xFFFF

    def fill_checksum(self, csum: InternetSum = internet_sum) -> None:
        """Compute the header checksum and write it into the header."""
        buffer: WritableBuffer = self.buffer  # type: ignore[assignment]
        buffer[CHECKSUM_AT] = buffer[CHECKSUM_AT + 1] = 0
        s = ~csum(memoryview(buffer)[: (buffer[_IHL_AT] & _IHL_MASK) * _IHL_UNIT], 0) & 0xFFFF
        buffer[CHECKSUM_AT] = s >> 8
        buffer[CHECKSUM_AT + 1] = s & 0xFF


class Ipv4Repr(NamedTuple):
    """The fields of an IPv4 header without options.

    ``payload_len`` is total_len minus the header length; ``frag_offset`` is in octets (a
    multiple of 8). Parse fills ``dont_frag``/``more_frags``/``frag_offset`` from the packet; the
    stack decides what to do with fragments.
    """

    src_addr: Ipv4Address
    dst_addr: Ipv4Address
    next_header: IpProtocol
    payload_len: int
    hop_limit: int
    dscp: int = 0
    ecn: int = 0
    ident: int = 0
    dont_frag: bool = True
    more_frags: bool = False
    frag_offset: int = 0

    @property
    def version(self) -> int:
        """Return 4, the IP version of this representation."""
        return 4

    @staticmethod
    def parse(
        packet: Ipv4Packet,
        checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
        csum: InternetSum = internet_sum,
    ) -> Ipv4Repr:
        """Return the header of a checked ``packet``; raise `MalformedPacket`.

        The header checksum is verified when ``checksum_caps.ipv4.rx()``. The same as
        ``parse_buffer(packet.buffer, ...)``.
        """
        return _parse_buffer(packet.buffer, checksum_caps, csum)

    def emit(
        self,
        packet: Ipv4Packet,
        checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
        csum: InternetSum = internet_sum,
    ) -> None:
        """Write the 20-octet header into ``packet``'s buffer (the payload is the caller's).

        The checksum is computed when ``checksum_caps.ipv4.tx()``, else left zero for the
        device to fill. The same as ``emit_buffer(packet.buffer, ...)``.
        """
        _emit_buffer(self, packet.buffer, checksum_caps, csum)  # type: ignore[arg-type]

    @staticmethod
    def parse_buffer(
        buffer: bytes | bytearray | memoryview,
        checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
        csum: InternetSum = internet_sum,
    ) -> Ipv4Repr:
        """Return the header of the IPv4 packet in ``buffer``; raise `MalformedPacket`.

        The per-packet path. It makes every check of the checked
        ``Ipv4Packet(buffer)`` and of `Ipv4Repr.parse` and raises the same errors, without building
        the view. The header checksum is verified when ``checksum_caps.ipv4.rx()``. The payload is
        ``buffer[header_len : header_len + payload_len]``, header_len being
        ``(buffer[_IHL_AT] & _IHL_MASK) * _IHL_UNIT`` (20 unless the packet has options).
        """
        # The general path (the generated one in ipv4_fast takes headers without options):
        # the checked view raises the precise error, its generated accessors read the fields.
        packet = Ipv4Packet(buffer)
        if checksum_caps.ipv4 in VERIFY_RX and not packet.verify_checksum(csum):
            raise MalformedPacket(PROTOCOL, "checksum", "header checksum mismatch")
        return _tuple_new(
            Ipv4Repr,
            (
                packet.src_addr,
                packet.dst_addr,
                packet.next_header,
                packet.total_len - packet.header_len,
                packet.hop_limit,
                packet.dscp,
                packet.ecn,
                packet.ident,
                packet.dont_frag,
                packet.more_frags,
                packet.frag_offset,
            ),
        )

    def emit_buffer(
        self,
        buffer: WritableBuffer,
        checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
        csum: InternetSum = internet_sum,
    ) -> None:
        """Write the 20-octet header into ``buffer`` (the payload is the caller's).

        `Ipv4Repr.emit` without the view. The checksum is computed when
        ``checksum_caps.ipv4.tx()``, else left zero for the device to fill. Generated from the
        spec (``smoltcp.wire._generated.ipv4_fast``), which replaces this method below.
        """
        _emit_fast(self, buffer, checksum_caps, csum)

    def buffer_len(self) -> int:
        """Return the header length, 20 (no options are emitted)."""
        return HEADER_LEN

    def __str__(self) -> str:
        proto = self.next_header
        name = (
            proto.name if proto.name and not proto.name.startswith("Unknown") else str(int(proto))
        )
        if name == "ICMP":
            name = "ICMPv4"
        frag = ""
        if self.more_frags or self.frag_offset:
            frag = f" frag={self.frag_offset}{'+' if self.more_frags else ''}"
        return (
            f"IPv4 src={self.src_addr} dst={self.dst_addr} proto={name} "
            f"len={self.payload_len} ttl={self.hop_limit}{frag}"
        )


# The general parse: options, and the precise error of every malformed header.
_parse_general = Ipv4Repr.parse_buffer

# The per-packet path, generated from the spec (spec/profiles.py LAYER_PROFILES): a header
# without options is parsed there, anything else by _parse_general. Imported last: the
# generated module builds this module's Ipv4Repr.
from ._generated.ipv4_fast import emit_buffer as _emit_fast  # noqa: E402
from ._generated.ipv4_fast import parse_buffer as _parse_fast  # noqa: E402

Ipv4Repr.parse_buffer = staticmethod(_parse_fast)  # type: ignore[method-assign,assignment]
Ipv4Repr.emit_buffer = _emit_fast  # type: ignore[method-assign,assignment]
_parse_buffer = _parse_fast
_emit_buffer = _emit_fast
