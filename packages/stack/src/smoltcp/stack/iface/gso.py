"""Generic segmentation offload in software: cutting a TCP super-segment into segments.

When the device cannot segment TCP itself (no TSO), the interface still lets TCP hand it
super-segments of up to ``Config.gso_size`` octets and cuts them here, as Linux's GSO does:
each piece carries the super-segment's header (ports, ACK, window, options) with its own
sequence number, and the pieces together put exactly the octets of the super-segment on the
wire, in order. The flags are split the way a TSO device splits them (Linux's
``tcp_gso_segment``): PSH and FIN only on the last piece, CWR only on the first, ECE on all.

Cutting happens once per super-segment. The full-sized middle pieces are written by a
`PieceWriter`: one prebuilt Ethernet+IP+TCP header with the sequence number and the TCP
checksum patched in per piece (`smoltcp.stack.iface.egress` drives it). Super-segments over
IPv4 and over IPv6 are cut alike: only the IP header's length, the EtherType and the
pseudo-header (RFC 9293 3.1, RFC 8200 8.1) differ (`ip_header_len`, `piece_at`, `pseudo_sum`).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from smoltcp.wire import (
    ChecksumCapabilities,
    IpProtocol,
    Ipv4Address,
    Ipv4Repr,
    Ipv6Address,
    TcpControl,
    TcpRepr,
)
from smoltcp.wire.checksum import InternetSum
from smoltcp.wire.checksum import internet_sum as _header_sum
from smoltcp.wire.ipv6 import Ipv6Repr
from smoltcp.wire.layout import ethernet as _eth_layout
from smoltcp.wire.layout import frames as _frames_layout
from smoltcp.wire.layout import ipv4 as _ipv4_layout
from smoltcp.wire.layout import ipv6 as _ipv6_layout
from smoltcp.wire.layout import tcp as _tcp_layout

__all__ = [
    "PieceWriter",
    "can_cut",
    "inner",
    "ip_header_len",
    "piece",
    "piece_at",
    "pieces",
    "pseudo_sum",
]

_ETH_HEADER = _eth_layout.WORDS
_ETH_LEN = _eth_layout.HEADER_LEN
_ETHERTYPE_IPV4 = int(_eth_layout.EthernetProtocol.IPV4)
_ETHERTYPE_IPV6 = int(_eth_layout.EthernetProtocol.IPV6)
_U32 = struct.Struct("!I")
_U16 = struct.Struct("!H")
_PROTO_TCP = int(IpProtocol.TCP)
_IPV4_LEN = _ipv4_layout.HEADER_LEN
_IPV6_LEN = _ipv6_layout.HEADER_LEN


def _ipv6_at(l2: int) -> tuple[int, int, int]:
    # IPv6 carrying TCP right after the fixed header (the stack sends no extension header).
    tcp = l2 + _IPV6_LEN
    return tcp, tcp + _tcp_layout.SEQ_NUMBER_AT, tcp + _tcp_layout.CHECKSUM_AT


# Where a piece's TCP header, its sequence number and its checksum are, by (IPv6, IP medium):
# the generated frame templates for IPv4 without options (as sent), the IPv6 header's layout
# for IPv6.
_PIECE_AT = {
    (False, False): (
        _frames_layout.TCP_FRAME_TCP_AT,
        _frames_layout.TCP_FRAME_TCP_SEQ_NUMBER_AT,
        _frames_layout.TCP_FRAME_TCP_CHECKSUM_AT,
    ),
    (False, True): (
        _frames_layout.TCP_PACKET_TCP_AT,
        _frames_layout.TCP_PACKET_TCP_SEQ_NUMBER_AT,
        _frames_layout.TCP_PACKET_TCP_CHECKSUM_AT,
    ),
    (True, False): _ipv6_at(_ETH_LEN),
    (True, True): _ipv6_at(0),
}
# The prebuilt TCP header leaves its checksum to `PieceWriter.fill`.
_NO_CHECKSUMS = ChecksumCapabilities.ignored()


def ip_header_len(v6: bool) -> int:
    """Return the IP header length of a piece: 40 octets over IPv6, 20 over IPv4 (no options)."""
    return _IPV6_LEN if v6 else _IPV4_LEN


def piece_at(v6: bool, ip_medium: bool) -> tuple[int, int, int]:
    """Return the offsets, in a piece's frame, of its TCP header, sequence number and checksum.

    ``v6``: the piece is carried by IPv6 (else IPv4 without options); ``ip_medium``: the frame
    has no link header (else Ethernet II).
    """
    return _PIECE_AT[v6, ip_medium]


def pseudo_sum(src: Ipv4Address | Ipv6Address, dst: Ipv4Address | Ipv6Address, tcp_len: int) -> int:
    """Return the pseudo-header's one's complement sum for a TCP segment of ``tcp_len`` octets
    from ``src`` to ``dst`` (RFC 9293 3.1 for IPv4, RFC 8200 8.1 for IPv6), reduced below
    0xFFFF so that it suits any checksum kernel as its initial value.

    The reduction modulo 0xFFFF keeps the one's complement sum: 2**16 is 1 modulo 0xFFFF.
    """
    # (The addresses' integers from their slots, as wire's checksum fast paths read them:
    # ``int(addr)`` is a Python-level call, twice per super-segment.)
    return (src._int + dst._int + _PROTO_TCP + tcp_len) % 0xFFFF


_NONE = TcpControl.NONE
_PSH = TcpControl.PSH
_FIN = TcpControl.FIN
# Controls a super-segment may carry: SYN and RST segments are never cut (they take sequence
# space before the data, or end the connection), so they must fit the MTU as they are.
_CUTTABLE = frozenset((_NONE, _PSH, _FIN))
_tuple_new = tuple.__new__
# Where `piece` finds the fields it replaces (it builds pieces positionally).
_CONTROL = TcpRepr._fields.index("control")
_SEQ = TcpRepr._fields.index("seq_number")
_PAYLOAD = TcpRepr._fields.index("payload")
_CWR = TcpRepr._fields.index("cwr")
if not _CONTROL + 1 == _SEQ < _PAYLOAD < _CWR:
    raise ImportError(f"TcpRepr's fields moved: {TcpRepr._fields}")


def can_cut(seg: TcpRepr) -> bool:
    """Return whether ``seg`` may be cut into pieces (only data with no control but PSH/FIN)."""
    return seg.control in _CUTTABLE and not seg.psh


def inner(seg: TcpRepr) -> TcpRepr:
    """Return ``seg``'s header as every piece but the first and the last carries it: without
    PSH, FIN and CWR, and with no payload."""
    return seg._replace(control=_NONE, cwr=False, payload=b"")


def piece(seg: TcpRepr, size: int, offset: int) -> TcpRepr:
    """Return the piece of ``seg`` that starts ``offset`` octets into its payload: at most
    ``size`` octets, with the flags of its place (first, middle or last)."""
    payload = seg.payload
    end = offset + size
    # Built positionally (tuple.__new__, as TCP builds its segments), not with _replace,
    # which builds a dict per call: this runs for every piece sent the ordinary way.
    if end >= len(payload):
        if offset == 0:
            return seg
        # The last piece: its own sequence number and payload, PSH and FIN kept, no CWR.
        return _tuple_new(
            type(seg),
            (
                *seg[:_SEQ],
                seg.seq_number + offset,
                *seg[_SEQ + 1 : _PAYLOAD],
                payload[offset:],
                *seg[_PAYLOAD + 1 : _CWR],
                False,
                *seg[_CWR + 1 :],
            ),
        )
    part = payload[offset:end]
    if offset == 0:
        # The first piece: no PSH or FIN (they go on the last), CWR kept.
        return _tuple_new(
            type(seg),
            (*seg[:_CONTROL], _NONE, *seg[_CONTROL + 1 : _PAYLOAD], part, *seg[_PAYLOAD + 1 :]),
        )
    return _tuple_new(
        type(seg),
        (
            *seg[:_CONTROL],
            _NONE,
            seg.seq_number + offset,
            *seg[_SEQ + 1 : _PAYLOAD],
            part,
            *seg[_PAYLOAD + 1 : _CWR],
            False,
            *seg[_CWR + 1 :],
        ),
    )


def pieces(seg: TcpRepr, size: int, start: int = 0) -> Iterator[TcpRepr]:
    """Yield the segments ``seg`` is cut into, from ``start`` octets into its payload on (a
    multiple of ``size``): ``size`` payload octets each but the last.

    ``seg`` must satisfy `can_cut` and ``size`` must be positive (ValueError otherwise). A
    segment that fits is yielded as it is.
    """
    if size <= 0:
        raise ValueError(f"piece size must be positive, not {size}")
    if not can_cut(seg):
        raise ValueError(f"a {seg.control.name} segment is not cut")
    for offset in range(start, max(len(seg.payload), 1), size):
        yield piece(seg, size, offset)


class PieceWriter:
    """Write the full-sized middle pieces of one super-segment from one prebuilt header.

    Their headers (Ethernet unless ``dst_mac`` is None, IPv4 or IPv6 as ``ipr``, TCP) are all
    the same but for the sequence number and the TCP checksum, left zero in the template: the
    IP header of a piece of ``size`` payload octets (same length, so the same checksum), the
    TCP header of
    `inner`. Set `offset` (octets into the payload, a multiple of ``size``) and hand `fill`
    to the device token with `frame_len` octets.
    """

    __slots__ = (
        "_compute",
        "_csum",
        "_header",
        "_payload",
        "_pseudo",
        "_seq",
        "_seq_at",
        "_sum_at",
        "_tcp_at",
        "frame_len",
        "offset",
    )

    def __init__(
        self,
        ipr: Ipv4Repr | Ipv6Repr,
        seg: TcpRepr,
        dst_mac: bytes | None,
        src_mac: bytes,
        size: int,
        caps: ChecksumCapabilities,
        csum: InternetSum,
    ) -> None:
        payload = seg.payload
        header_len = seg.buffer_len() - len(payload)
        l2 = 0 if dst_mac is None else _ETH_LEN
        v6 = type(ipr) is Ipv6Repr
        tcp_at, self._seq_at, self._sum_at = _PIECE_AT[v6, dst_mac is None]
        tcp_len = header_len + size
        header = bytearray(tcp_at + header_len)
        view = memoryview(header)
        if dst_mac is not None:
            ethertype = _ETHERTYPE_IPV6 if v6 else _ETHERTYPE_IPV4
            _ETH_HEADER.pack_into(view, 0, dst_mac, src_mac, ethertype)
        ipr._replace(payload_len=tcp_len).emit_buffer(view[l2:], caps, _header_sum)
        src, dst = ipr.src_addr, ipr.dst_addr
        inner(seg).emit_buffer(view[tcp_at:], src, dst, _NO_CHECKSUMS)
        view.release()
        self._header = bytes(header)
        self._tcp_at = tcp_at
        self._payload = payload
        self._pseudo = pseudo_sum(src, dst, tcp_len)
        self._compute = caps.tcp.tx()
        self._csum = csum
        self._seq = int(seg.seq_number)
        self.frame_len = tcp_at + tcp_len
        self.offset = 0

    def fill(self, buf: memoryview) -> None:
        """Write the piece at `offset` into ``buf`` (`frame_len` octets)."""
        header = self._header
        at = len(header)
        offset = self.offset
        buf[:at] = header
        _U32.pack_into(buf, self._seq_at, (self._seq + offset) & 0xFFFFFFFF)
        buf[at:] = self._payload[offset : offset + len(buf) - at]
        if self._compute:
            tcp_at = self._tcp_at
            s = ~self._csum(buf[tcp_at:], self._pseudo) & 0xFFFF
            _U16.pack_into(buf, self._sum_at, s)
