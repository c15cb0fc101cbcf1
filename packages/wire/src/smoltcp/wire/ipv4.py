"""IPv4 (RFC 791): the `Ipv4Packet` view with options, payload and checksum, and `Ipv4Repr`.

The options area is exposed as octets but not interpreted; `Ipv4Repr` describes a header
without options (the stack neither sends nor needs them). Fragments are not rejected here: their
fields are reported and the stack decides.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from ._generated.ipv4 import HEADER, HEADER_LEN, PROTOCOL, IpProtocol
from ._generated.ipv4 import Ipv4Packet as _Ipv4PacketView
from .address import Ipv4Address, ipv4_cache_get, ipv4_from_packed
from .capabilities import COMPUTE_TX, VERIFY_RX, ChecksumCapabilities
from .checksum import InternetSum, WritableBuffer, internet_sum
from .errors import MalformedPacket, UnsupportedPacket

__all__ = ["IpProtocol", "Ipv4Packet", "Ipv4Repr"]

_PROTOCOLS = IpProtocol._value2member_map_
_from_bytes = int.from_bytes
_unpack_header = HEADER.unpack_from
# The header as 16-bit words where octets pair up, for emit: version/IHL+TOS, TTL+protocol.
_HEADER_NO_SUM = struct.Struct("!HHHHHH4s4s")
_pack_header_words = _HEADER_NO_SUM.pack_into
_pack_header = HEADER.pack_into
_tuple_new = tuple.__new__
_DEFAULT_CAPS = ChecksumCapabilities()

_PROTOCOL_NAMES = {1: "ICMPv4", 2: "IGMP", 6: "TCP", 17: "UDP", 58: "ICMPv6"}

_DF = 0x4000
_MF = 0x2000
_FRAG_OFFSET = 0x1FFF


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
    header_len = (buffer[0] & 0x0F) * 4
    if header_len < HEADER_LEN:
        raise MalformedPacket(PROTOCOL, "header_len", f"{header_len} octets, fewer than 20")
    total_len = (buffer[2] << 8) | buffer[3]
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
        if n < HEADER_LEN or buffer[0] != 0x45 or not 20 <= ((buffer[2] << 8) | buffer[3]) <= n:
            _check(buffer)

    def check_len(self) -> None:
        """Raise `MalformedPacket` unless the lengths are consistent (see the class)."""
        _check(self.buffer)

    @property
    def options(self) -> memoryview:
        """The options area, between the fixed header and header_len (often empty)."""
        return memoryview(self.buffer)[HEADER_LEN : (self.buffer[0] & 0x0F) * 4]

    @property
    def payload(self) -> memoryview:
        """The octets after the header, up to total_len (link-layer padding excluded)."""
        buffer = self.buffer
        start = (buffer[0] & 0x0F) * 4
        end = (buffer[2] << 8) | buffer[3]
        if type(buffer) is memoryview:
            return buffer[start:end]
        return memoryview(buffer)[start:end]

    def verify_checksum(self, csum: InternetSum = internet_sum) -> bool:
        """Return whether the header checksum is correct (RFC 791 3.1)."""
        buffer = self.buffer
        return csum(memoryview(buffer)[: (buffer[0] & 0x0F) * 4], 0) == 0xFFFF

    def fill_checksum(self, csum: InternetSum = internet_sum) -> None:
        """Compute the header checksum and write it into the header."""
        buffer: WritableBuffer = self.buffer  # type: ignore[assignment]
        buffer[10] = buffer[11] = 0
        s = ~csum(memoryview(buffer)[: (buffer[0] & 0x0F) * 4], 0) & 0xFFFF
        buffer[10] = s >> 8
        buffer[11] = s & 0xFF


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

        The header checksum is verified when ``checksum_caps.ipv4.rx()``.
        """
        buffer = packet.buffer
        try:
            (vihl, dscp_ecn, total_len, ident, frag, ttl, proto, _, src, dst) = _unpack_header(
                buffer
            )
        except struct.error:
            raise MalformedPacket(PROTOCOL, "header", "truncated") from None
        header_len = (vihl & 0x0F) * 4
        if vihl >> 4 != 4 or header_len < HEADER_LEN or not header_len <= total_len <= len(buffer):
            _check(buffer)  # raises the precise error
        if checksum_caps.ipv4 in VERIFY_RX:
            if csum is internet_sum:
                # The reference sum, inlined (see internet_sum): a correct header reads as a
                # non-zero multiple of 0xffff.
                total = _from_bytes(buffer[:header_len], "big")
                ok = total % 0xFFFF == 0 and total != 0
            else:
                ok = csum(buffer[:header_len], 0) == 0xFFFF
            if not ok:
                raise MalformedPacket(PROTOCOL, "checksum", "header checksum mismatch")
        next_header = _PROTOCOLS.get(proto)
        if next_header is None:
            next_header = IpProtocol(proto)
        return _tuple_new(
            Ipv4Repr,
            (
                ipv4_cache_get(src) or ipv4_from_packed(src),
                ipv4_cache_get(dst) or ipv4_from_packed(dst),
                next_header,
                total_len - header_len,
                ttl,
                dscp_ecn >> 2,
                dscp_ecn & 0x03,
                ident,
                (frag & _DF) != 0,
                (frag & _MF) != 0,
                (frag & _FRAG_OFFSET) * 8,
            ),
        )

    def emit(
        self,
        packet: _Ipv4PacketView,
        checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
        csum: InternetSum = internet_sum,
    ) -> None:
        """Write the 20-octet header into ``packet``'s buffer (the payload is the caller's).

        The checksum is computed when ``checksum_caps.ipv4.tx()``, else left zero for the
        device to fill.
        """
        frag = self.frag_offset >> 3
        if self.dont_frag:
            frag |= _DF
        if self.more_frags:
            frag |= _MF
        tos = (self.dscp << 2) | self.ecn
        total_len = HEADER_LEN + self.payload_len
        ttl_proto = (self.hop_limit << 8) | self.next_header
        src = self.src_addr._packed
        dst = self.dst_addr._packed
        checksum = 0
        if checksum_caps.ipv4 in COMPUTE_TX:
            if csum is internet_sum:
                # The reference sum over the fields (see internet_sum), packed in one go.
                total = (0x4500 | tos) + total_len + self.ident + frag + ttl_proto
                # The total is never zero (0x45 is in it), so a multiple of 0xffff folds to
                # 0xffff, whose complement is 0.
                folded = (total + _from_bytes(src + dst, "big")) % 0xFFFF
                checksum = 0xFFFF - folded if folded else 0
            else:
                header = _HEADER_NO_SUM.pack(
                    0x4500 | tos, total_len, self.ident, frag, ttl_proto, 0, src, dst
                )
                checksum = ~csum(header, 0) & 0xFFFF
        _pack_header_words(
            packet.buffer,
            0,
            0x4500 | tos,
            total_len,
            self.ident,
            frag,
            ttl_proto,
            checksum,
            src,
            dst,
        )

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
