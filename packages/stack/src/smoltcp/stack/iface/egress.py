"""Egress: from a socket's or the interface's packet to a frame in the device's buffer.

`Egress` owns the device's transmit side for one poll: the transmit token, the dispatch loop
over the socket set's active sockets, the writing of Ethernet, ARP and IP headers and the
payload straight into the token's buffer (the payload is copied once), software segmentation
of TCP super-segments (`smoltcp.stack.iface.gso`) and the queue of packets ready but not yet
sent (resolved by address resolution, or GSO pieces the device had no room for), which goes
before anything else. A packet whose next hop's hardware address is unknown goes to
`AddressResolution`, which `Egress` owns (`resolution`).
"""

from __future__ import annotations

import logging
import struct
from collections import deque
from typing import Union

from smoltcp.stack.device import Device, TxToken
from smoltcp.stack.kernels import SMALL_SUM_THRESHOLD as _SMALL_SUM
from smoltcp.stack.log import TRACE
from smoltcp.stack.socket.set import SocketSet
from smoltcp.stack.tcp.seq import int_add as _int_add
from smoltcp.stack.time import Instant
from smoltcp.wire import ChecksumCapabilities, EthernetAddress, Ipv4Address, TcpSeqNumber
from smoltcp.wire.arp import ArpOperation, ArpRepr
from smoltcp.wire.capabilities import COMPUTE_TX
from smoltcp.wire.checksum import InternetSum
from smoltcp.wire.checksum import internet_sum as _header_sum
from smoltcp.wire.icmpv4 import Icmpv4Repr
from smoltcp.wire.icmpv6 import Icmpv6Repr
from smoltcp.wire.ip import IpRepr, ip_repr
from smoltcp.wire.ipv4 import IpProtocol, Ipv4Repr
from smoltcp.wire.ipv6 import Ipv6Repr
from smoltcp.wire.layout import arp as _arp_layout
from smoltcp.wire.layout import ethernet as _eth_layout
from smoltcp.wire.layout import ipv4 as _ipv4_layout
from smoltcp.wire.layout import ipv6 as _ipv6_layout
from smoltcp.wire.layout import tcp as _tcp_layout
from smoltcp.wire.ndp import NdpRepr
from smoltcp.wire.tcp import TcpControl, TcpRepr
from smoltcp.wire.udp import UdpRepr

from .context import Context
from .counters import Counters
from .fragmenter import Fragmenter, send_fragmented
from .gso import PieceWriter, can_cut, ip_header_len, piece, piece_at, pieces, pseudo_sum
from .neighbor import NeighborCache
from .pmtu import PathMtuCache
from .resolution import AddressResolution
from .route import Routes

__all__ = ["Egress", "Payload"]

log = logging.getLogger("smoltcp.stack.iface")

Payload = Union[TcpRepr, UdpRepr, Icmpv4Repr, Icmpv6Repr, NdpRepr, bytes, bytearray, memoryview]  # noqa: UP007 (a runtime alias)
"""What follows an IP header: a transport representation, or the octets themselves."""

_ETH_HEADER = _eth_layout.WORDS
_ETH_LEN = _eth_layout.HEADER_LEN
_IPV4_LEN = _ipv4_layout.HEADER_LEN
_IPV6_LEN = _ipv6_layout.HEADER_LEN
_ETHERTYPE_IPV6 = int(_eth_layout.EthernetProtocol.IPV6)
_ETHERTYPE_IPV4 = int(_eth_layout.EthernetProtocol.IPV4)
_ETHERTYPE_ARP = int(_eth_layout.EthernetProtocol.ARP)
_IPV6_VERSION_SHIFT = _ipv6_layout.VERSION_OCTET_SHIFT
_ARP_FRAME_LEN = _ETH_LEN + _arp_layout.HEADER_LEN
# What sockets emit besides raw octets (each knows its buffer_len).
_REPRS = (TcpRepr, UdpRepr, Icmpv4Repr, Icmpv6Repr, NdpRepr)
# A socket that keeps returning True from dispatch must not hold the interface forever.
_MAX_DISPATCH_PER_SOCKET = 4096
_tuple_new = tuple.__new__
_U32 = struct.Struct("!I")
_U16 = struct.Struct("!H")
# The octet of the TCP header with CWR, PSH and FIN (`_fill_last` sets a last piece's), and
# the bits of each control a super-segment may carry there (see `gso.can_cut`).
_TCP_FLAGS_LOW_AT = _tcp_layout.CWR_AT
if not _tcp_layout.PSH_AT == _tcp_layout.FIN_AT == _TCP_FLAGS_LOW_AT:
    raise ImportError("TCP's CWR, PSH and FIN moved apart")
_TCP_CWR = _tcp_layout.CWR_OCTET_MASK
_TCP_CONTROL_BITS = {
    TcpControl.NONE: 0,
    TcpControl.PSH: _tcp_layout.PSH_OCTET_MASK,
    TcpControl.FIN: _tcp_layout.FIN_OCTET_MASK,
}
# Where the IP representations keep the payload length (`_send_gso` builds them positionally).
_PAYLOAD_LEN_AT = Ipv4Repr._fields.index("payload_len")
if Ipv6Repr._fields.index("payload_len") != _PAYLOAD_LEN_AT:
    raise ImportError(f"IP representations' fields moved: {Ipv6Repr._fields}")


def _with_payload_len(ipr: IpRepr, payload_len: int) -> IpRepr:
    # ``ipr._replace(payload_len=...)``, built positionally: _replace builds a dict per call.
    built: IpRepr = _tuple_new(
        type(ipr), (*ipr[:_PAYLOAD_LEN_AT], payload_len, *ipr[_PAYLOAD_LEN_AT + 1 :])
    )
    return built


# The frame being written by a token's consume, one typed slot per kind of frame (a consume
# calls its fill function back at once; the slots go back to these placeholders after a poll).
_IpOut = tuple[IpRepr, Payload, Union[bytes, None]]  # noqa: UP007
_ArpOut = tuple[ArpRepr, bytes]
_ReadyOut = tuple[Union[bytes, None], bytearray]  # noqa: UP007
_NO_ADDR = Ipv4Address(0)
_NO_MAC = EthernetAddress(b"\x00" * 6)
_NO_IP_OUT: _IpOut = (ip_repr(_NO_ADDR, _NO_ADDR, IpProtocol.UDP, 0, 0), b"", None)
_TcpOut = tuple[IpRepr, TcpRepr, Union[bytes, None]]  # noqa: UP007
_NO_ARP_OUT: _ArpOut = (ArpRepr(ArpOperation.REQUEST, _NO_MAC, _NO_ADDR, _NO_MAC, _NO_ADDR), b"")
_NO_READY_OUT: _ReadyOut = (None, bytearray())
_NO_SEGMENT = TcpRepr(0, 0, TcpControl.NONE, TcpSeqNumber(0), None, 0)
_NO_TCP_OUT: _TcpOut = (_NO_IP_OUT[0], _NO_SEGMENT, None)
_NO_LAST_OUT: tuple[IpRepr, TcpRepr, int, bool] = (_NO_IP_OUT[0], _NO_SEGMENT, 0, False)
_NO_HEAD: tuple[IpRepr | None, bytes | None, bytes | None, bytes] = (None, None, None, b"")


class Egress:
    """The transmit side of one interface (built by `Interface`, driven by its `poll`).

    `begin` starts a poll (time, device, tracing), `end` ends it; in between `dispatch`
    visits the active sockets and `send_ip`, `send_arp` and `send_ipv6` send the interface's
    own packets. Each send returns whether the packet went out (or waits for resolution or
    room), counts frames in ``counters.sent`` and drops in ``counters.dropped``.
    """

    def __init__(
        self,
        device: Device,
        context: Context,
        counters: Counters,
        routes: Routes,
        neighbor_cache: NeighborCache,
        *,
        eth: bool,
        mac: bytes,
        ip_mtu: int,
        tso_size: int,
        gso: bool,
        caps: ChecksumCapabilities,
        csum: InternetSum,
        now: Instant,
    ) -> None:
        self._device = device
        self._cx = context
        self._counters = counters
        self._eth = eth
        self.mac = mac
        self._ip_mtu = ip_mtu
        self._tso_size = tso_size
        self.gso = gso
        self._caps = caps
        self._csum = csum
        self._now = now
        self._trace = False
        self._token: TxToken | None = None
        self._ip_out = _NO_IP_OUT
        self._tcp_out = _NO_TCP_OUT
        self._arp_out = _NO_ARP_OUT
        self._ready_out = _NO_READY_OUT
        # The first of two GSO pieces' headers, and what the last needs (`_fill_last`).
        self._first_head = b""
        self._last_out = _NO_LAST_OUT
        # The link and IP headers `_fill_tcp` wrote last, with the IP representation and the
        # link-layer addresses they were written for (kept across polls); and the IP header of
        # the GSO pieces `_send_gso` built last, with the super-segment's and the length.
        self._head = _NO_HEAD
        self._piece_ip: tuple[IpRepr, int, IpRepr] = (_NO_IP_OUT[0], -1, _NO_IP_OUT[0])
        # Packets ready but not yet sent, with their next hop's hardware address (None on an
        # IP medium): they go before anything else.
        self.ready: deque[_ReadyOut] = deque()
        self.resolution = AddressResolution(self, neighbor_cache, context, counters, routes, eth)
        # Datagrams larger than the path MTU leave in fragments (see `fragmentation`).
        self._fragmenter: Fragmenter | None = None
        self._pmtu: PathMtuCache | None = None

    def fragmentation(self, fragmenter: Fragmenter, pmtu: PathMtuCache) -> None:
        """Send datagrams (not TCP) larger than the path MTU that ``pmtu`` gives in fragments
        cut by ``fragmenter`` (`smoltcp.stack.iface.fragmenter`)."""
        self._fragmenter = fragmenter
        self._pmtu = pmtu

    def set_mac(self, mac: bytes) -> None:
        """Use ``mac`` as the source of every frame from now on."""
        self.mac = mac
        self._head = _NO_HEAD
        self.resolution.next_hops.own_mac = mac
        self.resolution.next_hops.clear()

    def begin(self, now: Instant, device: Device, trace: bool) -> None:
        """Start a poll at ``now`` on ``device`` (``trace``: log every frame sent)."""
        self._now = now
        self._device = device
        self._trace = trace
        self.resolution.begin(now)

    def end(self) -> None:
        """End a poll: give back the unused token and what the last frame referenced."""
        self._token = None
        self._ip_out = _NO_IP_OUT
        self._tcp_out = _NO_TCP_OUT
        self._first_head = b""
        self._last_out = _NO_LAST_OUT
        self._arp_out = _NO_ARP_OUT
        self._ready_out = _NO_READY_OUT

    def drop(self, reason: str) -> None:
        """Count (and log) a packet dropped for ``reason``."""
        self._counters.dropped[reason] += 1
        if log.isEnabledFor(logging.DEBUG):
            log.debug("drop: %s", reason)

    # -- the sockets --------------------------------------------------------------------------

    def dispatch(self, sockets: SocketSet) -> bool:
        """Let each active socket send until it has nothing more or the device is full.

        A socket is visited once per packet it sends and once more to find it has nothing
        left (`Socket.dispatch_poll`, whose answer then says when it next wants a visit).
        """
        did = False
        cx = self._cx
        now = self._now
        now_us = now.micros
        # `emit` without its frame of its own: this runs for every segment.
        emit = self.send_ip
        transmit = self._device.transmit
        visit = sockets.active_handles()
        for handle in visit:
            sock = sockets.get(handle)
            if sock is None:
                sockets.deactivate(handle)
                continue
            for _ in range(_MAX_DISPATCH_PER_SOCKET):
                if self.ready:
                    # GSO pieces wait for the device: nothing new goes before them.
                    did = self.flush_ready() or did
                    if self.ready:
                        return did
                if self._token is None:
                    token = transmit(now)
                    if token is None:
                        # The device is full: the rest stay active for the next poll.
                        return did
                    self._token = token
                at = sock.dispatch_poll(cx, now, emit)
                if at is not True:
                    break
                did = True
            else:
                at = sock.poll_at(cx)
            if at is None:
                sockets.deactivate(handle)
            elif at.micros > now_us:
                # A timer: sleep until then (or until woken) instead of a visit per poll.
                sockets.sleep(handle, at.micros)
        sockets.compact_active(len(visit))
        return did

    def emit(self, ipr: IpRepr, repr: Payload) -> None:
        """The ``emit`` sockets get: send one packet now, or queue it for resolution."""
        self.send_ip(ipr, repr)

    def _take_token(self) -> TxToken | None:
        token = self._token
        if token is not None:
            self._token = None
            return token
        return self._device.transmit(self._now)

    # -- IP -----------------------------------------------------------------------------------

    def send_ip(self, ipr: IpRepr, repr: Payload) -> bool:
        """Serialise ``ipr`` + ``repr`` into a frame and send it; return whether it went out.

        ``repr`` is a transport representation, or the payload octets themselves.
        """
        tcp = False
        if type(repr) is TcpRepr:
            # (Every segment TCP sends: its length without the isinstance walk.)
            tcp = True
            plen = repr.buffer_len()
        else:
            plen = repr.buffer_len() if isinstance(repr, _REPRS) else len(repr)
        if ipr.payload_len != plen:
            ipr = ipr._replace(payload_len=plen)
        v6 = type(ipr) is Ipv6Repr
        if v6 and self._cx.ipv6_disabled:
            self.drop("ipv6-disabled")  # RFC 4862 5.4.5 (see `Ipv6Host`)
            return False
        ip_len = (_IPV6_LEN if v6 else _IPV4_LEN) + plen
        if not tcp:
            pmtu = self._pmtu
            if (
                pmtu is not None
                and (ip_len > self._ip_mtu or pmtu)
                and not isinstance(repr, TcpRepr)
            ):
                # TCP never fragments (a subclass's segment neither); anything else larger
                # than the path MTU does.
                mtu = pmtu.get(ipr.dst_addr, self._ip_mtu, self._now.micros)
                if ip_len > mtu and self._fragmenter is not None:
                    return send_fragmented(self, self._fragmenter, ipr, repr, mtu, self._eth)
        gso = False
        if ip_len > self._ip_mtu:
            # (``type(repr) is TcpRepr``, the same as ``tcp``: it narrows ``repr`` for the
            # type checker without a `cast` call per super-segment.)
            if (
                type(repr) is TcpRepr
                and ip_len <= self._tso_size
                and (not self.gso or can_cut(repr))
            ):
                gso = self.gso
            else:
                # TCP never fragments (Don't Fragment is set): it sizes its segments from
                # Context.ip_mtu, so this is a bug somewhere; say what was dropped.
                self._counters.dropped["too-big"] += 1
                if log.isEnabledFor(logging.DEBUG):
                    log.debug("drop: too-big: %d octets > IP MTU %d: %s", ip_len, self._ip_mtu, ipr)
                return False
        dst_mac = None
        if self._eth:
            hw = self.resolution.hardware_for(ipr.dst_addr)
            if hw is None:
                return False
            if not isinstance(hw, bytes):
                # Unresolved: ``hw`` is the next hop, which the packet waits for.
                if gso and type(repr) is TcpRepr:
                    size = self._piece_size(ipr, repr)
                    if size <= 0:
                        self.drop("too-big")
                        return False
                    for part in pieces(repr, size):
                        self.resolution.enqueue(hw, self.serialise(ipr, part))
                    return False
                self.resolution.enqueue(hw, self.serialise(ipr, repr))
                return False
            dst_mac = hw
        # (``type(repr) is TcpRepr`` again below, not ``tcp``: the test narrows ``repr`` for
        # the type checker without a `cast` call per packet.)
        if gso and type(repr) is TcpRepr:
            return self._send_gso(ipr, repr, dst_mac, plen)
        token = self._take_token()
        if token is None:
            self.drop("device-busy")
            return False
        length = ip_len if dst_mac is None else _ETH_LEN + ip_len
        if type(repr) is TcpRepr:
            self._tcp_out = (ipr, repr, dst_mac)
            token.consume(length, self._fill_tcp)
        else:
            self._ip_out = (ipr, repr, dst_mac)
            token.consume(length, self._fill)
        self._counters.sent += 1
        if self._trace:
            what = repr if type(repr) is not bytes else f"{len(repr)} octets"
            log.log(TRACE, "tx %s %s", ipr, what)
        return True

    def _piece_size(self, ipr: IpRepr, seg: TcpRepr) -> int:
        """The payload octets of each GSO piece of ``seg`` (not positive: it cannot be cut)."""
        ip_len = ip_header_len(type(ipr) is Ipv6Repr)
        return self._ip_mtu - ip_len - (seg.buffer_len() - len(seg.payload))

    def _send_gso(
        self, ipr: Ipv4Repr | Ipv6Repr, seg: TcpRepr, dst_mac: bytes | None, seg_len: int
    ) -> bool:
        """Send the TCP super-segment ``seg`` as segments that fit the IP MTU (software GSO).

        The pieces (`smoltcp.stack.iface.gso`) go out back to back. Every piece but the last
        is written by one `PieceWriter` when there are at least two of them (building the
        writer costs about what writing one piece the ordinary way does); the last piece (it
        carries PSH or FIN, and may be shorter), a first piece with CWR, the first of a
        super-segment of two pieces and every piece while frames are traced are written the
        ordinary way. The last of two pieces is written from the headers of the first, kept
        as they were written (`_fill_first`, `_fill_last`), when the device wrote the first.
        When the device runs out of room part-way, the rest wait,
        serialised, in the queue of ready packets and go first at the next poll: TCP has
        handed over the whole super-segment and is not told. Return whether any piece went
        out or waits.
        """
        total = len(seg.payload)
        v6 = type(ipr) is Ipv6Repr
        ip_head = _IPV6_LEN if v6 else _IPV4_LEN
        # Every piece carries the super-segment's TCP header, options and all (``seg_len``:
        # the super-segment's `buffer_len`, which `send_ip` has measured).
        tcp_head = seg_len - total
        size = self._ip_mtu - ip_head - tcp_head  # as `_piece_size` says
        if size <= 0:
            self.drop("too-big")
            return False
        # The link and IP headers in front of each piece's TCP segment.
        headers = (0 if dst_mac is None else _ETH_LEN) + ip_head
        last = (total - 1) // size * size  # where the last piece starts
        # Trace, or too few pieces for a writer to pay: every piece the ordinary way.
        plain = self._trace or last < 2 * size
        # Two pieces (not traced): the last is written from the first's headers.
        twin = last == size and not self._trace
        counters = self._counters
        writer: PieceWriter | None = None  # built for the first middle piece
        offset = 0
        while offset < total:
            # (`_take_token`, inlined: once per piece.)
            token = self._token
            if token is not None:
                self._token = None
            else:
                token = self._device.transmit(self._now)
            if token is None:
                # The device is full: the rest go first at the next poll.
                for part in pieces(seg, size, offset):
                    self.ready.append((dst_mac, self.serialise(ipr, part)))
                return True
            # (Without the first piece's headers, when the device dropped it unwritten, the
            # last goes the ordinary way.)
            if twin and offset and self._first_head:
                self._last_out = (ipr, seg, size, dst_mac is None)
                token.consume(headers + tcp_head + total - size, self._fill_last)
                counters.sent += 1
                break
            if plain or offset == last or (offset == 0 and seg.cwr):
                part = piece(seg, size, offset)
                plen = tcp_head + len(part.payload)
                # The same super-segment header and length as last time give the same piece
                # header object, which `_fill_tcp` then finds written already.
                piece_ip = self._piece_ip
                if piece_ip[0] is not ipr or piece_ip[1] != plen:
                    piece_ip = self._piece_ip = (ipr, plen, _with_payload_len(ipr, plen))
                self._tcp_out = (piece_ip[2], part, dst_mac)
                if twin and not offset:
                    self._first_head = b""
                    token.consume(headers + plen, self._fill_first)
                else:
                    token.consume(headers + plen, self._fill_tcp)
                if self._trace:
                    log.log(TRACE, "tx %s %s", self._tcp_out[0], part)
            else:
                if writer is None:
                    writer = PieceWriter(ipr, seg, dst_mac, self.mac, size, self._caps, self._csum)
                writer.offset = offset
                token.consume(writer.frame_len, writer.fill)
            counters.sent += 1
            offset += size
        return True

    def serialise(self, ipr: IpRepr, repr: Payload) -> bytearray:
        """Return ``repr`` in an IP packet of its own (to wait for resolution or the device)."""
        plen = repr.buffer_len() if isinstance(repr, _REPRS) else len(repr)
        if ipr.payload_len != plen:
            ipr = ipr._replace(payload_len=plen)
        packet = bytearray((_IPV6_LEN if type(ipr) is Ipv6Repr else _IPV4_LEN) + plen)
        self._write_ip(memoryview(packet), ipr, repr)
        return packet

    def _fill(self, buf: memoryview) -> None:
        ipr, repr, dst_mac = self._ip_out
        if dst_mac is not None:
            ethertype = _ETHERTYPE_IPV6 if type(ipr) is Ipv6Repr else _ETHERTYPE_IPV4
            _ETH_HEADER.pack_into(buf, 0, dst_mac, self.mac, ethertype)
            buf = buf[_ETH_LEN:]
        self._write_ip(buf, ipr, repr)

    def _fill_tcp(self, buf: memoryview) -> None:
        # `_fill` for a TcpRepr (every segment TCP sends): `_write_ip`'s TCP case, inlined.
        ipr, seg, dst_mac = self._tcp_out
        v6 = type(ipr) is Ipv6Repr
        caps = self._caps
        head_ipr, head_mac, head_own, head = self._head
        if ipr is head_ipr and dst_mac is head_mac and self.mac is head_own:
            # The same IP header object (a connection's `ip_repr` hands the last one back
            # while the length stays) between the same link-layer addresses: the same octets
            # (the representations are immutable, and so are the checksum settings).
            at = len(head)
            buf[:at] = head
        else:
            ip_buf = buf
            if dst_mac is not None:
                _ETH_HEADER.pack_into(
                    buf, 0, dst_mac, self.mac, _ETHERTYPE_IPV6 if v6 else _ETHERTYPE_IPV4
                )
                ip_buf = buf[_ETH_LEN:]
            ipr.emit_buffer(ip_buf, caps, _header_sum)
            at = len(buf) - len(ip_buf) + (_IPV6_LEN if v6 else _IPV4_LEN)
            self._head = (ipr, dst_mac, self.mac, buf[:at].tobytes())
        # A short segment (a pure ACK) with wire's reference sum, which emit_buffer inlines,
        # as for the IP header and as ingress does: the same checksum, without a kernel call.
        src, dst = ipr[:2]  # (the addresses by position: no property per segment)
        seg.emit_buffer(
            buf[at:],
            src,
            dst,
            caps,
            _header_sum if len(seg.payload) < _SMALL_SUM else self._csum,
        )

    def _fill_first(self, buf: memoryview) -> None:
        # The first of two pieces: kept, headers only, for the last (`_fill_last`).
        self._fill_tcp(buf)
        self._first_head = buf[: len(buf) - len(self._tcp_out[1].payload)].tobytes()

    def _fill_last(self, buf: memoryview) -> None:
        # The last of two pieces, from the first's headers (`_fill_first`): the same link,
        # IP and TCP headers but for the IP length (a shorter last piece), the sequence
        # number, the flags (PSH and FIN only on the last piece, CWR only on the first) and
        # the TCP checksum, patched here as `gso.PieceWriter` patches a middle piece.
        ipr, seg, size, ip_medium = self._last_out
        head = self._first_head
        at = len(head)
        buf[:at] = head
        payload = seg.payload
        rest = len(payload) - size
        v6 = type(ipr) is Ipv6Repr
        l2 = 0 if ip_medium else _ETH_LEN
        tcp_at, seq_at, sum_at = piece_at(v6, ip_medium)
        tcp_len = len(buf) - tcp_at
        if rest != size:
            # A shorter piece: its own IP length (and IPv4 checksum).
            _with_payload_len(ipr, tcp_len).emit_buffer(buf[l2:tcp_at], self._caps, _header_sum)
        _U32.pack_into(buf, seq_at, _int_add(seg.seq_number, size) & 0xFFFFFFFF)
        flags_at = tcp_at + _TCP_FLAGS_LOW_AT
        buf[flags_at] = head[flags_at] & ~_TCP_CWR | _TCP_CONTROL_BITS[seg.control]
        buf[at:] = payload[size:]
        if self._caps.tcp in COMPUTE_TX:  # (`Checksum.tx` without its method call)
            buf[sum_at] = buf[sum_at + 1] = 0
            pseudo = pseudo_sum(ipr.src_addr, ipr.dst_addr, tcp_len)
            _U16.pack_into(buf, sum_at, ~self._csum(buf[tcp_at:], pseudo) & 0xFFFF)

    def _write_ip(self, buf: memoryview, ipr: IpRepr, repr: Payload) -> None:
        """Write the IP header and ``repr`` into ``buf`` (exactly the IP packet's length)."""
        caps = self._caps
        csum = self._csum
        # emit_buffer: emit without the view objects (the per-packet path). The IPv4 header
        # with wire's reference sum, which emit_buffer inlines: faster than a kernel call
        # over 20 octets, and the same checksum.
        ipr.emit_buffer(buf, caps, _header_sum)
        body = buf[_IPV6_LEN if type(ipr) is Ipv6Repr else _IPV4_LEN :]
        if isinstance(repr, (TcpRepr, UdpRepr, Icmpv6Repr, NdpRepr)):
            repr.emit_buffer(body, ipr.src_addr, ipr.dst_addr, caps, csum)
        elif isinstance(repr, Icmpv4Repr):
            repr.emit_buffer(body, caps, csum)
        else:
            body[:] = repr

    # -- IPv6 answers straight to a link-layer address ----------------------------------------

    def send_ipv6(
        self, ipr: Ipv6Repr, message: Icmpv6Repr | NdpRepr | bytes, dst_mac: bytes | None
    ) -> bool:
        """Send ``ipr`` + an ICMPv6 ``message`` (or the octets after the header, written
        already: an MLD report behind its hop-by-hop header) to ``dst_mac`` (None: IP medium),
        bypassing the next hop and its resolution (answers, solicitations, reports)."""
        if self._cx.ipv6_disabled:
            self.drop("ipv6-disabled")  # RFC 4862 5.4.5 (see `Ipv6Host`)
            return False
        if self._eth and dst_mac is None:
            self.drop("no-link-layer-address")
            return False
        mlen = len(message) if isinstance(message, bytes) else message.buffer_len()
        if (
            _IPV6_LEN + mlen > self._ip_mtu
            and self._fragmenter is not None
            and not isinstance(message, bytes)  # MLD reports are small
        ):
            # An echo reply to a large (reassembled) request: in fragments (`fragmenter`).
            mac = dst_mac if self._eth else None
            return send_fragmented(
                self, self._fragmenter, ipr, message, self._ip_mtu, self._eth, mac
            )
        token = self._take_token()
        if token is None:
            self.drop("device-busy")
            return False
        length = _IPV6_LEN + mlen
        if self._eth:
            length += _ETH_LEN
        else:
            dst_mac = None  # an IP medium has no link-layer header, whatever NDP said
        self._ip_out = (ipr, message, dst_mac)
        token.consume(length, self._fill)
        self._counters.sent += 1
        if self._trace:
            log.log(TRACE, "tx %s %s", ipr, message)
        return True

    # -- ARP ----------------------------------------------------------------------------------

    def send_arp(self, arp: ArpRepr, dst_mac: bytes) -> bool:
        """Send ``arp`` in an Ethernet frame to ``dst_mac``; return whether it went out."""
        token = self._take_token()
        if token is None:
            self.drop("device-busy")
            return False
        self._arp_out = (arp, dst_mac)
        token.consume(_ARP_FRAME_LEN, self._fill_arp)
        self._counters.sent += 1
        if self._trace:
            log.log(TRACE, "tx %s", arp)
        return True

    def _fill_arp(self, buf: memoryview) -> None:
        arp, dst_mac = self._arp_out
        _ETH_HEADER.pack_into(buf, 0, dst_mac, self.mac, _ETHERTYPE_ARP)
        arp.emit_buffer(buf[_ETH_LEN:])

    # -- the queue of ready packets -----------------------------------------------------------

    def drop_ready_ipv6(self) -> int:
        """Drop the IPv6 packets of the ready queue (IPv6 was disabled, RFC 4862 5.4.5), each
        counted as an ``ipv6-disabled`` drop; return how many."""
        ready = self.ready
        keep = [r for r in ready if r[1][0] >> _IPV6_VERSION_SHIFT != 6]
        gone = len(ready) - len(keep)
        if gone:
            ready.clear()
            ready.extend(keep)
            self._counters.dropped["ipv6-disabled"] += gone
        return gone

    def flush_ready(self) -> bool:
        """Send the ready packets the device has room for; return whether any went out."""
        did = False
        ready = self.ready
        while ready:
            token = self._take_token()
            if token is None:
                return did
            self._ready_out = mac, packet = ready.popleft()
            length = len(packet) if mac is None else _ETH_LEN + len(packet)
            token.consume(length, self._fill_ready)
            self._counters.sent += 1
            did = True
        return did

    def _fill_ready(self, buf: memoryview) -> None:
        mac, packet = self._ready_out
        if mac is None:
            buf[:] = packet
            return
        v6 = packet[0] >> _IPV6_VERSION_SHIFT == 6
        _ETH_HEADER.pack_into(buf, 0, mac, self.mac, _ETHERTYPE_IPV6 if v6 else _ETHERTYPE_IPV4)
        buf[_ETH_LEN:] = packet
