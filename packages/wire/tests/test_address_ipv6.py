"""IPv6 addresses and prefixes: text forms, classes, CIDR arithmetic, endpoints.

The standard library's `ipaddress` is the oracle. Where RFC 5952 and the standard library
differ, the test says so: on Python 3.11 and 3.12 ``str(ipaddress.IPv6Address)`` writes an
IPv4-mapped address in hexadecimal (``::ffff:102:304``) where RFC 5952 section 5 recommends the
dotted quad (``::ffff:1.2.3.4``, what newer Pythons write too); and the standard library accepts
a zone identifier (``fe80::1%eth0``, RFC 4007), which is not part of an address and is refused
here.
"""

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
    Ipv6Address,
    Ipv6Cidr,
    Ipv6MulticastScope,
    IpVersion,
    modified_eui64,
)

U128 = st.integers(0, 2**128 - 1)
# Values with many zero groups, so that compression (and its ties) is exercised.
GROUPS = st.lists(
    st.sampled_from([0, 0, 0, 1, 0xFFFF, 0xABC, 0x10]) | st.integers(0, 0xFFFF),
    min_size=8,
    max_size=8,
)


def from_groups(groups: list[int]) -> int:
    n = 0
    for g in groups:
        n = n << 16 | g
    return n


def rfc5952(n: int) -> str:
    """The RFC 5952 text of ``n``, built from the standard library's."""
    ref = ipaddress.IPv6Address(n)
    if ref.ipv4_mapped is not None:
        # RFC 5952 5: IPv4-mapped in mixed notation (the stdlib of 3.11 writes hex groups).
        return f"::ffff:{ref.ipv4_mapped}"
    return str(ref)


@given(U128 | GROUPS.map(from_groups))
def test_against_ipaddress(n: int) -> None:
    ref = ipaddress.IPv6Address(n)
    a = Ipv6Address(n)
    assert str(a) == rfc5952(n)
    assert a.packed == ref.packed and bytes(a) == ref.packed
    assert int(a) == n
    assert Ipv6Address(str(a)) == a == Ipv6Address(ref.packed) == IpAddress.parse(str(ref))
    assert Ipv6Address(ref.exploded) == a == Ipv6Address.parse(ref.compressed.upper())
    assert hash(a) == hash(Ipv6Address(bytearray(ref.packed)))
    assert a.version == IpVersion.V6 == 6
    # The classes against the standard library's predicates and prefixes.
    assert a.is_unspecified == ref.is_unspecified
    assert a.is_loopback == ref.is_loopback
    assert a.is_multicast == ref.is_multicast
    assert a.is_link_local == ref.is_link_local
    assert a.is_unique_local == (ref in ipaddress.IPv6Network("fc00::/7"))
    assert a.is_solicited_node_multicast == (ref in ipaddress.IPv6Network("ff02::1:ff00:0/104"))
    assert a.is_ipv4_mapped == (ref.ipv4_mapped is not None)
    mapped = a.ipv4_mapped()
    assert (None if mapped is None else str(mapped)) == (
        None if ref.ipv4_mapped is None else str(ref.ipv4_mapped)
    )
    assert not a.is_broadcast
    assert a.is_unicast == (not ref.is_multicast and not ref.is_unspecified)
    if a.is_multicast:
        assert a.multicast_scope == Ipv6MulticastScope(ref.packed[1] & 0x0F)
    else:
        assert a.multicast_scope is None


@st.composite
def text_forms(draw: st.DrawFn) -> tuple[int, str]:
    """Any valid RFC 4291 2.2 text of a value: leading zeros, case, '::' over any zero run
    (not only the longest), a dotted quad for the last 32 bits."""
    groups = draw(GROUPS)
    n = from_groups(groups)
    dotted = draw(st.booleans())
    count = 6 if dotted else 8
    parts = []
    for g in groups[:count]:
        width = draw(st.integers(len(format(g, "x")), 4))
        h = format(g, f"0{width}x")
        parts.append(h.upper() if draw(st.booleans()) else h)
    runs = [
        (i, j)
        for i in range(count)
        for j in range(i + 1, count + 1)
        if all(g == 0 for g in groups[i:j])
    ]
    if dotted:
        tail_v4 = str(ipaddress.IPv4Address(n & 0xFFFFFFFF))
    if runs and draw(st.booleans()):
        i, j = draw(st.sampled_from(runs))
        left, right = parts[:i], parts[j:]
        if dotted:
            right = [*right, tail_v4]
        text = ":".join(left) + "::" + ":".join(right)
    else:
        text = ":".join(parts + ([tail_v4] if dotted else []))
    return n, text


@given(text_forms())
def test_parse_every_form(case: tuple[int, str]) -> None:
    n, text = case
    assert int(ipaddress.IPv6Address(text)) == n  # the oracle agrees the form is valid
    assert int(Ipv6Address(text)) == n
    assert str(Ipv6Address(text)) == rfc5952(n)


@given(st.text(alphabet="0123456789abcdefABCDEF:.", max_size=45))
def test_accepts_exactly_what_ipaddress_accepts(text: str) -> None:
    try:
        expected: int | None = int(ipaddress.IPv6Address(text))
    except ValueError:
        expected = None
    try:
        got: int | None = int(Ipv6Address(text))
    except ValueError as e:
        assert "IPv6 address" in str(e)
        got = None
    assert got == expected


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "::"),
        (1, "::1"),
        ("2001:db8:0:0:0:0:2:1", "2001:db8::2:1"),  # RFC 5952 4.2.1
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),  # 4.2.2: one zero group stays
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),  # 4.2.3: the longest run
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),  # 4.2.3: the first on ties
        ("2001:DB8::AAAA", "2001:db8::aaaa"),  # 4.3: lowercase
        ("2001:0db8::0001", "2001:db8::1"),  # 4.1: no leading zeros
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),  # 5: IPv4-mapped as a dotted quad
        ("::ffff:c000:201", "::ffff:192.0.2.1"),
        ("::192.0.2.1", "::c000:201"),  # deprecated IPv4-compatible: hex (5 lists only mapped)
        ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),  # '::' may stand for one group when read
        ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
        ("fe80::", "fe80::"),
        ("ff02::1:ff00:1", "ff02::1:ff00:1"),
    ],
)
def test_text_golden(value: int | str, text: str) -> None:
    assert str(Ipv6Address(value)) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        ":",
        ":::",
        "1::2::3",  # two '::'
        ":1::",  # a lone leading colon
        "1::2:",  # a lone trailing colon
        "1:2:3:4:5:6:7",  # seven groups, no '::'
        "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7:8::",  # '::' with eight groups beside it
        "::1:2:3:4:5:6:7:8",
        "12345::1",  # five hex digits
        "g::1",
        "::1 ",
        " ::1",
        "::+1",
        "::-1",
        "fe80::1%eth0",  # a zone identifier (RFC 4007) is not an address
        "1.2.3.4::",  # a dotted quad not at the end
        "::1.2.3.4:1",
        "::1.2.3",
        "::1.2.3.256",
        "::01.2.3.4",  # leading zero in the dotted quad
        "1:2:3:4:5:6:7:1.2.3.4",  # a dotted quad where one group is left
        "::ffff:1.2.3.4/24",
        "[::1]",
        "::\u0661",  # a non-ASCII digit
        "\uff11::",  # a fullwidth digit
    ],
)
def test_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="IPv6 address"):
        Ipv6Address(text)
    with pytest.raises(ValueError):
        IpAddress.parse(text)


def test_construction_and_shape() -> None:
    for bad in (-1, 2**128):
        with pytest.raises(ValueError):
            Ipv6Address(bad)
    for octets in (b"\x00" * 15, b"\x00" * 17, bytearray(4)):
        with pytest.raises(ValueError):
            Ipv6Address(octets)
    with pytest.raises(TypeError):
        Ipv6Address(1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Ipv6Address.parse(b"::1")  # type: ignore[arg-type]
    a = Ipv6Address("fdaa::1")
    assert Ipv6Address(a) == a == Ipv6Address(memoryview(a.packed))
    with pytest.raises(AttributeError):
        a._packed = b"\x00" * 16  # type: ignore[misc]
    with pytest.raises(AttributeError):
        a.foo = 1  # type: ignore[attr-defined]
    assert not hasattr(a, "__dict__")
    assert pickle.loads(pickle.dumps(a)) == a
    assert repr(a) == "Ipv6Address('fdaa::1')"
    assert f"{a:>9}" == "  fdaa::1"
    assert a != b"\xfd\xaa" + b"\x00" * 13 + b"\x01"
    assert isinstance(IpAddress.parse("fdaa::1"), Ipv6Address)


@given(U128, U128, st.integers(0, 2**32 - 1))
def test_order_and_versions(x: int, y: int, v4: int) -> None:
    a, b = Ipv6Address(x), Ipv6Address(y)
    assert (a < b) == (x < y) and (a <= b) == (x <= y) and (a >= b) == (x >= y)
    assert (a == b) == (x == y) and (a != b) == (x != y)
    assert sorted([b, a]) == [Ipv6Address(v) for v in sorted([x, y])]
    # Versions never compare equal, and IPv4 orders first.
    c = Ipv4Address(v4)
    assert c != Ipv6Address(v4) and Ipv6Address(v4) != c and c.__eq__(Ipv6Address(v4)) is False
    assert c < a and a > c and c <= a and a >= c
    assert sorted([a, c]) == [c, a]
    assert len({c, Ipv6Address(v4)}) == 2


def test_constants_and_scopes() -> None:
    assert Ipv6Address.UNSPECIFIED.is_unspecified and not Ipv6Address.UNSPECIFIED.is_unicast
    assert Ipv6Address.LOOPBACK.is_loopback and str(Ipv6Address.LOOPBACK) == "::1"
    assert str(Ipv6Address.LINK_LOCAL_ALL_NODES) == "ff02::1"
    assert str(Ipv6Address.LINK_LOCAL_ALL_ROUTERS) == "ff02::2"
    assert str(Ipv6Address.LINK_LOCAL_ALL_MLDV2_ROUTERS) == "ff02::16"
    scopes = {
        "ff01::1": Ipv6MulticastScope.INTERFACE_LOCAL,
        "ff02::1": Ipv6MulticastScope.LINK_LOCAL,
        "ff03::1": Ipv6MulticastScope.REALM_LOCAL,  # RFC 7346
        "ff04::1": Ipv6MulticastScope.ADMIN_LOCAL,
        "ff05::2": Ipv6MulticastScope.SITE_LOCAL,
        "ff08::1": Ipv6MulticastScope.ORGANIZATION_LOCAL,
        "ff0e::1": Ipv6MulticastScope.GLOBAL,
        "ff1e::1": Ipv6MulticastScope.GLOBAL,  # the T flag does not change the scope
        "ff00::": Ipv6MulticastScope.RESERVED_0,
        "ff0f::": Ipv6MulticastScope.RESERVED_F,
        "ff06::": Ipv6MulticastScope.UNASSIGNED_6,
    }
    for text, scope in scopes.items():
        assert Ipv6Address(text).multicast_scope is scope
    assert Ipv6Address("fe80::1").multicast_scope is None
    assert len(Ipv6MulticastScope) == 16


def test_solicited_node() -> None:
    # The example of RFC 4291 2.7.1.
    a = Ipv6Address("4037::01:800:200E:8C6C")
    sn = Ipv6Address.solicited_node(a)
    assert str(sn) == "ff02::1:ff0e:8c6c"
    assert sn.is_solicited_node_multicast and sn.multicast_scope is Ipv6MulticastScope.LINK_LOCAL
    assert not Ipv6Address.LINK_LOCAL_ALL_NODES.is_solicited_node_multicast
    with pytest.raises(TypeError):
        Ipv6Address.solicited_node(Ipv4Address("10.0.0.1"))  # type: ignore[arg-type]


@given(U128)
def test_solicited_node_against_ipaddress(n: int) -> None:
    sn = Ipv6Address.solicited_node(Ipv6Address(n))
    ref = ipaddress.IPv6Address(int(ipaddress.IPv6Address("ff02::1:ff00:0")) | (n & 0xFFFFFF))
    assert sn.packed == ref.packed


def test_ipv4_mapped_conversion() -> None:
    v4 = Ipv4Address("192.0.2.1")
    m = Ipv6Address.from_ipv4_mapped(v4)
    assert str(m) == "::ffff:192.0.2.1" and m.is_ipv4_mapped and m.ipv4_mapped() == v4
    assert m == Ipv6Address("::ffff:c000:201")
    assert Ipv6Address("::192.0.2.1").ipv4_mapped() is None
    assert Ipv6Address("fdaa::1").ipv4_mapped() is None
    with pytest.raises(TypeError):
        Ipv6Address.from_ipv4_mapped(m)  # type: ignore[arg-type]


def test_link_local_from_mac() -> None:
    # RFC 4291 appendix A: the U/L bit is inverted and ff-fe is inserted in the middle.
    mac = EthernetAddress.parse("34-56-78-9a-bc-de")
    assert modified_eui64(mac) == bytes.fromhex("365678fffe9abcde")
    ll = Ipv6Address.link_local_from_ethernet(mac)
    assert str(ll) == "fe80::3656:78ff:fe9a:bcde" and ll.is_link_local
    assert str(
        Ipv6Address.link_local_from_ethernet(EthernetAddress.parse("02-00-00-00-00-01"))
    ) == ("fe80::ff:fe00:1")
    with pytest.raises(TypeError):
        modified_eui64(b"\x02\x00\x00\x00\x00\x01")  # type: ignore[arg-type]


def test_cidr() -> None:
    c = IpCidr.parse("fdaa::1/64")
    assert isinstance(c, Ipv6Cidr) and c.address == Ipv6Address("fdaa::1") and c.prefix_len == 64
    assert str(c) == "fdaa::1/64" and repr(c) == "Ipv6Cidr('fdaa::1/64')"
    assert c.network() == Ipv6Cidr.parse("fdaa::/64")
    assert c.netmask() == Ipv6Address("ffff:ffff:ffff:ffff::")
    assert c.broadcast() is None
    assert c.contains_addr(Ipv6Address("fdaa::ffff:1")) and not c.contains_addr(
        Ipv6Address("fdab::1")
    )
    assert not c.contains_addr(Ipv4Address("10.0.0.1"))
    assert c.contains_subnet(Ipv6Cidr.parse("fdaa::8000:0:0:0/65"))
    assert not c.contains_subnet(Ipv6Cidr.parse("fdaa::/48"))
    assert not c.contains_subnet(IpCidr.parse("10.0.0.0/8"))
    assert Ipv6Cidr.prefix_of(Ipv6Address("2001:db8:1:2:3:4:5:6"), 48) == Ipv6Cidr.parse(
        "2001:db8:1::/48"
    )
    mac = EthernetAddress.parse("02-00-00-00-00-01")
    assert c.address_with_interface_id(modified_eui64(mac)) == Ipv6Address("fdaa::ff:fe00:1")
    with pytest.raises(ValueError, match="interface_id"):
        Ipv6Cidr.parse("fdaa::/48").address_with_interface_id(modified_eui64(mac))
    assert Ipv6Cidr.parse("fdaa::1/128").address_with_interface_id(b"") == Ipv6Address("fdaa::1")
    assert hash(c) == hash(Ipv6Cidr(Ipv6Address("fdaa::1"), 64)) and c != IpCidr.parse("10.0.0.1/8")
    assert pickle.loads(pickle.dumps(c)) == c
    assert Ipv6Cidr.parse("fdaa::/48") < Ipv6Cidr.parse("fdaa::/64")
    with pytest.raises(AttributeError):
        c._prefix_len = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        Ipv6Cidr(Ipv4Address("10.0.0.1"), 8)  # type: ignore[arg-type]
    for bad in (
        "fdaa::1",
        "fdaa::1/129",
        "fdaa::1/",
        "fdaa::1/-1",
        "fdaa::1/064",
        "fdaa:::1/64",
        "fdaa::1/6 4",
        "fdaa::1%eth0/64",
    ):
        with pytest.raises(ValueError):
            IpCidr.parse(bad)
    for bad_len in (-1, 129, True):
        with pytest.raises(ValueError):
            Ipv6Cidr(Ipv6Address("fdaa::1"), bad_len)


@given(U128, st.integers(0, 128), U128)
def test_cidr_against_ipaddress(n: int, plen: int, other: int) -> None:
    ref = ipaddress.IPv6Interface((n, plen))
    c = Ipv6Cidr(Ipv6Address(n), plen)
    assert int(c.network().address) == int(ref.network.network_address)
    assert int(c.netmask()) == int(ref.netmask)
    assert c.contains_addr(Ipv6Address(other)) == (ipaddress.IPv6Address(other) in ref.network)
    assert Ipv6Cidr.parse(str(c)) == c
    assert Ipv6Cidr.prefix_of(Ipv6Address(n), plen) == c.network()


def test_endpoint() -> None:
    e = IpEndpoint.parse("[fdaa::1]:80")
    assert e == IpEndpoint(Ipv6Address("fdaa::1"), 80)
    assert str(e) == "[fdaa::1]:80"
    assert str(IpEndpoint(Ipv6Address("::ffff:1.2.3.4"), 0)) == "[::ffff:1.2.3.4]:0"
    assert IpEndpoint.parse("[::]:65535") == IpEndpoint(Ipv6Address.UNSPECIFIED, 65535)
    # IPv4 unchanged.
    assert str(IpEndpoint.parse("1.2.3.4:80")) == "1.2.3.4:80"
    for bad in (
        "::1:80",
        "[::1]",
        "[::1]:",
        "[::1]:65536",
        "[1.2.3.4]:80",
        "[::1:80",
        "::1]:80",
        "[fe80::1%eth0]:80",
        "[]:80",
    ):
        with pytest.raises(ValueError):
            IpEndpoint.parse(bad)


@given(U128, st.integers(0, 0xFFFF))
def test_endpoint_round_trip(n: int, port: int) -> None:
    e = IpEndpoint(Ipv6Address(n), port)
    assert IpEndpoint.parse(str(e)) == e


@given(text_forms(), st.integers(0, 60), st.sampled_from("0fF:.9"), st.booleans())
def test_near_valid_text_against_ipaddress(
    case: tuple[int, str], pos: int, char: str, insert: bool
) -> None:
    """One character inserted into or deleted from a valid form: accepted exactly when the
    standard library accepts it, with the same value."""
    _, text = case
    pos %= len(text) + 1
    text = text[:pos] + char + text[pos:] if insert else text[:pos] + text[pos + 1 :]
    try:
        expected: int | None = int(ipaddress.IPv6Address(text))
    except ValueError:
        expected = None
    try:
        got: int | None = int(Ipv6Address(text))
    except ValueError:
        got = None
    assert got == expected
