"""ICMP error generation: destination unreachable and parameter problem, rate limited.

`IcmpErrors` writes the errors a host sends about a packet it received (RFC 792 and RFC 1122
3.2.2 for IPv4, RFC 4443 for IPv6) and owns the one token bucket that limits them all
(`ErrorRateLimit`, RFC 1812 4.3.2.8 and RFC 4443 2.4 (f)). Ingress decides *that* an error is
owed (an unreachable port or protocol, a bad IPv6 header); this module decides whether it may
go and what it quotes, and hands it to `Egress`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smoltcp.wire import IpProtocol
from smoltcp.wire.icmpv4 import Icmpv4DstUnreachable, Icmpv4Message, Icmpv4Repr
from smoltcp.wire.icmpv6 import (
    Icmpv6DstUnreachable,
    Icmpv6Message,
    Icmpv6ParamProblem,
    Icmpv6Repr,
)
from smoltcp.wire.ip import IpRepr, ip_repr
from smoltcp.wire.ipv6 import Ipv6Repr
from smoltcp.wire.ipv6ext import walk_ext_headers
from smoltcp.wire.layout import icmpv4 as _icmpv4_layout
from smoltcp.wire.layout import ipv4 as _ipv4_layout
from smoltcp.wire.layout import ipv6 as _ipv6_layout

from .addresses import source_for

if TYPE_CHECKING:
    from smoltcp.stack.time import Duration
    from smoltcp.wire import Ipv6Address

    from .counters import Counters
    from .egress import Egress

__all__ = ["ErrorRateLimit", "IcmpErrors"]

_IHL_AT = _ipv4_layout.HEADER_LEN_AT
_IHL_MASK = _ipv4_layout.HEADER_LEN_OCTET_MASK
_IHL_UNIT = _ipv4_layout.HEADER_LEN_UNIT
_QUOTED_LEN = _icmpv4_layout.QUOTED_PAYLOAD_LEN
_IPV6_LEN = _ipv6_layout.HEADER_LEN
_NEXT_HEADER_AT = _ipv6_layout.NEXT_HEADER_AT
_UNUSED = b"\x00" * 4
_ICMPV6 = IpProtocol.ICMPV6
_ERROR_TYPES = 128  # ICMPv6 types below this are errors (RFC 4443 2.1)
_HOP_LIMIT_V6 = 64
_V4_PORT_UNREACHABLE = int(Icmpv4DstUnreachable.PORT_UNREACHABLE)


class ErrorRateLimit:
    """A token bucket: at most ``burst`` errors back to back, one more per ``interval``.

    Integer microseconds throughout; the bucket starts full at ``now_us``.
    """

    __slots__ = ("_burst", "_interval_us", "_refill_us", "_tokens")

    def __init__(self, burst: int, interval: Duration, now_us: int) -> None:
        self._burst = burst
        self._tokens = burst
        self._refill_us = now_us
        self._interval_us = interval.micros

    def take(self, now_us: int) -> bool:
        """Take a token at ``now_us``; return False when the bucket is empty."""
        tokens = self._tokens
        burst = self._burst
        if tokens < burst:
            elapsed = now_us - self._refill_us
            if elapsed >= self._interval_us:
                add = elapsed // self._interval_us
                tokens = min(burst, tokens + add)
                self._refill_us += add * self._interval_us
        else:
            self._refill_us = now_us
        if tokens <= 0:
            self._tokens = tokens
            return False
        self._tokens = tokens - 1
        return True


class IcmpErrors:
    """The ICMP errors of one interface, sent through its `Egress`, counted in `Counters`."""

    __slots__ = ("_counters", "_egress", "_hop_limit", "limit")

    def __init__(
        self, egress: Egress, counters: Counters, limit: ErrorRateLimit, hop_limit: int
    ) -> None:
        self._egress = egress
        self._counters = counters
        self._hop_limit = hop_limit
        self.limit = limit

    def _allowed(self, now_us: int) -> bool:
        if self.limit.take(now_us):
            return True
        self._counters.icmp_errors_rate_limited += 1
        return False

    def dst_unreachable(
        self,
        ipr: IpRepr,
        code: Icmpv4DstUnreachable,
        packet: memoryview,
        l2_broadcast: bool,
        now_us: int,
    ) -> None:
        """Send a destination unreachable about the received ``packet`` (parsed as ``ipr``).

        IPv4 (RFC 792): it quotes the packet's IP header, options included, and the first 8
        octets of its payload, exactly as received. None is sent about a packet sent to a
        link-layer broadcast (``l2_broadcast``) or from an address that is not a host's (RFC
        1122 3.2.2); the caller has ruled out IP broadcasts, fragments and ICMP errors. IPv6:
        `Icmpv6` port unreachable, or a parameter problem for an unknown next header.
        """
        if type(ipr) is Ipv6Repr:
            self._unreachable_v6(ipr, code, packet, now_us)
            return
        src = ipr.src_addr
        if src.is_unspecified or l2_broadcast:
            return
        if not self._allowed(now_us):
            return
        # The received IP packet's octets (still lent by the device: we are inside its
        # consume); its header was checked by the parse that gave ``ipr``.
        header_len = (packet[_IHL_AT] & _IHL_MASK) * _IHL_UNIT
        end = min(header_len + _QUOTED_LEN, header_len + ipr.payload_len)
        # The 4 unused octets after type, code and checksum, then the quote.
        icmp = Icmpv4Repr(Icmpv4Message.DST_UNREACHABLE, code, 0, 0, _UNUSED + bytes(packet[:end]))
        reply = ip_repr(ipr.dst_addr, src, IpProtocol.ICMP, icmp.buffer_len(), self._hop_limit)
        if self._egress.send_ip(reply, icmp):
            self._counters.icmp_errors_sent += 1

    def _unreachable_v6(
        self, ipr: Ipv6Repr, code: Icmpv4DstUnreachable, packet: memoryview, now_us: int
    ) -> None:
        """``code`` is the ICMPv4 reason the shared transport code gives (port or protocol
        unreachable). None is sent about a packet to a multicast group (RFC 4443 2.4 (e.3))."""
        src = ipr.src_addr
        if src.is_unspecified or ipr.dst_addr.is_multicast:
            return
        if not self._allowed(now_us):
            return
        if int(code) == _V4_PORT_UNREACHABLE:
            icmp = Icmpv6Repr.error(
                Icmpv6Message.DST_UNREACHABLE,
                Icmpv6DstUnreachable.PORT_UNREACHABLE,
                ipr,
                bytes(packet[_IPV6_LEN:]),
            )
        else:
            icmp = Icmpv6Repr.error(
                Icmpv6Message.PARAM_PROBLEM,
                Icmpv6ParamProblem.UNRECOGNIZED_NEXT_HEADER,
                ipr,
                bytes(packet[_IPV6_LEN:]),
                param=_NEXT_HEADER_AT,
            )
        out = Ipv6Repr(ipr.dst_addr, src, _ICMPV6, icmp.buffer_len(), _HOP_LIMIT_V6)
        if self._egress.send_ip(out, icmp):
            self._counters.icmp_errors_sent += 1

    def param_problem(
        self,
        ipr: Ipv6Repr,
        packet: memoryview,
        code: Icmpv6ParamProblem,
        pointer: int,
        multicast: bool,
        eth_src: bytes | None,
        addrs: tuple[Ipv6Address, ...],
        now_us: int,
    ) -> None:
        """Send a Parameter Problem about ``packet`` (RFC 4443 3.4), within RFC 4443 2.4,
        straight back to the link-layer address ``eth_src`` it came from."""
        src = ipr.src_addr
        if multicast or src.is_unspecified or not addrs:
            return
        if _is_icmpv6_error(packet):
            return  # RFC 4443 2.4 (e.1): never about an ICMPv6 error
        if not self._allowed(now_us):
            return
        icmp = Icmpv6Repr.error(
            Icmpv6Message.PARAM_PROBLEM,
            code,
            ipr,
            bytes(packet[_IPV6_LEN:]),
            param=pointer,
        )
        out = Ipv6Repr(source_for(src, addrs), src, _ICMPV6, icmp.buffer_len(), _HOP_LIMIT_V6)
        if self._egress.send_ipv6(out, icmp, eth_src):
            self._counters.icmp_errors_sent += 1


def _is_icmpv6_error(packet: memoryview) -> bool:
    """Whether ``packet`` (a whole IPv6 packet) carries an ICMPv6 error message."""
    try:
        ipr = Ipv6Repr.parse_buffer(packet)
        chain = walk_ext_headers(packet[_IPV6_LEN:], ipr.next_header)
    except ValueError:
        return False
    at = _IPV6_LEN + chain.offset
    return chain.next_header == _ICMPV6 and at < len(packet) and packet[at] < _ERROR_TYPES
