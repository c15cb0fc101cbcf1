"""ICMP errors about sent UDP datagrams, as the `OSError`s asyncio's ``error_received`` gets.

The interface hands an ICMP socket bound to a UDP endpoint every destination unreachable,
time exceeded, parameter problem (and, over IPv6, packet too big) quoting a datagram sent
from that endpoint. Here such a message becomes the exception a kernel socket would report
(Linux's mapping of ICMP errors to errno values), with the quoted destination.
"""

from __future__ import annotations

import errno
from typing import Any

from smoltcp.wire import (
    ChecksumCapabilities,
    Icmpv4DstUnreachable,
    Icmpv4Message,
    Icmpv4Packet,
    Icmpv4Repr,
    Icmpv6DstUnreachable,
    Icmpv6Message,
    Icmpv6Packet,
    Icmpv6Repr,
    IpAddress,
    IpEndpoint,
    UdpPacket,
)

__all__ = ["udp_error"]

_IGNORED = ChecksumCapabilities.ignored()  # the interface checked the checksum already

_V4_UNREACHABLE = {
    Icmpv4DstUnreachable.NET_UNREACHABLE: errno.ENETUNREACH,
    Icmpv4DstUnreachable.HOST_UNREACHABLE: errno.EHOSTUNREACH,
    Icmpv4DstUnreachable.PROTO_UNREACHABLE: errno.ENOPROTOOPT,
    Icmpv4DstUnreachable.PORT_UNREACHABLE: errno.ECONNREFUSED,
    Icmpv4DstUnreachable.FRAG_REQUIRED: errno.EMSGSIZE,
    Icmpv4DstUnreachable.SRC_ROUTE_FAILED: errno.EOPNOTSUPP,
    Icmpv4DstUnreachable.DST_NET_UNKNOWN: errno.ENETUNREACH,
    Icmpv4DstUnreachable.DST_HOST_UNKNOWN: errno.EHOSTDOWN,
    Icmpv4DstUnreachable.SRC_HOST_ISOLATED: errno.ENONET,
    Icmpv4DstUnreachable.NET_PROHIBITED: errno.ENETUNREACH,
    Icmpv4DstUnreachable.HOST_PROHIBITED: errno.EHOSTUNREACH,
    Icmpv4DstUnreachable.NET_UNREACH_TOS: errno.ENETUNREACH,
    Icmpv4DstUnreachable.HOST_UNREACH_TOS: errno.EHOSTUNREACH,
    Icmpv4DstUnreachable.COMM_PROHIBITED: errno.EHOSTUNREACH,
    Icmpv4DstUnreachable.HOST_PRECEDENCE_VIOLATION: errno.EHOSTUNREACH,
    Icmpv4DstUnreachable.PRECEDENCE_CUTOFF: errno.EHOSTUNREACH,
}
_V6_UNREACHABLE = {
    Icmpv6DstUnreachable.NO_ROUTE: errno.ENETUNREACH,
    Icmpv6DstUnreachable.ADMIN_PROHIBITED: errno.EACCES,
    Icmpv6DstUnreachable.BEYOND_SCOPE: errno.EHOSTUNREACH,
    Icmpv6DstUnreachable.ADDR_UNREACHABLE: errno.EHOSTUNREACH,
    Icmpv6DstUnreachable.PORT_UNREACHABLE: errno.ECONNREFUSED,
}


def udp_error(message: bytes, source: IpAddress) -> tuple[OSError, IpEndpoint] | None:
    """Return the error an ICMP ``message`` from ``source`` reports, and the destination of
    the datagram it quotes; None for a message that is no such error or is damaged."""
    header: Any
    try:
        if source.version == 4:
            v4 = Icmpv4Repr.parse(Icmpv4Packet(message), _IGNORED)
            header, quoted = v4.header, v4.data
            if v4.message == Icmpv4Message.DST_UNREACHABLE:
                code = _V4_UNREACHABLE.get(v4.code, errno.EHOSTUNREACH)  # type: ignore[call-overload]
            elif v4.message == Icmpv4Message.TIME_EXCEEDED:
                code = errno.EHOSTUNREACH
            elif v4.message == Icmpv4Message.PARAM_PROBLEM:
                code = errno.EPROTO
            else:
                return None
        else:
            v6 = Icmpv6Repr.parse(Icmpv6Packet(message), source, source, _IGNORED)
            header, quoted = v6.header, v6.data
            if v6.message == Icmpv6Message.DST_UNREACHABLE:
                code = _V6_UNREACHABLE.get(v6.code, errno.EHOSTUNREACH)  # type: ignore[call-overload]
            elif v6.message == Icmpv6Message.PKT_TOO_BIG:
                code = errno.EMSGSIZE
            elif v6.message == Icmpv6Message.TIME_EXCEEDED:
                code = errno.EHOSTUNREACH
            elif v6.message == Icmpv6Message.PARAM_PROBLEM:
                code = errno.EPROTO
            else:
                return None
        if header is None:
            return None
        # The quoted datagram may be cut anywhere after the UDP header's ports (RFC 792
        # quotes 8 octets): read only the destination port, through an unchecked view.
        port = UdpPacket.new_unchecked(bytes(quoted)).dst_port if len(quoted) >= 4 else 0
    except ValueError:
        return None
    dst = IpEndpoint(header.dst_addr, port)
    text = f"{errno.errorcode.get(code, code)} reported by {source} for {dst}"
    exc_type = ConnectionRefusedError if code == errno.ECONNREFUSED else OSError
    return exc_type(code, text), dst
