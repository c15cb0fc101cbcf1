"""Duplicate address detection when the link echoes, the address set changes or the hardware
address moves: our own solicitation looped back (RFC 4862 5.4.3, RFC 7527), the seeded delay,
MLD across re-probing (RFC 3810 6.1), re-enabling IPv6 (RFC 4862 5.4.5), and the
announcements a new hardware address owes (RFC 4861 7.2.6, RFC 5227 2.3). scapy builds the
frames and dissects what the stack sends.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from scapy.layers.inet6 import (
    ICMPv6MLReport2,
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    ICMPv6ND_RA,
    ICMPv6NDOptPrefixInfo,
    ICMPv6NDOptSrcLLAddr,
    ICMPv6NDOptUnknown,
    IPv6,
)
from scapy.layers.l2 import Ether

from smoltcp.phy import Loopback
from smoltcp.stack.iface import AcdEventKind, Config, Interface
from smoltcp.stack.iface.dad import DadConfig
from smoltcp.stack.socket.set import SocketSet
from smoltcp.stack.testing import Harness
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import EthernetAddress, IpCidr, Ipv6Address

sys.path.insert(0, str(Path(__file__).parent))
from ipv6_host_lib import immediate

US_MAC = "02:00:00:00:00:01"
PEER_MAC = "02:00:00:00:00:02"
US_LL = "fe80::ff:fe00:1"
SOLICITED = "ff02::1:ff00:1"
FORMED = "2001:db8:1::ff:fe00:1"


def dad_ns(src_mac: str, nonce: bytes | None = None) -> bytes:
    """A duplicate-detection solicitation for our link-local address."""
    ns: Any = ICMPv6ND_NS(tgt=US_LL)
    if nonce is not None:
        ns = ns / ICMPv6NDOptUnknown(type=14, len=1, data=nonce)
    ip = IPv6(src="::", dst=SOLICITED, hlim=255) / ns
    return bytes(Ether(src=src_mac, dst="33:33:ff:00:00:01") / ip)


def sent_nonces(frames: list[bytes]) -> list[bytes]:
    """The Nonce options (type 14) of the solicitations among ``frames``."""
    out = []
    for f in frames:
        p = Ether(f)
        if ICMPv6ND_NS in p:
            opt = p[ICMPv6ND_NS].payload
            assert isinstance(opt, ICMPv6NDOptUnknown) and opt.type == 14, p.show(dump=True)
            out.append(bytes(opt.data))
    return out


def probes(frames: list[bytes]) -> list[str]:
    """The targets of the duplicate-detection solicitations (from ::) among ``frames``."""
    return [
        Ether(f)[ICMPv6ND_NS].tgt
        for f in frames
        if ICMPv6ND_NS in Ether(f) and Ether(f)[IPv6].src == "::"
    ]


def reports(frames: list[bytes]) -> list[tuple[int, str]]:
    """The (record type, group) pairs of the MLDv2 reports among ``frames``."""
    out = []
    for f in frames:
        p = Ether(f)
        if ICMPv6MLReport2 in p:
            for r in p[ICMPv6MLReport2].records:
                while r:  # scapy chains a report's later records as payloads of the first
                    out.append((r.rtype, r.dst))
                    r = r.payload
    return out


def router_advert(dst: str = "ff02::1", dst_mac: str = "33:33:00:00:00:01") -> bytes:
    ra = (
        IPv6(src="fe80::1", dst=dst, hlim=255)
        / ICMPv6ND_RA(routerlifetime=1800)
        / ICMPv6NDOptSrcLLAddr(lladdr=PEER_MAC)
        / ICMPv6NDOptPrefixInfo(
            prefix="2001:db8:1::", prefixlen=64, validlifetime=7200, preferredlifetime=3600
        )
    )
    return bytes(Ether(src=PEER_MAC, dst=dst_mac) / ra)


def run(h: Harness, seconds: int) -> list[bytes]:
    """Poll every 100 ms for ``seconds``; return what was sent."""
    out = []
    for _ in range(seconds * 10):
        out += h.poll(h.advance(Duration.from_millis(100)))
    return out


# -- RFC 4862 5.4.3, RFC 7527: our own solicitation looped back is no duplicate -----------------


def test_a_looped_back_probe_on_the_ethernet_loopback_device_is_not_a_duplicate() -> None:
    device = Loopback()
    hw = EthernetAddress.parse(US_MAC)
    iface = Interface(Config(hardware_addr=hw, slaac=True, dad=immediate()), device, Instant.ZERO)
    sockets = SocketSet()
    now = Instant.ZERO
    for _ in range(20):  # bounded: detection ends one RetransTimer after the probe
        iface.poll(now, device, sockets)
        now += Duration.from_millis(200)
    assert not iface.ipv6_disabled
    assert iface.dad.counters.looped_back == iface.dad.counters.probes_sent == 1
    assert iface.dad.counters.duplicates == 0
    assert [e.kind for e in iface.dad.events()] == [AcdEventKind.READY]
    assert iface.ipv6_addrs()[0] == Ipv6Address(US_LL)


def test_each_probe_carries_a_fresh_nonce_and_another_nonce_is_a_duplicate() -> None:
    h = Harness(cidr="", dad=immediate(link_local=True, transmits=2))
    first = sent_nonces(h.poll())
    h.advance(Duration.from_secs(1))
    second = sent_nonces(h.poll())
    assert len(first) == len(second) == 1 and len(first[0]) == 6 and first != second
    h.feed(dad_ns(US_MAC, first[0]))  # ours, come back
    h.feed(dad_ns(US_MAC, second[0]))
    assert h.iface.dad.counters.looped_back == 2
    assert Ipv6Address(US_LL) in h.iface.dad.tentative
    h.feed(dad_ns(US_MAC, bytes(6)))  # same MAC, another nonce: another node (RFC 7527 4.2)
    assert Ipv6Address(US_LL) in h.iface.dad.duplicated
    assert h.iface.ipv6_disabled


def test_without_a_nonce_more_echoes_than_probes_is_a_duplicate() -> None:
    # RFC 4862 Appendix A: from our own MAC, no more than we sent may be our own.
    h = Harness(cidr="", dad=immediate(link_local=True))
    assert len(sent_nonces(h.poll())) == 1
    h.feed(dad_ns(US_MAC))
    assert h.iface.dad.counters.looped_back == 1
    assert not h.iface.ipv6_disabled
    h.feed(dad_ns(US_MAC))
    assert h.iface.ipv6_disabled


def test_without_a_nonce_from_another_mac_is_a_duplicate() -> None:
    h = Harness(cidr="", dad=immediate(link_local=True))
    h.poll()
    h.feed(dad_ns(PEER_MAC))
    assert h.iface.dad.counters.looped_back == 0
    assert Ipv6Address(US_LL) in h.iface.dad.duplicated


# -- RFC 4862 5.4.2: the random delay differs between hosts ------------------------------------


def first_probe_us(mac: str) -> int:
    h = Harness(cidr="", slaac=True, hardware_addr=mac)  # the default seed
    h.poll()
    at = h.iface.poll_at(h.now, h.sockets)
    assert at is not None
    return at.micros


def test_hosts_with_the_default_seed_and_different_macs_draw_different_delays() -> None:
    macs = [f"02:00:00:00:00:{i:02x}" for i in range(1, 9)]
    delays = [first_probe_us(m) for m in macs]
    assert len(set(delays)) > 4
    assert delays == [first_probe_us(m) for m in macs]  # deterministic all the same


# -- RFC 3810 6.1, RFC 4862 5.4.2: re-probing keeps the groups joined -------------------------


def slaac_host() -> Harness:
    """A SLAAC host (the default random delays) with its link-local and a global address."""
    h = Harness(cidr="", slaac=True)
    run(h, 3)
    h.feed(router_advert())
    run(h, 3)
    assert {Ipv6Address(US_LL), Ipv6Address(FORMED)} <= set(h.iface.ipv6_addrs())
    return h


def test_link_up_sends_no_leave_and_delays_the_reports_of_the_groups_it_probes_again() -> None:
    h = slaac_host()
    h.iface.link_up(h.now)
    assert h.poll() == []  # no report before the delay ends (RFC 4862 5.4.2)
    at = h.iface.poll_at(h.now, h.sockets)
    assert at is not None and at > h.now  # the random delay (seeded: not zero here)
    sent = h.poll(at)
    # The join report goes with the first probe, never a leave (CHANGE_TO_INCLUDE_MODE, 3).
    assert reports(sent) == [(4, SOLICITED)] and probes(sent)
    sent += run(h, 4)
    assert all(kind != 3 for kind, _ in reports(sent))
    assert sorted(set(probes(sent))) == sorted([FORMED, US_LL])
    assert {Ipv6Address(US_LL), Ipv6Address(FORMED)} <= set(h.iface.ipv6_addrs())


def test_enabling_ipv6_again_sends_no_leave_for_a_tentative_address_already_joined() -> None:
    h = Harness(cidr="", slaac=True, dad=DadConfig(link_local=True, transmits=3))
    h.iface.add_ip_addr(IpCidr.parse("fdaa::5/64"), h.now, probe=True)
    sent = h.poll()
    assert (4, "ff02::1:ff00:5") in reports(sent)
    # Our link-local address is answered: IPv6 is disabled while fdaa::5 is still tentative.
    na = IPv6(src=US_LL, dst="ff02::1", hlim=255) / ICMPv6ND_NA(tgt=US_LL, O=1)
    h.feed(bytes(Ether(src=PEER_MAC, dst="33:33:00:00:00:01") / na))
    assert h.iface.ipv6_disabled
    h.iface.add_ip_addr(IpCidr.parse("fdaa::6/64"), h.now)  # enables IPv6 again
    sent = run(h, 5)
    assert (3, "ff02::1:ff00:5") not in reports(sent), reports(sent)
    assert Ipv6Address("fdaa::5") in h.iface.ipv6_addrs()


# -- a removed address stays removed --------------------------------------------------------


def test_a_removed_link_local_address_does_not_come_back_after_link_up() -> None:
    h = Harness(cidr="", dad=immediate())
    h.iface.add_ip_addr(IpCidr.parse("fe80::77/64"), h.now, probe=True)
    h.poll()
    h.poll(h.advance(Duration.from_secs(1)))
    assert Ipv6Address("fe80::77") in h.iface.ipv6_addrs()
    h.iface.update_ip_addrs(lambda a: a.clear())
    assert Ipv6Address("fe80::77") not in h.iface.dad.passed
    h.iface.link_up(h.now)
    sent = h.poll() + run(h, 3)
    assert "fe80::77" not in probes(sent)
    assert Ipv6Address("fe80::77") not in h.iface.ipv6_addrs()


# -- RFC 4862 5.4.2: the delay only after (re)initialisation or a multicast advertisement -----


def test_an_address_the_application_adds_is_probed_at_once() -> None:
    h = Harness(cidr="", dad=DadConfig(static=True))  # the default delay bound, 1 s
    h.iface.add_ip_addr(IpCidr.parse("fdaa::5/64"), h.now)
    assert probes(h.poll()) == ["fdaa::5"]


def test_a_unicast_advertisement_probes_at_once_a_multicast_one_after_a_delay() -> None:
    h = Harness(cidr="", slaac=True, dad=DadConfig(link_local=False))
    assert probes(h.feed(router_advert(US_LL, US_MAC))) == [FORMED]
    h = Harness(cidr="", slaac=True, dad=DadConfig(link_local=False))
    assert probes(h.feed(router_advert()) + h.poll()) == []
    assert FORMED in probes(run(h, 2))
