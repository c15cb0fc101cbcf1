# Generated from spec/profiles.py by codegen/templates/fast.py.j2 - DO NOT EDIT. inputs-sha256: d3a0c74cb2371bd337b1bf2f03e0bfe387b534f9d9a7ce2880596e150bdcc516
"""The per-layer ``parse_buffer``/``emit_buffer`` of one representation, from ``spec/profiles.py``.

The header's common shape (``LAYER_PROFILES``) is one ``struct`` format; its fields, masks,
checksum words and representation all come from the spec. Any other input goes to the
hand-written module's ``_parse_general``/``_emit_general``, so every input gets the same answer
either way. The hand-written module makes these its representation's methods.
"""

from __future__ import annotations

import struct

from smoltcp.wire.capabilities import COMPUTE_TX, ChecksumCapabilities, VERIFY_RX
from smoltcp.wire.checksum import InternetSum, WritableBuffer, internet_sum
from smoltcp.wire.ethernet import EthernetRepr, _parse_general, _parsed_get

__all__ = [
    "ETHERNET_LEN",
    "emit_buffer",
    "parse_buffer",
]

_DEFAULT_CAPS = ChecksumCapabilities()
_tuple_new = tuple.__new__
_seq_new = int.__new__
_from_bytes = int.from_bytes
# int.__add__: a TcpSeqNumber's own + wraps modulo 2**32, which a checksum sum must not.
_int_add = int.__add__


# Profile ethernet: An Ethernet II header seen before.
ETHERNET_LEN = 14  # octets of all its headers
_ETHERNET_RX = struct.Struct("!14s")
_ETHERNET_TX = struct.Struct("!6s6sH")


def parse_buffer(
    frame: bytes | bytearray | memoryview,
) -> EthernetRepr:
    """Return the EthernetRepr of the ethernet header in ``frame``.

    An Ethernet II header seen before is read here; any other input goes to the hand-written
    ``_parse_general``, whose results and errors these are.
    """
    try:
        (header,) = _ETHERNET_RX.unpack_from(frame)
    except struct.error:
        return _parse_general(frame)
    return _parsed_get(header) or _parse_general(frame)


def emit_buffer(
    eth: EthernetRepr,
    buffer: WritableBuffer,
) -> None:
    """Write the ethernet header of ``eth`` into ``buffer``.

    An Ethernet II header seen before is written here.
    """
    _ETHERNET_TX.pack_into(
        buffer,
        0,
        eth.dst_addr._octets,
        eth.src_addr._octets,
        eth.ethertype,
    )
