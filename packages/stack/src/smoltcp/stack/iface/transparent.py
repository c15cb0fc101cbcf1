"""Transparent mode: which packets to other hosts' addresses the interface takes as its own.

With `Config.any_ip` on, an IPv4 or IPv6 packet whose destination is none of the interface's
addresses is still delivered to the sockets, as a TUN-facing proxy (tun2socks, onetun)
needs: a catch-all listener (`TcpSocket.listen_any`) or UDP socket (`TransparentUdpSocket`)
takes it, and the connection it makes keeps the destination the client dialled as its local
endpoint, so the answers leave from that address.

Only packets *routed to the device* are taken: the operating system (or a router) chose to
send them to this interface. On an IP (TUN) device every packet is; on an Ethernet (TAP)
device only the frames addressed to the interface's own hardware address are (the MAC filter
runs first). The interface answers ARP and NDP for its own addresses only, never for the
destinations it accepts (it is no proxy ARP): a peer on Ethernet must route those
destinations through one of the interface's addresses, and an on-link destination it
resolves itself never reaches us.

Never taken, whatever the mode: multicast and broadcast destinations (handled as before),
the unspecified address, loopback (127/8, ::1; they never appear on a wire, RFC 1122
3.2.1.3), IPv4 "this network" (0/8) and class E (240/4), IPv6 link-local (fe80::/10 is
scoped to the link and names a neighbour, not a remote host) and IPv4-mapped
(``::ffff:a.b.c.d`` stands for an IPv4 node inside a host's API, never on the wire: RFC 4291
2.5.5.2; answers would leave from it).
"""

from __future__ import annotations

from smoltcp.wire import IpAddress

__all__ = ["accepts_any_destination"]


def accepts_any_destination(dst: IpAddress) -> bool:
    """Return whether ``dst``, none of our addresses, may be delivered in transparent mode.

    The caller has already handled our own, broadcast and multicast destinations; this says
    yes to every other unicast address a host could be reached at (see the module).
    """
    if dst.version == 4:
        first = dst.packed[0]
        return first != 0 and first != 127 and first < 224
    return not (
        dst.is_unspecified
        or dst.is_loopback
        or dst.is_multicast
        or dst.is_link_local
        or dst._int >> 32 == 0xFFFF  # ::ffff:0:0/96
    )
