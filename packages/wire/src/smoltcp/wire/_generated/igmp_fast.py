# Generated from spec/profiles.py by codegen/templates/fast.py.j2 - DO NOT EDIT. inputs-sha256: 76ac31a8884b148a738139c01f594fe9ee0bd22fb0001010f20d732e90d42682
"""The per-layer ``parse_buffer``/``emit_buffer`` of one representation, from ``spec/profiles.py``.

The header's common shape (``LAYER_PROFILES``) is one ``struct`` format; its fields, masks,
checksum words and representation all come from the spec. Any other input goes to the
hand-written module's ``_parse_general``/``_emit_general``, so every input gets the same answer
either way. The hand-written module makes these its representation's methods.
"""

from __future__ import annotations

import struct

from smoltcp.wire._generated.igmp import IgmpMessage
from smoltcp.wire.address import ipv4_from_int, ipv4_int_cache_get
from smoltcp.wire.capabilities import COMPUTE_TX, ChecksumCapabilities, VERIFY_RX
from smoltcp.wire.checksum import InternetSum, WritableBuffer, internet_sum
from smoltcp.wire.igmp import IgmpRepr, _parse_general

__all__ = [
    "IGMP_LEN",
    "emit_buffer",
    "parse_buffer",
]

_DEFAULT_CAPS = ChecksumCapabilities()
_tuple_new = tuple.__new__
_seq_new = int.__new__
_from_bytes = int.from_bytes
# int.__add__: a TcpSeqNumber's own + wraps modulo 2**32, which a checksum sum must not.
_int_add = int.__add__
_IGMPMESSAGE_MEMBERS = IgmpMessage._value2member_map_
_ipv4_get = ipv4_int_cache_get


# Profile igmp: An IGMP message (its first 8 octets).
IGMP_LEN = 8  # octets of all its headers
_IGMP_RX = struct.Struct("!H2xL")
_IGMP_TX = struct.Struct("!HHL")


def parse_buffer(
    frame: bytes | bytearray | memoryview,
    checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
    csum: InternetSum = internet_sum,
) -> IgmpRepr:
    """Return the IgmpRepr of the igmp header in ``frame``.

    An IGMP message (its first 8 octets) is read here; any other input goes to the hand-written
    ``_parse_general``, whose results and errors these are.
    """
    n = len(frame)
    if n < 8:
        return _parse_general(frame, checksum_caps, csum)
    (
        igmp_msg_type_max_resp_time,
        igmp_group_addr,
    ) = _IGMP_RX.unpack_from(frame)
    end = n
    view = frame if type(frame) is memoryview else memoryview(frame)
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
    igmp_repr = _tuple_new(
        IgmpRepr,
        (
            _IGMPMESSAGE_MEMBERS.get(igmp_msg_type_max_resp_time >> 8)
            or IgmpMessage(igmp_msg_type_max_resp_time >> 8),
            igmp_msg_type_max_resp_time & 0xFF,
            _ipv4_get(igmp_group_addr) or ipv4_from_int(igmp_group_addr),
        ),
    )
    return igmp_repr


def emit_buffer(
    igmp: IgmpRepr,
    buffer: WritableBuffer,
    checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
    csum: InternetSum = internet_sum,
) -> None:
    """Write the igmp header of ``igmp`` into ``buffer``.

    An IGMP message (its first 8 octets) is written here.
    """
    (
        igmp_message,
        igmp_max_resp_time,
        igmp_group_addr,
    ) = igmp
    igmp_msg_type_max_resp_time = (igmp_message << 8) | igmp_max_resp_time
    igmp_group_addr_word = igmp_group_addr._int
    end = 8
    compute = True
    igmp_checksum = 0
    if compute and csum is internet_sum:
        seg_sum = igmp_msg_type_max_resp_time + igmp_group_addr_word
        folded = seg_sum % 0xFFFF
        # An all-zero message sums to 0 and has the checksum 0xffff.
        igmp_checksum = 0xFFFF - folded if folded or not seg_sum else 0
        compute = False
    _IGMP_TX.pack_into(
        buffer,
        0,
        igmp_msg_type_max_resp_time,
        igmp_checksum,
        igmp_group_addr_word,
    )
    if compute:
        view = buffer if type(buffer) is memoryview else memoryview(buffer)
        s = ~csum(view[0:end], 0) & 0xFFFF
        buffer[2] = s >> 8
        buffer[3] = s & 0xFF
