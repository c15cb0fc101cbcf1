"""IPv6 ingress: the fixed header, extension headers (RFC 8200), ICMPv6 echo (RFC 4443) and
the neighbour discovery a host answers (RFC 4861).

`Ipv6Ingress` is the IPv6 half of the receive side, beside `Ingress`. The interface's IPv6
addresses are the configured `Ipv6Cidr` ones plus, on Ethernet, the link-local address formed
from the MAC (RFC 4862 5.3, `smoltcp.stack.iface.addresses`). It accepts packets for those,
for the all-nodes group and for their solicited-node groups (and the Ethernet frames of those
groups, RFC 2464 7). Answers (echo replies, neighbour advertisements, ICMPv6 errors) go
straight back to the link-layer address they came from; neighbour solicitations are sent by
`AddressResolution`, ICMPv6 errors by `IcmpErrors`.
Malformed input raises `MalformedPacket` here and is counted by the caller.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING

from smoltcp.stack.log import TRACE
from smoltcp.stack.socket.base import Socket
from smoltcp.stack.socket.set import SocketSet
from smoltcp.stack.time import Instant
from smoltcp.wire import ChecksumCapabilities, IpProtocol, Ipv6Address
from smoltcp.wire.checksum import InternetSum
from smoltcp.wire.icmpv6 import (
    NDP_HOP_LIMIT,
    Icmpv6Message,
    Icmpv6ParamProblem,
    Icmpv6Repr,
)
from smoltcp.wire.ipv6 import Ipv6Repr
from smoltcp.wire.ipv6ext import (
    Ipv6ExtChain,
    Ipv6OptionAction,
    Ipv6OptionType,
    walk_ext_headers,
)
from smoltcp.wire.layout import ethernet as _eth_layout
from smoltcp.wire.layout import ipv6 as _ipv6_layout
from smoltcp.wire.mld import MldQueryRepr
from smoltcp.wire.ndp import NdpRepr

from .addresses import ipv6_groups, source_for
from .fragment import reassemble_ipv6
from .slaac import apply_router_advert
from .transparent import accepts_any_destination

if TYPE_CHECKING:
    from .egress import Egress
    from .icmp_errors import IcmpErrors
    from .ingress import Ingress
    from .interface import Interface

__all__ = ["Ipv6Ingress"]

log = logging.getLogger("smoltcp.stack.iface")

_ETH_LEN = _eth_layout.HEADER_LEN
_IPV6_LEN = _ipv6_layout.HEADER_LEN
_NEXT_HEADER_AT = _ipv6_layout.NEXT_HEADER_AT
_ALL_NODES = Ipv6Address.LINK_LOCAL_ALL_NODES
_ICMPV6 = IpProtocol.ICMPV6
_NONXT = IpProtocol.IPV6_NONXT
_ECHO_REQUEST = Icmpv6Message.ECHO_REQUEST
_NS = Icmpv6Message.NEIGHBOR_SOLICIT
_NA = Icmpv6Message.NEIGHBOR_ADVERT
_RA = Icmpv6Message.ROUTER_ADVERT
_MLD_QUERY = Icmpv6Message.MLD_QUERY
_NDP_IGNORED = (Icmpv6Message.ROUTER_SOLICIT, Icmpv6Message.ROUTER_ADVERT, Icmpv6Message.REDIRECT)
_OPTION_HEADER = 2  # next header and length octets before an options header's options
_HOP_LIMIT = 64
_UDP = IpProtocol.UDP
_ICMP = IpProtocol.ICMP
_ECHO = (Icmpv6Message.ECHO_REQUEST, Icmpv6Message.ECHO_REPLY)
_PORT_LEN = 2  # a UDP port, the first field of the quoted header
_TCP = IpProtocol.TCP
_PADS = (Ipv6OptionType.PAD1, Ipv6OptionType.PADN)
# The per-packet parser that builds no view (the same checks and errors as parse(View)).
_parse_ipv6 = Ipv6Repr.parse_buffer
# The Next Header that `Ipv6Ingress.process` takes without the extension-header walk (see
# there); the tests set it to None to send every packet through the walk and compare.
_FAST_NEXT_HEADER: IpProtocol | None = _TCP


class Ipv6Ingress:
    """The IPv6 receive side of one interface, beside and built by `Ingress`.

    It shares `Ingress.process_udp` and `Ingress.process_tcp` with IPv4, sends its answers
    through `Egress` (straight to a link-layer address) and its errors through `IcmpErrors`.
    """

    def __init__(
        self,
        ingress: Ingress,
        iface: Interface,
        egress: Egress,
        errors: IcmpErrors,
        *,
        eth: bool,
        caps: ChecksumCapabilities,
        csum: InternetSum,
    ) -> None:
        # Weak references to the owners: no cycle, so a dropped interface is freed at once.
        self._ingress: Ingress = weakref.proxy(ingress)
        self._iface: Interface = weakref.proxy(iface)
        self._cx = iface.context
        self._counters = iface.counters
        self._config = iface.config
        self._cache = iface.neighbor_cache
        self._egress = egress
        self._resolution = egress.resolution
        self._errors = errors
        self._eth = eth
        self._caps = caps
        self._csum = csum
        self._now = iface.context.now
        self._now_us = self._now.micros
        self._demux: Mapping[Hashable, Sequence[Socket]] = {}
        self._sockets = SocketSet()
        self._trace = False

    def begin(self, now: Instant, sockets: SocketSet, trace: bool) -> None:
        """Start a poll at ``now`` for ``sockets`` (``trace``: log every packet received)."""
        self._now = now
        self._now_us = now.micros
        self._sockets = sockets
        self._demux = sockets.demux
        self._trace = trace

    def _drop(self, reason: str) -> None:
        self._ingress.drop(reason)

    def ipv6_addrs(self) -> tuple[Ipv6Address, ...]:
        """Return the interface's IPv6 unicast addresses (see `addresses.ipv6_unicast_addrs`)."""
        return self._cx.ipv6_unicast_addrs()

    def groups(self, addrs: tuple[Ipv6Address, ...]) -> set[Ipv6Address]:
        """The groups listened to: those of ``addrs`` and of the tentative addresses (RFC 4862
        5.4.2), and the ones the application joined (``Interface.mld``)."""
        iface = self._iface
        return ipv6_groups((*addrs, *iface.dad.tentative), iface.mld.joined)

    # -- ingress ------------------------------------------------------------------------------

    def process_ethernet(self, frame: memoryview, dst_mac: bytes, src_mac: bytes) -> None:
        """Take an Ethernet frame with EtherType 0x86DD, addressed to us or one of our groups."""
        if self._cx.ipv6_disabled:
            self._drop("ipv6-disabled")  # RFC 4862 5.4.5 (see `Ipv6Host`)
            return
        mac = self._egress.mac
        if dst_mac != mac and dst_mac[0] & 1:
            addrs = self.ipv6_addrs()
            if dst_mac not in {g.multicast_mac for g in self.groups(addrs)}:
                self._drop("multicast")
                return
        elif dst_mac != mac:
            self._drop("not-for-us-ethernet")
            return
        self.process(frame[_ETH_LEN:], src_mac)

    def process(self, buf: memoryview, eth_src: bytes | None) -> None:
        """Handle one IPv6 packet (``eth_src`` None on an IP medium)."""
        ipr = _parse_ipv6(buf)
        if self._trace:
            log.log(TRACE, "rx %s", ipr)
        src = ipr.src_addr
        dst = ipr.dst_addr
        # (::1 is the integer 1, ::ffff:0:0/96 the ints whose upper 96 bits are 0xffff: no
        # property call per packet.)
        v = src._int
        if src.is_multicast or v >> 32 == 0xFFFF or (v == 1 and not self._cx.in_same_network(src)):
            # ::1 never leaves a node (RFC 4291 2.5.3), unless the interface is a loopback
            # itself (its own prefix holds it); an IPv4-mapped address stands for an IPv4
            # node inside a dual-stack host's API, never on the wire (RFC 4291 2.5.5.2, RFC
            # 4942 2.2: a forged one would pass IPv4 filters). An answer would go to it.
            self._drop("bad-source")
            return
        addrs = self._cx.ipv6_unicast_addrs()
        if not addrs and not self._iface.dad.tentative:
            self._drop("no-ipv6-address")
            return
        multicast = dst.is_multicast
        if multicast:
            if dst not in self.groups(addrs):
                self._drop("multicast")
                return
        elif dst not in addrs and not (self._config.any_ip and accepts_any_destination(dst)):
            self._drop("not-for-us-ipv6")
            return
        end = _IPV6_LEN + ipr.payload_len
        if ipr.next_header is _FAST_NEXT_HEADER:
            # TCP right after the fixed header (how every segment of a stream comes): no
            # extension header for RFC 8200 4 to judge, nothing to reassemble, so what the walk
            # below would find is known. Parsing (`Ingress.process_tcp`) is the same as there.
            packet = buf[:end]
            handled = self._sockets.has_raw and self._deliver_raw(ipr, _TCP, packet)
            ingress = self._ingress
            ingress.rx_packet = packet  # quoted by an ICMPv6 error (none is sent about TCP)
            if eth_src is not None:
                self._cache.refresh_us(src, eth_src, self._now_us)
            ingress.process_tcp(ipr, buf[_IPV6_LEN:end], multicast, handled)
            return
        payload = buf[_IPV6_LEN:end]
        chain = walk_ext_headers(payload, ipr.next_header)
        if not self._ext_headers_acceptable(ipr, chain, buf[:end], multicast, eth_src):
            return
        if chain.fragment is not None:
            # Reassembled (`fragment`), then handled whole.
            whole = reassemble_ipv6(
                self._ingress.reassembler, buf[:end], ipr, chain, not multicast, self._now_us
            )
            # A device's word on a checksum is about one frame, never about a packet
            # reassembled from several.
            self._ingress.checksum_valid = False
            if whole is not None:
                self.process(memoryview(whole), eth_src)
            return
        upper = payload[chain.offset :]
        proto = chain.next_header
        handled = False
        if proto != _ICMPV6:
            handled = self._deliver_raw(ipr, proto, buf[:end])
        if proto == _ICMPV6:
            self._process_icmpv6(ipr, upper, multicast, eth_src, addrs, buf[:end])
        elif proto in (_UDP, _TCP):
            self._ingress.rx_packet = buf[:end]  # quoted by an ICMPv6 error (port unreachable)
            if eth_src is not None:
                self._cache.refresh_us(src, eth_src, self._now_us)
            # A raw socket's copy (``handled``) spares the sender an error, as for IPv4.
            if proto == _UDP:
                self._ingress.process_udp(ipr, upper, multicast, handled)
            else:
                self._ingress.process_tcp(ipr, upper, multicast, handled)
        elif handled:
            pass  # a raw socket took it: no error about an unknown protocol (as for IPv4)
        elif proto == _NONXT:
            self._drop("no-next-header")  # RFC 8200 4.7: nothing follows
        else:
            # RFC 8200 4: an unrecognised Next Header is a Parameter Problem, code 1,
            # pointing at the field that holds it.
            self._drop("unknown-protocol")
            at = _NEXT_HEADER_AT
            if chain.headers:
                at = _IPV6_LEN + chain.headers[-1].offset
            self._send_param_problem(
                ipr,
                buf[:end],
                Icmpv6ParamProblem.UNRECOGNIZED_NEXT_HEADER,
                at,
                multicast,
                eth_src,
                addrs,
            )

    def _ext_headers_acceptable(
        self,
        ipr: Ipv6Repr,
        chain: Ipv6ExtChain,
        packet: memoryview,
        multicast: bool,
        eth_src: bytes | None,
    ) -> bool:
        """Apply RFC 8200 4.2 to unknown options and 4.4 to routing headers; False: dropped."""
        for h in chain.headers:
            if h.segments_left > 0:
                # RFC 8200 4.4: a host is never an intermediate node of a route it does not
                # know; Parameter Problem code 0 pointing at the Routing Type.
                self._drop("routing-header")
                self._send_param_problem(
                    ipr,
                    packet,
                    Icmpv6ParamProblem.ERRONEOUS_HEADER,
                    _IPV6_LEN + h.offset + _OPTION_HEADER,
                    multicast,
                    eth_src,
                    self.ipv6_addrs(),
                )
                return False
            at = _IPV6_LEN + h.offset + _OPTION_HEADER
            for option in h.options:
                # Pad1 and PadN are the only options a host must know (RFC 8200 4.2).
                if option.option_type not in _PADS:
                    action = option.action
                    if action == Ipv6OptionAction.SKIP:
                        pass
                    elif action == Ipv6OptionAction.DISCARD:
                        self._drop("unknown-ipv6-option")
                        return False
                    else:
                        self._drop("unknown-ipv6-option")
                        if action == Ipv6OptionAction.DISCARD_ICMP or not multicast:
                            self._send_param_problem(
                                ipr,
                                packet,
                                Icmpv6ParamProblem.UNRECOGNIZED_OPTION,
                                at,
                                False,
                                eth_src,
                                self.ipv6_addrs(),
                            )
                        return False
                at += option.buffer_len()
        return True

    def _deliver_raw(self, ipr: Ipv6Repr, proto: IpProtocol, packet: memoryview) -> bool:
        """Give the whole ``packet`` to the IPv6 raw sockets of ``proto``; return whether any."""
        raws = self._demux.get(("raw", 6, proto))
        if not raws:
            return False
        for sock in raws:
            sock.process(self._cx, self._now, ipr, packet)
        return True

    def _process_icmpv6(
        self,
        ipr: Ipv6Repr,
        upper: memoryview,
        multicast: bool,
        eth_src: bytes | None,
        addrs: tuple[Ipv6Address, ...],
        packet: memoryview,
    ) -> None:
        icmp = Icmpv6Repr.parse_buffer(upper, ipr.src_addr, ipr.dst_addr, self._caps, self._csum)
        if self._trace:
            log.log(TRACE, "rx %s", icmp)
        message = icmp.message
        delivered = self._deliver_icmpv6(ipr, icmp, upper)
        # RFC 3542 3.1: an ICMPv6 raw socket sees only messages whose checksum verified.
        delivered = self._deliver_raw(ipr, _ICMPV6, packet) or delivered
        if message == _MLD_QUERY:
            # RFC 3810 5.1.14: from a link-local source with hop limit 1, else ignored.
            if ipr.hop_limit != 1 or not ipr.src_addr.is_link_local:
                self._drop("mld-invalid")
                return
            self._iface.mld.on_query(MldQueryRepr.parse_buffer(upper), self._now_us)
            return
        if message == _ECHO_REQUEST:
            # RFC 4443 4.2: the reply has the request's identifier, sequence number and data;
            # to a multicast request it comes from one of our unicast addresses.
            src = (
                ipr.dst_addr
                if not multicast
                else source_for(ipr.src_addr, addrs, self._cx.deprecated)
            )
            reply = Icmpv6Repr.echo_reply(icmp.ident, icmp.seq_no, icmp.data)
            out = Ipv6Repr(src, ipr.src_addr, _ICMPV6, reply.buffer_len(), _HOP_LIMIT)
            if self._egress.send_ipv6(out, reply, eth_src):
                self._counters.icmp_echo_replies_sent += 1
            return
        if message in (_NS, _NA):
            # RFC 4861 7.1.1, 7.1.2: a hop limit other than 255 means the message came from
            # beyond the link, which NDP must never believe.
            if ipr.hop_limit != NDP_HOP_LIMIT:
                self._drop("ndp-hop-limit")
                return
            ndp = NdpRepr.parse_buffer(upper)
            if message == _NS:
                self._process_ns(ipr, ndp, eth_src, addrs)
            else:
                self._process_na(ipr, ndp, multicast)
            return
        if message == _RA and self._config.slaac and self._cx.hardware_addr is not None:
            # RFC 4861 6.1.2: from a router's link-local address, never from beyond the link.
            if ipr.hop_limit != NDP_HOP_LIMIT or not ipr.src_addr.is_link_local:
                self._drop("ndp-hop-limit" if ipr.hop_limit != NDP_HOP_LIMIT else "ndp-invalid")
                return
            ra = NdpRepr.parse_buffer(upper)
            hw = self._cx.hardware_addr
            apply_router_advert(self._iface, ipr.src_addr, ra, hw, self._now, multicast=multicast)
            return
        if message in _NDP_IGNORED:
            self._drop("ndp-ignored")  # SLAAC is off: a host takes no router's word
            return
        if not delivered:
            self._drop("no-socket-icmpv6")

    def _deliver_icmpv6(self, ipr: Ipv6Repr, icmp: Icmpv6Repr, upper: memoryview) -> bool:
        """Hand ``icmp`` to the ICMP sockets it is for: echo messages by identifier, errors
        about a UDP datagram by its source port; return whether any took it."""
        demux = self._demux
        message = icmp.message
        sockets = None
        taken = False
        if message in _ECHO:
            sockets = demux.get((_ICMP, "ident", icmp.ident))
        elif icmp.header is not None:
            # Path MTU and TCP first (`pmtu`), then the ICMP sockets of the quoted UDP port.
            taken = self._ingress.icmp_feedback(icmp)
            header = icmp.header
            data = icmp.data
            if header.next_header == _UDP and len(data) >= _PORT_LEN:
                port = (data[0] << 8) | data[1]
                sockets = demux.get((_ICMP, "udp", header.src_addr, port)) or demux.get(
                    (_ICMP, "udp", None, port)
                )
        if not sockets:
            return taken
        for sock in sockets:
            sock.process(self._cx, self._now, ipr, upper)
        return True

    def _process_ns(
        self,
        ipr: Ipv6Repr,
        ns: NdpRepr,
        eth_src: bytes | None,
        addrs: tuple[Ipv6Address, ...],
    ) -> None:
        target = ns.target_addr
        detector = self._iface.dad
        if detector.tentative and target in detector.tentative:
            # RFC 4862 5.4.3: never answered; from :: another host probes it too, unless it
            # is our own solicitation looped back (RFC 7527, RFC 4862 Appendix A).
            if ipr.src_addr.is_unspecified:
                own = eth_src is not None and eth_src == self._egress.mac
                detector.solicited(target, True, self._now, ns.nonce, own)
            self._drop("ndp-tentative-target")
            return
        if target not in addrs or target.is_multicast:
            self._drop("ndp-not-our-target")
            return
        src = ipr.src_addr
        dad = src.is_unspecified
        if dad and ns.source_ll_addr is not None:
            # RFC 4861 7.1.1: a solicitation from :: never carries a link-layer address.
            self._drop("ndp-invalid")
            return
        # RFC 4861 7.2.3: the solicitation says where its sender is (STALE when new).
        if (
            not dad
            and ns.source_ll_addr is not None
            and self._cache.learn(src, ns.source_ll_addr, self._now)
        ):
            self._resolution.resolved(src, ns.source_ll_addr.octets)
        ll = self._cx.hardware_addr
        na = NdpRepr(
            _NA,
            target,
            target_ll_addr=ll,
            solicited=not dad,
            override=True,
        )
        # RFC 4861 7.2.4: to the soliciting node, or to all nodes when it has no address yet.
        dst = _ALL_NODES if dad else src
        out = Ipv6Repr(target, dst, _ICMPV6, na.buffer_len(), NDP_HOP_LIMIT)
        mac = eth_src
        if dad and self._eth:
            mac = _ALL_NODES.multicast_mac
        elif ns.source_ll_addr is not None:
            mac = ns.source_ll_addr.octets
        self._egress.send_ipv6(out, na, mac)

    def _process_na(self, ipr: Ipv6Repr, na: NdpRepr, multicast: bool) -> None:
        if multicast and na.solicited:
            # RFC 4861 7.1.2: a solicited advertisement is never sent to a multicast group.
            self._drop("ndp-invalid")
            return
        # RFC 4862 5.4.4: an advertisement for a tentative address means it is duplicated.
        ll = None if na.target_ll_addr is None else na.target_ll_addr.octets
        in_use = self._cx.has_ip_addr(na.target_addr)
        if self._iface.dad.advertised(na.target_addr, ll, self._now, in_use):
            return
        if na.target_ll_addr is None:
            self._drop("ndp-no-link-layer-address")
            return
        # RFC 4861 7.2.5: an advertisement updates an entry, it never creates one.
        learned = self._cache.learn(
            na.target_addr,
            na.target_ll_addr,
            self._now,
            solicited=na.solicited,
            create=False,
            override=na.override,
        )
        if learned:
            # Packets waiting for this neighbour go now.
            self._resolution.resolved(na.target_addr, na.target_ll_addr.octets)

    def _send_param_problem(
        self,
        ipr: Ipv6Repr,
        packet: memoryview,
        code: Icmpv6ParamProblem,
        pointer: int,
        multicast: bool,
        eth_src: bytes | None,
        addrs: tuple[Ipv6Address, ...],
    ) -> None:
        self._errors.param_problem(
            ipr, packet, code, pointer, multicast, eth_src, addrs, self._now_us
        )
