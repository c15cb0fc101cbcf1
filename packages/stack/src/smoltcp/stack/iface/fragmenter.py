"""Fragmentation on send (RFC 791 3.2, RFC 8200 4.5) of UDP, ICMP and raw IP datagrams.

A datagram larger than the path MTU to its destination (the link's, or less when `pmtu`
learnt so) leaves in fragments: IPv4 fragments with Don't Fragment clear, IPv6 ones with a
Fragment header added by the source (RFC 8200 5: only the source fragments). Each fragment's
data but the last's is a multiple of 8 octets and as large as the MTU allows. TCP never comes
here: it sizes its segments by the path MTU instead.

The transport checksum is computed over the whole datagram before it is cut (a device that
offloads checksums cannot compute one across fragments). The Identification comes from a
counter per IP version whose start is drawn from ``Config.random_seed`` (RFC 6864, RFC 7739:
not predictable from outside when the seed is secret, no hidden randomness). The headers
the interface sends are 20-octet IPv4 headers and 40-octet IPv6 fixed headers with nothing
unfragmentable after them, so the whole payload is the fragmentable part.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from smoltcp.wire import ChecksumCapabilities, IpProtocol
from smoltcp.wire.checksum import internet_sum as _header_sum
from smoltcp.wire.icmpv4 import Icmpv4Repr
from smoltcp.wire.icmpv6 import Icmpv6Repr
from smoltcp.wire.ip import IpRepr
from smoltcp.wire.layout import ipv4 as _ipv4_layout
from smoltcp.wire.layout import ipv6 as _ipv6_layout
from smoltcp.wire.layout import ipv6frag as _frag_layout
from smoltcp.wire.ndp import NdpRepr
from smoltcp.wire.udp import UdpRepr

if TYPE_CHECKING:
    from .egress import Egress, Payload

__all__ = ["Fragmenter", "send_fragmented"]

_IPV4_LEN = _ipv4_layout.HEADER_LEN
_IPV6_LEN = _ipv6_layout.HEADER_LEN
_FRAG_LEN = _frag_layout.HEADER_LEN
_FRAG_HEADER = _frag_layout.HEADER
_FRAG_UNIT = _frag_layout.FRAG_OFFSET_UNIT
_MORE = _frag_layout.MORE_FRAGS_MASK
_MAX_PAYLOAD = 0xFFFF  # IPv4 total length and IPv6 payload length are 16 bits
_IPV6_FRAG = IpProtocol.IPV6_FRAG
_HOPOPTS = IpProtocol.HOPOPTS
_ALL_CHECKSUMS = ChecksumCapabilities()
_PSEUDO = (UdpRepr, Icmpv6Repr, NdpRepr)  # transport checksums over a pseudo-header


class Fragmenter:
    """The Identification counters of the datagrams the interface fragments."""

    __slots__ = ("_ident_v4", "_ident_v6", "datagrams", "fragments")

    def __init__(self, rand: random.Random) -> None:
        self._ident_v4 = rand.getrandbits(16)
        self._ident_v6 = rand.getrandbits(32)
        self.datagrams = 0  # datagrams sent in fragments
        self.fragments = 0  # fragments made

    def next_ident(self, version: int) -> int:
        """Return the Identification of the next fragmented datagram of IP ``version``."""
        if version == 6:
            self._ident_v6 = (self._ident_v6 + 1) & 0xFFFFFFFF
            return self._ident_v6
        self._ident_v4 = (self._ident_v4 + 1) & 0xFFFF
        return self._ident_v4


# Any: an IPv4 or IPv6 header and any socket's representation, which share no base class.
def _payload(ipr: Any, repr: Any) -> bytes | bytearray | memoryview:
    """The IP payload of ``repr``, with its checksum computed here."""
    tr = type(repr)
    if tr in _PSEUDO:
        body = bytearray(repr.buffer_len())
        repr.emit_buffer(body, ipr.src_addr, ipr.dst_addr, _ALL_CHECKSUMS, _header_sum)
        return body
    if tr is Icmpv4Repr:
        body = bytearray(repr.buffer_len())
        repr.emit_buffer(body, _ALL_CHECKSUMS, _header_sum)
        return body
    octets: bytes | bytearray | memoryview = repr  # a raw socket's packet body
    return octets


# Any: an IPv4 or IPv6 header, which share no base class, and any buffer.
def _cut(ipr: Any, payload: Any, mtu: int, ident: int) -> list[bytearray] | None:
    """The fragments of ``payload`` for a path MTU of ``mtu``, or None when none can fit."""
    total = len(payload)
    out: list[bytearray] = []
    if ipr.version == 4:
        size = (mtu - _IPV4_LEN) // _FRAG_UNIT * _FRAG_UNIT
        if size <= 0 or _IPV4_LEN + total > _MAX_PAYLOAD:
            return None
        for offset in range(0, total, size):
            part = payload[offset : offset + size]
            more = offset + size < total
            head = ipr._replace(
                payload_len=len(part),
                ident=ident,
                dont_frag=False,
                more_frags=more,
                frag_offset=offset,
            )
            packet = bytearray(_IPV4_LEN + len(part))
            head.emit_buffer(packet, _ALL_CHECKSUMS, _header_sum)
            packet[_IPV4_LEN:] = part
            out.append(packet)
        return out
    size = (mtu - _IPV6_LEN - _FRAG_LEN) // _FRAG_UNIT * _FRAG_UNIT
    if size <= 0 or total > _MAX_PAYLOAD or ipr.next_header == _HOPOPTS:
        # A hop-by-hop header is unfragmentable and would have to go first: not supported.
        return None
    inner = int(ipr.next_header)
    for offset in range(0, total, size):
        part = payload[offset : offset + size]
        more = offset + size < total
        head = ipr._replace(next_header=_IPV6_FRAG, payload_len=_FRAG_LEN + len(part))
        packet = bytearray(_IPV6_LEN + _FRAG_LEN + len(part))
        head.emit_buffer(packet)
        _FRAG_HEADER.pack_into(packet, _IPV6_LEN, inner, 0, offset | (_MORE if more else 0), ident)
        packet[_IPV6_LEN + _FRAG_LEN :] = part
        out.append(packet)
    return out


def send_fragmented(
    egress: Egress,
    frag: Fragmenter,
    ipr: IpRepr,
    repr: Payload,
    mtu: int,
    eth: bool,
    dst_mac: bytes | None = None,
) -> bool:
    """Send ``ipr`` + ``repr`` through ``egress`` in fragments that fit ``mtu``; return
    whether any went out.

    The fragments take the path of packets resolved by ARP or NDP (``egress.ready``): sent
    now while the device has room, the rest first at the next poll; to a next hop still
    unresolved they wait in the neighbour cache's bounded queue. A datagram that cannot be cut
    (too large for any IP packet, an MTU with no room for data) is dropped as ``too-big``.
    ``eth``: an Ethernet medium; ``dst_mac`` is the next hop's hardware address when the
    caller knows it (an answer to the frame's sender), None: looked up.
    """
    payload = _payload(ipr, repr)
    packets = _cut(ipr, payload, mtu, frag.next_ident(ipr.version))
    if packets is None:
        egress.drop("too-big")
        return False
    frag.datagrams += 1
    frag.fragments += len(packets)
    if eth and dst_mac is None:
        hw = egress.resolution.hardware_for(ipr.dst_addr)
        if hw is None:
            return False  # no route, counted there
        if not isinstance(hw, bytes):
            # Unresolved: the fragments wait for the next hop ``hw`` like any packet.
            for packet in packets:
                egress.resolution.enqueue(hw, packet)
            return False
        dst_mac = hw
    ready = egress.ready
    for packet in packets:
        ready.append((dst_mac, packet))
    egress.flush_ready()
    return True
