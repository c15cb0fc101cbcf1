# Generated from spec/profiles.py by codegen/templates/fast.py.j2 - DO NOT EDIT. inputs-sha256: 44da1d7c199fd3aa71f6079ff20335defba77330c97e06c6f5611c65da8b0f77
"""The per-layer ``parse_buffer``/``emit_buffer`` of one representation, from ``spec/profiles.py``.

The header's common shape (``LAYER_PROFILES``) is one ``struct`` format; its fields, masks,
checksum words and representation all come from the spec. Any other input goes to the
hand-written module's ``_parse_general``/``_emit_general``, so every input gets the same answer
either way. The hand-written module makes these its representation's methods.
"""

from __future__ import annotations

import struct

from smoltcp.wire._generated.icmpv4 import Icmpv4Message
from smoltcp.wire.capabilities import COMPUTE_TX, ChecksumCapabilities, VERIFY_RX
from smoltcp.wire.checksum import InternetSum, WritableBuffer, internet_sum
from smoltcp.wire.icmpv4 import Icmpv4Repr, _emit_general, _parse_general

__all__ = [
    "ICMPV4_LEN",
    "emit_buffer",
    "parse_buffer",
]

_DEFAULT_CAPS = ChecksumCapabilities()
_tuple_new = tuple.__new__
_seq_new = int.__new__
_from_bytes = int.from_bytes
# int.__add__: a TcpSeqNumber's own + wraps modulo 2**32, which a checksum sum must not.
_int_add = int.__add__
_ICMPV4MESSAGE_MEMBERS = Icmpv4Message._value2member_map_


# Profile icmpv4: An ICMPv4 echo request or reply.
ICMPV4_LEN = 8  # octets of all its headers
_ICMPV4_RX = struct.Struct("!H2xHH")
_ICMPV4_TX = struct.Struct("!HHHH")


def parse_buffer(
    frame: bytes | bytearray | memoryview,
    checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
    csum: InternetSum = internet_sum,
) -> Icmpv4Repr:
    """Return the Icmpv4Repr of the icmpv4 header in ``frame``.

    An ICMPv4 echo request or reply is read here; any other input goes to the hand-written
    ``_parse_general``, whose results and errors these are.
    """
    n = len(frame)
    if n < 8:
        return _parse_general(frame, checksum_caps, csum)
    (
        icmpv4_msg_type_msg_code,
        icmpv4_echo_ident,
        icmpv4_echo_seq_no,
    ) = _ICMPV4_RX.unpack_from(frame)
    end = n
    if (icmpv4_msg_type_msg_code) not in (0x0, 0x800):
        return _parse_general(frame, checksum_caps, csum)
    view = frame if type(frame) is memoryview else memoryview(frame)
    if checksum_caps.icmpv4 in VERIFY_RX:
        segment = frame
        if csum is internet_sum:
            seg_sum = _from_bytes(segment, "big")
            if end & 1:
                seg_sum <<= 8
            bad = not seg_sum or seg_sum % 0xFFFF
        else:
            bad = csum(segment, 0) != 0xFFFF
        if bad:
            return _parse_general(frame, checksum_caps, csum)
    icmpv4_repr = _tuple_new(
        Icmpv4Repr,
        (
            _ICMPV4MESSAGE_MEMBERS[icmpv4_msg_type_msg_code >> 8],
            0,
            icmpv4_echo_ident,
            icmpv4_echo_seq_no,
            view[8:end],
            None,
        ),
    )
    return icmpv4_repr


def emit_buffer(
    icmpv4: Icmpv4Repr,
    buffer: WritableBuffer,
    checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
    csum: InternetSum = internet_sum,
) -> None:
    """Write the icmpv4 header of ``icmpv4`` into ``buffer``.

    An ICMPv4 echo request or reply is written here; any other representation goes to the hand-
    written ``_emit_general``, whose octets these are.
    """
    (
        icmpv4_message,
        icmpv4_code,
        icmpv4_ident,
        icmpv4_seq_no,
        icmpv4_data,
        icmpv4_header,
    ) = icmpv4
    if icmpv4_message not in (8, 0) or icmpv4_code or icmpv4_header is not None:
        _emit_general(icmpv4, buffer, checksum_caps, csum)
        return
    icmpv4_msg_type_msg_code = icmpv4_message << 8
    end = 8 + len(icmpv4_data)
    if icmpv4_data:
        buffer[8:end] = icmpv4_data
    compute = checksum_caps.icmpv4 in COMPUTE_TX
    icmpv4_checksum = 0
    if compute and csum is internet_sum:
        seg_sum = icmpv4_msg_type_msg_code + icmpv4_ident + icmpv4_seq_no
        size = len(icmpv4_data)
        if size:
            seg_sum += (
                _from_bytes(icmpv4_data, "big") << 8
                if size & 1
                else _from_bytes(icmpv4_data, "big")
            )
        folded = seg_sum % 0xFFFF
        # An all-zero message sums to 0 and has the checksum 0xffff.
        icmpv4_checksum = 0xFFFF - folded if folded or not seg_sum else 0
        compute = False
    _ICMPV4_TX.pack_into(
        buffer,
        0,
        icmpv4_msg_type_msg_code,
        icmpv4_checksum,
        icmpv4_ident,
        icmpv4_seq_no,
    )
    if compute:
        view = buffer if type(buffer) is memoryview else memoryview(buffer)
        s = ~csum(view[0:end], 0) & 0xFFFF
        buffer[2] = s >> 8
        buffer[3] = s & 0xFF
