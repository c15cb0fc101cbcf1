"""`Context.in_same_network` (kept as integer prefixes) against `IpCidr.contains_addr`."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from smoltcp.stack import kernels
from smoltcp.stack.iface.context import Context
from smoltcp.stack.time import Instant
from smoltcp.wire import ChecksumCapabilities, IpCidr, Ipv4Address, Ipv4Cidr, Ipv6Address, Ipv6Cidr

v4 = st.integers(1, (1 << 32) - 2).map(Ipv4Address)
v6 = st.integers(1, (1 << 128) - 1).map(Ipv6Address)
# Addresses near one another, so that prefixes contain some of them and miss others.
near4 = st.integers(0x0A000000, 0x0A0003FF).map(Ipv4Address)
near6 = st.integers(0xFDAA << 112, (0xFDAA << 112) + 0x3FF).map(Ipv6Address)
cidr4 = st.builds(Ipv4Cidr, near4 | v4, st.integers(0, 32))
cidr6 = st.builds(Ipv6Cidr, near6 | v6, st.integers(0, 128))


def context(cidrs: list[IpCidr]) -> Context:
    cx = Context(
        None, 1500, ChecksumCapabilities(), kernels.internet_sum, random.Random(0), Instant(0)
    )
    cx.set_ip_addrs(tuple(cidrs))
    return cx


@given(st.lists(cidr4 | cidr6, max_size=5), st.lists(near4 | near6 | v4 | v6, max_size=20))
def test_in_same_network_agrees_with_contains_addr(
    cidrs: list[IpCidr], addrs: list[Ipv4Address | Ipv6Address]
) -> None:
    cx = context(cidrs)
    for addr in addrs:
        assert cx.in_same_network(addr) == any(c.contains_addr(addr) for c in cidrs)


def test_in_same_network_follows_the_addresses() -> None:
    cx = context([IpCidr.parse("10.0.0.1/24")])
    inside, outside = Ipv4Address("10.0.0.77"), Ipv4Address("10.0.1.77")
    assert cx.in_same_network(inside) and not cx.in_same_network(outside)
    assert not cx.in_same_network(Ipv6Address("fdaa::1"))
    cx.set_ip_addrs((IpCidr.parse("10.0.1.1/24"), IpCidr.parse("fdaa::1/64")))
    assert cx.in_same_network(outside) and not cx.in_same_network(inside)
    assert cx.in_same_network(Ipv6Address("fdaa::1234"))
    cx.set_ip_addrs(())
    assert not cx.in_same_network(outside)
