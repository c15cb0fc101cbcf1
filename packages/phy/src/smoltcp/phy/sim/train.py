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
`smoltcp.phy.sim.link`).
"""

from __future__ import annotations

from smoltcp.stack.iface.gso import can_cut, ip_header_len, pieces
from smoltcp.stack.kernels import internet_sum
from smoltcp.wire import ChecksumCapabilities, Ipv4Repr, TcpRepr
from smoltcp.wire.checksum import internet_sum as _header_sum
from smoltcp.wire.errors import MalformedPacket
from smoltcp.wire.ipv6 import Ipv6Repr
from smoltcp.wire.layout import ethernet as _eth_layout

__all__ = ["Train", "make_train"]

_ETH_LEN = _eth_layout.HEADER_LEN
_ETHERTYPE_IPV4 = int(_eth_layout.EthernetProtocol.IPV4).to_bytes(2, "big")
_ETHERTYPE_IPV6 = int(_eth_layout.EthernetProtocol.IPV6).to_bytes(2, "big")
_ETHERTYPE = _eth_layout.ETHERTYPE
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
        v6 = self[_ETHERTYPE] == _ETHERTYPE_IPV6
        ip_len = ip_header_len(v6)
        view = memoryview(self)
        ipr: Ipv4Repr | Ipv6Repr
        ipr = (
            Ipv6Repr.parse_buffer(view[_ETH_LEN:])
            if v6
            else Ipv4Repr.parse_buffer(view[_ETH_LEN:], _NO_VERIFY)
        )
        tcp_at = _ETH_LEN + ip_len
        seg = TcpRepr.parse_buffer(
            view[tcp_at : tcp_at + ipr.payload_len], ipr.src_addr, ipr.dst_addr, _NO_VERIFY
        )
        eth = bytes(view[:_ETH_LEN])
        out = []
        for part in pieces(seg, self.size):
            plen = part.buffer_len()
            frame = bytearray(tcp_at + plen)
            buf = memoryview(frame)
            buf[:_ETH_LEN] = eth
            ipr._replace(payload_len=plen).emit_buffer(buf[_ETH_LEN:], _COMPUTE, _header_sum)
            part.emit_buffer(buf[tcp_at:], ipr.src_addr, ipr.dst_addr, _COMPUTE, internet_sum)
            out.append(frame)
        return out


def make_train(frame: Train, ip_mtu: int) -> bool:
    """Describe ``frame``, a super-segment written by a card of IP MTU ``ip_mtu``, as a train.

    Set its ``size`` (the MSS it is cut at: ``ip_mtu`` less its IP and TCP headers),
    ``frames``, ``header_len``, ``piece_max`` and ``wire_len``. Return False if it is not a
    TCP segment over IPv4 or IPv6 that TSO may cut (a SYN or RST, anything else, a malformed
    header, or headers that leave no room for payload in ``ip_mtu``): such a frame stays an
    oversized frame, which every port drops, as a NIC drops what it cannot segment.
    """
    view = memoryview(frame)
    ethertype = frame[_ETHERTYPE]
    v6 = ethertype == _ETHERTYPE_IPV6
    if not v6 and ethertype != _ETHERTYPE_IPV4:
        return False
    try:
        ipr: Ipv4Repr | Ipv6Repr
        ipr = (
            Ipv6Repr.parse_buffer(view[_ETH_LEN:])
            if v6
            else Ipv4Repr.parse_buffer(view[_ETH_LEN:], _NO_VERIFY)
        )
        if ipr.next_header != 6:
            return False
        if type(ipr) is Ipv4Repr and (ipr.more_frags or ipr.frag_offset):
            return False
        ip_len = ip_header_len(v6)
        if not v6 and view[_ETH_LEN] & 0x0F != ip_len // 4:
            return False  # IP options: the stack sends none, and pieces would lose them
        tcp_at = _ETH_LEN + ip_len
        seg = TcpRepr.parse_buffer(
            view[tcp_at : tcp_at + ipr.payload_len], ipr.src_addr, ipr.dst_addr, _NO_VERIFY
        )
    except MalformedPacket:
        return False
    if not can_cut(seg):
        return False
    payload = len(seg.payload)
    tcp_header = ipr.payload_len - payload
    size = ip_mtu - ip_len - tcp_header
    if size <= 0 or payload == 0:
        return False
    count = -(-payload // size)
    header_len = tcp_at + tcp_header
    frame.size = size
    frame.frames = count
    frame.header_len = header_len
    frame.piece_max = header_len + min(size, payload)
    frame.wire_len = count * header_len + payload
    return True
