"""Generic segmentation offload in software: cutting a TCP super-segment into segments.

When the device cannot segment TCP itself (no TSO), the interface still lets TCP hand it
super-segments of up to ``Config.gso_size`` octets and cuts them here, as Linux's GSO does:
each piece carries the super-segment's header (ports, ACK, window, options) with its own
sequence number, and the pieces together put exactly the octets of the super-segment on the
wire, in order. The flags are split the way a TSO device splits them (Linux's
``tcp_gso_segment``): PSH and FIN only on the last piece, CWR only on the first, ECE on all.

Cutting happens once per super-segment; the per-piece work is the interface's (a prebuilt
header with the sequence number and the checksum patched in, see `Interface._send_gso`).
Super-segments over IPv4 and over IPv6 are cut alike: only the IP header's length, the
EtherType and the pseudo-header (RFC 9293 3.1, RFC 8200 8.1) differ (`piece_at`,
`pseudo_sum`).
"""

from __future__ import annotations

from collections.abc import Iterator

from smoltcp.wire import IpAddress, TcpControl, TcpRepr
from smoltcp.wire.layout import ethernet as _eth_layout
from smoltcp.wire.layout import frames as _frames_layout
from smoltcp.wire.layout import ipv4 as _ipv4_layout
from smoltcp.wire.layout import ipv6 as _ipv6_layout
from smoltcp.wire.layout import tcp as _tcp_layout

__all__ = ["can_cut", "inner", "ip_header_len", "piece", "piece_at", "pieces", "pseudo_sum"]

_IPV4_LEN = _ipv4_layout.HEADER_LEN
_IPV6_LEN = _ipv6_layout.HEADER_LEN
_PROTO_TCP = _tcp_layout.PSEUDO_PROTOCOL


def _ipv6_at(l2: int) -> tuple[int, int, int]:
    # IPv6 carrying TCP right after the fixed header (the stack sends no extension header).
    tcp = l2 + _IPV6_LEN
    return tcp, tcp + _tcp_layout.SEQ_NUMBER_AT, tcp + _tcp_layout.CHECKSUM_AT


# Where a piece's TCP header, sequence number and checksum sit, by (IPv6, IP medium): the
# generated frame templates for IPv4 without options, the IPv6 header's layout for IPv6.
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
    (True, False): _ipv6_at(_eth_layout.HEADER_LEN),
    (True, True): _ipv6_at(0),
}


def ip_header_len(v6: bool) -> int:
    """Return the IP header length of a piece: 40 octets over IPv6, 20 over IPv4 (no options)."""
    return _IPV6_LEN if v6 else _IPV4_LEN


def piece_at(v6: bool, ip_medium: bool) -> tuple[int, int, int]:
    """Return the offsets, in a piece's frame, of its TCP header, sequence number and checksum.

    ``v6``: the piece is carried by IPv6 (else IPv4 without options); ``ip_medium``: the frame
    has no link header (else Ethernet II).
    """
    return _PIECE_AT[v6, ip_medium]


def pseudo_sum(src: IpAddress, dst: IpAddress, tcp_len: int) -> int:
    """Return the pseudo-header's one's complement sum for a TCP segment of ``tcp_len`` octets
    from ``src`` to ``dst`` (RFC 9293 3.1 for IPv4, RFC 8200 8.1 for IPv6), reduced below
    0xFFFF so that it suits any checksum kernel as its initial value.

    The reduction modulo 0xFFFF keeps the one's complement sum: 2**16 is 1 modulo 0xFFFF.
    """
    return (int(src) + int(dst) + _PROTO_TCP + tcp_len) % 0xFFFF


_NONE = TcpControl.NONE
_PSH = TcpControl.PSH
_FIN = TcpControl.FIN
# Controls a super-segment may carry: SYN and RST segments are never cut (they take sequence
# space before the data, or end the connection), so they must fit the MTU as they are.
_CUTTABLE = frozenset((_NONE, _PSH, _FIN))


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
    if end >= len(payload):
        if offset == 0:
            return seg
        return seg._replace(seq_number=seg.seq_number + offset, payload=payload[offset:], cwr=False)
    part = payload[offset:end]
    if offset == 0:
        return seg._replace(control=_NONE, payload=part)
    return seg._replace(control=_NONE, cwr=False, seq_number=seg.seq_number + offset, payload=part)


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
