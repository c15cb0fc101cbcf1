"""ARP that believes no frame at odds with itself, and repairs a wrong entry by probing."""

from __future__ import annotations

import pytest

from smoltcp.stack.iface import ARP_REFUSALS, arp_may_create, arp_refusal
from smoltcp.stack.iface.neighbor import NeighborState
from smoltcp.stack.socket import UdpSocket
from smoltcp.stack.storage import PacketBuffer
from smoltcp.stack.testing import Harness, arp, ethernet, ipv4, mac, udp
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import IpAddress, IpCidr, Ipv4Address

US = "192.168.69.1"
PEER = "192.168.69.2"
PEER_MAC = "02-00-00-00-00-02"
WRONG_MAC = "02-00-00-00-00-66"
BCAST = "ff-ff-ff-ff-ff-ff"
ZERO = "00-00-00-00-00-00"

NET = IpCidr.parse("192.168.69.1/24")
OURS = {Ipv4Address(US)}
BROADCASTS = {Ipv4Address("192.168.69.255")}
SHA = mac(PEER_MAC)


def on_link(addr: IpAddress) -> bool:
    return NET.contains_addr(addr)


@pytest.mark.parametrize(
    ("sha", "spa", "frame_src", "reason"),
    [
        (SHA, PEER, SHA, None),
        (SHA, PEER, None, None),  # no link-layer source to compare with
        (SHA, PEER, mac("02-00-00-00-80-02"), "arp-sender-mismatch"),
        (SHA, "0.0.0.0", SHA, "arp-sender-unspecified"),
        (SHA, US, SHA, "arp-sender-ours"),
        (SHA, "255.255.255.255", SHA, "arp-sender-broadcast"),
        (SHA, "192.168.69.255", SHA, "arp-sender-broadcast"),
        (SHA, "224.0.0.1", SHA, "arp-sender-multicast"),
        (SHA, "240.0.0.1", SHA, "arp-sender-multicast"),
        (SHA, "10.0.0.5", SHA, "arp-sender-off-link"),
    ],
)
def test_refusal_reasons(sha: bytes, spa: str, frame_src: bytes | None, reason: str | None) -> None:
    got = arp_refusal(sha, Ipv4Address(spa), frame_src, OURS, BROADCASTS, on_link)
    assert got == reason
    assert got is None or got in ARP_REFUSALS


def test_who_may_create_an_entry() -> None:
    p, q = Ipv4Address(PEER), Ipv4Address("192.168.69.9")
    assert arp_may_create(p, Ipv4Address(US), True, False)  # for us
    assert not arp_may_create(p, p, False, False)  # gratuitous, arp_accept off
    assert arp_may_create(p, p, False, True)  # gratuitous, arp_accept on
    assert not arp_may_create(p, q, False, True)  # asking for someone else


def request(spa: str = PEER, tpa: str = US, sha: str = PEER_MAC, src: str | None = None) -> bytes:
    return ethernet(BCAST, src or sha, 0x0806, arp(1, sha, spa, ZERO, tpa))


def reply(sha: str = PEER_MAC, src: str | None = None, dst: str = "02-00-00-00-00-01") -> bytes:
    return ethernet(dst, src or sha, 0x0806, arp(2, sha, PEER, "02-00-00-00-00-01", US))


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (reply(src="02-00-00-00-80-02"), "arp-sender-mismatch"),
        (request(spa="10.0.0.5", tpa="10.0.0.5"), "arp-sender-off-link"),
        (request(spa="192.168.69.255", tpa="192.168.69.255"), "arp-sender-broadcast"),
        (request(spa="224.0.0.9", tpa="224.0.0.9"), "arp-sender-multicast"),
        (request(spa="0.0.0.0", tpa="192.168.69.7"), "arp-sender-unspecified"),
    ],
)
def test_an_implausible_packet_creates_nothing_and_is_counted(frame: bytes, reason: str) -> None:
    h = Harness(arp_accept=True)
    assert h.feed(frame) == []
    assert len(h.iface.neighbor_cache) == 0
    assert h.dropped == {reason: 1}


def test_our_own_address_as_sender_creates_nothing() -> None:
    h = Harness(arp_accept=True)
    h.feed(request(spa=US, tpa=US, sha="02-00-00-00-00-07"))
    h.feed(request(spa=US, tpa="192.168.69.9", sha="02-00-00-00-00-07"))
    assert len(h.iface.neighbor_cache) == 0
    assert Ipv4Address(US) not in h.iface.neighbor_cache


def test_an_implausible_request_for_us_is_still_answered_but_not_learned() -> None:
    # A request with a mismatched sender is answered (to its sender hardware address, as
    # RFC 826 says), but creates no entry.
    h = Harness()
    (out,) = h.decode(h.feed(request(src="02-00-00-00-80-02")))
    assert out.arp["op"] == 2
    assert len(h.iface.neighbor_cache) == 0


def test_gratuitous_arp_updates_an_entry_but_a_flood_creates_none() -> None:
    h = Harness(neighbor_cache_capacity=8)
    for i in range(2, 250):
        h.feed(request(spa=f"192.168.69.{i}", tpa=f"192.168.69.{i}", sha=f"02-00-00-00-01-{i:02x}"))
    assert len(h.iface.neighbor_cache) == 0
    assert h.dropped["not-for-us-arp"] == 248
    # A known neighbour's announcement moves its entry (once past the lock time).
    h.feed(request())
    h.advance(Duration.from_secs(2))
    h.feed(request(tpa=PEER, sha="02-00-00-00-00-09"))
    hw = h.iface.neighbor_cache.lookup(Ipv4Address(PEER), h.now)
    assert hw is not None and bytes(hw) == mac("02-00-00-00-00-09")
    # With arp_accept, a flood fills the cache only up to its bound.
    h2 = Harness(neighbor_cache_capacity=8, arp_accept=True)
    for i in range(2, 250):
        h2.feed(
            request(spa=f"192.168.69.{i}", tpa=f"192.168.69.{i}", sha=f"02-00-00-00-01-{i:02x}")
        )
    assert len(h2.iface.neighbor_cache) == 8


def arp_frames(frames: list[bytes]) -> list[tuple[bytes, int]]:
    """(destination MAC, ARP operation) of every ARP frame."""
    return [(f[:6], f[21]) for f in frames if f[12:14] == b"\x08\x06"]


def test_a_wrong_entry_is_repaired_within_the_probe_time() -> None:
    # The neighbour's entry is made wrong on purpose (a consistent, spoofed reply after the
    # lock time). Nothing comes from the wrong address: the entry goes STALE; sending
    # starts DELAY (5 s), then three unicast probes to the wrong address, 1 s apart; unanswered,
    # the entry is deleted and the next packet asks by broadcast; the real neighbour answers.
    h = Harness()
    sock = UdpSocket(PacketBuffer(64, 65536), PacketBuffer(64, 65536))
    sock.bind(7000)
    h.sockets.add(sock)
    h.feed(request())  # PEER at its real address
    h.advance(Duration.from_secs(2))
    h.feed(reply(sha=WRONG_MAC, dst=BCAST))  # announced at a wrong one
    cache = h.iface.neighbor_cache
    assert bytes(cache.lookup(Ipv4Address(PEER), h.now)) == mac(WRONG_MAC)
    sent_to: list[bytes] = []
    probes: list[tuple[int, bytes, int]] = []
    repaired_at = None
    for tenth in range(20, 200):  # a datagram every 100 ms, for 18 s
        t = Instant.from_millis(tenth * 100)
        # The peer keeps talking to us from its real address (it does not confirm the
        # wrong entry).
        frames = h.feed(
            ethernet(h.mac, PEER_MAC, 0x0800, ipv4(PEER, US, 17, udp(PEER, US, 9, 7000, b"p"))),
            at=t,
        )
        sock.recv_from()
        sock.send_to(b"x", (PEER, 9))
        frames += h.poll(t)
        for dst, op in arp_frames(frames):
            probes.append((tenth, dst, op))
            if dst == b"\xff" * 6 and op == 1 and repaired_at is None:
                # The real neighbour answers the broadcast query.
                h.feed(reply(), at=t)
                repaired_at = tenth
        sent_to += [f[:6] for f in frames if f[12:14] == b"\x08\x00"]
    assert repaired_at is not None
    # Three unicast probes to the wrong address, then the broadcast: within DELAY + 3 probes.
    assert [(dst, op) for _, dst, op in probes[:4]] == [(mac(WRONG_MAC), 1)] * 3 + [
        (b"\xff" * 6, 1)
    ]
    assert repaired_at * 100 - 2000 <= 5000 + 3 * 1000 + 200
    assert bytes(cache.lookup(Ipv4Address(PEER), h.now)) == mac(PEER_MAC)
    assert sent_to[-1] == mac(PEER_MAC)
    assert cache.counters.unreachable == 1 and cache.counters.probes_sent == 3
    assert cache.state(Ipv4Address(PEER), h.now) is NeighborState.REACHABLE
    (event,) = cache.events()
    assert event.addr == Ipv4Address(PEER) and event.hardware_addr == mac(WRONG_MAC)
