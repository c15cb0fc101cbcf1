# Generated from spec/profiles.py by codegen/templates/fast.py.j2 - DO NOT EDIT. inputs-sha256: 85d21bdcb28ec258d26cd09df7bcba2f161ac2fbcb92488caf7fd4d5482a7d75
"""The per-layer ``parse_buffer``/``emit_buffer`` of one representation, from ``spec/profiles.py``.

The header's common shape (``LAYER_PROFILES``) is one ``struct`` format; its fields, masks,
checksum words and representation all come from the spec. Any other input goes to the
hand-written module's ``_parse_general``/``_emit_general``, so every input gets the same answer
either way. The hand-written module makes these its representation's methods.
"""

from __future__ import annotations

import struct

from smoltcp.wire._generated.ipv4 import IpProtocol
from smoltcp.wire.address import ipv4_from_int, ipv4_int_cache_get
from smoltcp.wire.capabilities import COMPUTE_TX, ChecksumCapabilities, VERIFY_RX
from smoltcp.wire.checksum import InternetSum, WritableBuffer, internet_sum
from smoltcp.wire.ipv4 import Ipv4Repr, _parse_general

__all__ = [
    "IPV4_LEN",
    "emit_buffer",
    "parse_buffer",
]

_DEFAULT_CAPS = ChecksumCapabilities()
_tuple_new = tuple.__new__
_seq_new = int.__new__
_from_bytes = int.from_bytes
# int.__add__: a TcpSeqNumber's own + wraps modulo 2**32, which a checksum sum must not.
_int_add = int.__add__
_IPPROTOCOL_MEMBERS = IpProtocol._value2member_map_
_ipv4_get = ipv4_int_cache_get


# Profile ipv4: An IPv4 header without options.
IPV4_LEN = 20  # octets of all its headers
_IPV4_RX = struct.Struct("!HHHHHHLL")
_IPV4_TX = struct.Struct("!HHHHHHLL")


def parse_buffer(
    frame: bytes | bytearray | memoryview,
    checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
    csum: InternetSum = internet_sum,
) -> Ipv4Repr:
    """Return the Ipv4Repr of the ipv4 header in ``frame``.

    An IPv4 header without options is read here; any other input goes to the hand-written
    ``_parse_general``, whose results and errors these are.
    """
    n = len(frame)
    if n < 20:
        return _parse_general(frame, checksum_caps, csum)
    (
        ip_ver_ihl_dscp_ecn,
        ip_total_len,
        ip_ident,
        ip_flags_frag,
        ip_hop_limit_next_header,
        ip_checksum,
        ip_src_addr,
        ip_dst_addr,
    ) = _IPV4_RX.unpack_from(frame)
    end = ip_total_len
    if ip_ver_ihl_dscp_ecn & 0xFF00 != 0x4500 or end > n or ip_total_len < 20:
        return _parse_general(frame, checksum_caps, csum)
    view = frame if type(frame) is memoryview else memoryview(frame)
    if checksum_caps.ipv4 in VERIFY_RX and (
        (
            ip_ver_ihl_dscp_ecn
            + ip_total_len
            + ip_ident
            + ip_flags_frag
            + ip_hop_limit_next_header
            + ip_checksum
            + ip_src_addr
            + ip_dst_addr
        )
        % 0xFFFF
        if csum is internet_sum
        else csum(view[0:20], 0) != 0xFFFF
    ):
        return _parse_general(frame, checksum_caps, csum)
    ip_repr = _tuple_new(
        Ipv4Repr,
        (
            _ipv4_get(ip_src_addr) or ipv4_from_int(ip_src_addr),
            _ipv4_get(ip_dst_addr) or ipv4_from_int(ip_dst_addr),
            _IPPROTOCOL_MEMBERS.get(ip_hop_limit_next_header & 0xFF)
            or IpProtocol(ip_hop_limit_next_header & 0xFF),
            ip_total_len - 20,
            ip_hop_limit_next_header >> 8,
            (ip_ver_ihl_dscp_ecn >> 2) & 0x3F,
            ip_ver_ihl_dscp_ecn & 0x3,
            ip_ident,
            (ip_flags_frag & 0x4000) != 0,
            (ip_flags_frag & 0x2000) != 0,
            (ip_flags_frag & 0x1FFF) * 8,
        ),
    )
    return ip_repr


def emit_buffer(
    ip: Ipv4Repr,
    buffer: WritableBuffer,
    checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
    csum: InternetSum = internet_sum,
) -> None:
    """Write the ipv4 header of ``ip`` into ``buffer``.

    An IPv4 header without options is written here.
    """
    (
        ip_src_addr,
        ip_dst_addr,
        ip_next_header,
        ip_payload_len,
        ip_hop_limit,
        ip_dscp,
        ip_ecn,
        ip_ident,
        ip_dont_frag,
        ip_more_frags,
        ip_frag_offset,
    ) = ip
    ip_ver_ihl_dscp_ecn = 0x4500 | (ip_dscp << 2) | ip_ecn
    ip_total_len = 20 + ip_payload_len
    ip_flags_frag = (
        (0x4000 if ip_dont_frag else 0) | (0x2000 if ip_more_frags else 0) | (ip_frag_offset >> 3)
    )
    ip_hop_limit_next_header = ip_next_header | (ip_hop_limit << 8)
    ip_src_addr_word = ip_src_addr._int
    ip_dst_addr_word = ip_dst_addr._int
    ip_checksum = 0
    compute = checksum_caps.ipv4 in COMPUTE_TX
    if compute and csum is internet_sum:
        # The reference sum over the words; never zero (a fixed version is in it).
        folded = (
            ip_ver_ihl_dscp_ecn
            + ip_total_len
            + ip_ident
            + ip_flags_frag
            + ip_hop_limit_next_header
            + ip_src_addr_word
            + ip_dst_addr_word
        ) % 0xFFFF
        ip_checksum = 0xFFFF - folded if folded else 0
        compute = False
    _IPV4_TX.pack_into(
        buffer,
        0,
        ip_ver_ihl_dscp_ecn,
        ip_total_len,
        ip_ident,
        ip_flags_frag,
        ip_hop_limit_next_header,
        ip_checksum,
        ip_src_addr_word,
        ip_dst_addr_word,
    )
    if compute:
        view = buffer if type(buffer) is memoryview else memoryview(buffer)
        s = ~csum(view[0:20], 0) & 0xFFFF
        buffer[10] = s >> 8
        buffer[11] = s & 0xFF
