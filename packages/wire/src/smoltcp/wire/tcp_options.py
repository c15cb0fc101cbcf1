"""TCP options (RFC 9293 3.2, RFC 7323, RFC 2018): the option list walk and the layout.

Options understood: End of Option List, No-Operation, Maximum Segment Size (RFC 9293 3.2),
Window Scale and Timestamps (RFC 7323), SACK-Permitted and SACK (RFC 2018); any other kind is
kept as kind and octets. A malformed option list (a length below 2, an option running past the
header, a known option with the wrong length) raises `MalformedPacket`.

`write_options` lays options out as the Linux kernel does (``tcp_options_write``), so segments
the kernel sent re-emit byte-identically from their representation:
MSS; SACK-Permitted + Timestamps, or NOP NOP Timestamps, or NOP NOP SACK-Permitted; NOP Window
Scale; NOP NOP SACK blocks; then unknown options, zero-padded to a multiple of 4 octets.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple

from ._generated.tcp import (
    NOP_NOP_SACKPERM_WORD,
    NOP_NOP_TS_WORD,
    OPTION_LEN,
    PROTOCOL,
    SACKPERM_TS_WORD,
    TcpOptionKind,
)
from .errors import MalformedPacket
from .tcp_seq import TcpSeqNumber

if TYPE_CHECKING:
    from .tcp import TcpRepr

__all__ = [
    "TcpTimestampRepr",
    "iter_options",
    "options_len",
    "parse_options",
    "write_options",
]

_tuple_new = tuple.__new__
_seq_new = int.__new__

# Option words as the kernel writes them (big-endian 32-bit), laid out by the spec.
_NOP_NOP_TS = NOP_NOP_TS_WORD
_SACKPERM_TS = SACKPERM_TS_WORD
_NOP_NOP_SACKPERM = NOP_NOP_SACKPERM_WORD
# Option bodies (option layout policy: see write_options and parse_options).
_TS_WORDS = struct.Struct("!LLL")
_U16 = struct.Struct("!H")
_U32 = struct.Struct("!L")
_U32X2 = struct.Struct("!LL")

# Lengths of the options whose length is fixed (RFC 9293 3.2, RFC 7323, RFC 2018).
_FIXED_OPTION_LEN = {int(kind): length for kind, length in OPTION_LEN.items()}


class TcpTimestampRepr(NamedTuple):
    """The Timestamps option (RFC 7323 3.2): the sender's clock and the echoed value."""

    tsval: int
    tsecr: int


def parse_options(
    opts: memoryview,
) -> tuple[
    int | None,
    int | None,
    bool,
    tuple[tuple[TcpSeqNumber, TcpSeqNumber], ...],
    TcpTimestampRepr | None,
    tuple[tuple[int, bytes], ...],
]:
    """Return the options of ``opts`` (an option list) as `TcpRepr` fields.

    The fields are, in order: ``window_scale``, ``max_seg_size``, ``sack_permitted``,
    ``sack_ranges``, ``timestamp`` and ``unknown_options``. Raise `MalformedPacket` as
    `iter_options` does.
    """
    window_scale = max_seg_size = timestamp = None
    sack_permitted = False
    sack_ranges: tuple[tuple[TcpSeqNumber, TcpSeqNumber], ...] = ()
    unknown: list[tuple[int, bytes]] = []
    n = len(opts)
    i = 0
    while i < n:
        kind = opts[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        end = _option_end(opts, i, n, kind)
        if kind == 8:
            timestamp = _tuple_new(TcpTimestampRepr, _U32X2.unpack_from(opts, i + 2))
        elif kind == 2:
            max_seg_size = _U16.unpack_from(opts, i + 2)[0]
        elif kind == 3:
            window_scale = opts[i + 2]
        elif kind == 4:
            sack_permitted = True
        elif kind == 5:
            edges = struct.unpack_from(f"!{(end - i - 2) // 4}L", opts, i + 2)
            sack_ranges = tuple(
                (_seq_new(TcpSeqNumber, edges[j]), _seq_new(TcpSeqNumber, edges[j + 1]))
                for j in range(0, len(edges), 2)
            )
        else:
            unknown.append((TcpOptionKind(kind), bytes(opts[i + 2 : end])))
        i = end
    return window_scale, max_seg_size, sack_permitted, sack_ranges, timestamp, tuple(unknown)


def iter_options(options: bytes | bytearray | memoryview) -> Iterator[tuple[int, memoryview]]:
    """Yield ``(kind, data)`` for each option but NOP, stopping at End of Option List.

    ``data`` is the option's value without its kind and length octets. Raise
    `MalformedPacket` on a truncated option, a length below 2, an option running past the end,
    or a known option with the wrong length.
    """
    view = memoryview(options)
    n = len(view)
    i = 0
    while i < n:
        kind = view[i]
        if kind == 0:
            return
        if kind == 1:
            i += 1
            continue
        end = _option_end(view, i, n, kind)
        yield kind, view[i + 2 : end]
        i = end


def _option_end(view: memoryview, i: int, n: int, kind: int) -> int:
    """Return where the option at ``i`` ends; raise `MalformedPacket` if it is malformed."""
    if i + 1 >= n:
        raise MalformedPacket(PROTOCOL, "options", f"option {kind} truncated before its length")
    length = view[i + 1]
    if length < 2:
        raise MalformedPacket(PROTOCOL, "options", f"option {kind} has length {length} < 2")
    end = i + length
    if end > n:
        raise MalformedPacket(
            PROTOCOL, "options", f"option {kind} of {length} octets runs past the header"
        )
    fixed = _FIXED_OPTION_LEN.get(kind)
    if fixed is not None and length != fixed:
        raise MalformedPacket(
            PROTOCOL, "options", f"option {kind} has length {length}, not {fixed}"
        )
    # SACK: 2 octets then 1 to 4 blocks of 8 (RFC 2018 3).
    if kind == 5 and ((length - 2) % 8 or not 10 <= length <= 34):
        raise MalformedPacket(PROTOCOL, "options", f"SACK option of length {length}")
    return end


# The most option octets a header holds (Data Offset 15 words, 5 of them the fixed header).
_MAX_OPTIONS_LEN = 40


def options_len(repr: TcpRepr) -> int:
    """Return the octets `write_options` writes for ``repr``, padding included."""
    n = _aligned_len(repr)
    if n > _MAX_OPTIONS_LEN:
        n = _packed_len(repr)
    return (n + 3) & ~3


def write_options(repr: TcpRepr) -> bytes:
    """Return ``repr``'s options in the Linux kernel's layout, zero-padded to 4 octets.

    When that layout's NOPs would take the options past 40 octets, the same options are
    written without NOPs, so that whatever a received header held can be written back (it
    held each of these options in no fewer octets). Beyond 40 octets even then,
    ``emit`` refuses the header.
    """
    out = _aligned(repr)
    if len(out) > _MAX_OPTIONS_LEN:
        out = _packed(repr)
    out += bytes(-len(out) % 4)
    return bytes(out)


def _unknown_len(repr: TcpRepr) -> int:
    return sum(2 + len(data) for _, data in repr.unknown_options)


def _aligned_len(repr: TcpRepr) -> int:
    # The length of `_aligned`, before the padding.
    n = 0
    if repr.max_seg_size is not None:
        n += 4
    if repr.timestamp is not None:
        n += 12
    elif repr.sack_permitted:
        n += 4
    if repr.window_scale is not None:
        n += 4
    if repr.sack_ranges:
        n += 4 + 8 * len(repr.sack_ranges)
    return n + _unknown_len(repr) if repr.unknown_options else n


def _packed_len(repr: TcpRepr) -> int:
    # The length of `_packed`, before the padding.
    n = 0 if repr.max_seg_size is None else 4
    n += (10 if repr.timestamp is not None else 0) + (2 if repr.sack_permitted else 0)
    n += 0 if repr.window_scale is None else 3
    if repr.sack_ranges:
        n += 2 + 8 * len(repr.sack_ranges)
    return n + _unknown_len(repr)


def _aligned(repr: TcpRepr) -> bytearray:
    # Linux's layout: each option on a 4-octet boundary, NOPs before the shorter ones.
    out = bytearray()
    if repr.max_seg_size is not None:
        out += struct.pack("!BBH", 2, 4, repr.max_seg_size)
    ts = repr.timestamp
    if ts is not None:
        word = _SACKPERM_TS if repr.sack_permitted else _NOP_NOP_TS
        out += _TS_WORDS.pack(word, ts.tsval, ts.tsecr)
    elif repr.sack_permitted:
        out += _U32.pack(_NOP_NOP_SACKPERM)
    if repr.window_scale is not None:
        out += struct.pack("!BBBB", 1, 3, 3, repr.window_scale)
    if repr.sack_ranges:
        out += struct.pack("!BBBB", 1, 1, 5, 2 + 8 * len(repr.sack_ranges))
        for left, right in repr.sack_ranges:
            out += _U32X2.pack(left, right)
    _write_unknown(repr, out)
    return out


def _packed(repr: TcpRepr) -> bytearray:
    # The same options in the same order, without NOPs.
    out = bytearray()
    if repr.max_seg_size is not None:
        out += struct.pack("!BBH", 2, 4, repr.max_seg_size)
    if repr.sack_permitted:
        out += b"\x04\x02"
    ts = repr.timestamp
    if ts is not None:
        out += struct.pack("!BBLL", 8, 10, ts.tsval, ts.tsecr)
    if repr.window_scale is not None:
        out += struct.pack("!BBB", 3, 3, repr.window_scale)
    if repr.sack_ranges:
        out += struct.pack("!BB", 5, 2 + 8 * len(repr.sack_ranges))
        for left, right in repr.sack_ranges:
            out += _U32X2.pack(left, right)
    _write_unknown(repr, out)
    return out


def _write_unknown(repr: TcpRepr, out: bytearray) -> None:
    for kind, data in repr.unknown_options:
        out += struct.pack("!BB", kind, 2 + len(data))
        out += data
