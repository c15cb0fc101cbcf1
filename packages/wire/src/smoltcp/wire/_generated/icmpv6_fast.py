# Generated from spec/profiles.py by codegen/templates/fast.py.j2 - DO NOT EDIT. inputs-sha256: 023feae60bda70fa825fef146ae70bc3a0fe94f10712d1b2d671b29a1bc7ae80
"""The per-layer ``parse_buffer``/``emit_buffer`` of one representation, from ``spec/profiles.py``.

The header's common shape (``LAYER_PROFILES``) is one ``struct`` format; its fields, masks,
checksum words and representation all come from the spec. Any other input goes to the
hand-written module's ``_parse_general``/``_emit_general``, so every input gets the same answer
either way. The hand-written module makes these its representation's methods.
"""

from __future__ import annotations

import struct

from smoltcp.wire._generated.icmpv6 import Icmpv6Message
from smoltcp.wire.address import IpAddress
from smoltcp.wire.capabilities import COMPUTE_TX, ChecksumCapabilities, VERIFY_RX
from smoltcp.wire.checksum import InternetSum, WritableBuffer, internet_sum
from smoltcp.wire.icmpv6 import Icmpv6Repr, _emit_general, _parse_general

__all__ = [
    "ICMPV6_LEN",
    "emit_buffer",
    "parse_buffer",
]

_DEFAULT_CAPS = ChecksumCapabilities()
_tuple_new = tuple.__new__
_seq_new = int.__new__
_from_bytes = int.from_bytes
# int.__add__: a TcpSeqNumber's own + wraps modulo 2**32, which a checksum sum must not.
_int_add = int.__add__
_ICMPV6MESSAGE_MEMBERS = Icmpv6Message._value2member_map_


# Profile icmpv6: An ICMPv6 echo request or reply.
ICMPV6_LEN = 8  # octets of all its headers
_ICMPV6_RX = struct.Struct("!H2xHH")
_ICMPV6_TX = struct.Struct("!HHHH")


def parse_buffer(
    frame: bytes | bytearray | memoryview,
    src_addr: IpAddress,
    dst_addr: IpAddress,
    checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
    csum: InternetSum = internet_sum,
) -> Icmpv6Repr:
    """Return the Icmpv6Repr of the icmpv6 header in ``frame``.

    An ICMPv6 echo request or reply is read here; any other input goes to the hand-written
    ``_parse_general``, whose results and errors these are.
    """
    n = len(frame)
    if n < 8:
        return _parse_general(frame, src_addr, dst_addr, checksum_caps, csum)
    (
        icmpv6_msg_type_msg_code,
        icmpv6_echo_ident,
        icmpv6_echo_seq_no,
    ) = _ICMPV6_RX.unpack_from(frame)
    end = n
    if (icmpv6_msg_type_msg_code) not in (0x8000, 0x8100):
        return _parse_general(frame, src_addr, dst_addr, checksum_caps, csum)
    view = frame if type(frame) is memoryview else memoryview(frame)
    if checksum_caps.icmpv6 in VERIFY_RX:
        seg_len = end
        pseudo = src_addr._int + dst_addr._int + 58 + seg_len
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
    icmpv6_repr = _tuple_new(
        Icmpv6Repr,
        (
            _ICMPV6MESSAGE_MEMBERS[icmpv6_msg_type_msg_code >> 8],
            0,
            icmpv6_echo_ident,
            icmpv6_echo_seq_no,
            view[8:end],
            None,
        ),
    )
    return icmpv6_repr


def emit_buffer(
    icmpv6: Icmpv6Repr,
    buffer: WritableBuffer,
    src_addr: IpAddress,
    dst_addr: IpAddress,
    checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
    csum: InternetSum = internet_sum,
) -> None:
    """Write the icmpv6 header of ``icmpv6`` into ``buffer``.

    An ICMPv6 echo request or reply is written here; any other representation goes to the hand-
    written ``_emit_general``, whose octets these are.
    """
    (
        icmpv6_message,
        icmpv6_code,
        icmpv6_ident,
        icmpv6_seq_no,
        icmpv6_data,
        icmpv6_header,
    ) = icmpv6
    if icmpv6_message not in (128, 129) or icmpv6_code or icmpv6_header is not None:
        _emit_general(icmpv6, buffer, src_addr, dst_addr, checksum_caps, csum)
        return
    icmpv6_msg_type_msg_code = icmpv6_message << 8
    end = 8 + len(icmpv6_data)
    if icmpv6_data:
        buffer[8:end] = icmpv6_data
    compute = checksum_caps.icmpv6 in COMPUTE_TX
    icmpv6_checksum = 0
    if compute and csum is internet_sum:
        # The reference sum over the words and the payload; never zero (the
        # protocol number is in it). int.__add__ keeps sequence numbers whole.
        seg_sum = (
            src_addr._int
            + dst_addr._int
            + 58
            + end
            + icmpv6_msg_type_msg_code
            + icmpv6_ident
            + icmpv6_seq_no
        )
        size = len(icmpv6_data)
        if size:
            seg_sum += (
                _from_bytes(icmpv6_data, "big") << 8
                if size & 1
                else _from_bytes(icmpv6_data, "big")
            )
        folded = seg_sum % 0xFFFF
        icmpv6_checksum = 0xFFFF - folded if folded else 0
        compute = False
    _ICMPV6_TX.pack_into(
        buffer,
        0,
        icmpv6_msg_type_msg_code,
        icmpv6_checksum,
        icmpv6_ident,
        icmpv6_seq_no,
    )
    if compute:
        view = buffer if type(buffer) is memoryview else memoryview(buffer)
        s = ~csum(view[0:end], (src_addr._int + dst_addr._int + 58 + end) % 0xFFFF) & 0xFFFF
        buffer[2] = s >> 8
        buffer[3] = s & 0xFF
