"""IPv6 ingress: the fixed header, extension headers (RFC 8200), ICMPv6 echo (RFC 4443) and
the neighbour discovery a host answers (RFC 4861).

A mixin of `Interface`, like `Ingress`. The interface's IPv6 addresses are the configured
`Ipv6Cidr` ones plus, on Ethernet, the link-local address formed from the MAC (RFC 4862 5.3).
It accepts packets for those, for the all-nodes group and for their solicited-node groups
(and the Ethernet frames of those groups, RFC 2464 7). Answers (echo replies, neighbour
advertisements, ICMPv6 errors) go straight back to the link-layer address they came from.
Malformed input raises `MalformedPacket` here and is counted by the caller.
"""

from __future__ import annotations

import logging
from typing import Any

from smoltcp.stack.log import TRACE
from smoltcp.wire import EthernetAddress, IpProtocol, Ipv6Address
from smoltcp.wire.icmpv4 import Icmpv4DstUnreachable
from smoltcp.wire.icmpv6 import (
    NDP_HOP_LIMIT,
    Icmpv6DstUnreachable,
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

from . import ipv6_host
from .slaac import apply_router_advert

__all__ = ["Ipv6Ingress"]

log = logging.getLogger("smoltcp.stack.iface")

_ETH_HEADER = _eth_layout.WORDS
_ETH_LEN = _eth_layout.HEADER_LEN
_ETHERTYPE_IPV6 = int(_eth_layout.EthernetProtocol.IPV6)
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
_ERROR_TYPES = 128  # ICMPv6 types below this are errors (RFC 4443 2.1)
_OPTION_HEADER = 2  # next header and length octets before an options header's options
_HOP_LIMIT = 64
_UDP = IpProtocol.UDP
_ICMP = IpProtocol.ICMP
_ECHO = (Icmpv6Message.ECHO_REQUEST, Icmpv6Message.ECHO_REPLY)
_PORT_LEN = 2  # a UDP port, the first field of the quoted header
_TCP = IpProtocol.TCP
_V4_PORT_UNREACHABLE = int(Icmpv4DstUnreachable.PORT_UNREACHABLE)
_PADS = (Ipv6OptionType.PAD1, Ipv6OptionType.PADN)


class Ipv6Ingress:
    """The IPv6 half of `Interface`'s receive path (a mixin: it uses the interface's state)."""

    _eth: bool
    _mac: bytes
    _hardware_addr: EthernetAddress | None
    _caps: Any
    _csum: Any
    _now: Any
    _trace: bool
    _l2_broadcast: bool
    _demux: dict[Any, list[Any]]
    _now_us: int
    _rx_packet: Any
    context: Any
    config: Any
    counters: Any
    neighbor_cache: Any
    dad: Any
    mld: Any
    slaac: Any
    _sockets: Any

    def _drop(self, reason: str) -> None:  # defined by Interface
        raise NotImplementedError

    def _take_token(self) -> Any:  # defined by Interface
        raise NotImplementedError

    def _icmp_error_allowed(self) -> bool:  # defined by Interface
        raise NotImplementedError

    # Ingress (after this class in Interface's bases) defines _process_udp and _process_tcp,
    # and Interface _send_ip: no stubs here, which would come first in the method order.
    _process_udp: Any
    _process_tcp: Any
    _send_ip: Any
    _resolved_hop: Any

    # -- addresses ----------------------------------------------------------------------------

    def ipv6_addrs(self) -> tuple[Ipv6Address, ...]:
        """Return the interface's IPv6 unicast addresses: the link-local one first (Ethernet;
        not while it is tentative or after it was found duplicated, see ``dad``)."""
        out: list[Ipv6Address] = []
        if self._hardware_addr is not None:
            ll = Ipv6Address.link_local_from_ethernet(self._hardware_addr)
            if not ipv6_host.tentative_link_local(self, ll):
                out.append(ll)
        out.extend(c.address for c in self.context.ip_addrs if c.address.version == 6)
        return tuple(dict.fromkeys(out))

    def _ipv6_groups(self, addrs: tuple[Ipv6Address, ...]) -> set[Ipv6Address]:
        """The multicast groups the interface listens to (RFC 4861 7.2.1, RFC 4291 2.8): the
        solicited-node groups of tentative addresses too (RFC 4862 5.4.2), and the groups the
        application joined (``mld``)."""
        groups = {_ALL_NODES, *self.mld.joined}
        groups.update(Ipv6Address.solicited_node(a) for a in addrs)
        groups.update(Ipv6Address.solicited_node(a) for a in self.dad.tentative)
        return groups

    def _source_for(self, dst: Ipv6Address, addrs: tuple[Ipv6Address, ...]) -> Ipv6Address:
        """Pick our source for ``dst``: link-local for link-local peers, else a global one
        that is not deprecated (RFC 4862 5.5.4) when there is one."""
        if not dst.is_link_local:
            deprecated = self.slaac.deprecated
            fallback = None
            for a in addrs:
                if not a.is_link_local:
                    if a not in deprecated:
                        return a
                    fallback = fallback or a
            if fallback is not None:
                return fallback
        return addrs[0]

    # -- ingress ------------------------------------------------------------------------------

    def _process_ipv6_ethernet(self, frame: memoryview, dst_mac: bytes, src_mac: bytes) -> None:
        """Take an Ethernet frame with EtherType 0x86DD, addressed to us or one of our groups."""
        if dst_mac != self._mac and dst_mac[0] & 1:
            addrs = self.ipv6_addrs()
            if dst_mac not in {g.multicast_mac for g in self._ipv6_groups(addrs)}:
                self._drop("multicast")
                return
        elif dst_mac != self._mac:
            self._drop("not-for-us-ethernet")
            return
        self._process_ipv6(frame[_ETH_LEN:], src_mac)

    def _process_ipv6(self, buf: memoryview, eth_src: bytes | None) -> None:
        """Handle one IPv6 packet (``eth_src`` None on an IP medium)."""
        ipr = Ipv6Repr.parse_buffer(buf)
        if self._trace:
            log.log(TRACE, "rx %s", ipr)
        src = ipr.src_addr
        dst = ipr.dst_addr
        if src.is_multicast:
            self._drop("bad-source")
            return
        addrs = self.ipv6_addrs()
        if not addrs and not self.dad.tentative:
            self._drop("no-ipv6-address")
            return
        multicast = dst.is_multicast
        if multicast:
            if dst not in self._ipv6_groups(addrs):
                self._drop("multicast")
                return
        elif dst not in addrs:
            self._drop("not-for-us-ipv6")
            return
        end = _IPV6_LEN + ipr.payload_len
        payload = buf[_IPV6_LEN:end]
        chain = walk_ext_headers(payload, ipr.next_header)
        if not self._ext_headers_acceptable(ipr, chain, buf[:end], multicast, eth_src):
            return
        if chain.fragment is not None:
            # No reassembly: every fragment is dropped (an atomic fragment too).
            self._drop("fragment")
            return
        upper = payload[chain.offset :]
        proto = chain.next_header
        handled = False
        if self._sockets.has_raw and proto != _ICMPV6:
            handled = self._deliver_raw6(ipr, proto, buf[:end])
        if proto == _ICMPV6:
            self._process_icmpv6(ipr, upper, multicast, eth_src, addrs, buf[:end])
        elif proto in (_UDP, _TCP):
            self._rx_packet = buf[:end]  # quoted by an ICMPv6 error (port unreachable)
            if eth_src is not None:
                self.neighbor_cache._refresh(src, eth_src, self._now_us)
            # A raw socket's copy (``handled``) spares the sender an error, as for IPv4.
            if proto == _UDP:
                self._process_udp(ipr, upper, multicast, handled)
            else:
                self._process_tcp(ipr, upper, multicast, handled)
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

    def _ipv6_link_up(self, now: Any) -> None:
        """Run duplicate detection and MLD reports again (called by `link_up`)."""
        ipv6_host.link_up(self, now)

    def _deliver_raw6(self, ipr: Ipv6Repr, proto: Any, packet: memoryview) -> bool:
        """Give the whole ``packet`` to the IPv6 raw sockets of ``proto``; return whether any."""
        raws = self._demux.get(("raw", 6, proto))
        if not raws:
            return False
        for sock in raws:
            sock.process(self.context, self._now, ipr, packet)
        return True

    def _process_icmpv6(
        self,
        ipr: Ipv6Repr,
        upper: memoryview,
        multicast: bool,
        eth_src: bytes | None,
        addrs: tuple[Ipv6Address, ...],
        packet: memoryview | None = None,
    ) -> None:
        icmp = Icmpv6Repr.parse_buffer(upper, ipr.src_addr, ipr.dst_addr, self._caps, self._csum)
        if self._trace:
            log.log(TRACE, "rx %s", icmp)
        message = icmp.message
        delivered = self._deliver_icmpv6(ipr, icmp, upper)
        if packet is not None and self._sockets.has_raw:
            # RFC 3542 3.1: an ICMPv6 raw socket sees only messages whose checksum verified.
            delivered = self._deliver_raw6(ipr, _ICMPV6, packet) or delivered
        if message == _MLD_QUERY:
            # RFC 3810 5.1.14: from a link-local source with hop limit 1, else ignored.
            if ipr.hop_limit != 1 or not ipr.src_addr.is_link_local:
                self._drop("mld-invalid")
                return
            self.mld.on_query(MldQueryRepr.parse_buffer(upper), self._now_us)
            return
        if message == _ECHO_REQUEST:
            # RFC 4443 4.2: the reply has the request's identifier, sequence number and data;
            # to a multicast request it comes from one of our unicast addresses.
            src = ipr.dst_addr if not multicast else self._source_for(ipr.src_addr, addrs)
            reply = Icmpv6Repr.echo_reply(icmp.ident, icmp.seq_no, icmp.data)
            out = Ipv6Repr(src, ipr.src_addr, _ICMPV6, reply.buffer_len(), _HOP_LIMIT)
            if self._send_ipv6(out, reply, eth_src):
                self.counters.icmp_echo_replies_sent += 1
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
        if message == _RA and self.config.slaac and self._hardware_addr is not None:
            # RFC 4861 6.1.2: from a router's link-local address, never from beyond the link.
            if ipr.hop_limit != NDP_HOP_LIMIT or not ipr.src_addr.is_link_local:
                self._drop("ndp-hop-limit" if ipr.hop_limit != NDP_HOP_LIMIT else "ndp-invalid")
                return
            ra = NdpRepr.parse_buffer(upper)
            apply_router_advert(self, ipr.src_addr, ra, self._hardware_addr, self._now)
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
        if message in _ECHO:
            sockets = demux.get((_ICMP, "ident", icmp.ident))
        elif icmp.header is not None:
            header = icmp.header
            data = icmp.data
            if header.next_header == _UDP and len(data) >= _PORT_LEN:
                port = (data[0] << 8) | data[1]
                sockets = demux.get((_ICMP, "udp", header.src_addr, port)) or demux.get(
                    (_ICMP, "udp", None, port)
                )
        if not sockets:
            return False
        for sock in sockets:
            sock.process(self.context, self._now, ipr, upper)
        return True

    def _process_ns(
        self,
        ipr: Ipv6Repr,
        ns: NdpRepr,
        eth_src: bytes | None,
        addrs: tuple[Ipv6Address, ...],
    ) -> None:
        target = ns.target_addr
        if self.dad.tentative and target in self.dad.tentative:
            # RFC 4862 5.4.3: never answered; from :: another host probes it too.
            if ipr.src_addr.is_unspecified:
                ipv6_host.conflict(self, target, True, None)
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
            and self.neighbor_cache.learn(src, ns.source_ll_addr, self._now)
        ):
            self._resolved_hop(src, ns.source_ll_addr.octets)
        ll = self._hardware_addr
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
        self._send_ipv6(out, na, mac)

    def _process_na(self, ipr: Ipv6Repr, na: NdpRepr, multicast: bool) -> None:
        if multicast and na.solicited:
            # RFC 4861 7.1.2: a solicited advertisement is never sent to a multicast group.
            self._drop("ndp-invalid")
            return
        # RFC 4862 5.4.4: an advertisement for a tentative address means it is duplicated.
        ll = None if na.target_ll_addr is None else na.target_ll_addr.octets
        if ipv6_host.conflict(self, na.target_addr, False, ll):
            return
        if na.target_ll_addr is None:
            self._drop("ndp-no-link-layer-address")
            return
        # RFC 4861 7.2.5: an advertisement updates an entry, it never creates one.
        learned = self.neighbor_cache.learn(
            na.target_addr,
            na.target_ll_addr,
            self._now,
            solicited=na.solicited,
            create=False,
            override=na.override,
        )
        if learned:
            # Packets waiting for this neighbour go now.
            self._resolved_hop(na.target_addr, na.target_ll_addr.octets)

    # -- egress of the answers ----------------------------------------------------------------

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
        """Send a Parameter Problem about ``packet`` (RFC 4443 3.4), within RFC 4443 2.4."""
        src = ipr.src_addr
        if multicast or src.is_unspecified or not addrs:
            return
        if _is_icmpv6_error(packet):
            return  # RFC 4443 2.4 (e.1): never about an ICMPv6 error
        if not self._icmp_error_allowed():
            self.counters.icmp_errors_rate_limited += 1
            return
        icmp = Icmpv6Repr.error(
            Icmpv6Message.PARAM_PROBLEM,
            code,
            ipr,
            bytes(packet[_IPV6_LEN:]),
            param=pointer,
        )
        out = Ipv6Repr(self._source_for(src, addrs), src, _ICMPV6, icmp.buffer_len(), _HOP_LIMIT)
        if self._send_ipv6(out, icmp, eth_src):
            self.counters.icmp_errors_sent += 1

    def _send_ipv6(self, ipr: Ipv6Repr, message: Any, dst_mac: bytes | None) -> bool:
        """Send ``ipr`` + an ICMPv6 ``message`` (an Icmpv6Repr or NdpRepr) to ``dst_mac``."""
        if self._eth and dst_mac is None:
            self._drop("no-link-layer-address")
            return False
        token = self._take_token()
        if token is None:
            self._drop("device-busy")
            return False
        length = _IPV6_LEN + message.buffer_len()
        if self._eth:
            length += _ETH_LEN
        self._out6 = (ipr, message, dst_mac)
        token.consume(length, self._fill_ipv6)
        self.counters.sent += 1
        if self._trace:
            log.log(TRACE, "tx %s %s", ipr, message)
        return True

    def _fill_ipv6(self, buf: memoryview) -> None:
        ipr, message, dst_mac = self._out6
        if self._eth:
            _ETH_HEADER.pack_into(buf, 0, dst_mac, self._mac, _ETHERTYPE_IPV6)
            buf = buf[_ETH_LEN:]
        ipr.emit_buffer(buf)
        message.emit_buffer(buf[_IPV6_LEN:], ipr.src_addr, ipr.dst_addr, self._caps, self._csum)

    def _ipv6_next_hop(self, dst: Any) -> Any:
        """The next hop of a multicast (its Ethernet group, RFC 2464 7) or link-local
        destination (on the link, RFC 4861 5.2)."""
        if dst.is_multicast:
            return dst.multicast_mac if self._eth else None
        return dst

    def _send_ns(self, target: Any, mac: bytes | None) -> bool:
        """Send a neighbour solicitation for ``target``: to its solicited-node group
        (``mac`` None), or a unicast probe to ``mac`` (RFC 4861 7.2.2, 7.3.3)."""
        addrs = self.ipv6_addrs()
        if not addrs:
            self._drop("no-source-address")
            return False
        ns = NdpRepr(_NS, target, source_ll_addr=self._hardware_addr)
        if mac is None:
            dst = Ipv6Address.solicited_node(target)
            mac = dst.multicast_mac if self._eth else None
        else:
            dst = target
        src = self._source_for(target, addrs)
        out = Ipv6Repr(src, dst, _ICMPV6, ns.buffer_len(), NDP_HOP_LIMIT)
        return self._send_ipv6(out, ns, mac)

    def _send_icmpv6_unreachable(self, ipr: Ipv6Repr, code: Any) -> None:
        """Send a destination unreachable about the packet being received (``ipr``).

        ``code`` is the ICMPv4 reason the shared transport code gives (port or protocol
        unreachable). None is sent about a packet to a multicast group (RFC 4443 2.4 (e.3)).
        """
        src = ipr.src_addr
        if src.is_unspecified or ipr.dst_addr.is_multicast:
            return
        if not self._icmp_error_allowed():
            self.counters.icmp_errors_rate_limited += 1
            return
        if int(code) == _V4_PORT_UNREACHABLE:
            icmp = Icmpv6Repr.error(
                Icmpv6Message.DST_UNREACHABLE,
                Icmpv6DstUnreachable.PORT_UNREACHABLE,
                ipr,
                bytes(self._rx_packet[_IPV6_LEN:]),
            )
        else:
            icmp = Icmpv6Repr.error(
                Icmpv6Message.PARAM_PROBLEM,
                Icmpv6ParamProblem.UNRECOGNIZED_NEXT_HEADER,
                ipr,
                bytes(self._rx_packet[_IPV6_LEN:]),
                param=_NEXT_HEADER_AT,
            )
        out = Ipv6Repr(ipr.dst_addr, src, _ICMPV6, icmp.buffer_len(), _HOP_LIMIT)
        if self._send_ip(out, icmp):
            self.counters.icmp_errors_sent += 1


def _is_icmpv6_error(packet: memoryview) -> bool:
    """Whether ``packet`` (a whole IPv6 packet) carries an ICMPv6 error message."""
    try:
        ipr = Ipv6Repr.parse_buffer(packet)
        chain = walk_ext_headers(packet[_IPV6_LEN:], ipr.next_header)
    except ValueError:
        return False
    at = _IPV6_LEN + chain.offset
    return chain.next_header == _ICMPV6 and at < len(packet) and packet[at] < _ERROR_TYPES
