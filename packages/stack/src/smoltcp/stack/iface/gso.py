"""Generic segmentation offload in software: cutting a TCP super-segment into segments.

When the device cannot segment TCP itself (no TSO), the interface still lets TCP hand it
super-segments of up to ``Config.gso_size`` octets and cuts them here, as Linux's GSO does:
each piece carries the super-segment's header (ports, ACK, window, options) with its own
sequence number, and the pieces together put exactly the octets of the super-segment on the
wire, in order. The flags are split the way a TSO device splits them (Linux's
``tcp_gso_segment``): PSH and FIN only on the last piece, CWR only on the first, ECE on all.

Cutting happens once per super-segment; the per-piece work is the interface's (a prebuilt
header with the sequence number and the checksum patched in, see `Interface._send_gso`).
"""

from __future__ import annotations

from collections.abc import Iterator

from smoltcp.wire import TcpControl, TcpRepr

__all__ = ["can_cut", "inner", "piece", "pieces"]

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
