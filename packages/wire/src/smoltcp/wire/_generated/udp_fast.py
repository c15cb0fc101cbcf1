# Generated from spec/profiles.py by codegen/templates/fast.py.j2 - DO NOT EDIT. inputs-sha256: 1fcde6f78dc6b601b629c33df0690c88578226b8472166864cc71fd6ad28d047
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
from smoltcp.wire.udp import UdpRepr, _parse_general

__all__ = [
    "UDP_LEN",
    "emit_buffer",
    "parse_buffer",
]

_DEFAULT_CAPS = ChecksumCapabilities()
_tuple_new = tuple.__new__
_seq_new = int.__new__
_from_bytes = int.from_bytes
# int.__add__: a TcpSeqNumber's own + wraps modulo 2**32, which a checksum sum must not.
_int_add = int.__add__


# Profile udp: A UDP datagram.
UDP_LEN = 8  # octets of all its headers
_UDP_RX = struct.Struct("!HHHH")
_UDP_TX = struct.Struct("!HHHH")


def parse_buffer(
    frame: bytes | bytearray | memoryview,
    src_addr: IpAddress,
    dst_addr: IpAddress,
    checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
    csum: InternetSum = internet_sum,
) -> UdpRepr:
    """Return the UdpRepr of the udp header in ``frame``.

    A UDP datagram is read here; any other input goes to the hand-written ``_parse_general``,
    whose results and errors these are.
    """
    n = len(frame)
    if n < 8:
        return _parse_general(frame, src_addr, dst_addr, checksum_caps, csum)
    (
        udp_src_port,
        udp_dst_port,
        udp_len,
        udp_checksum,
    ) = _UDP_RX.unpack_from(frame)
    end = udp_len
    if end > n or udp_len < 8:
        return _parse_general(frame, src_addr, dst_addr, checksum_caps, csum)
    view = frame if type(frame) is memoryview else memoryview(frame)
    if checksum_caps.udp in VERIFY_RX and udp_checksum:
        seg_len = end
        pseudo = src_addr._int + dst_addr._int + 17 + seg_len
        segment = view[0:end]
        if csum is internet_sum:
            seg_sum = _from_bytes(segment, "big")
            if seg_len & 1:
                seg_sum <<= 8
            bad = (seg_sum + pseudo) % 0xFFFF
        else:
            bad = csum(segment, pseudo % 0xFFFF) != 0xFFFF
        if bad:
            return _parse_general(frame, src_addr, dst_addr, checksum_caps, csum)
    udp_repr = _tuple_new(
        UdpRepr,
        (
            udp_src_port,
            udp_dst_port,
            view[8:end],
        ),
    )
    return udp_repr


def emit_buffer(
    udp: UdpRepr,
    buffer: WritableBuffer,
    src_addr: IpAddress,
    dst_addr: IpAddress,
    checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
    csum: InternetSum = internet_sum,
) -> None:
    """Write the udp header of ``udp`` into ``buffer``.

    A UDP datagram is written here.
    """
    (
        udp_src_port,
        udp_dst_port,
        udp_payload,
    ) = udp
    udp_len = 8 + len(udp_payload)
    end = 8 + len(udp_payload)
    if udp_payload:
        buffer[8:end] = udp_payload
    compute = checksum_caps.udp in COMPUTE_TX
    udp_checksum = 0
    if compute and csum is internet_sum:
        # The reference sum over the words and the payload; never zero (the
        # protocol number is in it). int.__add__ keeps sequence numbers whole.
        seg_sum = src_addr._int + dst_addr._int + 17 + end + udp_src_port + udp_dst_port + udp_len
        size = len(udp_payload)
        if size:
            seg_sum += (
                _from_bytes(udp_payload, "big") << 8
                if size & 1
                else _from_bytes(udp_payload, "big")
            )
        folded = seg_sum % 0xFFFF
        udp_checksum = 0xFFFF - folded
        compute = False
    _UDP_TX.pack_into(
        buffer,
        0,
        udp_src_port,
        udp_dst_port,
        udp_len,
        udp_checksum,
    )
    if compute:
        view = buffer if type(buffer) is memoryview else memoryview(buffer)
        s = (
            ~csum(view[0:end], (src_addr._int + dst_addr._int + 17 + end) % 0xFFFF) & 0xFFFF
            or 0xFFFF
        )
        buffer[6] = s >> 8
        buffer[7] = s & 0xFF
