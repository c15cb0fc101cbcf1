# Generated from spec/profiles.py by codegen/templates/fast.py.j2 - DO NOT EDIT. inputs-sha256: bd0fca7639009e7e5ab9800f2e382204055cb87a41a840b29b9276fd7586c6b8
"""The per-layer ``parse_buffer``/``emit_buffer`` of one representation, from ``spec/profiles.py``.

The header's common shape (``LAYER_PROFILES``) is one ``struct`` format; its fields, masks,
checksum words and representation all come from the spec. Any other input goes to the
hand-written module's ``_parse_general``/``_emit_general``, so every input gets the same answer
either way. The hand-written module makes these its representation's methods.
"""

from __future__ import annotations

import struct

from smoltcp.wire.address import IpAddress
from smoltcp.wire.capabilities import COMPUTE_TX, ChecksumCapabilities, VERIFY_RX
from smoltcp.wire.checksum import InternetSum, WritableBuffer, internet_sum
from smoltcp.wire.tcp import (
    TcpRepr,
    TcpTimestampRepr,
    _CONTROLS,
    _CONTROL_FLAGS,
    _FLAG_TAILS,
    _emit_general,
    _parse_general,
)
from smoltcp.wire.tcp_seq import TcpSeqNumber

__all__ = [
    "TCP_LEN",
    "emit_buffer",
    "parse_buffer",
]

_DEFAULT_CAPS = ChecksumCapabilities()
_tuple_new = tuple.__new__
_seq_new = int.__new__
_from_bytes = int.from_bytes
# int.__add__: a TcpSeqNumber's own + wraps modulo 2**32, which a checksum sum must not.
_int_add = int.__add__


# Profile tcp: A TCP header with NOP NOP Timestamps alone.
TCP_LEN = 32  # octets of all its headers
_TCP_RX = struct.Struct("!HHLLHH4xLLL")
_TCP_TX = struct.Struct("!HHLLHHHHLLL")


def parse_buffer(
    frame: bytes | bytearray | memoryview,
    src_addr: IpAddress,
    dst_addr: IpAddress,
    checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
    csum: InternetSum = internet_sum,
) -> TcpRepr:
    """Return the TcpRepr of the tcp header in ``frame``.

    A TCP header with NOP NOP Timestamps alone is read here; any other input goes to the hand-
    written ``_parse_general``, whose results and errors these are.
    """
    n = len(frame)
    if n < 32:
        return _parse_general(frame, src_addr, dst_addr, checksum_caps, csum)
    (
        tcp_src_port,
        tcp_dst_port,
        tcp_seq_number,
        tcp_ack_number,
        tcp_flags,
        tcp_window_len,
        tcp_nop_nop_timestamp_0,
        tcp_tsval,
        tcp_tsecr,
    ) = _TCP_RX.unpack_from(frame)
    end = n
    if tcp_flags & 0xF000 != 0x8000 or tcp_nop_nop_timestamp_0 != 0x101080A:
        return _parse_general(frame, src_addr, dst_addr, checksum_caps, csum)
    tcp_control = _CONTROLS[tcp_flags & 0xF]
    if tcp_control is None:
        return _parse_general(frame, src_addr, dst_addr, checksum_caps, csum)
    view = frame if type(frame) is memoryview else memoryview(frame)
    if checksum_caps.tcp in VERIFY_RX:
        seg_len = end
        pseudo = src_addr._int + dst_addr._int + 6 + seg_len
        segment = frame
        if csum is internet_sum:
            seg_sum = _from_bytes(segment, "big")
            if seg_len & 1:
                seg_sum <<= 8
            bad = (seg_sum + pseudo) % 0xFFFF
        else:
            bad = csum(segment, pseudo % 0xFFFF) != 0xFFFF
        if bad:
            return _parse_general(frame, src_addr, dst_addr, checksum_caps, csum)
    tcp_repr = _tuple_new(
        TcpRepr,
        (
            tcp_src_port,
            tcp_dst_port,
            tcp_control,
            _seq_new(TcpSeqNumber, tcp_seq_number),
            _seq_new(TcpSeqNumber, tcp_ack_number) if (tcp_flags & 0x10) != 0 else None,
            tcp_window_len,
            None,
            None,
            False,
            (),
            _tuple_new(TcpTimestampRepr, (tcp_tsval, tcp_tsecr)),
            view[32:end],
            (),
        )
        + _FLAG_TAILS[tcp_flags & 0x1FF],
    )
    return tcp_repr


def emit_buffer(
    tcp: TcpRepr,
    buffer: WritableBuffer,
    src_addr: IpAddress,
    dst_addr: IpAddress,
    checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
    csum: InternetSum = internet_sum,
) -> None:
    """Write the tcp header of ``tcp`` into ``buffer``.

    A TCP header with NOP NOP Timestamps alone is written here; any other representation goes to
    the hand-written ``_emit_general``, whose octets these are.
    """
    (
        tcp_src_port,
        tcp_dst_port,
        tcp_control,
        tcp_seq_number,
        tcp_ack_number,
        tcp_window_len,
        tcp_window_scale,
        tcp_max_seg_size,
        tcp_sack_permitted,
        tcp_sack_ranges,
        tcp_timestamp,
        tcp_payload,
        tcp_unknown_options,
        tcp_ece,
        tcp_cwr,
        tcp_ns,
        tcp_psh,
    ) = tcp
    if (
        tcp_window_scale is not None
        or tcp_max_seg_size is not None
        or tcp_sack_permitted
        or tcp_sack_ranges
        or tcp_timestamp is None
        or tcp_unknown_options
    ):
        _emit_general(tcp, buffer, src_addr, dst_addr, checksum_caps, csum)
        return
    tcp_ack_number_value = 0 if tcp_ack_number is None else tcp_ack_number
    tcp_tsval, tcp_tsecr = tcp_timestamp
    tcp_flags = 0x8000 | _CONTROL_FLAGS[tcp_control] | (0 if tcp_ack_number is None else 0x10)
    if tcp_ece or tcp_cwr or tcp_ns or tcp_psh:
        tcp_flags |= (
            (0x40 if tcp_ece else 0)
            | (0x80 if tcp_cwr else 0)
            | (0x100 if tcp_ns else 0)
            | (0x8 if tcp_psh else 0)
        )
    end = 32 + len(tcp_payload)
    if tcp_payload:
        buffer[32:end] = tcp_payload
    compute = checksum_caps.tcp in COMPUTE_TX
    tcp_checksum = 0
    if compute and csum is internet_sum:
        # The reference sum over the words and the payload; never zero (the
        # protocol number is in it). int.__add__ keeps sequence numbers whole.
        seg_sum = (
            src_addr._int
            + dst_addr._int
            + 6
            + end
            + tcp_src_port
            + tcp_dst_port
            + tcp_flags
            + tcp_window_len
            + 0x101080A
            + tcp_tsval
            + tcp_tsecr
            + _int_add(tcp_seq_number, tcp_ack_number_value)
        )
        size = len(tcp_payload)
        if size:
            seg_sum += (
                _from_bytes(tcp_payload, "big") << 8
                if size & 1
                else _from_bytes(tcp_payload, "big")
            )
        folded = seg_sum % 0xFFFF
        tcp_checksum = 0xFFFF - folded if folded else 0
        compute = False
    _TCP_TX.pack_into(
        buffer,
        0,
        tcp_src_port,
        tcp_dst_port,
        tcp_seq_number,
        tcp_ack_number_value,
        tcp_flags,
        tcp_window_len,
        tcp_checksum,
        0,
        0x101080A,
        tcp_tsval,
        tcp_tsecr,
    )
    if compute:
        view = buffer if type(buffer) is memoryview else memoryview(buffer)
        s = ~csum(view[0:end], (src_addr._int + dst_addr._int + 6 + end) % 0xFFFF) & 0xFFFF
        buffer[16] = s >> 8
        buffer[17] = s & 0xFF
