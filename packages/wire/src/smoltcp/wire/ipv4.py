"""IPv4 (RFC 791): the `Ipv4Packet` view with options, payload and checksum, and `Ipv4Repr`.

The options area is exposed as octets but not interpreted; `Ipv4Repr` describes a header
without options (the stack neither sends nor needs them). Fragments are not rejected here: their
fields are reported and the stack decides.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from ._generated.ipv4 import (
    CHECKSUM_AT,
    DONT_FRAG_MASK,
    FRAG_OFFSET_MASK,
    HEADER_LEN,
    PROTOCOL,
    WORDS,
    IpProtocol,
)
from ._generated.ipv4 import HEADER_LEN_AT as _IHL_AT
from ._generated.ipv4 import HEADER_LEN_OCTET_MASK as _IHL_MASK
from ._generated.ipv4 import HEADER_LEN_UNIT as _IHL_UNIT
from ._generated.ipv4 import MORE_FRAGS_MASK as _MF
from ._generated.ipv4 import TOTAL_LEN_AT as _TOTAL_LEN_AT
from ._generated.ipv4 import Ipv4Packet as _Ipv4PacketView
from .address import Ipv4Address, ipv4_from_int, ipv4_int_cache_get
from .capabilities import COMPUTE_TX, VERIFY_RX, ChecksumCapabilities
from .checksum import InternetSum, WritableBuffer, internet_sum
from .errors import MalformedPacket, UnsupportedPacket

__all__ = ["IpProtocol", "Ipv4Packet", "Ipv4Repr"]

_PROTOCOLS = IpProtocol._value2member_map_
_addr_get = ipv4_int_cache_get
_from_bytes = int.from_bytes
# The fixed header as 16-bit words where octets pair up (version/IHL with DSCP/ECN, TTL with
# protocol) and the addresses as 32-bit ints: one unpack or pack per header, and the words add
# up to the header checksum directly.
_unpack_words = WORDS.unpack_from
_pack_words = WORDS.pack
_pack_words_into = WORDS.pack_into
_tuple_new = tuple.__new__
_DEFAULT_CAPS = ChecksumCapabilities()

_PROTOCOL_NAMES = {1: "ICMPv4", 2: "IGMP", 6: "TCP", 17: "UDP", 58: "ICMPv6"}

_DF = DONT_FRAG_MASK
_FRAG_OFFSET = FRAG_OFFSET_MASK


def _check(buffer: bytes | bytearray | memoryview) -> None:
    """Raise unless ``buffer`` starts with a whole IPv4 header and holds total_len octets."""
    n = len(buffer)
    if n < HEADER_LEN:
        raise MalformedPacket(PROTOCOL, "header", f"{n} octets, fewer than the 20-octet header")
    version = buffer[0] >> 4
    if version != 4:
        if version == 6:
            raise UnsupportedPacket(PROTOCOL, "version", "IPv6 is not supported yet")
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
        try:
            vihl_tos, total_len, ident, frag, ttl_proto, checksum, src, dst = _unpack_words(buffer)
        except struct.error:
            raise MalformedPacket(PROTOCOL, "header", "truncated") from None
        if vihl_tos >> 8 == 0x45 and 20 <= total_len <= len(buffer):
            header_len = HEADER_LEN  # the common case: version 4, no options, lengths consistent
        else:
            header_len = (vihl_tos >> 6) & 0x3C
            if vihl_tos >> 12 != 4 or header_len < HEADER_LEN or total_len < header_len:
                _check(buffer)  # raises the precise error
            if total_len > len(buffer):
                _check(buffer)
        if checksum_caps.ipv4 in VERIFY_RX:
            if csum is internet_sum:
                # The reference sum, inlined (see internet_sum): the header's words, 32-bit
                # addresses included (2**16 == 1 modulo 0xffff), add up to a multiple of 0xffff
                # when the checksum is right; the sum is never zero (0x45 is in it).
                if header_len == HEADER_LEN:
                    total = vihl_tos + total_len + ident + frag + ttl_proto + checksum + src + dst
                else:
                    total = _from_bytes(buffer[:header_len], "big")
                ok = total % 0xFFFF == 0
            else:
                ok = csum(buffer[:header_len], 0) == 0xFFFF
            if not ok:
                raise MalformedPacket(PROTOCOL, "checksum", "header checksum mismatch")
        proto = ttl_proto & 0xFF
        next_header = _PROTOCOLS.get(proto)
        if next_header is None:
            next_header = IpProtocol(proto)
        return _tuple_new(
            Ipv4Repr,
            (
                _addr_get(src) or ipv4_from_int(src),
                _addr_get(dst) or ipv4_from_int(dst),
                next_header,
                total_len - header_len,
                ttl_proto >> 8,
                (vihl_tos >> 2) & 0x3F,
                vihl_tos & 0x03,
                ident,
                (frag & _DF) != 0,
                (frag & _MF) != 0,
                (frag & _FRAG_OFFSET) << 3,
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
        ``checksum_caps.ipv4.tx()``, else left zero for the device to fill.
        """
        (
            src_addr,
            dst_addr,
            next_header,
            payload_len,
            hop_limit,
            dscp,
            ecn,
            ident,
            dont_frag,
            more_frags,
            frag_offset,
        ) = self
        frag = frag_offset >> 3
        if dont_frag:
            frag |= _DF
        if more_frags:
            frag |= _MF
        vihl_tos = 0x4500 | (dscp << 2) | ecn
        total_len = HEADER_LEN + payload_len
        ttl_proto = (hop_limit << 8) | next_header
        src = src_addr._int
        dst = dst_addr._int
        checksum = 0
        if checksum_caps.ipv4 in COMPUTE_TX:
            if csum is internet_sum:
                # The reference sum over the fields (see internet_sum and parse). The total is
                # never zero (0x45 is in it), so a multiple of 0xffff folds to 0xffff, whose
                # complement is 0.
                folded = (vihl_tos + total_len + ident + frag + ttl_proto + src + dst) % 0xFFFF
                checksum = 0xFFFF - folded if folded else 0
            else:
                header = _pack_words(vihl_tos, total_len, ident, frag, ttl_proto, 0, src, dst)
                checksum = ~csum(header, 0) & 0xFFFF
        _pack_words_into(buffer, 0, vihl_tos, total_len, ident, frag, ttl_proto, checksum, src, dst)

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


_emit_buffer = Ipv4Repr.emit_buffer


_parse_buffer = Ipv4Repr.parse_buffer
