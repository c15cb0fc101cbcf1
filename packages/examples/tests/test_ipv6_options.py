"""The IPv6 host options and peer addresses of the examples: parsing, defaults, zones, URLs."""

from __future__ import annotations

import urllib.parse

import pytest

from smoltcp.examples import client, httpclient, options, ping, server
from smoltcp.phy import Loopback
from smoltcp.stack.time import Instant
from smoltcp.wire import IpCidr, Ipv4Address, Ipv6Address
from smoltcp.wire.capabilities import Medium


def fails(capsys, parse, argv) -> str:
    with pytest.raises(SystemExit) as exit_info:
        parse(argv)
    assert exit_info.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_the_server_is_dual_stack_by_default():
    args = server.build_parser().parse_args(["tap0"])
    assert list(args.host_cidrs6) == ["fdaa::1/64", "fe80::1/64"]
    assert args.gateway6 == Ipv6Address("fdaa::100")
    iface = options.host_interface(args, Loopback(Medium.ETHERNET), Instant.ZERO)
    assert [str(c) for c in iface.context.ip_addrs] == [
        "192.168.69.1/24",
        "fdaa::1/64",
        "fe80::1/64",
    ]
    assert {str(r.cidr): str(r.via_router) for r in iface.routes} == {
        "0.0.0.0/0": "192.168.69.100",
        "::/0": "fdaa::100",
    }
    # The link-local address formed from the MAC comes with the Ethernet device.
    assert Ipv6Address("fe80::ff:fe00:1") in iface.ipv6_addrs()


def test_ip6_replaces_the_defaults_and_none_clears_them():
    parse = server.build_parser().parse_args
    args = parse(["tap0", "--ip6", "fdaa::7/64", "--ip6", "fdaa::8/64", "--ip6", "fdaa::7/64"])
    assert [str(c) for c in args.host_cidrs6] == ["fdaa::7/64", "fdaa::8/64"]
    args = parse(["tap0", "--ip6", "none", "--gateway6", "none"])
    assert args.host_cidrs6 == [] and args.gateway6 is None
    iface = options.host_interface(args, Loopback(Medium.ETHERNET), Instant.ZERO)
    assert [str(c) for c in iface.context.ip_addrs] == ["192.168.69.1/24"]
    assert [str(r.cidr) for r in iface.routes] == ["0.0.0.0/0"]
    # A fresh parse starts from the defaults again (the action never edits them).
    assert list(parse(["tap0"]).host_cidrs6) == ["fdaa::1/64", "fe80::1/64"]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--ip6", "192.168.69.9/24"], "an IPv4 address goes to --address"),
        (["--ip6", "ff02::1/64"], "a host address is unicast"),
        (["--ip6", "::/0"], "a host address is unicast"),
        (["--ip6", "fdaa::1"], "bad IPv6 address/prefix"),
        (["--gateway6", "192.168.69.100"], "want an IPv6 address or none"),
        (["--gateway", "fdaa::100"], "an IPv6 one goes to --gateway6"),
    ],
)
def test_bad_ipv6_host_options_are_one_line(capsys, argv, words):
    line = fails(capsys, server.build_parser().parse_args, ["tap0", *argv])
    assert line.startswith("smoltcp-server: error: argument --") and words in line, line


@pytest.mark.parametrize(
    ("text", "address", "zone"),
    [
        ("fdaa::100", "fdaa::100", None),
        ("[fdaa::100]", "fdaa::100", None),
        ("fe80::100%tap0", "fe80::100", "tap0"),
        ("[fe80::100%25tap0]", "fe80::100", "tap0"),
        ("192.168.69.100", "192.168.69.100", None),
    ],
)
def test_peer_addresses_with_brackets_and_zones(text, address, zone):
    args = client.build_parser().parse_args(["tap0", text, "80"])
    assert str(args.address) == address and args.address_zone == zone


@pytest.mark.parametrize(
    ("peer", "words"),
    [
        ("fe80::100", "link-local address fe80::100 needs its link as a zone: write "
         "fe80::100%tap0"),
        ("fe80::100%eth1", "zone 'eth1' is not this program's interface: write fe80::100%tap0"),
        ("fdaa::100%tap0", "a zone (%tap0) is for a link-local IPv6 address only"),
        ("192.168.69.100%tap0", "a zone (%tap0) is for a link-local IPv6 address only"),
        ("fe80::100%", "bad zone"),
        ("[fdaa::100", "bad IP address"),
    ],
)  # fmt: skip
def test_bad_zones_are_explained(capsys, peer, words):
    line = fails(capsys, client.build_parser().parse_args, ["tap0", peer, "80"])
    assert line.startswith("smoltcp-client: error: argument ADDRESS: ") and words in line, line


def test_ping_family_flags(capsys):
    parse = ping.build_parser().parse_args
    assert parse(["tap0", "-6", "fdaa::100"]).family == 6
    assert parse(["tap0", "v6.example.test", "-6"]).address == "v6.example.test"
    assert parse(["tap0", "192.168.69.100"]).family is None
    line = fails(capsys, ping.main, ["tap0", "-6", "192.168.69.100"])
    assert "argument -6: HOST 192.168.69.100 is an IPv4 address" in line
    line = fails(capsys, ping.main, ["tap0", "-4", "fdaa::100"])
    assert "argument -4: HOST fdaa::100 is an IPv6 address" in line


def test_ping_builds_icmpv6_echo_requests_for_an_ipv6_host():
    args = ping.build_parser().parse_args(["tap0", "fdaa::100", "--seed", "1", "-s", "8"])
    sent = []

    class Sock:
        def send_to(self, data, addr):
            sent.append((bytes(data), addr))

    pinger = ping.Pinger(args, Sock(), Instant.ZERO)
    pinger.send_request(Instant.from_millis(5))
    data, addr = sent[0]
    assert addr == Ipv6Address("fdaa::100")
    assert data[0] == 128 and data[1] == 0, "ICMPv6 echo request (RFC 4443 4.1)"
    assert int.from_bytes(data[4:6], "big") == pinger.ident and data[6:8] == b"\x00\x01"
    # The reply is matched by identifier and sequence number and timed from its stamp.
    reply = bytearray(data)
    reply[0] = 129
    pinger.take_reply(Instant.from_millis(7), bytes(reply), Ipv6Address("fdaa::100"))
    assert pinger.received == {1} and pinger.rtts == [2.0]


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://[fdaa::100]:8000/x", Ipv6Address("fdaa::100")),
        ("http://[fe80::100%25tap0]:8000/x", Ipv6Address("fe80::100")),
        ("http://192.168.69.100/", Ipv4Address("192.168.69.100")),
        ("http://www.example.test/", "www.example.test"),
    ],
)
def test_url_hosts(url, host):
    assert httpclient.url_target(httpclient.url(url), "tap0") == host


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://fdaa::100:8000/", "an IPv6 address goes in brackets: http://[ADDRESS]:PORT/"),
        ("http://[fe80::100]:8000/", "needs its link as a zone: write [fe80::100%25tap0]"),
        ("http://[fe80::100%25eth1]/", "zone 'eth1' is not this program's interface"),
        ("http://[fdaa::100%25tap0]/", "is for a link-local IPv6 address only"),
    ],
)
def test_bad_ipv6_urls_are_explained(capsys, url, words):
    line = fails(capsys, httpclient.main, ["tap0", url])
    assert line.startswith("smoltcp-httpclient: error: argument URL: ") and words in line, line


def test_the_host_header_leaves_the_zone_out():
    request = httpclient.request_bytes(urllib.parse.urlsplit("http://[fe80::1%25tap0]:8000/a"))
    assert b"\r\nHost: [fe80::1]:8000\r\n" in request
    request = httpclient.request_bytes(urllib.parse.urlsplit("http://[fdaa::1]/"))
    assert b"\r\nHost: [fdaa::1]\r\n" in request


def test_cidr_equality_keeps_ip6_and_address_apart():
    # --address may be IPv6 too: it is not repeated when --ip6 gives it again.
    args = client.build_parser().parse_args(["tap0", "fdaa::100", "80", "--address", "fdaa::2/64"])
    iface = options.host_interface(args, Loopback(Medium.ETHERNET), Instant.ZERO)
    assert list(iface.context.ip_addrs) == [IpCidr.parse("fdaa::2/64")]
