"""Duplicate address detection's harder cases in memory: a duplicated link-local address
disables IPv6 (RFC 4862 5.4.5) until the application acts, a new hardware address brings a new
link-local address through detection, the random delay before the first probe (RFC 4862
5.4.2), and the multicast hop limit of datagram sockets (RFC 3493 IPV6_MULTICAST_HOPS,
IP_MULTICAST_TTL). scapy builds the frames and dissects what the stack sends.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import pytest
from scapy.layers.inet import ICMP, IP, UDP
from scapy.layers.inet6 import (
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6MLReport2,
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    ICMPv6ND_RA,
    ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptPrefixInfo,
    ICMPv6NDOptSrcLLAddr,
    IPv6,
)
from scapy.layers.l2 import ARP, Ether

from smoltcp.stack.iface import AcdEventKind
from smoltcp.stack.iface.dad import DadConfig
from smoltcp.stack.iface.mld import MldConfig
from smoltcp.stack.socket import (
    DEFAULT_MULTICAST_HOP_LIMIT,
    IcmpEndpoint,
    IcmpSocket,
    UdpSocket,
)
from smoltcp.stack.storage import PacketBuffer
from smoltcp.stack.testing import Harness
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import EthernetAddress, IpCidr, IpEndpoint, Ipv4Address, Ipv6Address

sys.path.insert(0, str(Path(__file__).parent))
from ipv6_host_lib import immediate

US_MAC = "02:00:00:00:00:01"
NEW_MAC = "02:00:00:00:00:0a"
PEER_MAC = "02:00:00:00:00:02"
US = "fdaa::1"
US_LL = "fe80::ff:fe00:1"
NEW_LL = "fe80::ff:fe00:a"
PEER = "fdaa::100"
US4 = "192.168.69.1"
PEER4 = "192.168.69.100"


def host(**config: Any) -> Harness:
    """A dual-stack host (192.168.69.1/24, fdaa::1/64) that probes its link-local address."""
    config.setdefault("dad", immediate(link_local=True))
    h = Harness(cidr=f"{US4}/24", **config)
    h.iface.update_ip_addrs(lambda a: a.append(IpCidr.parse(f"{US}/64")))
    return h


def frame(ip: Any, dst_mac: str = US_MAC) -> bytes:
    return bytes(Ether(src=PEER_MAC, dst=dst_mac) / ip)


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
                # scapy chains a report's later records as payloads of the first.
                while r:
                    out.append((r.rtype, r.dst))
                    r = r.payload
    return out


def answer_probe(h: Harness, target: str) -> list[bytes]:
    """Another node holds ``target``: it advertises it to all nodes (RFC 4862 5.4.4)."""
    na = IPv6(src=target, dst="ff02::1", hlim=255) / ICMPv6ND_NA(tgt=target, O=1)
    return h.feed(frame(na, "33:33:00:00:00:01"))


def introduce_peer(h: Harness) -> None:
    """The peer asks for our addresses: both of its link-layer addresses become known."""
    ns = IPv6(src=PEER, dst=US, hlim=255) / ICMPv6ND_NS(tgt=US)
    h.feed(frame(ns / ICMPv6NDOptSrcLLAddr(lladdr=PEER_MAC)))
    h.feed(frame(ARP(op=1, hwsrc=PEER_MAC, psrc=PEER4, pdst=US4), "ff:ff:ff:ff:ff:ff"))


def echo6(dst: str, seq: int, dst_mac: str = US_MAC) -> bytes:
    return frame(IPv6(src=PEER, dst=dst) / ICMPv6EchoRequest(id=1, seq=seq), dst_mac)


def echo4(seq: int) -> bytes:
    return frame(IP(src=PEER4, dst=US4) / ICMP(id=1, seq=seq))


def disabled_host(caplog: pytest.LogCaptureFixture, **config: Any) -> Harness:
    h = host(**config)
    assert probes(h.poll()) == [US_LL]
    introduce_peer(h)  # known beforehand: nothing waits for resolution afterwards
    with caplog.at_level(logging.WARNING, logger="smoltcp.stack.iface"):
        assert answer_probe(h, US_LL) == []
    assert h.iface.ipv6_disabled
    return h


# -- RFC 4862 5.4.5: a duplicated link-local address disables IPv6 -------------------------


def test_a_duplicated_link_local_address_disables_ipv6_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    h = disabled_host(caplog)
    assert h.iface.dad.counters.ipv6_disabled == 1
    (event,) = h.iface.dad.events()
    assert (event.kind, str(event.addr)) == (AcdEventKind.TAKEN, US_LL)
    assert any(
        "IPv6 disabled" in r.getMessage() and US_LL in r.getMessage() for r in caplog.records
    )
    udp = UdpSocket(PacketBuffer(4, 1500), PacketBuffer(4, 1500))
    udp.bind(5000)
    h.sockets.add(udp)
    # Nothing IPv6 is answered or received, even for a configured global address; each
    # frame counted.
    dropped = h.dropped["ipv6-disabled"]
    h.feed(frame(IPv6(src=PEER, dst=US) / UDP(sport=9, dport=5000) / b"in"))
    assert not udp.can_recv()
    assert h.dropped["ipv6-disabled"] == dropped + 1
    assert h.feed(echo6(US, 1)) == []
    ns = (
        IPv6(src=PEER, dst=US, hlim=255)
        / ICMPv6ND_NS(tgt=US)
        / ICMPv6NDOptSrcLLAddr(lladdr=PEER_MAC)
    )
    assert h.feed(frame(ns)) == []
    assert h.dropped["ipv6-disabled"] == dropped + 3
    # Nothing IPv6 is sent: datagrams (to a known neighbour, to a group), an MLD report.
    udp.send_to(b"v6", IpEndpoint(Ipv6Address(PEER), 9))
    udp.send_to(b"v6", IpEndpoint(Ipv6Address("ff1e::7"), 9))
    h.iface.join_multicast_group(Ipv6Address("ff12::1"), h.now)
    sent = h.poll()
    for _ in range(5):
        sent += h.poll(h.advance(500))
    assert [f for f in sent if IPv6 in Ether(f)] == []
    # The three frames received and the two datagrams; the MLD report is never built (MLD
    # stands still while IPv6 is disabled).
    assert h.dropped["ipv6-disabled"] == dropped + 5
    assert h.iface.mld.reports_sent == 0
    # IPv4 goes on.
    (reply,) = h.feed(echo4(7))
    assert Ether(reply)[ICMP].type == 0 and Ether(reply)[ICMP].seq == 7
    # The link coming back up does not enable IPv6 (the duplicate is still there).
    h.iface.link_up(h.now)
    assert h.iface.ipv6_disabled
    assert [f for f in h.poll(h.advance(2000)) if IPv6 in Ether(f)] == []


def test_ipv6_disabled_at_says_when(caplog: pytest.LogCaptureFixture) -> None:
    h = disabled_host(caplog)
    assert h.iface.ipv6_disabled_at == h.now
    h.iface.add_ip_addr(IpCidr.parse("fdaa::2/64"), h.advance(1000))
    assert h.iface.ipv6_disabled_at is None


def test_a_duplicated_link_local_address_can_leave_ipv6_running(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Linux's accept_dad=1: only that address stays out of use (the trigger can be forged).
    h = host(dad=immediate(link_local=True, disable_ipv6_on_duplicate_link_local=False))
    assert probes(h.poll()) == [US_LL]
    introduce_peer(h)
    with caplog.at_level(logging.WARNING, logger="smoltcp.stack.iface"):
        answer_probe(h, US_LL)
    assert not h.iface.ipv6_disabled and h.iface.dad.counters.ipv6_disabled == 0
    assert Ipv6Address(US_LL) in h.iface.dad.duplicated
    assert Ipv6Address(US_LL) not in h.iface.ipv6_addrs()
    assert any("stays out of use" in r.getMessage() for r in caplog.records)
    (reply,) = h.feed(echo6(US, 9))
    assert Ether(reply)[ICMPv6EchoReply].seq == 9
    with pytest.raises(TypeError, match="disable_ipv6_on_duplicate_link_local"):
        DadConfig(disable_ipv6_on_duplicate_link_local=1)  # type: ignore[arg-type]


def test_neighbour_solicitations_pending_stop_when_ipv6_is_disabled() -> None:
    h = host()
    assert probes(h.poll()) == [US_LL]
    udp = UdpSocket(PacketBuffer(4, 1500), PacketBuffer(4, 1500))
    udp.bind(5000)
    h.sockets.add(udp)
    udp.send_to(b"x", IpEndpoint(Ipv6Address("fdaa::200"), 9))
    asked = [Ether(f)[ICMPv6ND_NS].tgt for f in h.poll() if ICMPv6ND_NS in Ether(f)]
    assert asked == ["fdaa::200"]  # resolution started
    answer_probe(h, US_LL)
    later = []
    for _ in range(5):
        later += h.poll(h.advance(1000))
    assert [f for f in later if IPv6 in Ether(f)] == []  # no retry of the solicitation


def test_a_duplicated_address_of_another_kind_leaves_ipv6_running() -> None:
    h = host()
    h.poll()
    h.poll(h.advance(1000))  # the link-local address passes
    h.iface.add_ip_addr(IpCidr.parse("fdaa::5/64"), h.now, probe=True)
    assert probes(h.poll()) == ["fdaa::5"]
    answer_probe(h, "fdaa::5")
    assert not h.iface.ipv6_disabled
    assert h.iface.dad.counters.ipv6_disabled == 0
    assert Ipv6Address("fdaa::5") in h.iface.dad.duplicated
    assert Ipv6Address("fdaa::5") not in h.iface.ipv6_addrs()
    (reply,) = h.feed(echo6(US_LL, 3))
    assert Ether(reply)[ICMPv6EchoReply].seq == 3


def test_a_new_hardware_address_enables_ipv6_and_probes_its_link_local_address(
    caplog: pytest.LogCaptureFixture,
) -> None:
    h = disabled_host(caplog, mld=MldConfig(report_solicited_nodes=True))
    h.poll(h.advance(100))
    h.iface.set_hardware_addr(EthernetAddress.parse(NEW_MAC), h.now)
    assert not h.iface.ipv6_disabled
    sent = h.poll()
    assert probes(sent) == [NEW_LL]
    # The report joining the new solicited-node group goes before the probe (RFC 4862 5.4.2).
    kinds = [
        "report" if ICMPv6MLReport2 in Ether(f) else "probe"
        for f in sent
        if ICMPv6MLReport2 in Ether(f) or ICMPv6ND_NS in Ether(f)
    ]
    assert kinds.index("report") < kinds.index("probe")
    assert (4, "ff02::1:ff00:a") in reports(sent)
    assert Ipv6Address(NEW_LL) not in h.iface.ipv6_addrs()  # tentative
    h.poll(h.advance(1000))
    addrs = h.iface.ipv6_addrs()
    assert Ipv6Address(NEW_LL) in addrs and Ipv6Address(US_LL) not in addrs
    assert Ipv6Address(US) in addrs
    (reply,) = h.feed(echo6(NEW_LL, 4, NEW_MAC))
    assert Ether(reply)[ICMPv6EchoReply].seq == 4 and Ether(reply).src == NEW_MAC


def test_addresses_set_by_the_application_enable_ipv6(caplog: pytest.LogCaptureFixture) -> None:
    h = disabled_host(caplog)
    # An IPv4 change is no IPv6 configuration.
    h.iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("10.0.0.1/8")))
    assert h.iface.ipv6_disabled
    h.iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("fdaa::2/64")))
    assert not h.iface.ipv6_disabled
    (reply,) = h.feed(echo6("fdaa::2", 5))
    assert Ether(reply)[ICMPv6EchoReply].seq == 5
    # The duplicated link-local address stays out of use.
    assert Ipv6Address(US_LL) not in h.iface.ipv6_addrs()
    assert h.feed(echo6(US_LL, 6)) == []


def test_add_ip_addr_of_an_ipv6_address_enables_ipv6(caplog: pytest.LogCaptureFixture) -> None:
    h = disabled_host(caplog)
    h.iface.add_ip_addr(IpCidr.parse("fe80::1/64"), h.now)
    assert not h.iface.ipv6_disabled
    (reply,) = h.feed(echo6("fe80::1", 8))
    assert Ether(reply)[IPv6].src == "fe80::1"


def test_mld_reports_come_from_a_configured_link_local_address(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # RFC 3810 5.2.13: :: only while no valid link-local address exists.
    h = disabled_host(caplog, mld=MldConfig(report_solicited_nodes=True))
    h.iface.add_ip_addr(IpCidr.parse("fe80::1/64"), h.now)
    h.iface.join_multicast_group(Ipv6Address("ff12::1"), h.now)
    sent = h.poll()
    for _ in range(5):
        sent += h.poll(h.advance(500))
    sources = {Ether(f)[IPv6].src for f in sent if ICMPv6MLReport2 in Ether(f)}
    assert sources == {"fe80::1"}


def test_removing_ipv6_addresses_does_not_enable_ipv6(caplog: pytest.LogCaptureFixture) -> None:
    h = disabled_host(caplog)
    h.iface.update_ip_addrs(lambda a: a.remove(IpCidr.parse(f"{US}/64")))
    assert h.iface.ipv6_disabled
    assert [f for f in h.poll(h.advance(2000)) if IPv6 in Ether(f)] == []


def test_packets_ready_to_go_are_dropped_when_ipv6_is_disabled() -> None:
    h = host()
    assert probes(h.poll()) == [US_LL]
    introduce_peer(h)
    udp = UdpSocket(PacketBuffer(4, 4000), PacketBuffer(4, 4000))
    udp.bind(5000)
    h.sockets.add(udp)
    udp.send_to(bytes(3000), IpEndpoint(Ipv6Address(PEER), 9))  # three fragments
    h.device.tx_budget = 1
    assert len(h.poll()) == 1  # one fragment out, two ready for the next poll
    h.device.tx_budget = None
    dropped = h.dropped["ipv6-disabled"]
    sent = answer_probe(h, US_LL)
    assert h.iface.ipv6_disabled
    sent += h.poll(h.advance(1000))
    assert [f for f in sent if IPv6 in Ether(f)] == []
    assert h.dropped["ipv6-disabled"] == dropped + 2


# -- a new hardware address -----------------------------------------------------------------


def test_set_hardware_addr_moves_the_link_local_address_and_its_group() -> None:
    h = Harness(cidr="", slaac=True, dad=immediate())
    # (Its solicited-node group is not the MAC-formed address's, ff02::1:ff00:1.)
    h.iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("fe80::beef/64")))
    h.poll()
    h.poll(h.advance(1000))
    assert Ipv6Address(US_LL) in h.iface.ipv6_addrs()
    for _ in range(20):
        h.poll(h.advance(100))  # the join reports are all sent
    h.iface.set_hardware_addr(EthernetAddress.parse(NEW_MAC), h.now)
    sent = h.poll()
    assert probes(sent) == [NEW_LL]
    got = reports(sent)
    assert (3, "ff02::1:ff00:1") in got  # the old group is left (INCLUDE {})
    assert (4, "ff02::1:ff00:a") in got  # the new one joined
    assert Ipv6Address(NEW_LL) in h.iface.dad.tentative
    h.poll(h.advance(1000))
    addrs = h.iface.ipv6_addrs()
    assert Ipv6Address(NEW_LL) in addrs and Ipv6Address(US_LL) not in addrs
    # The application's own link-local address is not rewritten.
    assert IpCidr.parse("fe80::beef/64") in h.iface.ip_addrs
    # A solicitation for the old address is no longer answered; the new one is.
    for tgt, group in ((US_LL, "ff02::1:ff00:1"), (NEW_LL, "ff02::1:ff00:a")):
        ns = IPv6(src="fe80::2", dst=group, hlim=255) / ICMPv6ND_NS(tgt=tgt)
        mac = ":".join(f"{b:02x}" for b in Ipv6Address(group).multicast_mac)
        out = h.feed(
            bytes(Ether(src=PEER_MAC, dst=mac) / ns / ICMPv6NDOptSrcLLAddr(lladdr=PEER_MAC))
        )
        assert [Ether(f)[ICMPv6ND_NA].tgt for f in out] == ([] if tgt == US_LL else [NEW_LL])


def test_set_hardware_addr_moves_the_groups_when_the_link_local_address_is_not_probed() -> None:
    h = Harness(cidr="", mld=MldConfig(report_solicited_nodes=True))
    assert (4, "ff02::1:ff00:1") in reports(h.poll())
    for _ in range(20):
        h.poll(h.advance(100))
    h.iface.set_hardware_addr(EthernetAddress.parse(NEW_MAC), h.now)
    sent = h.poll()
    assert probes(sent) == []  # not probed (no SLAAC): usable at once
    assert sorted(reports(sent)) == [(3, "ff02::1:ff00:1"), (4, "ff02::1:ff00:a")]
    assert h.iface.ipv6_addrs() == (Ipv6Address(NEW_LL),)


def test_set_hardware_addr_advertises_the_addresses_with_the_new_mac() -> None:
    h = host()
    h.poll(h.advance(2000))  # the link-local address passed
    h.poll(h.advance(5000))  # the IPv4 announcements of the start are over
    h.iface.set_hardware_addr(EthernetAddress.parse(NEW_MAC), h.now)
    sent = h.poll()
    for _ in range(10):
        sent += h.poll(h.advance(500))
    # RFC 4861 7.2.6: MAX_NEIGHBOR_ADVERTISEMENT unsolicited advertisements to all nodes.
    nas = [Ether(f) for f in sent if ICMPv6ND_NA in Ether(f)]
    assert len(nas) == 3
    for p in nas:
        assert (p.src, p.dst) == (NEW_MAC, "33:33:00:00:00:01")
        assert (p[IPv6].src, p[IPv6].dst, p[IPv6].hlim) == (US, "ff02::1", 255)
        na = p[ICMPv6ND_NA]
        assert (na.tgt, na.O, na.S, na.R) == (US, 1, 0, 0)
        assert p[ICMPv6NDOptDstLLAddr].lladdr == NEW_MAC
    # RFC 5227 2.3: ANNOUNCE_NUM gratuitous ARP announcements of the IPv4 address.
    arps = [Ether(f)[ARP] for f in sent if ARP in Ether(f)]
    assert len(arps) == 2
    for a in arps:
        assert (a.op, a.hwsrc, a.psrc, a.pdst) == (1, NEW_MAC, US4, US4)


def test_set_hardware_addr_deprecates_slaac_addresses_of_the_old_mac() -> None:
    h = Harness(cidr="", slaac=True, dad=immediate())
    h.poll()
    h.poll(h.advance(1000))
    prefix = ICMPv6NDOptPrefixInfo(
        prefix="2001:db8:1::", prefixlen=64, validlifetime=7200, preferredlifetime=3600
    )
    ra = IPv6(src="fe80::1", dst="ff02::1", hlim=255) / ICMPv6ND_RA(routerlifetime=1800) / prefix
    h.feed(frame(ra, "33:33:00:00:00:01"))
    h.poll(h.advance(1000))
    formed = Ipv6Address("2001:db8:1::ff:fe00:1")
    assert formed in h.iface.ipv6_addrs() and formed not in h.iface.context.deprecated
    h.iface.set_hardware_addr(EthernetAddress.parse(NEW_MAC), h.now)
    # RFC 4862 5.5.4: still valid (connections keep it), never chosen for new ones.
    assert formed in h.iface.context.deprecated and formed in h.iface.ipv6_addrs()
    assert h.iface.slaac.lifetimes(formed) == (h.now.micros, h.now.micros + 7200_000_000 - 1000_000)


def test_set_hardware_addr_checks_its_arguments() -> None:
    h = Harness()
    with pytest.raises(TypeError, match="addr"):
        h.iface.set_hardware_addr("02:00:00:00:00:0a")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="addr"):
        h.iface.set_hardware_addr(EthernetAddress.parse("01:00:5e:00:00:01"))
    with pytest.raises(TypeError, match="now"):
        h.iface.set_hardware_addr(EthernetAddress.parse(NEW_MAC), 5)  # type: ignore[arg-type]


# -- RFC 4862 5.4.2: the random delay before the first probe --------------------------------


def first_probe_at(seed: int) -> tuple[int, list[str]]:
    """When (microseconds) a SLAAC host built at 0 with ``seed`` probes its link-local
    address, and what it sent then, in order."""
    h = Harness(cidr="", slaac=True, random_seed=seed)
    assert probes(h.poll()) == []
    at = h.iface.poll_at(h.now, h.sockets)
    assert at is not None
    if at.micros > 0:
        before = h.poll(Instant(at.micros - 1))
        assert probes(before) == [] and reports(before) == []
    sent = h.poll(at)
    assert probes(sent) == [US_LL]
    order = ["probe" if ICMPv6ND_NS in Ether(f) else "report" for f in sent]
    return at.micros, order


def test_the_first_probe_waits_a_random_delay_of_at_most_a_second() -> None:
    seen = set()
    for seed in range(8):
        at, order = first_probe_at(seed)
        assert 0 <= at <= 1_000_000
        # The solicited-node group's join report goes first (RFC 4862 5.4.2).
        assert order[0] == "report" and "probe" in order
        seen.add(at)
        assert first_probe_at(seed)[0] == at  # the seed decides
    assert len(seen) > 4  # spread, not one fixed delay


def test_the_delay_bound_can_be_zero_and_is_checked() -> None:
    h = Harness(cidr="", slaac=True, dad=immediate())
    assert probes(h.poll()) == [US_LL]
    with pytest.raises(ValueError, match="max_rtr_solicitation_delay"):
        DadConfig(max_rtr_solicitation_delay=Duration(-1))
    with pytest.raises(TypeError, match="max_rtr_solicitation_delay"):
        DadConfig(max_rtr_solicitation_delay=1)  # type: ignore[arg-type]


# -- the multicast hop limit of datagram sockets --------------------------------------------


def hop_limits(h: Harness) -> dict[str, int]:
    out = {}
    for f in h.poll():
        p = Ether(f)
        if IPv6 in p:
            out[p[IPv6].dst] = p[IPv6].hlim
        elif IP in p:
            out[p[IP].dst] = p[IP].ttl
    return out


def test_udp_to_a_group_uses_the_multicast_hop_limit() -> None:
    h = host()
    h.poll()
    h.poll(h.advance(1000))
    introduce_peer(h)
    udp = UdpSocket(PacketBuffer(8, 4096), PacketBuffer(8, 4096))
    udp.bind(5000)
    udp.hop_limit = 30
    h.sockets.add(udp)
    for dst in ("ff02::1:2", "ff1e::7", PEER):
        udp.send_to(b"6", IpEndpoint(Ipv6Address(dst), 9))
    for dst4 in ("224.0.0.251", "239.1.2.3", PEER4):
        udp.send_to(b"4", IpEndpoint(Ipv4Address(dst4), 9))
    assert udp.multicast_hop_limit is None
    assert hop_limits(h) == {
        "ff02::1:2": 1,
        "ff1e::7": 1,
        PEER: 30,
        "224.0.0.251": 1,
        "239.1.2.3": 1,
        PEER4: 30,
    }
    udp.set_multicast_hop_limit(5)
    assert udp.multicast_hop_limit == 5
    udp.send_to(b"6", IpEndpoint(Ipv6Address("ff1e::7"), 9))
    udp.send_to(b"4", IpEndpoint(Ipv4Address("239.1.2.3"), 9))
    assert hop_limits(h) == {"ff1e::7": 5, "239.1.2.3": 5}
    for bad in (0, 256, -1):
        with pytest.raises(ValueError, match="multicast_hop_limit"):
            udp.multicast_hop_limit = bad
    with pytest.raises(TypeError, match="multicast_hop_limit"):
        udp.set_multicast_hop_limit(True)
    with pytest.raises(TypeError, match="multicast_hop_limit"):
        udp.multicast_hop_limit = 1.0  # type: ignore[assignment]
    udp.multicast_hop_limit = None
    assert udp.multicast_hop_limit is None


def test_an_echo_to_all_nodes_uses_the_multicast_hop_limit() -> None:
    h = host()
    h.poll()
    h.poll(h.advance(1000))
    ping = IcmpSocket(PacketBuffer(4, 1500), PacketBuffer(4, 1500))
    ping.bind(IcmpEndpoint.ident(9))
    ping.hop_limit = 40
    h.sockets.add(ping)
    ping.send_to(bytes(ICMPv6EchoRequest(id=9, seq=1)), Ipv6Address("ff02::1"))
    assert hop_limits(h) == {"ff02::1": 1}
    ping.set_multicast_hop_limit(2)
    ping.send_to(bytes(ICMPv6EchoRequest(id=9, seq=2)), Ipv6Address("ff02::1"))
    assert hop_limits(h) == {"ff02::1": 2}
    with pytest.raises(TypeError, match="multicast_hop_limit"):
        ping.set_multicast_hop_limit("2")  # type: ignore[arg-type]
    ping.set_multicast_hop_limit(None)
    ping.send_to(bytes(ICMPv6EchoRequest(id=9, seq=3)), Ipv6Address("ff02::1"))
    assert hop_limits(h) == {"ff02::1": DEFAULT_MULTICAST_HOP_LIMIT}
