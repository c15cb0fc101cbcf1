"""Ingress: from a received frame to the socket it is for, or to the interface's own answer.

Every look-up is a dictionary access keyed as DESIGN.md section 2 says, so the cost of a
packet does not depend on the number of sockets. Malformed input raises `MalformedPacket`
inside the wire views and representations; `Ingress.process_frame` catches it per frame and
counts it, so nothing from the network ever escapes `Interface.poll`. This module holds
Ethernet, ARP (RFC 826), IPv4, UDP, TCP (with GRO) and ICMPv4; IPv6 is `ipv6.Ipv6Ingress`.
"""

from __future__ import annotations

import logging
import struct
import weakref
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from smoltcp.stack.kernels import SMALL_SUM_THRESHOLD as _SMALL_SUM
from smoltcp.stack.log import TRACE
from smoltcp.stack.socket.base import Socket
from smoltcp.stack.socket.set import ANY_TCP_KEY, ANY_UDP_KEY, SocketSet
from smoltcp.stack.tcp.demux import listen_key
from smoltcp.stack.time import Instant
from smoltcp.wire import (
    Checksum,
    ChecksumCapabilities,
    IpAddress,
    MalformedPacket,
    UnsupportedPacket,
)
from smoltcp.wire.arp import ArpOperation, ArpRepr
from smoltcp.wire.checksum import InternetSum
from smoltcp.wire.checksum import internet_sum as _header_sum
from smoltcp.wire.ethernet import EthernetFrame
from smoltcp.wire.icmpv4 import Icmpv4DstUnreachable, Icmpv4Message, Icmpv4Repr
from smoltcp.wire.icmpv6 import Icmpv6Repr
from smoltcp.wire.igmp import IgmpRepr
from smoltcp.wire.ip import IpRepr, ip_repr
from smoltcp.wire.ipv4 import IpProtocol, Ipv4Repr
from smoltcp.wire.layout import ethernet as _eth_layout
from smoltcp.wire.layout import ipv4 as _ipv4_layout
from smoltcp.wire.tcp import TcpControl, TcpRepr, TcpSeqNumber
from smoltcp.wire.udp import UdpRepr

from .arp_filter import arp_may_create, arp_refusal
from .egress import Egress
from .fragment import reassemble_ipv4
from .gro import Aggregator, can_start
from .icmp_errors import IcmpErrors
from .ipv6 import Ipv6Ingress
from .pmtu import on_icmp_error
from .transparent import accepts_any_destination

if TYPE_CHECKING:
    from .interface import Interface

__all__ = ["Ingress", "tcp_rst_reply"]

log = logging.getLogger("smoltcp.stack.iface")

_ETH_HEADER = _eth_layout.WORDS
_ETH_LEN = _eth_layout.HEADER_LEN
_BROADCAST_MAC = b"\xff" * 6
_ETHERTYPE_IPV4 = int(_eth_layout.EthernetProtocol.IPV4)
_ETHERTYPE_ARP = int(_eth_layout.EthernetProtocol.ARP)
_ETHERTYPE_IPV6 = int(_eth_layout.EthernetProtocol.IPV6)
_IHL_AT = _ipv4_layout.HEADER_LEN_AT
_IHL_MASK = _ipv4_layout.HEADER_LEN_OCTET_MASK
_IHL_UNIT = _ipv4_layout.HEADER_LEN_UNIT
_U16 = struct.Struct("!H")

_UDP = IpProtocol.UDP
_TCP = IpProtocol.TCP
_ICMP = IpProtocol.ICMP
_IGMP = IpProtocol.IGMP
_RST = TcpControl.RST
_PSH = TcpControl.PSH


def _no_rx(checksum: Checksum) -> Checksum:
    """Return ``checksum`` without its receive-side verification."""
    return Checksum.TX if checksum.tx() else Checksum.NONE


_ECHO_REQUEST = Icmpv4Message.ECHO_REQUEST
_ECHO_REPLY = Icmpv4Message.ECHO_REPLY
# ICMP errors that quote the offending datagram (RFC 792), delivered to "udp" ICMP sockets.
_QUOTING = frozenset(
    (Icmpv4Message.DST_UNREACHABLE, Icmpv4Message.TIME_EXCEEDED, Icmpv4Message.PARAM_PROBLEM)
)
_EMPTY: tuple[Socket, ...] = ()
# ``rx_packet`` outside a poll: nothing (one empty view, shared, rather than one per poll).
_NO_PACKET = memoryview(b"")
# The per-packet parsers that build no view objects (same checks and errors as parse(View)).
_parse_ipv4 = Ipv4Repr.parse_buffer
_parse_tcp = TcpRepr.parse_buffer


def tcp_rst_reply(ipr: IpRepr, seg: TcpRepr, hop_limit: int = 64) -> tuple[IpRepr, TcpRepr] | None:
    """Return the RST answering ``seg`` when no connection exists, or None for a RST.

    RFC 9293 3.10.7.1 (CLOSED): a RST is never answered; if the segment has an ACK the reset
    takes its sequence number from the ACK field (<SEQ=SEG.ACK><CTL=RST>); otherwise
    <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, where SEG.LEN counts SYN and FIN.
    """
    if seg.control == _RST:
        return None
    if seg.ack_number is not None:
        seq, ack = seg.ack_number, None
    else:
        seq, ack = TcpSeqNumber(0), seg.seq_number + seg.segment_len()
    rst = TcpRepr(seg.dst_port, seg.src_port, _RST, seq, ack, 0)
    reply = ip_repr(ipr.dst_addr, ipr.src_addr, _TCP, rst.buffer_len(), hop_limit)
    return reply, rst


class Ingress:
    """The receive side of one interface (built by `Interface`, driven by its `poll`).

    `begin` starts a poll (time, socket set, tracing); then `process_frame` takes each frame
    the device holds and `deliver_held` hands over what GRO still holds. IPv6 packets go to
    `ipv6` (an `Ipv6Ingress`), which shares `process_udp` and `process_tcp`.
    """

    def __init__(
        self,
        iface: Interface,
        egress: Egress,
        errors: IcmpErrors,
        acd_arp: Callable[[bytes, IpAddress, IpAddress], bool],
        *,
        eth: bool,
        mac: bytes,
        caps: ChecksumCapabilities,
        csum: InternetSum,
        hop_limit: int,
        gro: Aggregator | None,
    ) -> None:
        self._cx = iface.context
        self._counters = iface.counters
        self._config = iface.config
        self._multicast = iface.multicast
        self._cache = iface.neighbor_cache
        self._acd = iface.acd
        # Weak: the interface owns this object (no cycle, so a dropped interface is freed at once).
        self._acd_arp = weakref.WeakMethod(acd_arp)
        self._egress = egress
        self._resolution = egress.resolution
        self._errors = errors
        self._eth = eth
        self.mac = mac
        self._caps = caps
        # For a frame whose device vouches for its TCP or UDP checksum (`checksum_valid`, set
        # by the interface per frame): the same capabilities without those two verifications.
        self._caps_valid = caps._replace(tcp=_no_rx(caps.tcp), udp=_no_rx(caps.udp))
        self.checksum_valid = False
        # Whether the device said no other frame waits behind the one being received (`last`,
        # set by the interface per frame, see RxToken): a TCP segment that would start an
        # aggregate then goes to its socket at once, as the end of the poll would hand it.
        self.last = False
        self._csum = csum
        self._hop_limit = hop_limit
        self._gro = gro
        self._now = iface.context.now
        self._now_us = self._now.micros
        # Outside a poll: an empty set of its own (nothing to wake).
        self._idle = SocketSet()
        self._sockets = self._idle
        self._demux: Mapping[Hashable, Sequence[Socket]] = {}
        self._trace = False
        self._ipv6_begun = False  # IPv6's part of this poll started (`_begin_ipv6`)
        self._l2_broadcast = False
        # The IP packet being received (quoted by an ICMP error about it).
        self.rx_packet = _NO_PACKET
        # Fragments waiting for the rest of their packet; what "too big" errors taught.
        self.reassembler = iface.reassembler
        self._pmtu = iface.pmtu
        self._ip_mtu = iface.context.ip_mtu
        # The octets of the context's addresses and subnet broadcasts (`_packed_sets`), and
        # the two sets they were taken from (recomputed when the context replaces either).
        self._addresses: frozenset[IpAddress] | None = None
        self._broadcasts: frozenset[IpAddress] | None = None
        self._our_octets: frozenset[bytes] = frozenset()
        self._broadcast_octets: frozenset[bytes] = frozenset()
        self.ipv6 = Ipv6Ingress(self, iface, egress, errors, eth=eth, caps=caps, csum=csum)

    def begin(self, now: Instant, sockets: SocketSet, trace: bool) -> None:
        """Start a poll at ``now`` for ``sockets`` (``trace``: log every packet received)."""
        self._now = now
        self._now_us = now.micros
        self._sockets = sockets
        self._demux = sockets.demux
        self._trace = trace
        self._ipv6_begun = False

    def _begin_ipv6(self) -> None:
        """Start IPv6's part of the poll, before its first IPv6 frame: a poll that receives
        only IPv4 pays nothing for it."""
        if not self._ipv6_begun:
            self._ipv6_begun = True
            self.ipv6.begin(self._now, self._sockets, self._trace)

    def end(self) -> None:
        """End a poll: forget the socket set and the last packet."""
        self._sockets = self._idle
        self.rx_packet = _NO_PACKET

    def process_frame(self, frame: memoryview) -> None:
        """Handle one received frame; count and log, never raise."""
        self._counters.received += 1
        try:
            if self._eth:
                self._process_ethernet(frame)
            elif len(frame) and frame[0] >> 4 == 6:
                self._begin_ipv6()
                self.ipv6.process(frame, None)
            else:
                self._process_ipv4(frame, None)
        except MalformedPacket as exc:
            if isinstance(exc, UnsupportedPacket):
                reason = "unsupported-" + exc.protocol
            elif exc.field == "checksum":
                reason = "checksum-" + exc.protocol
            else:
                reason = "malformed-" + exc.protocol
            self._counters.dropped[reason] += 1
            if log.isEnabledFor(logging.DEBUG):
                log.debug("drop: %s: %s", reason, exc)
        except Exception:
            # A bug must not take the whole stack down with one frame: count it, log it.
            self._counters.dropped["internal-error"] += 1
            log.warning("drop: unexpected error while handling a frame", exc_info=True)

    def drop(self, reason: str) -> None:
        """Count (and log) a packet dropped for ``reason``."""
        self._counters.dropped[reason] += 1
        if log.isEnabledFor(logging.DEBUG):
            log.debug("drop: %s", reason)

    def icmp_feedback(self, icmp: Icmpv4Repr | Icmpv6Repr) -> bool:
        """Apply an ICMP error about one of our packets to the path MTU and to the TCP
        connection it quotes (`pmtu.on_icmp_error`); return True when it was taken or
        counted there."""
        return on_icmp_error(
            icmp, self._cx, self._pmtu, self._sockets, self.drop, self._ip_mtu, self._now_us
        )

    def _acd_judges(self, sha: bytes, spa: IpAddress, tpa: IpAddress) -> bool:
        """Let conflict detection judge an ARP packet; True when it was about one of our
        addresses (learn nothing from it)."""
        judge = self._acd_arp()
        return judge is not None and judge(sha, spa, tpa)

    def _icmp_error(self, ipr: IpRepr, code: Icmpv4DstUnreachable) -> None:
        """Answer the packet being received with a destination unreachable (``code``)."""
        self._errors.dst_unreachable(ipr, code, self.rx_packet, self._l2_broadcast, self._now_us)

    # -- Ethernet and ARP ---------------------------------------------------------------------

    def _process_ethernet(self, frame: memoryview) -> None:
        if len(frame) < _ETH_LEN:
            EthernetFrame(frame)  # raises the precise MalformedPacket
        dst, src, ethertype = _ETH_HEADER.unpack_from(frame)
        if ethertype != _ETHERTYPE_IPV4 and ethertype != _ETHERTYPE_ARP:
            if ethertype == _ETHERTYPE_IPV6:
                # An EtherType, neither a length nor a VLAN tag: nothing for the checked view
                # to classify. Before the MAC filter: IPv6 takes the groups it listens to.
                self._begin_ipv6()
                self.ipv6.process_ethernet(frame, dst, src)
                return
            # Let the checked view classify 802.3 length fields and VLAN tags.
            EthernetFrame(frame)
        self._l2_broadcast = False
        if dst != self.mac:
            if dst == _BROADCAST_MAC:
                self._l2_broadcast = True
            elif dst[0] & 1:
                # Multicast: only the groups joined (RFC 1112 6.4), treated as a broadcast.
                if dst not in self._multicast.macs:
                    self.drop("multicast")
                    return
                self._l2_broadcast = True
            else:
                self.drop("not-for-us-ethernet")
                return
        if ethertype == _ETHERTYPE_IPV4:
            self._process_ipv4(frame[_ETH_LEN:], src)
        elif ethertype == _ETHERTYPE_ARP:
            self._process_arp(frame[_ETH_LEN:], src)
        else:  # IPv6 went its own way above
            self.drop("unsupported-ethertype")

    def _process_arp(self, payload: memoryview, eth_src: bytes) -> None:
        arp = ArpRepr.parse_buffer(payload)
        if self._trace:
            log.log(TRACE, "rx %s", arp)
        op = arp.operation
        if op != ArpOperation.REQUEST and op != ArpOperation.REPLY:
            self.drop("unsupported-arp-operation")
            return
        sha = arp.source_hardware_addr
        spa = arp.source_protocol_addr
        tpa = arp.target_protocol_addr
        cx = self._cx
        if not sha.is_unicast:
            self.drop("bad-source")
            return
        for_us = tpa in cx.addresses
        if (spa in cx.addresses or self._acd.tentative) and self._acd_judges(sha.octets, spa, tpa):
            return  # about one of our addresses (RFC 5227): see `Interface.add_ip_addr`
        if spa in cx.addresses:
            # Someone else claims our address (or our own frame came back): learn nothing.
            if not for_us:
                self.drop("not-for-us-arp")
            return
        # RFC 826 "merge": update an entry we have; add one when the packet is for us (or is
        # a gratuitous announcement and ``arp_accept`` is set). Nothing from a packet at odds
        # with its frame or our subnets (`arp_refusal`). A live neighbour heard from within
        # the cache's lock time keeps its address against an unsolicited claim: the claim is
        # counted as a conflict (a request for us is still answered). A reply sent to our
        # own address answers our query: it confirms reachability.
        learned = conflict = False
        refusal = arp_refusal(
            sha.octets, spa, eth_src, cx.addresses, cx.broadcasts, cx.in_same_network
        )
        if refusal is None:
            cache = self._cache
            if spa in cache or arp_may_create(spa, tpa, for_us, self._config.arp_accept):
                solicited = op == ArpOperation.REPLY and for_us and not self._l2_broadcast
                learned = cache.learn_us(spa, sha.octets, self._now_us, True, solicited)
                conflict = not learned
        if conflict:
            self.drop("arp-conflict")
        hardware_addr = cx.hardware_addr
        if op == ArpOperation.REQUEST and for_us and hardware_addr is not None:
            reply = ArpRepr(ArpOperation.REPLY, hardware_addr, tpa, sha, spa)
            if self._egress.send_arp(reply, sha.octets):
                self._counters.arp_replies_sent += 1
        elif refusal is not None:
            self.drop(refusal)
        elif not for_us and not learned and not conflict:
            self.drop("not-for-us-arp")
        if learned:
            self._resolution.resolved(spa, sha.octets)

    # -- IPv4 ---------------------------------------------------------------------------------

    def _packed_sets(self) -> None:
        """Take the octets of the context's addresses and broadcasts (it replaced a set).

        An IPv4 address is in one of those sets exactly when its 4 octets are among theirs
        (an `Ipv4Address` equals only another of the same octets; an IPv6 address has 16):
        a bytes object hashes and compares in C, where `Ipv4Address` costs a Python call
        for its hash and another for its equality, per set test of every packet.
        """
        cx = self._cx
        self._addresses = addresses = cx.addresses
        self._broadcasts = broadcasts = cx.broadcasts
        self._our_octets = frozenset(addr._packed for addr in addresses)
        self._broadcast_octets = frozenset(addr._packed for addr in broadcasts)

    def _process_ipv4(self, buf: memoryview, eth_src: bytes | None) -> None:
        # The 20-octet header sums faster inline (wire's reference sum, which parse_buffer
        # inlines) than through the kernel's call; the result is the same.
        ipr = _parse_ipv4(buf, self._caps, _header_sum)
        self.rx_packet = buf  # quoted by ICMP errors (with ipr, which gives its length)
        if self._trace:
            log.log(TRACE, "rx %s", ipr)
        src = ipr.src_addr
        dst = ipr.dst_addr
        cx = self._cx
        if cx.addresses is not self._addresses or cx.broadcasts is not self._broadcasts:
            self._packed_sets()
        # A source can be no multicast (224/4), class E or broadcast (240/4) address, nor one
        # of our subnets' broadcasts, nor loopback (127/8, which never appears outside a
        # host: RFC 1122 3.2.1.3; Linux drops it as a martian), unless the interface is a
        # loopback itself (its own prefix holds the source). An answer would go to it.
        packed = src._packed
        first = packed[0]
        if (
            first >= 224
            or packed in self._broadcast_octets
            or (first == 127 and not cx.in_same_network(src))
        ):
            self.drop("bad-source")
            return
        broadcast = False
        if dst._packed not in self._our_octets:
            if dst.is_broadcast or dst in cx.broadcasts:
                broadcast = True
            elif dst.is_multicast and dst in self._multicast:
                broadcast = True  # to every socket on the port, as a broadcast
            elif dst.is_multicast:
                self.drop("multicast")
                return
            elif not (self._config.any_ip and accepts_any_destination(dst)):
                self.drop("not-for-us-ipv4")
                return
        if ipr.more_frags or ipr.frag_offset:
            # Reassembled (`fragment`), then handled whole: no ICMP error is ever sent about
            # a fragment (RFC 1122 3.2.2).
            may_reply = not broadcast and not self._l2_broadcast
            packet = reassemble_ipv4(self.reassembler, buf, ipr, may_reply, self._now_us)
            # A device's word on a checksum is about one frame, never about a datagram
            # reassembled from several.
            self.checksum_valid = False
            if packet is not None:
                self._process_ipv4(memoryview(packet), eth_src)
            return
        if eth_src is not None:
            self._cache.refresh_us(src, eth_src, self._now_us)
        # parse_buffer checked the header and total lengths: the slice is the whole payload.
        header_len = (buf[_IHL_AT] & _IHL_MASK) * _IHL_UNIT
        end = header_len + ipr.payload_len
        payload = buf[header_len:end]
        proto = ipr.next_header
        handled = False
        raws = self._demux.get(("raw", 4, proto)) if self._sockets.has_raw else None
        if raws:
            whole = buf[:end]
            for sock in raws:
                sock.process(cx, self._now, ipr, whole)
            handled = True
        if proto == _UDP:
            self.process_udp(ipr, payload, broadcast, handled)
        elif proto == _TCP:
            self.process_tcp(ipr, payload, broadcast, handled)
        elif proto == _ICMP:
            self._process_icmp(ipr, payload, broadcast, handled)
        elif proto == _IGMP:
            self._multicast.on_message(IgmpRepr.parse(payload), dst, self._now_us)
        elif not handled:
            self.drop("unknown-protocol")
            if not broadcast:
                self._icmp_error(ipr, Icmpv4DstUnreachable.PROTO_UNREACHABLE)

    def process_udp(self, ipr: IpRepr, payload: memoryview, broadcast: bool, handled: bool) -> None:
        caps = self._caps_valid if self.checksum_valid else self._caps
        udp = UdpRepr.parse_buffer(payload, ipr.src_addr, ipr.dst_addr, caps, self._csum)
        if self._trace:
            log.log(TRACE, "rx %s", udp)
        demux = self._demux
        port = udp.dst_port
        cx = self._cx
        now = self._now
        if broadcast:
            # A broadcast goes to every socket on the port.
            sockets = [
                *demux.get((_UDP, ipr.dst_addr, port), _EMPTY),
                *demux.get((_UDP, None, port), _EMPTY),
            ]
            for sock in sockets:
                sock.process(cx, now, ipr, udp)
            if not sockets and not handled:
                self.drop("no-socket-udp")
            return
        found = (
            demux.get((_UDP, ipr.dst_addr, port))
            or demux.get((_UDP, None, port))
            or demux.get(ANY_UDP_KEY)
        )
        if found:
            found[0].process(cx, now, ipr, udp)
            return
        if handled:
            return
        self.drop("no-socket-udp")
        self._icmp_error(ipr, Icmpv4DstUnreachable.PORT_UNREACHABLE)

    def process_tcp(self, ipr: IpRepr, payload: memoryview, broadcast: bool, handled: bool) -> None:
        if broadcast:
            # TCP is unicast only (RFC 1122 4.2.3.10).
            self.drop("broadcast-tcp")
            return
        caps = self._caps_valid if self.checksum_valid else self._caps
        # A short segment (a pure ACK, a small request) sums faster inline in the parser
        # (wire's reference sum, as the IPv4 header) than through the kernel's call, which
        # would sum it in Python too (below its threshold); the result is the same.
        csum = _header_sum if len(payload) < _SMALL_SUM else self._csum
        seg = _parse_tcp(payload, ipr.src_addr, ipr.dst_addr, caps, csum)
        if self._trace:
            log.log(TRACE, "rx %s", seg)
        demux = self._demux
        dst = ipr.dst_addr
        port = seg.dst_port
        gro = self._gro
        # `connection_key` inline, once per segment: the addresses' octets, whose hash and
        # equality cost no Python call.
        sockets = demux.get((_TCP, dst._packed, port, ipr.src_addr._packed, seg.src_port))
        if gro is not None:
            if gro.sock is not None:
                if sockets and gro.join(sockets[0], seg):
                    if gro.complete:
                        self._deliver_tcp(*gro.take())
                    return
                # Anything else for TCP goes after what is held (in order, for its socket).
                self._deliver_tcp(*gro.take())
            # A PSH segment would end the aggregate it starts (nothing joins after a PSH), so
            # holding it would only cost a copy: it goes to its socket at once, as a lone
            # message of a request/response exchange should.
            # (A pure ACK, nearly every segment of a sender, never starts one: no call.)
            # Nor does the last frame the device holds: nothing could join it before
            # `deliver_held` would hand it over, right after this frame, with no other work
            # between (the device's next `receive` returns None).
            if (
                sockets
                and seg.payload
                and seg.control is not _PSH
                and not self.last
                and can_start(seg)
            ):
                gro.start(sockets[0], ipr, seg)
                return
        sockets = (
            sockets
            or demux.get(listen_key(dst, port))
            or demux.get(listen_key(None, port))
            or demux.get(ANY_TCP_KEY)
        )
        if sockets:
            self._deliver_tcp(sockets[0], ipr, seg)
            return
        if handled:
            return
        self.drop("no-socket-tcp")
        rst = tcp_rst_reply(ipr, seg, self._hop_limit)
        if rst is not None and self._egress.send_ip(rst[0], rst[1]):
            self._counters.rst_sent += 1

    def _deliver_tcp(self, sock: Socket, ipr: IpRepr, seg: TcpRepr) -> None:
        # SND.UNA before and after the segment. Any: only TCP sockets have a control block.
        tcb: Any = getattr(sock, "tcb", None)
        una = None if tcb is None else tcb.snd_una
        reply = sock.process(self._cx, self._now, ipr, seg)
        if una is not None and tcb.snd_una != una:
            # New data (or our SYN) acknowledged: forward progress, which confirms that the
            # neighbour on the way to the peer is reachable (RFC 4861 7.3.1).
            self._resolution.confirm_progress(ipr.src_addr)
        # The segment may have moved the socket's timers (a delayed ACK, a retransmission
        # timer): wake it so egress asks it again rather than leave it asleep.
        self._sockets.wake(sock.handle)
        if reply is not None:
            self._egress.send_ip(reply[0], reply[1])

    def deliver_held(self) -> None:
        """Hand the held GRO aggregate to its socket (after the last frame of a poll)."""
        gro = self._gro
        if gro is None or gro.sock is None:
            return
        try:
            self._deliver_tcp(*gro.take())
        except Exception:
            self._counters.dropped["internal-error"] += 1
            log.warning("drop: unexpected error while handling a segment", exc_info=True)

    def _process_icmp(
        self, ipr: Ipv4Repr, payload: memoryview, broadcast: bool, handled: bool
    ) -> None:
        icmp = Icmpv4Repr.parse_buffer(payload, self._caps, self._csum)
        if self._trace:
            log.log(TRACE, "rx %s", icmp)
        message = icmp.message
        demux = self._demux
        cx = self._cx
        delivered = False
        if message in (_ECHO_REQUEST, _ECHO_REPLY):
            sockets = demux.get((_ICMP, "ident", icmp.ident))
            if sockets:
                for sock in sockets:
                    sock.process(cx, self._now, ipr, payload)
                delivered = True
        elif message in _QUOTING:
            # Path MTU and TCP first (`pmtu`), then the ICMP sockets of the quoted UDP port.
            delivered = self.icmp_feedback(icmp)
            header = icmp.header
            data = icmp.data
            sockets = None
            if header is None:
                pass
            elif header.next_header == _UDP and len(data) >= 2:
                # About a datagram we sent: to the sockets bound to its source port.
                (port,) = _U16.unpack_from(data)
                sockets = demux.get((_ICMP, "udp", header.src_addr, port)) or demux.get(
                    (_ICMP, "udp", None, port)
                )
            elif header.next_header == _ICMP and len(data) >= 6 and data[0] == _ECHO_REQUEST:
                # About an echo request we sent (a ping): to the socket of its identifier.
                (ident,) = _U16.unpack_from(data, 4)
                sockets = demux.get((_ICMP, "ident", ident))
            if sockets:
                for sock in sockets:
                    sock.process(cx, self._now, ipr, payload)
                delivered = True
        if message == _ECHO_REQUEST:
            # RFC 1122 3.2.2.6: answer with the same identifier, sequence number and data.
            if broadcast and not self._config.reply_to_broadcast_echo:
                self.drop("broadcast-echo")
                return
            src = ipr.dst_addr if not broadcast else cx.get_source_address(ipr.src_addr)
            if src is None:
                self.drop("no-source-address")
                return
            reply = Icmpv4Repr.echo_reply(icmp.ident, icmp.seq_no, icmp.data)
            out = ip_repr(src, ipr.src_addr, _ICMP, reply.buffer_len(), self._hop_limit)
            if self._egress.send_ip(out, reply):
                self._counters.icmp_echo_replies_sent += 1
        elif not delivered and not handled:
            self.drop("no-socket-icmp")
