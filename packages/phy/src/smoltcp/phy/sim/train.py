"""Trains: TCP super-segments that cross the simulated network as one frame where that is exact.

A host with offload (``SimHost(..., offload=True)``) has a card that reports
``max_tso_size``, so its stack hands it TCP super-segments of up to 64 KiB, as it hands them
to a TAP with the virtio-net header. The card does not cut them: it sends each as a `Train`,
an Ethernet frame longer than the link's largest frame that stands for the wire frames a NIC
with TSO would put on the wire, its *pieces*. The pieces are what the stack's own
segmentation (`smoltcp.stack.iface.gso`) makes of the super-segment: ``size`` payload octets
each but the last, each with the super-segment's Ethernet, IP and TCP headers, its own
sequence number, the flags of its place and valid checksums.

``size``, the MSS a train is cut at, is learnt as a NIC learns gso_size from the virtio-net
header of a TAP: the sending card's IP MTU less the train's IP and TCP headers (options
included), the largest piece that fits the MTU the stack was configured with. The stack's
TSO contract sizes super-segments in whole multiples of it.

Wherever a train is counted, it counts as its pieces would (`frames` frames, `wire_len`
octets, `piece_lengths`). Where it cannot pass as a unit exactly, it is cut (`Train.cut`)
and the pieces go on frame by frame on the existing per-frame path (see
`smoltcp.phy.sim.link`): so a host without offload gets the pieces one by one, each at the
time it would have arrived. A train is split into consecutive parts (`Train.part`, itself a
train or a single piece) where only some pieces get into a queue and where the far end
would not hold all of it (`HOLD_US`), and two trains of one connection that go on the wire
back to back join (`Train.coalesce`), as a receiver's GRO joins segments; each part or join
has exactly the pieces of the original trains.
"""

from __future__ import annotations

import struct
from typing import TypeVar

from smoltcp.stack.iface.gso import can_cut, ip_header_len, piece, pieces
from smoltcp.stack.kernels import internet_sum
from smoltcp.wire import ChecksumCapabilities, IpProtocol, Ipv4Repr, TcpRepr
from smoltcp.wire.checksum import internet_sum as _header_sum
from smoltcp.wire.errors import MalformedPacket
from smoltcp.wire.ipv6 import Ipv6Repr
from smoltcp.wire.layout import ethernet as _eth_layout
from smoltcp.wire.layout import ipv4 as _ipv4_layout
from smoltcp.wire.layout import ipv6 as _ipv6_layout
from smoltcp.wire.layout import tcp as _tcp_layout

__all__ = ["HOLD_US", "MAX_IP_PACKET", "Train", "make_train"]

HOLD_US = 1_000
"""The longest a train's first piece waits for its last before the far end gets it (µs).

A NIC with GRO hands over what arrived within its interrupt coalescing time, and a longer
hold would slow the receiver's ACK clock (a 45-frame train takes 54 ms at 10 Mbit/s): a
train whose pieces take longer is delivered in parts (`smoltcp.phy.sim.link`). One
millisecond keeps a whole 64 KiB train at 1 Gbit/s and above (0.55 ms), about eight frames
at 100 Mbit/s, and single frames below 12 Mbit/s.
"""

_ETH_LEN = _eth_layout.HEADER_LEN
_ETHERTYPE_IPV4 = int(_eth_layout.EthernetProtocol.IPV4).to_bytes(2, "big")
_ETHERTYPE_IPV6 = int(_eth_layout.EthernetProtocol.IPV6).to_bytes(2, "big")
_ETHERTYPE = _eth_layout.ETHERTYPE
MAX_IP_PACKET = 65535
"""The largest IP packet (octets): no train is longer, with its Ethernet header."""
_PROTO_TCP = int(IpProtocol.TCP)
_U32 = struct.Struct("!I")
_U16 = struct.Struct("!H")
_IPV6_LEN = _ipv6_layout.HEADER_LEN
_SEQ_AT = _tcp_layout.SEQ_NUMBER_AT
_TCP_CHECKSUM_AT = _tcp_layout.CHECKSUM_AT
_FLAGS_AT = _tcp_layout.HEADER_LEN_AT + 1  # the octet of the flags after the data offset
# PSH and FIN belong to the last piece, CWR to the first: a train with one is not continued.
_LAST_ONLY = _tcp_layout.PSH_MASK | _tcp_layout.FIN_MASK
_NOT_JOINED = _LAST_ONLY | _tcp_layout.CWR_MASK
# (offset, length) of the IP fields that change with the packet's length.
_IPV4_VARIES = (
    (_ETH_LEN + _ipv4_layout.TOTAL_LEN_AT, 2),
    (_ETH_LEN + _ipv4_layout.CHECKSUM_AT, 2),
)
_IPV6_VARIES = ((_ETH_LEN + _ipv6_layout.PAYLOAD_LEN_AT, 2),)
# The train was written by our own stack with valid checksums: cutting it need not check them.
_NO_VERIFY = ChecksumCapabilities.ignored()
_COMPUTE = ChecksumCapabilities()


class Train(bytearray):
    """A TCP super-segment in an Ethernet frame, and how it is cut into wire frames.

    The octets are the super-segment's frame as the stack wrote it. ``size`` is the payload
    of every piece but the last, ``frames`` the number of pieces, ``header_len`` the Ethernet,
    IP and TCP headers every piece carries, ``wire_len`` the octets of all pieces together
    and ``piece_max`` the length of the largest piece. Build one with `make_train`.
    """

    __slots__ = ("frames", "header_len", "piece_max", "size", "wire_len")

    frames: int
    header_len: int
    piece_max: int
    size: int
    wire_len: int

    def piece_lengths(self) -> list[int]:
        """Return the length of each piece's frame, in order (octets)."""
        lengths = [self.piece_max] * self.frames
        lengths[-1] = self.wire_len - (self.frames - 1) * self.piece_max
        return lengths

    def cut(self) -> list[bytearray]:
        """Return the pieces' frames, in order, as the stack's segmentation makes them."""
        ipr, seg = self._parse()
        eth = bytes(memoryview(self)[:_ETH_LEN])
        return [_emit(bytearray, eth, ipr, part) for part in pieces(seg, self.size)]

    def part(self, first: int, count: int) -> bytearray:
        """Return pieces ``first`` to ``first + count - 1`` as one frame: the piece itself
        for one, else a train of them (the flags of their places: CWR only from the first
        piece, PSH and FIN only with the last, as `smoltcp.stack.iface.gso.piece` gives)."""
        return self.parts([(first, count)])[0]

    def parts(self, spans: list[tuple[int, int]]) -> list[bytearray]:
        """Return `part` of each (first, count) of ``spans``, parsing this train once."""
        for first, count in spans:
            if first < 0 or count < 1 or first + count > self.frames:
                raise ValueError(f"pieces {first}+{count} are not within the {self.frames} pieces")
        ipr, seg = self._parse()
        eth = bytes(memoryview(self)[:_ETH_LEN])
        size = self.size
        h = self.header_len
        out: list[bytearray] = []
        for first, count in spans:
            sub = piece(seg, count * size, first * size)
            if count == 1:
                out.append(_emit(bytearray, eth, ipr, sub))
                continue
            train = _emit(Train, eth, ipr, sub)
            train._describe(size, h, len(sub.payload))
            out.append(train)
        return out

    def coalesce(self, other: Train) -> bool:
        """Append ``other``'s pieces to this train if it continues it exactly; return whether.

        As GRO joins segments: only when ``other`` carries the next octets of the same
        connection with the same headers but for the sequence number (the same addresses,
        ports, ACK, window, options and timestamps, flags; this train without PSH, FIN or
        CWR, ``other`` without CWR, its PSH and FIN going to the last piece), every
        piece of this train is full (so the pieces of both stay the same frames), and the
        joined IP packet is at most 65535 octets. The IP length and the checksums are
        rewritten; the pieces, counts and lengths are those of both trains together. This
        train changes in place: only its one owner (the queue that holds it) may join it.
        """
        h = self.header_len
        size = self.size
        payload = len(self) - h
        if other.header_len != h or other.size != size or payload % size:
            return False
        if len(self) + len(other) - h - _ETH_LEN > MAX_IP_PACKET:
            return False
        v6 = self[_ETHERTYPE] == _ETHERTYPE_IPV6
        tcp_at = _ETH_LEN + ip_header_len(v6)
        if self[tcp_at + _FLAGS_AT] & _NOT_JOINED:
            return False
        mine = bytearray(self[:h])
        theirs = bytearray(other[:h])
        seq = _U32.unpack_from(mine, tcp_at + _SEQ_AT)[0]
        if _U32.unpack_from(theirs, tcp_at + _SEQ_AT)[0] != (seq + payload) & 0xFFFFFFFF:
            return False
        # Equal but for the fields that differ between pieces of one train anyway.
        for header in (mine, theirs):
            for at, length in (_IPV6_VARIES if v6 else _IPV4_VARIES) + (
                (tcp_at + _SEQ_AT, 4),
                (tcp_at + _TCP_CHECKSUM_AT, 2),
            ):
                header[at : at + length] = bytes(length)
        # PSH and FIN of the second go to the last piece of both: the same place.
        theirs[tcp_at + _FLAGS_AT] &= ~_LAST_ONLY & 0xFF
        if mine != theirs:
            return False
        self[tcp_at + _FLAGS_AT] = other[tcp_at + _FLAGS_AT]
        self.extend(memoryview(other)[h:])
        # The IP length first, so that parsing takes in both payloads.
        ip_len = len(self) - _ETH_LEN
        at, _ = (_IPV6_VARIES if v6 else _IPV4_VARIES)[0]
        _U16.pack_into(self, at, ip_len - _IPV6_LEN if v6 else ip_len)
        ipr, seg = self._parse()
        joined = _emit(bytearray, bytes(self[:_ETH_LEN]), ipr, seg)
        del seg  # its payload is a view of this train, which is now rewritten
        self[:] = joined
        self._describe(size, h, len(self) - h)
        return True

    def copy(self) -> Train:
        """Return a new train of the same octets and pieces (one a port may own)."""
        train = Train(self)
        train._describe(self.size, self.header_len, len(self) - self.header_len)
        return train

    def _describe(self, size: int, header_len: int, payload: int) -> None:
        # The pieces of ``payload`` octets cut at ``size``, each with ``header_len`` octets
        # of headers: every count and length the train stands for follows from these.
        frames = -(-payload // size)
        self.size = size
        self.frames = frames
        self.header_len = header_len
        self.piece_max = header_len + min(size, payload)
        self.wire_len = frames * header_len + payload

    def _parse(self) -> tuple[Ipv4Repr | Ipv6Repr, TcpRepr]:
        return _parse(self, self[_ETHERTYPE] == _ETHERTYPE_IPV6)


def _parse(frame: bytearray, v6: bool) -> tuple[Ipv4Repr | Ipv6Repr, TcpRepr]:
    """Return the IP and TCP representations of ``frame``, a TCP segment over IPv6 if
    ``v6`` else IPv4, checksums unchecked; raise `MalformedPacket` if it is not one."""
    view = memoryview(frame)
    ipr: Ipv4Repr | Ipv6Repr
    ipr = (
        Ipv6Repr.parse_buffer(view[_ETH_LEN:])
        if v6
        else Ipv4Repr.parse_buffer(view[_ETH_LEN:], _NO_VERIFY)
    )
    tcp_at = _ETH_LEN + ip_header_len(v6)
    seg = TcpRepr.parse_buffer(
        view[tcp_at : tcp_at + ipr.payload_len], ipr.src_addr, ipr.dst_addr, _NO_VERIFY
    )
    return ipr, seg


_F = TypeVar("_F", bytearray, Train)


def _emit(kind: type[_F], eth: bytes, ipr: Ipv4Repr | Ipv6Repr, seg: TcpRepr) -> _F:
    """Return a new frame of ``kind``: ``eth``, ``ipr`` sized for ``seg``, ``seg``, with valid
    checksums."""
    tcp_at = _ETH_LEN + ip_header_len(type(ipr) is Ipv6Repr)
    plen = seg.buffer_len()
    frame = kind(tcp_at + plen)
    buf = memoryview(frame)
    buf[:_ETH_LEN] = eth
    ipr._replace(payload_len=plen).emit_buffer(buf[_ETH_LEN:], _COMPUTE, _header_sum)
    seg.emit_buffer(buf[tcp_at:], ipr.src_addr, ipr.dst_addr, _COMPUTE, internet_sum)
    buf.release()
    return frame


def make_train(frame: Train, ip_mtu: int) -> bool:
    """Describe ``frame``, a super-segment written by a card of IP MTU ``ip_mtu``, as a train.

    Set its ``size`` (the MSS it is cut at: ``ip_mtu`` less its IP and TCP headers),
    ``frames``, ``header_len``, ``piece_max`` and ``wire_len``. Return False if it is not a
    TCP segment over IPv4 or IPv6 that TSO may cut (a SYN or RST, anything else, a malformed
    header, octets beyond the IP packet, TCP options the segmentation would not write back
    as they are, or headers that leave no room for payload in ``ip_mtu``): such a frame stays
    an oversized frame, which the port drops and counts, as a NIC drops what it cannot
    segment.
    """
    ethertype = frame[_ETHERTYPE]
    v6 = ethertype == _ETHERTYPE_IPV6
    if not v6 and ethertype != _ETHERTYPE_IPV4:
        return False
    try:
        ipr, seg = _parse(frame, v6)
    except MalformedPacket:
        return False
    if ipr.next_header != _PROTO_TCP:
        return False
    ip_len = ip_header_len(v6)
    if type(ipr) is Ipv4Repr:
        if ipr.more_frags or ipr.frag_offset:
            return False
        ihl = frame[_ETH_LEN + _ipv4_layout.HEADER_LEN_AT] & _ipv4_layout.HEADER_LEN_OCTET_MASK
        if ihl * _ipv4_layout.HEADER_LEN_UNIT != ip_len:
            return False  # IP options: the stack sends none, and pieces would lose them
    if not can_cut(seg):
        return False
    tcp_at = _ETH_LEN + ip_len
    payload = len(seg.payload)
    tcp_header = ipr.payload_len - payload
    # The pieces are emitted from the parsed header: it must give back the header as it is
    # (options it does not keep or pads otherwise would change every length), and the frame
    # must end with the IP packet (the lengths are taken from the frame's).
    if tcp_header != seg.buffer_len() - payload or len(frame) != tcp_at + ipr.payload_len:
        return False
    size = ip_mtu - ip_len - tcp_header
    if size <= 0 or payload == 0:
        return False
    frame._describe(size, tcp_at + tcp_header, payload)
    return True
