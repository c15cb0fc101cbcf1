"""IPv6 source address selection (RFC 6724 5) by the interface's context and on its own."""

from __future__ import annotations

import pytest

from smoltcp.stack.iface.addresses import scope, select_source, source_for
from smoltcp.stack.testing import Harness
from smoltcp.wire import EthernetAddress, IpAddress, IpCidr, Ipv6Address

ULA = Ipv6Address("fdaa::1")
LL = Ipv6Address("fe80::1")
# The link-local address formed from the harness's MAC 02-00-00-00-00-01 (RFC 4862 5.3).
MAC_LL = Ipv6Address("fe80::ff:fe00:1")


def a(text: str) -> Ipv6Address:
    return Ipv6Address(text)


def host(*cidrs: str, hardware_addr: str = "02-00-00-00-00-01") -> Harness:
    h = Harness(cidr="", hardware_addr=hardware_addr)
    h.iface.update_ip_addrs(lambda addrs: addrs.extend(IpCidr.parse(c) for c in cidrs))
    return h


def test_scope_of_unicast_and_multicast_addresses() -> None:
    assert scope(a("fe80::1")) == scope(a("::1")) == 2
    assert scope(a("fec0::1")) == 5
    assert scope(a("fdaa::1")) == scope(a("2001:db8::1")) == 14
    assert scope(a("ff02::1")) == 2 and scope(a("ff05::2")) == 5 and scope(a("ff0e::1")) == 14


def test_a_link_local_peer_gets_the_link_local_source_whatever_the_order() -> None:
    for order in (("fdaa::1/64", "fe80::1/64"), ("fe80::1/64", "fdaa::1/64")):
        cx = host(*order).iface.context
        assert cx.get_source_address(a("fe80::100")) == LL
        assert cx.get_source_address(a("fdaa::100")) == ULA
        assert cx.get_source_address(a("2001:db8::1")) == ULA  # through a router
        assert cx.get_source_address(a("ff02::1")) == LL


def test_the_link_local_address_formed_from_the_mac_is_a_source_for_the_link_only() -> None:
    h = host("fdaa::1/64")
    cx = h.iface.context
    assert cx.get_source_address(a("fe80::100")) == MAC_LL
    assert cx.get_source_address(a("fdaa::100")) == ULA
    # A link-local source never leaves the link: none for a global peer without a global one.
    h.iface.update_ip_addrs(lambda addrs: addrs.clear())
    assert cx.get_source_address(a("fe80::100")) == MAC_LL
    assert cx.get_source_address(a("2001:db8::1")) is None
    # The cache follows the hardware address and the address's duplicate detection.
    h.iface.set_hardware_addr(EthernetAddress.parse("02-00-00-00-00-02"))
    assert cx.get_source_address(a("fe80::100")) == a("fe80::ff:fe00:2")
    cx.set_unusable(frozenset({a("fe80::ff:fe00:2")}))
    assert cx.get_source_address(a("fe80::100")) is None
    cx.set_unusable(frozenset())
    assert cx.get_source_address(a("fe80::100")) == a("fe80::ff:fe00:2")


def test_a_configured_link_local_address_wins_over_the_formed_one() -> None:
    cx = host("fdaa::2/64", "fe80::2/64").iface.context
    assert cx.get_source_address(a("fe80::100")) == a("fe80::2")


def test_own_address_deprecated_and_longest_prefix() -> None:
    h = host("fdaa::1/64", "2001:db8:1::1/64", "fdbb::1/64")
    cx = h.iface.context
    # Rule 1: the destination itself.
    assert cx.get_source_address(a("fdbb::1")) == a("fdbb::1")
    # Rule 8: the longest common prefix, counted up to the source's prefix length.
    assert cx.get_source_address(a("fdbb::77")) == a("fdbb::1")
    assert cx.get_source_address(a("2001:db8:2::5")) == a("2001:db8:1::1")
    # Rule 3 before rule 8: a deprecated address only when nothing else fits.
    cx.set_deprecated(frozenset({a("fdbb::1")}))
    assert cx.get_source_address(a("fdbb::77")) == a("fdaa::1")
    cx.set_deprecated(frozenset({a("fdaa::1"), a("2001:db8:1::1"), a("fdbb::1")}))
    assert cx.get_source_address(a("fdbb::77")) == a("fdbb::1")
    # Rule 2 before rule 3: a deprecated global address rather than a link-local one.
    assert cx.get_source_address(a("2001:db8:9::1")) == a("2001:db8:1::1")
    assert cx.get_source_address(a("fe80::100")) == MAC_LL


def test_select_source_on_its_own() -> None:
    assert select_source(a("fe80::9"), []) is None
    pairs = [(ULA, 64), (LL, 64)]
    assert select_source(a("fe80::9"), pairs) == LL
    assert select_source(a("fdaa::9"), pairs) == ULA
    # A scope below the destination's only when nothing reaches it: the largest of them.
    assert select_source(a("2001:db8::1"), [(LL, 64), (a("fec0::1"), 64)]) == a("fec0::1")
    # Of scopes that reach it, the smallest.
    assert select_source(a("fec0::9"), [(ULA, 64), (a("fec0::1"), 64)]) == a("fec0::1")
    # The prefix length caps the common prefix: then the earlier candidate wins the tie.
    assert select_source(a("fdaa::1:9"), [(a("fdaa::2"), 8), (ULA, 8)]) == a("fdaa::2")
    assert select_source(a("fdaa::1:9"), [(a("fdaa::2"), 8), (ULA, 128)]) == ULA
    assert source_for(a("fe80::9"), (ULA, LL), frozenset()) == LL
    assert source_for(a("fdaa::9"), (LL, ULA), frozenset({ULA})) == ULA


def test_the_unicast_addresses_follow_every_change() -> None:
    h = host("fdaa::1/64")
    cx = h.iface.context
    assert cx.ipv6_unicast_addrs() == (MAC_LL, ULA)
    h.iface.update_ip_addrs(lambda addrs: addrs.append(IpCidr.parse("fdbb::1/64")))
    assert cx.ipv6_unicast_addrs() == (MAC_LL, ULA, a("fdbb::1"))
    cx.set_unusable(frozenset({MAC_LL}))
    assert cx.ipv6_unicast_addrs() == (ULA, a("fdbb::1"))
    cx.set_unusable(frozenset())
    h.iface.set_hardware_addr(EthernetAddress.parse("02-00-00-00-00-02"))
    assert cx.ipv6_unicast_addrs() == (a("fe80::ff:fe00:2"), ULA, a("fdbb::1"))


def test_no_source_reaches_a_loopback_destination_but_on_a_loopback_interface() -> None:
    # 127/8 and ::1 never appear outside a host (RFC 1122 3.2.1.3, RFC 4291 2.5.3). UDP and
    # ICMP sockets sent to them through the default router, and connect opened towards them
    # (found with the fuzz harness's app target): now they have no source address, so the
    # datagram is a counted drop and connect is refused as unaddressable.
    from smoltcp.stack.socket import UdpSocket
    from smoltcp.stack.socket.errors import ConnectError
    from smoltcp.stack.tcp import TcpSocket
    from smoltcp.wire import Ipv4Address

    h = host("192.168.69.1/24", "fdaa::1/64")
    h.iface.routes.add_default_ipv4_route(Ipv4Address("192.168.69.254"))
    cx = h.iface.context
    for dst in ("127.0.0.1", "127.9.9.9", "::1"):
        assert cx.get_source_address(IpAddress.parse(dst)) is None
    assert cx.get_source_address(IpAddress.parse("10.0.0.1")) == Ipv4Address("192.168.69.1")
    udp = UdpSocket(1024, 1024)
    udp.bind(4000)
    h.sockets.add(udp)
    udp.send_to(b"x", ("127.0.0.1", 9))
    udp.send_to(b"x", ("::1", 9))
    assert h.poll() == []
    assert udp.tx_dropped == 2
    sock = TcpSocket(64, 64)
    h.sockets.add(sock)
    with pytest.raises(ConnectError, match="unaddressable"):
        sock.connect(cx, ("127.0.0.1", 80), 0)
    # Naming our address as the local end does not get a SYN out to 127.0.0.1 either, nor
    # does a loopback local end reach a peer.
    with pytest.raises(ConnectError, match="unaddressable"):
        sock.connect(cx, ("127.0.0.1", 80), ("192.168.69.1", 4000))
    with pytest.raises(ConnectError, match="unaddressable"):
        sock.connect(cx, ("192.168.69.2", 80), ("127.0.0.1", 4000))
    assert h.poll() == []
    # A loopback interface reaches its own prefix.
    lo = host("127.0.0.1/8", "::1/128")
    for dst, src in (("127.0.0.2", "127.0.0.1"), ("::1", "::1")):
        assert lo.iface.context.get_source_address(IpAddress.parse(dst)) == IpAddress.parse(src)


def test_no_source_reaches_an_ipv4_mapped_destination() -> None:
    # ::ffff:0:0/96 never appears on the wire (RFC 4291 2.5.5.2): every sender that asks the
    # context (DNS queries to a configured server, ICMP, unbound UDP) gets no source for it.
    # (Link-local fe80::/64 and a global prefix: RFC 6724 found one for it.)
    from smoltcp.wire import Ipv6Address

    h = host("192.168.69.1/24", "fdaa::1/64")
    h.iface.routes.add_default_ipv6_route(Ipv6Address("fdaa::100"))
    cx = h.iface.context
    assert cx.get_source_address(IpAddress.parse("::ffff:192.168.69.2")) is None
    assert cx.get_source_address(IpAddress.parse("2001:db8::1")) == Ipv6Address("fdaa::1")


def test_a_loopback_address_held_beside_others_never_reaches_the_wire() -> None:
    # With 127.0.0.1/8 listed first, the off-link fallback took it as the source: connect to
    # 8.8.8.8 sent its SYN from 127.0.0.1 through the router, while the address order decided
    # whether a loopback local end towards our own address was refused.
    from smoltcp.stack.socket.errors import ConnectError
    from smoltcp.stack.tcp import TcpSocket
    from smoltcp.wire import Ipv4Address

    for order in (("127.0.0.1/8", "10.0.0.1/24"), ("10.0.0.1/24", "127.0.0.1/8")):
        h = host(*order)
        h.iface.routes.add_default_ipv4_route(Ipv4Address("10.0.0.254"))
        cx = h.iface.context
        assert cx.get_source_address(IpAddress.parse("8.8.8.8")) == Ipv4Address("10.0.0.1")
        sock = TcpSocket(64, 64)
        h.sockets.add(sock)
        sock.connect(cx, ("8.8.8.8", 80), 5000)
        assert sock.local_endpoint.addr == Ipv4Address("10.0.0.1")
        sock.abort()
        # A loopback end talks to loopback addresses and our own ones only.
        with pytest.raises(ConnectError, match="unaddressable"):
            sock.connect(cx, ("8.8.8.8", 80), ("127.0.0.1", 4000))
        with pytest.raises(ConnectError, match="unaddressable"):
            sock.connect(cx, ("10.0.0.2", 80), ("127.0.0.1", 4000))
        sock.connect(cx, ("10.0.0.1", 80), ("127.0.0.1", 4000))
        sock.abort()
        sock.connect(cx, ("127.0.0.2", 80), ("127.0.0.1", 4000))


def test_ipv6_loopback_is_the_source_of_no_other_destination() -> None:
    # With ::1 held beside the link-local address only (no global one yet), RFC 6724 chose
    # ::1 for a global destination: UDP, ICMP and a socket bound to ff02::fb sent from it
    # through the router (IPv4 already never took a loopback source off-link).
    from smoltcp.stack.socket import UdpSocket

    h = host("::1/128")
    h.iface.routes.add_default_ipv6_route(a("fe80::100"))
    cx = h.iface.context
    assert cx.get_source_address(a("2001:db8::1")) is None
    assert cx.get_source_address(a("fe80::5")) == a("fe80::ff:fe00:1")
    assert cx.get_source_address(a("::1")) == a("::1")
    udp = UdpSocket(1024, 1024)
    udp.bind(("ff02::fb", 5353))
    h.sockets.add(udp)
    udp.send_to(b"x", ("2001:db8::1", 9))
    assert h.poll() == []
    assert udp.tx_dropped == 1
    # With a global address it is that one.
    h.iface.update_ip_addrs(lambda addrs: addrs.append(IpCidr.parse("2001:db8::2/64")))
    assert cx.get_source_address(a("2001:db8:1::1")) == a("2001:db8::2")


def test_an_ipv4_mapped_address_is_no_interface_address() -> None:
    # It was taken, and then chosen as the source for IPv6 destinations: on the wire, where
    # ::ffff:0:0/96 never appears (RFC 4291 2.5.5.2).
    h = host("192.168.69.1/24")
    with pytest.raises(ValueError, match="cannot be an interface address"):
        h.iface.update_ip_addrs(lambda addrs: addrs.append(IpCidr.parse("::ffff:10.0.0.1/96")))
    assert len(h.iface.ip_addrs) == 1
