"""The interface's cached deadline of its timed duties against a computation from scratch.

`Interface.poll` and `poll_at` read the earliest deadline of IGMP, conflict detection and the
IPv6 host duties as one cached number, computed again only after a duty raised its
`Deadlines` flag. A duty that moves its deadline without raising the flag makes the interface
miss a timer, which the behaviour tests may not notice. Here two interfaces on one wire go
through random sequences of what moves those deadlines (addresses added with conflict or
duplicate detection and removed, groups joined and left, the link coming up, new hardware
addresses, one of them the peer's, neighbour resolution, router advertisements for SLAAC,
MLD queries, fragments, a DHCP client, time passing), and after every step each interface's
`poll_at` must equal the one computed from scratch the way it was before the cache: every
duty asked.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import (
    ICMPv6MLQuery2,
    ICMPv6ND_RA,
    ICMPv6NDOptPrefixInfo,
    ICMPv6NDOptSrcLLAddr,
    IPv6,
    IPv6ExtHdrHopByHop,
    RouterAlert,
)
from scapy.layers.l2 import Ether

from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.iface.deadlines import Deadlines
from smoltcp.stack.iface.mld import MldConfig
from smoltcp.stack.socket import SocketSet, UdpSocket
from smoltcp.stack.socket.dhcpv4 import Dhcpv4Socket
from smoltcp.stack.storage import PacketBuffer
from smoltcp.stack.testing import LinkDevice, link
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import EthernetAddress, IpCidr, IpEndpoint, Ipv4Address, Ipv6Address

sys.path.insert(0, str(Path(__file__).parent))
from ipv6_host_lib import immediate

MACS = ("02:00:00:00:00:01", "02:00:00:00:00:02", "02:00:00:00:00:03")


def from_scratch_us(iface: Interface, now: Instant, sockets: SocketSet) -> int | None:
    """`Interface.poll_at` in microseconds as computed before the cache: every duty asked.

    Call it after `poll_at` at the same ``now``: the sockets' part (`SocketSet.schedule`)
    then finds them sorted already and gives the same answer again.
    """
    now_us = now.micros
    if iface._egress.ready:
        return now_us
    best = sockets.schedule(iface.context, now_us)
    if best is not None and best <= now_us:
        return now_us
    for due in (
        iface._resolution.poll_at_us(),
        iface.multicast.next_due_us,
        iface.acd.poll_at_us(),
        iface.reassembler.next_deadline_us(),
    ):
        if due is not None and (best is None or due < best):
            best = due
    v6_us = iface._ipv6_host.due_us()
    if v6_us >= 0 and (best is None or v6_us < best):
        best = v6_us
    if best is not None and best < now_us:
        return now_us
    return best


class Host:
    def __init__(self, name: int, device: LinkDevice, now: Instant, rng: random.Random) -> None:
        config = Config(
            hardware_addr=EthernetAddress.parse(MACS[name]),
            random_seed=rng.randrange(1 << 16),
            slaac=rng.random() < 0.5,
            dad=immediate() if rng.random() < 0.5 else Config().dad,
            mld=MldConfig(),
        )
        self.mac = MACS[name]
        self.device = device
        self.iface = Interface(config, device, now)
        self.sockets = SocketSet()
        self.udp = UdpSocket(PacketBuffer(8, 2048), PacketBuffer(8, 2048))
        self.udp.bind(IpEndpoint(None, 5000 + name))
        self.sockets.add(self.udp)

    def check(self, now: Instant) -> None:
        at = self.iface.poll_at(now, self.sockets)
        expected = from_scratch_us(self.iface, now, self.sockets)
        assert (None if at is None else at.micros) == expected

    def poll(self, now: Instant) -> None:
        self.iface.poll(now, self.device, self.sockets)
        self.check(now)


def router_advert(src_mac: str, valid: int, preferred: int) -> bytes:
    ra = (
        IPv6(src="fe80::1", dst="ff02::1", hlim=255)
        / ICMPv6ND_RA(routerlifetime=1800)
        / ICMPv6NDOptSrcLLAddr(lladdr=src_mac)
        / ICMPv6NDOptPrefixInfo(
            prefix="2001:db8:1::", prefixlen=64, validlifetime=valid, preferredlifetime=preferred
        )
    )
    return bytes(Ether(src=src_mac, dst="33:33:00:00:00:01") / ra)


def mld_query(src_mac: str) -> bytes:
    query = (
        IPv6(src="fe80::1", dst="ff02::1", hlim=1)
        / IPv6ExtHdrHopByHop(options=[RouterAlert()])
        / ICMPv6MLQuery2(mrd=2000)
    )
    return bytes(Ether(src=src_mac, dst="33:33:00:00:00:01") / query)


def first_fragment(dst_mac: str, dst: str, ident: int) -> bytes:
    packet = IP(src="10.0.0.200", dst=dst, id=ident, flags="MF") / UDP(sport=1, dport=2)
    return bytes(Ether(src="02:00:00:00:00:09", dst=dst_mac) / packet / (b"x" * 32))


def step(rng: random.Random, hosts: list[Host], now: Instant) -> Instant:
    """Do one random thing that may move a deadline; return the new time."""
    me = rng.choice(hosts)
    iface = me.iface
    peer = hosts[1] if me is hosts[0] else hosts[0]
    op = rng.randrange(14)
    n = rng.randrange(1, 6)
    if op == 0:
        cidr = IpCidr.parse(f"10.0.0.{n}/24")
        if not iface.has_ip_addr(cidr.address) and cidr.address not in iface.acd.tentative:
            iface.add_ip_addr(cidr, now, probe=rng.random() < 0.7)
    elif op == 1:
        cidr = IpCidr.parse(f"fdaa::{n}/64")
        if not iface.has_ip_addr(cidr.address) and cidr.address not in iface.dad.tentative:
            iface.add_ip_addr(cidr, now, probe=rng.random() < 0.7)
    elif op == 2 and iface.ip_addrs:
        gone = rng.choice(iface.ip_addrs)
        iface.update_ip_addrs(lambda addrs: addrs.remove(gone))
    elif op == 3:
        group = Ipv4Address(f"239.1.1.{n}")
        if rng.random() < 0.6:
            iface.join_multicast_group(group, now)
        else:
            iface.leave_multicast_group(group, now)
    elif op == 4:
        group6 = Ipv6Address(f"ff12::{n}")
        if rng.random() < 0.6:
            iface.join_multicast_group(group6, now)
        else:
            iface.leave_multicast_group(group6, now)
    elif op == 5:
        iface.link_up(now)
    elif op == 6:
        # One of the three is the peer's: its link-local address is then duplicated.
        iface.set_hardware_addr(EthernetAddress.parse(rng.choice(MACS)), now)
    elif op == 7:
        dst = f"10.0.0.{n}" if rng.random() < 0.5 else f"fdaa::{n}"
        if me.udp.can_send():
            me.udp.send_to(b"hello", (dst, 7))
    elif op == 8:
        me.device.rx.append(router_advert(peer.mac, rng.choice((5, 30, 600)), rng.choice((0, 3))))
    elif op == 9:
        me.device.rx.append(mld_query(peer.mac))
    elif op == 10:
        dst = next((str(c.address) for c in iface.ip_addrs if c.address.version == 4), None)
        if dst is not None:
            me.device.rx.append(first_fragment(me.mac, dst, rng.randrange(1 << 16)))
    elif op == 11 and rng.random() < 0.2:
        me.sockets.add(Dhcpv4Socket(random.Random(n)))
    else:
        # Time passes, up to the next deadline or beyond it, with polls in between.
        for _ in range(rng.randrange(1, 4)):
            at = iface.poll_at(now, me.sockets)
            if at is not None and at > now and rng.random() < 0.7:
                now = at
            else:
                now = now + Duration.from_millis(rng.choice((0, 1, 10, 200, 1500)))
            for h in hosts:
                h.poll(now)
    for h in hosts:
        h.check(now)
    if rng.random() < 0.5:
        for h in hosts:
            h.poll(now)
    return now


@pytest.mark.parametrize("seed", range(40))
def test_poll_at_equals_a_computation_from_scratch(seed: int) -> None:
    rng = random.Random(seed)
    a, b = link()
    now = Instant.from_secs(1)
    hosts = [Host(0, a, now, rng), Host(1, b, now, rng)]
    for h in hosts:
        h.check(now)
    for _ in range(120):
        now = step(rng, hosts, now)


def test_a_deadline_moved_without_the_flag_is_seen_here() -> None:
    """The check above can fail: a deadline moved behind the cache's back is caught."""
    a, _ = link()
    now = Instant.from_secs(1)
    host = Host(0, a, now, random.Random(1))
    host.check(now)
    host.iface.multicast.next_due_us = now.micros + 5  # no flag raised
    with pytest.raises(AssertionError):
        host.check(now)


def test_every_duty_raises_the_interfaces_flag() -> None:
    a, _ = link()
    iface = Interface(Config(hardware_addr=EthernetAddress.parse(MACS[0])), a, Instant(0))
    shared = iface._deadlines
    assert isinstance(shared, Deadlines)
    for duty in (iface.acd, iface.multicast, iface.dad, iface.mld, iface.slaac):
        assert duty.deadlines is shared
