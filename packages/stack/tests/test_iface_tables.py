"""The interface's tables on their own: neighbour cache, routes, context, counters."""

from __future__ import annotations

import pytest

from smoltcp.stack.iface import Counters, NeighborCache, Route, Routes
from smoltcp.stack.testing import Harness
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import EthernetAddress, IpAddress, IpCidr, Ipv4Address

A = Ipv4Address("10.0.0.1")
B = Ipv4Address("10.0.0.2")
MAC = EthernetAddress.parse("02-00-00-00-00-aa")


def test_neighbor_cache_fill_lookup_expire_remove() -> None:
    cache = NeighborCache(capacity=2, expiry=Duration.from_secs(10))
    cache.fill(A, MAC, Instant.ZERO)
    assert cache.lookup(A, Instant.from_secs(9)) == MAC
    assert cache.lookup(A, Instant.from_secs(10)) is None
    assert A not in cache  # an expired entry is forgotten on look-up
    cache.fill(A, MAC, Instant.ZERO)
    cache.fill(B, MAC, Instant.ZERO)
    assert [(addr, hw) for addr, hw, _ in cache] == [(A, MAC), (B, MAC)]
    cache.remove(A)
    assert len(cache) == 1
    cache.flush()
    assert len(cache) == 0
    with pytest.raises(ValueError):
        NeighborCache(capacity=-1)
    empty = NeighborCache(capacity=0)
    empty.fill(A, MAC, Instant.ZERO)
    assert len(empty) == 0


def test_neighbor_cache_refill_moves_to_the_back_of_the_eviction_order() -> None:
    cache = NeighborCache(capacity=2)
    cache.fill(A, MAC, Instant.ZERO)
    cache.fill(B, MAC, Instant.ZERO)
    cache.fill(A, MAC, Instant.from_secs(1))  # A is now the newest
    cache.fill(Ipv4Address("10.0.0.3"), MAC, Instant.from_secs(2))
    assert A in cache and B not in cache


def test_routes_replace_update_and_types() -> None:
    routes = Routes()
    gw1, gw2 = Ipv4Address("10.0.0.254"), Ipv4Address("10.0.0.253")
    assert routes.add_default_ipv4_route(gw1) is None
    old = routes.add_default_ipv4_route(gw2)
    assert old is not None and old.via_router == gw1
    assert routes.lookup(Ipv4Address("1.2.3.4"), Instant.ZERO) == gw2
    routes.add(IpCidr.parse("192.168.1.77/24"), gw1)  # host bits ignored
    assert [str(r.cidr) for r in routes] == ["192.168.1.0/24", "0.0.0.0/0"]
    routes.update(lambda rs: rs.pop())
    assert routes.lookup(Ipv4Address("1.2.3.4"), Instant.ZERO) is None
    assert routes.remove_default_ipv4_route() is None
    with pytest.raises(TypeError):
        routes.add_default_ipv4_route("10.0.0.1")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        routes.update(lambda rs: rs.append(("x", "y")))  # type: ignore[arg-type]
    assert isinstance(next(iter(routes)), Route)


@pytest.mark.parametrize(
    "router",
    [
        "0.0.0.0",
        "255.255.255.255",
        "224.0.0.1",
        "127.0.0.1",
        "::",
        "ff02::2",
        "::1",
        "::ffff:10.9.0.1",
    ],
)
def test_no_route_goes_through_an_address_no_router_can_have(router: str) -> None:
    # It was taken: the interface then asked the link for the neighbour of a group, a
    # broadcast or a loopback address (DHCP leases are filtered; the application's were not).
    routes = Routes()
    addr = IpAddress.parse(router)
    prefix = IpCidr.parse("10.9.0.0/16" if addr.version == 4 else "fd09::/64")
    default = IpCidr.parse("0.0.0.0/0" if addr.version == 4 else "::/0")
    with pytest.raises(ValueError, match=r"is no router's address"):
        routes.add(prefix, addr)
    with pytest.raises(ValueError, match=r"is no router's address"):
        if addr.version == 4:
            routes.add_default_ipv4_route(addr)  # type: ignore[arg-type]
        else:
            routes.add_default_ipv6_route(addr)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"is no router's address"):
        routes.update(lambda rs: rs.append(Route(default, addr)))
    assert len(routes) == 0


def test_context_source_address_selection() -> None:
    h = Harness(cidr="192.168.69.1/24")
    h.iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("10.1.0.1/16")))
    cx = h.iface.context
    assert cx.get_source_address(Ipv4Address("10.1.2.3")) == Ipv4Address("10.1.0.1")
    assert cx.get_source_address(Ipv4Address("192.168.69.9")) == Ipv4Address("192.168.69.1")
    # Off-link: the first address (the route goes through a router).
    assert cx.get_source_address(Ipv4Address("8.8.8.8")) == Ipv4Address("192.168.69.1")
    assert cx.is_broadcast(Ipv4Address("10.1.255.255")) and cx.is_broadcast(
        Ipv4Address("255.255.255.255")
    )
    assert not cx.is_broadcast(Ipv4Address("10.1.0.255"))
    assert cx.ip_mtu == 1500 and cx.now == h.now
    h.iface.update_ip_addrs(lambda a: a.clear())
    assert cx.get_source_address(Ipv4Address("8.8.8.8")) is None
    assert h.iface.ipv4_addr() is None


def test_context_rand_is_seeded_from_the_config() -> None:
    a = Harness(random_seed=42).iface.context.rand.random()
    b = Harness(random_seed=42).iface.context.rand.random()
    c = Harness(random_seed=43).iface.context.rand.random()
    assert a == b != c


def test_counters() -> None:
    c = Counters()
    c.dropped["x"] += 2
    c.sent = 3
    assert c.total_dropped() == 2
    d = c.as_dict()
    assert d["sent"] == 3 and d["dropped"] == {"x": 2}
    assert "dropped={'x': 2}" in repr(c)
