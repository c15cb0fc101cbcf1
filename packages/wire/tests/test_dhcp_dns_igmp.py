"""DHCPv4, DNS and IGMP wire semantics: round trips, scapy as oracle, malformed input."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from scapy.all import BOOTP, DHCP, DNS, DNSQR, DNSRR
from scapy.layers.igmp import IGMP

from smoltcp.wire import EthernetAddress, Ipv4Address, MalformedPacket
from smoltcp.wire.dhcpv4 import DhcpMessageType, DhcpOpCode, DhcpRepr, iter_options
from smoltcp.wire.dns import (
    MAX_POINTERS,
    DnsMessage,
    DnsRcode,
    DnsType,
    encode_name,
    query,
    read_name,
)
from smoltcp.wire.igmp import IgmpMessage, IgmpRepr

addrs = st.integers(0, 2**32 - 1).map(Ipv4Address)
macs = st.binary(min_size=6, max_size=6).map(
    lambda b: EthernetAddress(bytes([b[0] & 0xFE]) + b[1:])
)
u32 = st.one_of(st.none(), st.integers(0, 2**32 - 1))


@given(
    kind=st.sampled_from(list(DhcpMessageType)),
    xid=st.integers(0, 2**32 - 1),
    mac=macs,
    yiaddr=addrs,
    server=st.one_of(st.none(), addrs),
    dns=st.lists(addrs, max_size=4).map(tuple),
    lease=u32,
    t1=u32,
    mtu=st.one_of(st.none(), st.integers(68, 65535)),
    broadcast=st.booleans(),
)
def test_dhcp_round_trip(kind, xid, mac, yiaddr, server, dns, lease, t1, mtu, broadcast) -> None:
    r = DhcpRepr(
        kind,
        xid,
        mac,
        op=DhcpOpCode.BOOTREPLY,
        yiaddr=yiaddr,
        server_identifier=server,
        dns_servers=dns,
        lease_time=lease,
        renewal_time=t1,
        interface_mtu=mtu,
        broadcast=broadcast,
    )
    octets = r.to_bytes()
    assert len(octets) >= 548
    assert DhcpRepr.parse(octets) == r


@given(
    routers=st.lists(addrs, max_size=70).map(tuple),
    only_router=st.booleans(),
    mask=st.one_of(st.none(), addrs),
)
def test_dhcp_round_trip_keeps_every_router(routers, only_router, mask) -> None:
    # RFC 2132 3.5: the Router option lists routers in order of preference; parse kept only
    # the first. Past 63 addresses the list takes several options (RFC 3396).
    mac = EthernetAddress.parse("02-00-00-00-00-01")
    first = routers[0] if routers else None
    if only_router:
        # The field of old: written alone, read back in both fields.
        r = DhcpRepr(DhcpMessageType.ACK, 1, mac, subnet_mask=mask, router=first)
    else:
        r = DhcpRepr(DhcpMessageType.ACK, 1, mac, subnet_mask=mask, routers=routers)
    parsed = DhcpRepr.parse(r.to_bytes())
    expected = routers[:1] if only_router else routers
    assert parsed == r._replace(router=first, routers=expected)
    assert DhcpRepr.parse(parsed.to_bytes()) == parsed


def test_dhcp_refuses_a_router_that_is_not_the_first_of_routers() -> None:
    a, b = Ipv4Address("10.0.0.1"), Ipv4Address("10.0.0.2")
    r = DhcpRepr(DhcpMessageType.ACK, 1, EthernetAddress.parse("02-00-00-00-00-01"))
    assert r._replace(router=a, routers=(a, b)).to_bytes() == r._replace(routers=(a, b)).to_bytes()
    with pytest.raises(ValueError, match="router"):
        r._replace(router=b, routers=(a, b)).to_bytes()


def test_dhcp_routers_match_scapy_both_ways() -> None:
    routers = tuple(Ipv4Address(f"10.0.0.{i}") for i in (7, 1, 254))
    r = DhcpRepr(
        DhcpMessageType.ACK,
        9,
        EthernetAddress.parse("02-00-00-00-00-01"),
        op=DhcpOpCode.BOOTREPLY,
        router=routers[0],
        routers=routers,
    )
    opts = dict((o[0], o[1:]) for o in BOOTP(r.to_bytes())[DHCP].options if isinstance(o, tuple))
    assert opts["router"] == ("10.0.0.7", "10.0.0.1", "10.0.0.254")
    theirs = BOOTP(op=2, xid=7, chaddr=bytes.fromhex("020000000001")) / DHCP(
        options=[("message-type", "ack"), ("router", "192.0.2.9", "192.0.2.1"), "end"]
    )
    parsed = DhcpRepr.parse(bytes(theirs))
    assert parsed.routers == (Ipv4Address("192.0.2.9"), Ipv4Address("192.0.2.1"))
    assert parsed.router == Ipv4Address("192.0.2.9")


def test_dhcp_matches_scapy_both_ways() -> None:
    r = DhcpRepr(
        DhcpMessageType.OFFER,
        0xDEADBEEF,
        EthernetAddress.parse("02-00-00-00-00-01"),
        op=DhcpOpCode.BOOTREPLY,
        yiaddr=Ipv4Address("10.0.0.5"),
        server_identifier=Ipv4Address("10.0.0.1"),
        router=Ipv4Address("10.0.0.1"),
        subnet_mask=Ipv4Address("255.255.255.0"),
        lease_time=3600,
    )
    s = BOOTP(r.to_bytes())
    opts = dict(o for o in s[DHCP].options if isinstance(o, tuple))
    assert s.xid == 0xDEADBEEF and s.yiaddr == "10.0.0.5" and opts["message-type"] == 2
    assert opts["lease_time"] == 3600 and opts["server_id"] == "10.0.0.1"
    theirs = BOOTP(op=2, xid=7, chaddr=bytes.fromhex("020000000001"), yiaddr="10.0.0.9") / DHCP(
        options=[
            ("message-type", "ack"),
            ("name_server", "1.1.1.1", "8.8.8.8"),
            ("renewal_time", 30),
            ("lease_time", 60),
            "end",
        ]
    )
    parsed = DhcpRepr.parse(bytes(theirs))
    assert parsed.message_type == DhcpMessageType.ACK and parsed.yiaddr == Ipv4Address("10.0.0.9")
    assert parsed.dns_servers == (Ipv4Address("1.1.1.1"), Ipv4Address("8.8.8.8"))
    assert (parsed.renewal_time, parsed.lease_time) == (30, 60)


def _dhcp(options: bytes) -> bytes:
    base = bytearray(
        DhcpRepr(DhcpMessageType.ACK, 1, EthernetAddress.parse("02-00-00-00-00-01")).to_bytes()
    )
    base[240:] = options + bytes(max(0, 308 - len(options)))
    return bytes(base)


@pytest.mark.parametrize(
    ("octets", "field"),
    [
        (b"\x02" * 100, "header"),
        (_dhcp(b"\x35\x01\x05\xff")[:236] + b"\x00\x00\x00\x00" + b"\x35\x01\x05\xff", "magic"),
        (_dhcp(b"\x35\x01\x05" + bytes(301) + b"\x33\x09"), "options"),  # past the end
        (_dhcp(b"\x33\x04\x00\x00\x00\x10\xff"), "options"),  # no message type
        (_dhcp(b"\x35\x01\x05\x06\x05\x01\x02\x03\x04\x05\xff"), "option 6"),
        (_dhcp(b"\x35\x01\x05\x33\x02\x00\x10\xff"), "option 51"),
    ],
)
def test_dhcp_malformed(octets: bytes, field: str) -> None:
    with pytest.raises(MalformedPacket) as info:
        DhcpRepr.parse(octets)
    assert info.value.field == field


def test_dhcp_option_walk_is_bounded_and_concatenates() -> None:
    assert list(iter_options(b"\x00\x00\x0c\x02ab\xff\x0c\x01c")) == [(12, b"ab")]
    with pytest.raises(MalformedPacket):
        list(iter_options(b"\x0c"))
    parsed = DhcpRepr.parse(_dhcp(b"\x35\x01\x05\x0c\x02ab\x0c\x02cd\xff"))
    assert parsed.host_name == b"abcd"  # RFC 3396


@given(
    st.lists(
        st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=20),
        min_size=1,
        max_size=6,
    ),
    st.integers(0, 0xFFFF),
    st.sampled_from([DnsType.A, DnsType.AAAA]),
)
def test_dns_query_round_trip_and_scapy(labels, ident, qtype) -> None:
    name = ".".join(labels)
    q = query(ident, name, qtype)
    m = DnsMessage.parse(q)
    assert m.ident == ident and not m.response and m.questions[0][:2] == (name, qtype)
    s = DNS(q)
    assert s.id == ident and s.qd[0].qname.decode().rstrip(".") == name and s.rd == 1


def test_dns_response_from_scapy_with_compression() -> None:
    r = DNS(
        id=9,
        qr=1,
        rcode=3,
        qd=DNSQR(qname="a.example"),
        an=[DNSRR(rrname="a.example", rdata="1.2.3.4")],
    )
    m = DnsMessage.parse(bytes(r))
    assert m.response and m.rcode == DnsRcode.NXDOMAIN
    assert m.answers[0].data == Ipv4Address("1.2.3.4") and m.answers[0].name == "a.example"


def test_dns_edns0_option_record() -> None:
    s = DNS(query(1, "x.example", DnsType.A, edns_udp_size=1232))
    assert s.arcount == 1 and s.ar[0].type == 41 and s.ar[0].rclass == 1232


HEADER = b"\x00\x01\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00"


@pytest.mark.parametrize(
    ("octets", "field"),
    [
        (b"\x00\x01", "header"),
        (HEADER + b"\xc0\x0c\x00\x01\x00\x01", "name"),  # a pointer to itself
        (HEADER + b"\xc0\x20\x00\x01\x00\x01", "name"),  # a forward pointer
        (HEADER + b"\x05abcd", "name"),  # a label past the end
        (HEADER + b"\x80\x00\x00\x01\x00\x01", "name"),  # reserved label type
        (b"\x00\x01\x81\x80\xff\xff\xff\xff\x00\x00\x00\x00", "counts"),
        (
            b"\x00\x01\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00\x00\x00\x01\x00\x01"
            b"\x00\x00\x01\x00\x01\x00\x00\x00\x00\x00\x05\x01\x02\x03\x04\x05",
            "rdata",
        ),
    ],
)
def test_dns_malformed(octets: bytes, field: str) -> None:
    with pytest.raises(MalformedPacket) as info:
        DnsMessage.parse(octets)
    assert info.value.field == field


def test_dns_pointer_chain_is_bounded() -> None:
    # A chain of backward pointers longer than MAX_POINTERS: each points to the one before.
    msg = bytearray(HEADER + b"\x00")
    for _ in range(MAX_POINTERS + 2):
        at = len(msg) - (1 if len(msg) == len(HEADER) + 1 else 2)
        msg += bytes((0xC0 | (at >> 8), at & 0xFF))
    with pytest.raises(MalformedPacket):
        read_name(bytes(msg), len(msg) - 2)


def test_encode_name_limits() -> None:
    assert encode_name("a.b.") == b"\x01a\x01b\x00"
    for bad in ("a..b", "x" * 64, ".".join(["abcdefghi"] * 26), "é.example"):
        with pytest.raises(ValueError):
            encode_name(bad)


V2_MESSAGES = [m for m in IgmpMessage if m != IgmpMessage.V3_MEMBERSHIP_REPORT]


@given(st.sampled_from(V2_MESSAGES), st.integers(0, 255), st.integers(0, 2**32 - 1))
def test_igmp_round_trip_and_scapy(message, max_resp, group) -> None:
    r = IgmpRepr(message, max_resp, Ipv4Address(group))
    octets = r.to_bytes()
    parsed = IgmpRepr.parse(octets)
    if message == IgmpMessage.MEMBERSHIP_QUERY and max_resp == 0:
        assert parsed.max_resp_time == 100  # an IGMPv1 query (RFC 2236 4)
    else:
        assert parsed == r
    s = IGMP(octets)
    assert s.type == int(message) and s.gaddr == str(Ipv4Address(group))
    assert s.chksum == IGMP(bytes(IGMP(type=s.type, mrcode=max_resp, gaddr=s.gaddr))).chksum


def test_igmp_malformed() -> None:
    good = IgmpRepr(IgmpMessage.V2_MEMBERSHIP_REPORT, 0, Ipv4Address("239.1.1.1")).to_bytes()
    with pytest.raises(MalformedPacket):
        IgmpRepr.parse(good[:7])
    with pytest.raises(MalformedPacket):
        IgmpRepr.parse(good[:2] + b"\x00\x00" + good[4:])


@given(
    dns=st.lists(addrs, min_size=60, max_size=140).map(tuple),
    name=st.binary(min_size=200, max_size=600),
    message=st.binary(max_size=600),
    client_id=st.binary(max_size=600),
    prl=st.binary(max_size=300),
)
@example(
    dns=tuple(Ipv4Address(i) for i in range(126)),
    name=b"n" * 256,
    message=b"m" * 510,
    client_id=b"\x01" * 300,
    prl=bytes(range(256)),
)
def test_dhcp_round_trip_of_options_longer_than_one_holds(
    dns, name, message, client_id, prl
) -> None:
    # RFC 3396: a value over 255 octets goes in several options, concatenated by the
    # receiver. parse joined them, but emit refused what it had parsed ("option 6: 504 octets
    # exceed 255"), so a parsed message with 126 DNS servers could not be written again.
    mac = EthernetAddress(b"\x02\x00\x00\x00\x00\x01")
    r = DhcpRepr(
        DhcpMessageType.ACK,
        1,
        mac,
        dns_servers=dns,
        host_name=name,
        message=message,
        client_identifier=client_id,
        parameter_request_list=prl,
    )
    data = r.to_bytes()
    assert DhcpRepr.parse(data) == r
    # An address list is cut after whole addresses only: each Domain Name Server option
    # holds a multiple of 4 octets (a receiver that does not join them reads whole ones).
    lengths = [len(v) for code, v in iter_options(data[240:]) if code == 6]
    assert all(n % 4 == 0 for n in lengths) and sum(lengths) == 4 * len(dns)
