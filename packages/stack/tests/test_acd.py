"""IPv4 address conflict detection (RFC 5227): probe, announce, defend, in memory."""

from __future__ import annotations

import itertools

import pytest

from smoltcp.stack.iface import (
    AcdConfig,
    AcdEventKind,
    AcdState,
    AddressConflictDetector,
    DefendPolicy,
)
from smoltcp.stack.testing import Harness, arp, ethernet, icmp_echo, ipv4, mac
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import IpCidr, Ipv4Address, Medium

US = "192.168.69.1"
ADDR = Ipv4Address(US)
CIDR = IpCidr.parse(f"{US}/24")
OUR_MAC = "02-00-00-00-00-01"
OTHER_MAC = "02-00-00-00-00-07"
BCAST = "ff-ff-ff-ff-ff-ff"
ZERO = "00-00-00-00-00-00"


def arps(frames: list[bytes]) -> list[tuple[str, int, str, str, str]]:
    """(destination MAC, operation, sender IP, target hardware, target IP) of each ARP frame."""
    out = []
    for f in frames:
        if f[12:14] == b"\x08\x06":
            spa = str(Ipv4Address(bytes(f[28:32])))
            tpa = str(Ipv4Address(bytes(f[38:42])))
            out.append((f[:6].hex("-"), f[21], spa, f[32:38].hex("-"), tpa))
    return out


PROBE = (BCAST, 1, "0.0.0.0", ZERO, US)
ANNOUNCEMENT = (BCAST, 1, US, ZERO, US)


def run(h: Harness, until_ms: int, step_ms: int = 10, feed: dict | None = None) -> list:
    """Poll every ``step_ms`` up to ``until_ms``; return (ms, arp) for each ARP frame sent."""
    seen = []
    for ms in range(h.now.micros // 1000 + step_ms, until_ms + 1, step_ms):
        frames = h.feed(*(feed or {}).get(ms, ()), at=Instant.from_millis(ms))
        seen += [(ms, a) for a in arps(frames)]
    return seen


def claim(spa: str = US, tpa: str = US, sha: str = OTHER_MAC, op: int = 1) -> bytes:
    """An ARP packet from another host with ``spa`` as its sender (a gratuitous one by default)."""
    return ethernet(BCAST, sha, 0x0806, arp(op, sha, spa, ZERO, tpa))


def echo_to_us() -> bytes:
    return ethernet(mac(OUR_MAC), OTHER_MAC, 0x0800, ipv4("192.168.69.7", US, 1, icmp_echo(1, 1)))


def test_a_probed_address_is_tentative_then_announced() -> None:
    h = Harness(cidr="")
    h.iface.add_ip_addr(CIDR, h.now, probe=True)
    assert h.iface.ip_addrs == () and ADDR in h.iface.acd.tentative
    assert h.iface.acd.state(ADDR) is AcdState.PROBING
    # Tentative: not answered for (RFC 5227 2.1.1), neither by ARP nor by ICMP.
    assert h.feed(claim(spa="192.168.69.7", tpa=US)) == []
    assert h.feed(echo_to_us()) == [] and h.dropped["not-for-us-ipv4"] == 1
    seen = run(h, 12_000)
    kinds = [a for _, a in seen]
    assert kinds == [PROBE] * 3 + [ANNOUNCEMENT] * 2
    times = [ms for ms, _ in seen]
    # First probe within PROBE_WAIT, then PROBE_MIN to PROBE_MAX apart; the address is ready
    # ANNOUNCE_WAIT after the last probe, announced at once and ANNOUNCE_INTERVAL later.
    assert 0 <= times[0] <= 1000
    assert all(1000 <= b - a <= 2000 + 10 for a, b in itertools.pairwise(times[:3]))
    assert 2000 <= times[3] - times[2] <= 2000 + 10
    assert times[4] - times[3] == 2000
    assert [c.address for c in h.iface.ip_addrs] == [ADDR]
    assert h.iface.acd.state(ADDR) is AcdState.BOUND and not h.iface.acd.tentative
    (event,) = h.iface.acd.events()
    assert event.kind is AcdEventKind.READY and event.addr == ADDR
    assert h.iface.acd.counters.probes_sent == 3
    assert h.iface.acd.counters.announcements_sent == 2
    # In use now: echo requests are answered (the reply waits for the asker's address).
    assert arps(h.feed(echo_to_us())) == [(BCAST, 1, US, ZERO, "192.168.69.7")]


def test_probing_is_seeded() -> None:
    def times(seed: int) -> list[int]:
        h = Harness(cidr="", random_seed=seed)
        h.iface.add_ip_addr(CIDR, h.now, probe=True)
        return [ms for ms, _ in run(h, 10_000)]

    assert times(1) == times(1)
    assert times(1) != times(2)


@pytest.mark.parametrize(
    "frame",
    [
        claim(op=2),  # a reply from the holder
        claim(tpa="192.168.69.9"),  # any request whose sender is the address
        claim(spa="0.0.0.0"),  # another host probing for it at the same time
    ],
    ids=["reply", "request", "probe"],
)
def test_an_address_another_host_holds_is_taken_and_never_used(frame: bytes) -> None:
    h = Harness(cidr="", arp_accept=True)
    h.iface.add_ip_addr(CIDR, h.now, probe=True)
    seen = run(h, 1500, feed={1500: [frame]})
    seen += run(h, 15_000)
    assert [a for _, a in seen if a != PROBE] == []  # never announced
    assert h.iface.ip_addrs == () and not h.iface.acd.tentative
    assert h.iface.acd.state(ADDR) is None
    (event,) = h.iface.acd.events()
    assert event.kind is AcdEventKind.TAKEN and event.addr == ADDR
    assert event.hardware_addr == mac(OTHER_MAC)
    assert h.iface.acd.counters.taken == 1
    assert len(h.iface.neighbor_cache) == 0  # and nothing learned from the claim
    assert h.feed(echo_to_us()) == []


def test_our_own_probe_looped_back_is_no_conflict() -> None:
    h = Harness(cidr="")
    h.iface.add_ip_addr(CIDR, h.now, probe=True)
    own = ethernet(BCAST, OUR_MAC, 0x0806, arp(1, OUR_MAC, "0.0.0.0", ZERO, US))
    run(h, 1500, feed={1500: [own]})
    run(h, 12_000)
    assert [c.address for c in h.iface.ip_addrs] == [ADDR]


def test_a_probe_for_an_address_in_use_is_answered() -> None:
    # RFC 5227 2.1.1: the holder answers a probe with an ordinary ARP reply.
    h = Harness()
    (out,) = arps(h.feed(claim(spa="0.0.0.0")))
    assert out == (OTHER_MAC, 2, US, OTHER_MAC, "0.0.0.0")
    assert h.iface.acd.counters.conflicts == 0


def test_an_address_in_use_is_defended_once_then_lost() -> None:
    h = Harness(cidr="")
    h.iface.add_ip_addr(CIDR, h.now)  # not probed: in use at once, announced
    assert [c.address for c in h.iface.ip_addrs] == [ADDR]
    assert [a for _, a in run(h, 3000)] == [ANNOUNCEMENT] * 2
    # The first claim is answered with one announcement at once (RFC 5227 2.4 (b)).
    assert arps(h.feed(claim(), at=Instant.from_millis(4000))) == [ANNOUNCEMENT]
    assert [c.address for c in h.iface.ip_addrs] == [ADDR]
    assert run(h, 6000) == []  # one announcement only
    # A second within DEFEND_INTERVAL: the address is lost and no longer used.
    assert arps(h.feed(claim(), at=Instant.from_millis(8000))) == []
    assert h.iface.ip_addrs == ()
    events = h.iface.acd.events()
    assert [(e.kind, e.addr, e.hardware_addr) for e in events] == [
        (AcdEventKind.DEFENDED, ADDR, mac(OTHER_MAC)),
        (AcdEventKind.LOST, ADDR, mac(OTHER_MAC)),
    ]
    assert h.iface.acd.counters.as_dict() | {"announcements_sent": 0} == {
        "announcements_sent": 0,
        "conflicts": 2,
        "defended": 1,
        "events_dropped": 0,
        "lost": 1,
        "probes_sent": 0,
        "ready": 0,
        "taken": 0,
    }
    assert h.feed(echo_to_us()) == []


def test_conflicts_further_apart_than_defend_interval_are_each_defended() -> None:
    h = Harness()  # an address set with update_ip_addrs is defended too
    assert arps(h.feed(claim(), at=Instant.from_millis(1000))) == [ANNOUNCEMENT]
    assert arps(h.feed(claim(), at=Instant.from_millis(11_001))) == [ANNOUNCEMENT]
    assert [c.address for c in h.iface.ip_addrs] == [ADDR]
    assert [e.kind for e in h.iface.acd.events()] == [AcdEventKind.DEFENDED] * 2


def test_a_lost_address_stays_when_removal_is_off() -> None:
    h = Harness(acd=AcdConfig(remove_lost=False))
    h.feed(claim(), at=Instant.from_millis(1000))
    h.feed(claim(), at=Instant.from_millis(2000))
    assert [e.kind for e in h.iface.acd.events()][-1] is AcdEventKind.LOST
    assert [c.address for c in h.iface.ip_addrs] == [ADDR]


def test_retreat_and_defend_always() -> None:
    h = Harness(acd=AcdConfig(defend=DefendPolicy.RETREAT))
    assert arps(h.feed(claim())) == []
    assert h.iface.ip_addrs == ()
    h = Harness(acd=AcdConfig(defend=DefendPolicy.DEFEND_ALWAYS))
    sent = []
    for ms in range(0, 30_000, 1000):
        sent += arps(h.feed(claim(), at=Instant.from_millis(ms)))
    # One announcement per DEFEND_INTERVAL, the address kept.
    assert sent == [ANNOUNCEMENT] * 3
    assert [c.address for c in h.iface.ip_addrs] == [ADDR]


def test_our_own_announcement_looped_back_is_no_conflict() -> None:
    h = Harness()
    own = ethernet(BCAST, OUR_MAC, 0x0806, arp(1, OUR_MAC, US, ZERO, US))
    h.feed(own)
    h.feed(own)
    assert h.iface.acd.counters.conflicts == 0 and [c.address for c in h.iface.ip_addrs] == [ADDR]


def test_link_up_announces_and_probes_again() -> None:
    h = Harness()  # 192.168.69.1 (not probed)
    h.iface.add_ip_addr(IpCidr.parse("192.168.69.2/24"), h.now, probe=True)
    run(h, 12_000)
    assert {str(c.address) for c in h.iface.ip_addrs} == {US, "192.168.69.2"}
    h.iface.acd.events()
    h.iface.link_up(h.now)
    # The probed address is tentative again; the other is announced.
    assert [str(c.address) for c in h.iface.ip_addrs] == [US]
    seen = [a for _, a in run(h, 25_000)]
    assert seen.count(ANNOUNCEMENT) == 2
    assert seen.count((BCAST, 1, "0.0.0.0", ZERO, "192.168.69.2")) == 3
    assert {str(c.address) for c in h.iface.ip_addrs} == {US, "192.168.69.2"}
    assert [e.kind for e in h.iface.acd.events()] == [AcdEventKind.READY]


def test_probe_static_config_and_misuse() -> None:
    h = Harness(cidr="", acd=AcdConfig(probe_static=True))
    h.iface.add_ip_addr(CIDR, h.now)
    assert ADDR in h.iface.acd.tentative
    with pytest.raises(ValueError, match="cidr"):
        h.iface.add_ip_addr(CIDR, h.now)
    with pytest.raises(TypeError, match="cidr"):
        h.iface.add_ip_addr("192.168.69.3/24", h.now)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="probe_min"):
        AcdConfig(probe_min=Duration.from_secs(3))
    with pytest.raises(ValueError, match="probe_num"):
        AcdConfig(probe_num=-1)
    with pytest.raises(TypeError, match="defend"):
        AcdConfig(defend="once")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cidr"):
        AddressConflictDetector().probe(IpCidr.parse("224.0.0.1/4"), Instant.ZERO)


def test_events_are_bounded() -> None:
    acd = AddressConflictDetector(AcdConfig(max_events=2, defend=DefendPolicy.DEFEND_ALWAYS))
    ours = {ADDR}
    for s in range(5):
        acd.observe(mac(OTHER_MAC), ADDR, ADDR, mac(OUR_MAC), ours, Instant.from_secs(s * 11))
    assert len(acd.events()) == 2 and acd.counters.events_dropped == 3


def test_after_max_conflicts_probing_is_rate_limited() -> None:
    acd = AddressConflictDetector(AcdConfig(max_conflicts=2))
    sent: list[tuple[int, bool]] = []

    def send(addr: Ipv4Address, probe: bool) -> bool:
        sent.append((now.micros, probe))
        return True

    now = Instant.ZERO
    for _ in range(3):
        acd.probe(CIDR, now)
        acd.observe(mac(OTHER_MAC), ADDR, ADDR, mac(OUR_MAC), set(), now)
        now = now + Duration.from_secs(1)
    acd.probe(CIDR, now)
    # RFC 5227 2.1.1: the next attempt waits for RATE_LIMIT_INTERVAL after the last one.
    assert acd.poll_at() is not None and acd.poll_at() >= Instant.from_secs(2 + 60)
    assert acd.poll(now, send) == [] and sent == []


def test_without_arp_an_address_is_ready_at_once() -> None:
    h = Harness(cidr="", medium=Medium.IP)
    h.iface.add_ip_addr(CIDR, h.now, probe=True)
    assert [c.address for c in h.iface.ip_addrs] == [ADDR]
    assert [e.kind for e in h.iface.acd.events()] == [AcdEventKind.READY]
    assert h.poll(Instant.from_secs(10)) == []
