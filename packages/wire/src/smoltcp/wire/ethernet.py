"""Ethernet II frames (RFC 894): the `EthernetFrame` view with its payload, and `EthernetRepr`.

Only DIX Ethernet II is spoken. IEEE 802.3 length frames (EtherType field <= 1500) and 802.1Q /
802.1ad tagged frames are well-formed but unsupported: the checked constructor raises
`UnsupportedPacket` for them rather than misreading a length or a tag as a protocol.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from ._generated.ethernet import (
    ETHERTYPE_AT,
    HEADER,
    HEADER_LEN,
    OCTETS,
    PROTOCOL,
    EthernetProtocol,
)
from ._generated.ethernet import EthernetFrame as _EthernetFrameView
from .address import EthernetAddress, ethernet_cache_get, ethernet_from_octets
from .checksum import WritableBuffer
from .errors import MalformedPacket, UnsupportedPacket

__all__ = ["EthernetFrame", "EthernetProtocol", "EthernetRepr"]

_ETHERTYPES = EthernetProtocol._value2member_map_
_unpack_header = HEADER.unpack_from
_pack_header = HEADER.pack_into
_tuple_new = tuple.__new__
_mac_get = ethernet_cache_get
_unpack_octets = OCTETS.unpack_from
# The 14 header octets -> their EthernetRepr (see EthernetRepr.parse_buffer).
_parsed: dict[bytes, EthernetRepr] = {}
_parsed_get = _parsed.get
_PARSED_MAX = 1024

# IEEE 802.3 clause 3.2.6: values up to 1500 are a length; 1501..1535 are undefined.
_MAX_LENGTH_FIELD = 1500
_ETHERTYPE_MIN = 0x0600
# IEEE 802.1Q customer VLAN tag and 802.1ad service (QinQ) tag.
_VLAN_TPIDS = (0x8100, 0x88A8, 0x9100)
# High octets of EtherTypes that are neither lengths nor VLAN tags: 0x08xx (IPv4, ARP) and
# 0x86xx (IPv6); any other frame takes the full check.
_COMMON_ETHERTYPE_HIGH = frozenset((0x08, 0x86))


def _check(buffer: bytes | bytearray | memoryview) -> None:
    """Raise `MalformedPacket`/`UnsupportedPacket` unless ``buffer`` starts with a whole and
    supported Ethernet II header."""
    n = len(buffer)
    if n < HEADER_LEN:
        raise MalformedPacket(PROTOCOL, "header", f"{n} octets, fewer than the 14-octet header")
    ethertype = (buffer[ETHERTYPE_AT] << 8) | buffer[ETHERTYPE_AT + 1]
    if ethertype < _ETHERTYPE_MIN:
        if ethertype <= _MAX_LENGTH_FIELD:
            raise UnsupportedPacket(
                PROTOCOL, "ethertype", f"IEEE 802.3 length frame (length {ethertype})"
            )
        raise MalformedPacket(
            PROTOCOL, "ethertype", f"0x{ethertype:04x} is neither a length nor an EtherType"
        )
    if ethertype in _VLAN_TPIDS:
        raise UnsupportedPacket(PROTOCOL, "ethertype", f"VLAN tag (TPID 0x{ethertype:04x})")


class EthernetFrame(_EthernetFrameView):
    """A zero-copy view of an Ethernet II frame: header accessors plus the payload.

    ``EthernetFrame(buffer)`` raises `MalformedPacket` if the header is truncated or the
    EtherType is undefined, and `UnsupportedPacket` for 802.3 length frames and VLAN tags.
    """

    __slots__ = ()

    def __init__(self, buffer: bytes | bytearray | memoryview) -> None:
        """Wrap ``buffer``; raise unless it starts with a supported Ethernet II header."""
        self.buffer = buffer
        # The check of check_len, inlined for the common case (IPv4, ARP, IPv6 EtherTypes).
        if len(buffer) < HEADER_LEN or buffer[ETHERTYPE_AT] not in _COMMON_ETHERTYPE_HIGH:
            _check(buffer)

    def check_len(self) -> None:
        """Raise `MalformedPacket`/`UnsupportedPacket` unless this is a whole Ethernet II header."""
        _check(self.buffer)

    @property
    def payload(self) -> memoryview:
        """The octets after the 14-octet header (any link-layer padding included)."""
        buffer = self.buffer
        if type(buffer) is memoryview:
            return buffer[HEADER_LEN:]
        return memoryview(buffer)[HEADER_LEN:]


class EthernetRepr(NamedTuple):
    """The fields of an Ethernet II header."""

    src_addr: EthernetAddress
    dst_addr: EthernetAddress
    ethertype: EthernetProtocol

    @staticmethod
    def parse(frame: EthernetFrame) -> EthernetRepr:
        """Return the header fields of a checked ``frame``; raise `MalformedPacket`.

        The same as ``parse_buffer(frame.buffer)``.
        """
        return _parse_buffer(frame.buffer)

    def emit(self, frame: EthernetFrame) -> None:
        """Write the header into the first 14 octets of ``frame``'s buffer."""
        _pack_header(frame.buffer, 0, self.dst_addr._octets, self.src_addr._octets, self.ethertype)

    @staticmethod
    def parse_buffer(buffer: bytes | bytearray | memoryview) -> EthernetRepr:
        """Return the header fields of the frame in ``buffer``; raise `MalformedPacket`.

        The per-packet path. It makes the checks of the checked
        ``EthernetFrame(buffer)`` (and raises the same errors, `UnsupportedPacket` included)
        without building the view.
        """
        try:
            (header,) = _unpack_octets(buffer)
        except struct.error:
            raise MalformedPacket(PROTOCOL, "header", "truncated") from None
        # A link carries few distinct headers (two hosts, one or two EtherTypes), and a
        # representation is immutable: the checked parse of each header is kept and shared.
        parsed = _parsed_get(header)
        if parsed is not None:
            return parsed
        dst, src, ethertype = _unpack_header(header)
        if ethertype >> 8 not in _COMMON_ETHERTYPE_HIGH:
            _check(buffer)  # raises for 802.3 lengths, undefined values and VLAN tags
        et = _ETHERTYPES.get(ethertype)
        if et is None:
            et = EthernetProtocol(ethertype)
        parsed = _tuple_new(
            EthernetRepr,
            (
                _mac_get(src) or ethernet_from_octets(src),
                _mac_get(dst) or ethernet_from_octets(dst),
                et,
            ),
        )
        if len(_parsed) >= _PARSED_MAX:
            _parsed.clear()  # bounded: a flood of distinct headers costs a re-parse, not memory
        _parsed[header] = parsed
        return parsed

    def emit_buffer(self, buffer: WritableBuffer) -> None:
        """Write the header into the first 14 octets of ``buffer``: `emit` without the view."""
        _pack_header(buffer, 0, self.dst_addr._octets, self.src_addr._octets, self.ethertype)

    def buffer_len(self) -> int:
        """Return the header length, 14."""
        return HEADER_LEN

    def __str__(self) -> str:
        kind = _ethertype_name(self.ethertype)
        return f"EthernetII src={self.src_addr} dst={self.dst_addr} type={kind}"


_parse_buffer = EthernetRepr.parse_buffer


def _ethertype_name(ethertype: int) -> str:
    member = _ETHERTYPES.get(ethertype)
    if member is None:
        return f"0x{ethertype:04x}"
    return {0x0800: "IPv4", 0x0806: "ARP", 0x86DD: "IPv6"}.get(ethertype, member.name)
