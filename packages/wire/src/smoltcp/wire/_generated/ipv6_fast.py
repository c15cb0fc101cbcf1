# Generated from spec/profiles.py by codegen/templates/fast.py.j2 - DO NOT EDIT. inputs-sha256: fb830258cb5a4ee5735d912e8b0095167c5c82c449b57ac031abe5b90beefca6
"""The per-layer ``parse_buffer``/``emit_buffer`` of one representation, from ``spec/profiles.py``.

The header's common shape (``LAYER_PROFILES``) is one ``struct`` format; its fields, masks,
checksum words and representation all come from the spec. Any other input goes to the
hand-written module's ``_parse_general``/``_emit_general``, so every input gets the same answer
either way. The hand-written module makes these its representation's methods.
"""

from __future__ import annotations

import struct

from smoltcp.wire._generated.ipv4 import IpProtocol
from smoltcp.wire.address import ipv6_cache_get, ipv6_from_packed
from smoltcp.wire.capabilities import COMPUTE_TX, ChecksumCapabilities, VERIFY_RX
from smoltcp.wire.checksum import InternetSum, WritableBuffer, internet_sum
from smoltcp.wire.ipv6 import Ipv6Repr, _parse_general

__all__ = [
    "IPV6_LEN",
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
_ipv6_get = ipv6_cache_get


# Profile ipv6: An IPv6 fixed header (extension headers are its payload).
IPV6_LEN = 40  # octets of all its headers
_IPV6_RX = struct.Struct("!LHH16s16s")
_IPV6_TX = struct.Struct("!LHH16s16s")


def parse_buffer(
    frame: bytes | bytearray | memoryview,
    checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
    csum: InternetSum = internet_sum,
) -> Ipv6Repr:
    """Return the Ipv6Repr of the ipv6 header in ``frame``.

    An IPv6 fixed header (extension headers are its payload) is read here; any other input goes
    to the hand-written ``_parse_general``, whose results and errors these are.
    """
    n = len(frame)
    if n < 40:
        return _parse_general(frame, checksum_caps, csum)
    (
        ipv6_ver_tc_flow,
        ipv6_payload_len,
        ipv6_next_header_hop_limit,
        ipv6_src_addr,
        ipv6_dst_addr,
    ) = _IPV6_RX.unpack_from(frame)
    end = 40 + ipv6_payload_len
    if ipv6_ver_tc_flow & 0xF0000000 != 0x60000000 or end > n:
        return _parse_general(frame, checksum_caps, csum)
    ipv6_repr = _tuple_new(
        Ipv6Repr,
        (
            _ipv6_get(ipv6_src_addr) or ipv6_from_packed(ipv6_src_addr),
            _ipv6_get(ipv6_dst_addr) or ipv6_from_packed(ipv6_dst_addr),
            _IPPROTOCOL_MEMBERS.get(ipv6_next_header_hop_limit >> 8)
            or IpProtocol(ipv6_next_header_hop_limit >> 8),
            ipv6_payload_len,
            ipv6_next_header_hop_limit & 0xFF,
            (ipv6_ver_tc_flow >> 22) & 0x3F,
            (ipv6_ver_tc_flow >> 20) & 0x3,
            ipv6_ver_tc_flow & 0xFFFFF,
        ),
    )
    return ipv6_repr


def emit_buffer(
    ipv6: Ipv6Repr,
    buffer: WritableBuffer,
    checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
    csum: InternetSum = internet_sum,
) -> None:
    """Write the ipv6 header of ``ipv6`` into ``buffer``.

    An IPv6 fixed header (extension headers are its payload) is written here.
    """
    (
        ipv6_src_addr,
        ipv6_dst_addr,
        ipv6_next_header,
        ipv6_payload_len,
        ipv6_hop_limit,
        ipv6_dscp,
        ipv6_ecn,
        ipv6_flow_label,
    ) = ipv6
    ipv6_ver_tc_flow = 0x60000000 | (ipv6_dscp << 22) | (ipv6_ecn << 20) | ipv6_flow_label
    ipv6_next_header_hop_limit = (ipv6_next_header << 8) | ipv6_hop_limit
    ipv6_src_addr_word = ipv6_src_addr._packed
    ipv6_dst_addr_word = ipv6_dst_addr._packed
    _IPV6_TX.pack_into(
        buffer,
        0,
        ipv6_ver_tc_flow,
        ipv6_payload_len,
        ipv6_next_header_hop_limit,
        ipv6_src_addr_word,
        ipv6_dst_addr_word,
    )
