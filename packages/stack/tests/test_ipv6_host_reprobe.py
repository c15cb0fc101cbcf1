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

from scapy.layers.inet6 import ICMPv6ND_NS, ICMPv6NDOptUnknown, IPv6
from scapy.layers.l2 import Ether

from smoltcp.phy import Loopback
from smoltcp.stack.iface import AcdEventKind, Config, Interface
from smoltcp.stack.socket.set import SocketSet
from smoltcp.stack.testing import Harness
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import EthernetAddress, Ipv6Address

sys.path.insert(0, str(Path(__file__).parent))
from ipv6_host_lib import immediate

US_MAC = "02:00:00:00:00:01"
PEER_MAC = "02:00:00:00:00:02"
US_LL = "fe80::ff:fe00:1"
SOLICITED = "ff02::1:ff00:1"


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
