"""Addresses: parsing, formatting, ordering, hashing, CIDR arithmetic, endpoints."""

from __future__ import annotations

import ipaddress
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smoltcp.wire import (
    EthernetAddress,
    IpAddress,
    IpCidr,
    IpEndpoint,
    Ipv4Address,
    Ipv4Cidr,
    IpVersion,
)


def test_ethernet_parse_and_format() -> None:
    a = EthernetAddress.parse("02-00-00-00-00-01")
    assert a == EthernetAddress.parse("02:00:00:00:00:01")
    assert bytes(a) == b"\x02\x00\x00\x00\x00\x01"
    assert str(a) == "02-00-00-00-00-01"
    assert str(EthernetAddress.parse("AA:bb:cc:dd:ee:FF")) == "aa-bb-cc-dd-ee-ff"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "02-00-00-00-00",
        "02-00-00-00-00-01-02",
        "2-0-0-0-0-1",
        "02:00-00-00-00-01",
        "zz-00-00-00-00-00",
        "02-00-00-00-00-+1",
        "020000000001",
    ],
)
def test_ethernet_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="Ethernet address"):
        EthernetAddress.parse(text)


def test_ethernet_kinds() -> None:
    assert EthernetAddress.BROADCAST.is_broadcast
    assert EthernetAddress.BROADCAST.is_multicast
    assert not EthernetAddress.BROADCAST.is_unicast
    mc = EthernetAddress.parse("01-00-5e-00-00-01")
    assert mc.is_multicast and not mc.is_broadcast and not mc.is_unicast
    uc = EthernetAddress.parse("02-00-00-00-00-01")
    assert uc.is_unicast and uc.is_local and not uc.is_multicast


def test_ethernet_length_and_immutability() -> None:
    with pytest.raises(ValueError):
        EthernetAddress(b"\x00" * 5)
    a = EthernetAddress(bytearray(6))
    with pytest.raises(AttributeError):
        a._octets = b"\x01" * 6  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(a)) == a


@given(st.binary(min_size=6, max_size=6), st.binary(min_size=6, max_size=6))
def test_ethernet_order_hash_round_trip(x: bytes, y: bytes) -> None:
    a, b = EthernetAddress(x), EthernetAddress(y)
    assert (a < b) == (x < y) and (a <= b) == (x <= y) and (a == b) == (x == y)
    assert EthernetAddress.parse(str(a)) == a
    assert {a: 1}[EthernetAddress(memoryview(x))] == 1


@given(st.integers(0, 2**32 - 1))
def test_ipv4_against_ipaddress(n: int) -> None:
    ref = ipaddress.IPv4Address(n)
    a = Ipv4Address(n)
    assert str(a) == str(ref)
    assert a.packed == ref.packed
    assert int(a) == n
    assert Ipv4Address(str(ref)) == a == Ipv4Address(ref.packed) == IpAddress.parse(str(ref))
    assert hash(a) == hash(Ipv4Address(bytearray(ref.packed)))
    assert a.is_multicast == ref.is_multicast
    assert a.is_loopback == ref.is_loopback
    assert a.is_link_local == ref.is_link_local
    assert a.is_unspecified == ref.is_unspecified


@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_ipv4_order(x: int, y: int) -> None:
    a, b = Ipv4Address(x), Ipv4Address(y)
    assert (a < b) == (x < y) and (a >= b) == (x >= y) and (a != b) == (x != y)
    assert sorted([b, a]) == [Ipv4Address(v) for v in sorted([x, y])]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1.2.3",
        "1.2.3.4.5",
        "256.0.0.1",
        "01.2.3.4",
        "1.2.3.-4",
        "1.2.3. 4",
        "a.b.c.d",
        "1..3.4",
        "1.2.3.4/24",
        "\u0661.2.3.4",  # a non-ASCII digit
    ],
)
def test_ipv4_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="IPv4 address"):
        Ipv4Address(text)


def test_ipv4_misc() -> None:
    assert Ipv4Address.BROADCAST.is_broadcast and not Ipv4Address.BROADCAST.is_unicast
    assert Ipv4Address.UNSPECIFIED.is_unspecified
    assert Ipv4Address("10.0.0.1").is_unicast
    assert Ipv4Address("10.0.0.1").version == IpVersion.V4 == 4
    assert repr(Ipv4Address("10.0.0.1")) == "Ipv4Address('10.0.0.1')"
    assert f"{Ipv4Address('10.0.0.1'):>9}" == " 10.0.0.1"
    assert Ipv4Address("10.0.0.1") != b"\x0a\x00\x00\x01"
    for bad in (-1, 2**32):
        with pytest.raises(ValueError):
            Ipv4Address(bad)
    with pytest.raises(ValueError):
        Ipv4Address(b"\x00" * 5)
    with pytest.raises(TypeError):
        Ipv4Address(1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="IPv6"):
        IpAddress.parse("::1::")
    with pytest.raises(AttributeError):
        Ipv4Address("10.0.0.1").foo = 1  # type: ignore[attr-defined]
    assert pickle.loads(pickle.dumps(Ipv4Address("1.2.3.4"))) == Ipv4Address("1.2.3.4")


def test_cidr() -> None:
    c = IpCidr.parse("192.168.69.1/24")
    assert isinstance(c, Ipv4Cidr)
    assert c.address == Ipv4Address("192.168.69.1") and c.prefix_len == 24
    assert str(c) == "192.168.69.1/24"
    assert c.netmask() == Ipv4Address("255.255.255.0")
    assert c.network() == Ipv4Cidr.parse("192.168.69.0/24")
    assert c.broadcast() == Ipv4Address("192.168.69.255")
    assert c.contains_addr(Ipv4Address("192.168.69.254"))
    assert not c.contains_addr(Ipv4Address("192.168.70.1"))
    assert c.contains_subnet(Ipv4Cidr.parse("192.168.69.128/25"))
    assert not c.contains_subnet(Ipv4Cidr.parse("192.168.0.0/16"))
    assert Ipv4Cidr.parse("10.0.0.1/31").broadcast() is None
    assert Ipv4Cidr.parse("10.0.0.1/32").broadcast() is None
    assert Ipv4Cidr.parse("10.0.0.1/0").contains_addr(Ipv4Address("200.1.1.1"))
    assert Ipv4Cidr.parse("10.0.0.1/0").netmask() == Ipv4Address.UNSPECIFIED
    assert hash(c) == hash(Ipv4Cidr(Ipv4Address("192.168.69.1"), 24))
    for bad in ("10.0.0.1", "10.0.0.1/33", "10.0.0.1/", "10.0.0.1/-1", "10.0.0/8"):
        with pytest.raises(ValueError):
            IpCidr.parse(bad)


@given(st.integers(0, 2**32 - 1), st.integers(0, 32), st.integers(0, 2**32 - 1))
def test_cidr_against_ipaddress(n: int, plen: int, other: int) -> None:
    ref = ipaddress.IPv4Interface((n, plen))
    c = Ipv4Cidr(Ipv4Address(n), plen)
    assert str(c.network()) == str(ref.network)
    assert str(c.netmask()) == str(ref.netmask)
    assert c.contains_addr(Ipv4Address(other)) == (ipaddress.IPv4Address(other) in ref.network)
    if plen < 31:
        assert str(c.broadcast()) == str(ref.network.broadcast_address)


def test_endpoint() -> None:
    e = IpEndpoint.parse("1.2.3.4:80")
    assert e == IpEndpoint(Ipv4Address("1.2.3.4"), 80)
    assert str(e) == "1.2.3.4:80"
    assert str(IpEndpoint(None, 80)) == "*:80"
    assert IpEndpoint.parse("*:80") == IpEndpoint(None, 80)
    assert e.is_specified() and not IpEndpoint(None, 80).is_specified()
    for bad in ("1.2.3.4", "1.2.3.4:", "1.2.3.4:65536", "1.2.3:80", ":80"):
        with pytest.raises(ValueError):
            IpEndpoint.parse(bad)
