"""ARP on the interface: answers, learning, expiry, rate limit, queued packets, bounds."""

from __future__ import annotations

from smoltcp.stack.socket import UdpSocket
from smoltcp.stack.storage import PacketBuffer
from smoltcp.stack.testing import Harness, arp, ethernet, icmp_echo, ipv4, mac, udp
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import Ipv4Address

US = "192.168.69.1"
PEER = "192.168.69.2"
PEER_MAC = "02-00-00-00-00-02"
BCAST = "ff-ff-ff-ff-ff-ff"
ZERO = "00-00-00-00-00-00"


def request(spa: str = PEER, tpa: str = US, sha: str = PEER_MAC, dst: str = BCAST) -> bytes:
    return ethernet(dst, sha, 0x0806, arp(1, sha, spa, ZERO, tpa))


def reply(spa: str = PEER, sha: str = PEER_MAC, tpa: str = US, dst: str | None = None) -> bytes:
    return ethernet(
        dst or "02-00-00-00-00-01", sha, 0x0806, arp(2, sha, spa, "02-00-00-00-00-01", tpa)
    )


def udp_socket(h: Harness, port: int = 7000) -> UdpSocket:
    sock = UdpSocket(PacketBuffer(64, 65536), PacketBuffer(64, 65536))
    sock.bind(port)
    h.sockets.add(sock)
    return sock


def test_answers_a_request_for_our_address() -> None:
    h = Harness()
    (out,) = h.decode(h.feed(request()))
    assert out.ethertype == 0x0806
    assert out.eth_dst == mac(PEER_MAC) and out.eth_src == h.mac
    assert out.arp == {"op": 2, "sha": h.mac, "spa": US, "tha": mac(PEER_MAC), "tpa": PEER}
    assert h.iface.counters.arp_replies_sent == 1


def test_ignores_a_request_for_another_address() -> None:
    h = Harness()
    assert h.feed(request(tpa="192.168.69.7")) == []
    assert h.dropped["not-for-us-arp"] == 1
    assert Ipv4Address(PEER) not in h.iface.neighbor_cache


def test_learns_from_a_request_for_us_and_sends_without_asking() -> None:
    h = Harness()
    h.feed(request())
    sock = udp_socket(h)
    sock.send_to(b"hi", (PEER, 9))
    (out,) = h.decode(h.poll())
    assert out.udp is not None and out.eth_dst == mac(PEER_MAC)


def test_learns_from_gratuitous_arp() -> None:
    h = Harness(arp_accept=True)  # Linux's arp_accept (off by default: see test_arp_filter)
    # A gratuitous request announces PEER (spa == tpa); nobody asked us anything.
    assert h.feed(request(tpa=PEER)) == []
    hw = h.iface.neighbor_cache.lookup(Ipv4Address(PEER), h.now)
    assert hw is not None and bytes(hw) == mac(PEER_MAC)


def test_does_not_learn_off_link_or_unspecified_senders() -> None:
    h = Harness()
    h.feed(request(spa="10.0.0.5", tpa="10.0.0.5"))
    h.feed(request(spa="0.0.0.0"))  # RFC 5227 probe for our address
    assert len(h.iface.neighbor_cache) == 0


def test_gratuitous_reply_updates_a_known_neighbour() -> None:
    h = Harness()
    h.feed(request())
    h.advance(Duration.from_millis(1001))  # past the lock time (next test)
    h.feed(reply(sha="02-00-00-00-00-09", tpa=PEER, dst=BCAST))
    hw = h.iface.neighbor_cache.lookup(Ipv4Address(PEER), h.now)
    assert hw is not None and bytes(hw) == mac("02-00-00-00-00-09")


def test_a_neighbour_heard_from_within_the_lock_time_keeps_its_address() -> None:
    # ARP has no checksum: a corrupted or stray reply must not divert a neighbour that is
    # talking right now. Its IP traffic confirms the entry; a second after the last of it, a
    # new address is taken (the neighbour may really have moved).
    h = Harness()
    h.feed(request())
    moved = reply(sha="02-00-00-00-00-09", tpa=PEER, dst=BCAST)
    for _ in range(3):
        h.advance(Duration.from_millis(600))
        h.feed(ethernet(h.mac, PEER_MAC, 0x0800, ipv4(PEER, US, 17, udp(PEER, US, 5, 9, b"x"))))
        h.feed(moved)
        hw = h.iface.neighbor_cache.lookup(Ipv4Address(PEER), h.now)
        assert hw is not None and bytes(hw) == mac(PEER_MAC)
    assert h.dropped["arp-conflict"] == 3
    assert h.dropped["not-for-us-arp"] == 0
    h.advance(Duration.from_millis(1001))
    h.feed(moved)
    hw = h.iface.neighbor_cache.lookup(Ipv4Address(PEER), h.now)
    assert hw is not None and bytes(hw) == mac("02-00-00-00-00-09")


def test_an_arp_packet_whose_sender_is_not_its_frames_source_never_moves_a_neighbour() -> None:
    # One corrupted octet in the sender hardware address (or in the frame's source) makes the
    # two disagree: such a packet neither moves a live entry, however long the neighbour has
    # been quiet, nor adds one.
    h = Harness()
    h.feed(request())
    h.advance(Duration.from_secs(30))
    corrupted = ethernet(h.mac, PEER_MAC, 0x0806, arp(2, "02-00-00-00-80-02", PEER, h.mac, US))
    h.feed(corrupted)
    hw = h.iface.neighbor_cache.lookup(Ipv4Address(PEER), h.now)
    assert hw is not None and bytes(hw) == mac(PEER_MAC)
    assert h.dropped["arp-sender-mismatch"] == 1
    other = ethernet(
        h.mac, PEER_MAC, 0x0806, arp(2, "02-00-00-00-00-07", "192.168.69.7", h.mac, US)
    )
    h.feed(other)
    assert Ipv4Address("192.168.69.7") not in h.iface.neighbor_cache


def test_a_known_neighbour_asking_for_someone_else_updates_its_entry() -> None:
    # RFC 826 "merge": a packet from a neighbour we know updates its entry, whoever it is for;
    # an unknown one asking for someone else is not learned.
    h = Harness()
    h.feed(request())
    h.advance(Duration.from_millis(1001))  # past the lock time
    assert h.feed(request(sha="02-00-00-00-00-09", tpa="192.168.69.7")) == []
    hw = h.iface.neighbor_cache.lookup(Ipv4Address(PEER), h.now)
    assert hw is not None and bytes(hw) == mac("02-00-00-00-00-09")
    h.feed(request(spa="192.168.69.8", sha="02-00-00-00-00-08", tpa="192.168.69.7"))
    assert Ipv4Address("192.168.69.8") not in h.iface.neighbor_cache


def test_unknown_neighbour_queues_the_packet_and_sends_it_on_reply() -> None:
    h = Harness()
    sock = udp_socket(h)
    sock.send_to(b"one", (PEER, 9))
    sock.send_to(b"two", (PEER, 9))
    frames = h.decode(h.poll())
    # One request for both packets; the packets wait.
    assert [f.arp["op"] for f in frames if f.arp] == [1]
    (req,) = frames
    assert req.eth_dst == b"\xff" * 6
    assert req.arp == {"op": 1, "sha": h.mac, "spa": US, "tha": b"\0" * 6, "tpa": PEER}
    assert h.iface.counters.queued_for_arp == 2
    out = h.decode(h.feed(reply(), at=h.now + Duration.from_millis(5)))
    assert [f.payload for f in out] == [b"one", b"two"]
    assert all(f.eth_dst == mac(PEER_MAC) and not f.errors for f in out)


def test_requests_are_rate_limited_to_one_per_second_and_retried() -> None:
    h = Harness()
    sock = udp_socket(h)
    sock.send_to(b"a", (PEER, 9))
    assert len(h.poll()) == 1  # the request
    sock.send_to(b"b", (PEER, 9))
    assert h.poll(Instant.from_millis(500)) == []  # queued, no second request yet
    assert h.iface.poll_at(h.now, h.sockets) == Instant.from_millis(1000)
    (again,) = h.decode(h.poll(Instant.from_millis(1000)))
    assert again.arp["op"] == 1 and again.arp["tpa"] == PEER
    assert h.iface.counters.arp_requests_sent == 2


def requests_sent(frames: list[bytes]) -> int:
    return sum(1 for f in frames if f[12:14] == b"\x08\x06" and f[20:22] == b"\x00\x01")


def test_a_new_resolution_right_after_a_timeout_still_waits_its_second() -> None:
    # Irregular polls put the last retry at 2.9 s; the queue times out at 3 s. A packet sent
    # then starts a new resolution, but the request waits until 3.9 s: one per second.
    h = Harness()
    sock = udp_socket(h)
    sock.send_to(b"a", (PEER, 9))
    asked = [requests_sent(h.poll(Instant.from_millis(ms))) for ms in (0, 1000, 2900, 3000)]
    assert asked == [1, 1, 1, 0] and h.dropped["arp-timeout"] == 1
    sock.send_to(b"b", (PEER, 9))
    assert requests_sent(h.poll()) == 0
    assert h.iface.poll_at(h.now, h.sockets) == Instant.from_millis(3900)
    assert requests_sent(h.poll(Instant.from_millis(3899))) == 0
    assert requests_sent(h.poll(Instant.from_millis(3900))) == 1
    assert [f.payload for f in h.decode(h.feed(reply()))] == [b"b"]


def test_a_unicast_refresh_counts_towards_the_one_request_per_second() -> None:
    h = Harness()
    h.feed(request())  # PEER's entry lapses at 60 s
    sock = udp_socket(h)
    sock.send_to(b"x", (PEER, 9))
    assert requests_sent(h.poll(Instant.from_millis(59500))) == 1  # the unicast refresh
    sock.send_to(b"y", (PEER, 9))
    assert requests_sent(h.poll(Instant.from_secs(60))) == 0  # lapsed: queued, not asked yet
    assert requests_sent(h.poll(Instant.from_millis(60500))) == 1


def test_poll_at_reports_a_resolve_timeout_shorter_than_the_interval() -> None:
    h = Harness(arp_resolve_timeout=Duration.from_millis(300))
    sock = udp_socket(h)
    sock.send_to(b"a", (PEER, 9))
    h.poll()
    assert h.iface.poll_at(h.now, h.sockets) == Instant.from_millis(300)
    h.poll(Instant.from_millis(300))
    assert h.dropped["arp-timeout"] == 1


def test_packets_resolved_while_the_device_is_full_go_at_the_next_poll() -> None:
    h = Harness()
    sock = udp_socket(h)
    sock.send_to(b"a", (PEER, 9))
    h.poll()
    h.device.tx_budget = 0
    assert h.feed(reply()) == []
    assert h.iface.poll_at(h.now, h.sockets) == h.now  # something waits: poll now
    h.device.tx_budget = None
    assert [f.payload for f in h.decode(h.poll())] == [b"a"]
    assert h.iface.poll_at(h.now, h.sockets) is None


def test_broadcast_and_multicast_destinations_need_no_arp() -> None:
    h = Harness()
    sock = udp_socket(h)
    for dst in ("192.168.69.255", "255.255.255.255", "224.0.0.251", "239.129.2.3"):
        sock.send_to(b"x", (dst, 9))
    out = h.decode(h.poll())
    assert [f.eth_dst for f in out] == [
        b"\xff" * 6,
        b"\xff" * 6,
        mac("01-00-5e-00-00-fb"),  # RFC 1112 6.4: the low 23 bits of the group
        mac("01-00-5e-01-02-03"),
    ]
    assert h.iface.counters.arp_requests_sent == 0


def test_queued_packets_time_out() -> None:
    h = Harness()
    sock = udp_socket(h)
    sock.send_to(b"a", (PEER, 9))
    h.poll()
    for ms in (1000, 2000):
        h.poll(Instant.from_millis(ms))
    assert h.poll(Instant.from_millis(3000)) == []
    assert h.dropped["arp-timeout"] == 1
    assert h.iface.poll_at(h.now, h.sockets) is None
    # A late reply sends nothing.
    assert h.feed(reply()) == []


def test_queue_is_bounded_per_destination_and_in_total() -> None:
    h = Harness(arp_queue_per_destination=2, arp_queue_total=3)
    sock = udp_socket(h)
    for i in range(4):
        sock.send_to(b"%d" % i, (PEER, 9))
    sock.send_to(b"x", ("192.168.69.3", 9))
    sock.send_to(b"y", ("192.168.69.4", 9))
    h.poll()
    # PEER: 2 queued, 2 dropped; .3 queued (total 3); .4 dropped (total full).
    assert h.dropped["arp-queue-full"] == 3
    out = h.decode(h.feed(reply()))
    assert [f.payload for f in out] == [b"0", b"1"]


def test_entries_expire_after_a_minute_unless_refreshed() -> None:
    h = Harness()
    h.feed(request())
    addr = Ipv4Address(PEER)
    assert h.iface.neighbor_cache.lookup(addr, Instant.from_secs(59)) is not None
    assert h.iface.neighbor_cache.lookup(addr, Instant.from_secs(60)) is None

    h2 = Harness()
    h2.feed(request())
    # Traffic heard from the neighbour at 50 s refreshes the entry to 110 s.
    ping = ethernet(h2.mac, PEER_MAC, 0x0800, ipv4(PEER, US, 1, icmp_echo(1, 1)))
    h2.feed(ping, at=Instant.from_secs(50))
    assert h2.iface.neighbor_cache.lookup(addr, Instant.from_secs(109)) is not None
    assert h2.iface.neighbor_cache.lookup(addr, Instant.from_secs(110)) is None


def test_traffic_from_another_mac_does_not_refresh() -> None:
    h = Harness()
    h.feed(request())
    spoof = ethernet(h.mac, "02-00-00-00-00-66", 0x0800, ipv4(PEER, US, 1, icmp_echo(1, 1)))
    h.feed(spoof, at=Instant.from_secs(50))
    assert h.iface.neighbor_cache.lookup(Ipv4Address(PEER), Instant.from_secs(61)) is None


def test_expired_entry_triggers_a_new_request() -> None:
    h = Harness()
    h.feed(request())
    sock = udp_socket(h)
    sock.send_to(b"late", (PEER, 9))
    (out,) = h.decode(h.poll(Instant.from_secs(61)))
    assert out.arp is not None and out.arp["op"] == 1


def test_cache_is_bounded_with_eviction_of_the_oldest() -> None:
    h = Harness(neighbor_cache_capacity=4)
    for i in range(2, 8):
        h.feed(request(spa=f"192.168.69.{i}", sha=f"02-00-00-00-01-{i:02x}"))
    cache = h.iface.neighbor_cache
    assert len(cache) == 4
    assert Ipv4Address("192.168.69.2") not in cache and Ipv4Address("192.168.69.3") not in cache
    assert Ipv4Address("192.168.69.7") in cache


def test_arp_other_operations_and_bad_senders_are_dropped() -> None:
    h = Harness()
    assert h.feed(ethernet(BCAST, PEER_MAC, 0x0806, arp(3, PEER_MAC, PEER, ZERO, US))) == []
    assert h.dropped["unsupported-arp-operation"] == 1
    assert h.feed(request(sha="ff-ff-ff-ff-ff-ff")) == []
    assert h.dropped["bad-source"] == 1


def test_ip_medium_sends_without_arp() -> None:
    from smoltcp.wire import Medium

    h = Harness(medium=Medium.IP)
    sock = udp_socket(h)
    sock.send_to(b"tun", (PEER, 9))
    (out,) = h.decode(h.poll())
    assert out.udp is not None and out.payload == b"tun" and not out.errors
    assert h.iface.counters.arp_requests_sent == 0


def test_reply_to_a_udp_request_goes_to_the_learned_mac() -> None:
    h = Harness()
    sock = udp_socket(h)
    h.feed(request())
    h.feed(ethernet(h.mac, PEER_MAC, 0x0800, ipv4(PEER, US, 17, udp(PEER, US, 5555, 7000, b"q"))))
    data, source = sock.recv_from()
    sock.send_to(data.upper(), source)
    (out,) = h.decode(h.poll())
    assert out.eth_dst == mac(PEER_MAC) and out.payload == b"Q" and out.udp["dport"] == 5555


def test_a_used_entry_is_refreshed_by_unicast_arp_before_it_lapses() -> None:
    h = Harness()
    h.feed(request())  # PEER learned at 0 s, lapses at 60 s
    h.device.take()
    sock = udp_socket(h)
    sock.send_to(b"early", (PEER, 9))
    assert len(h.poll(Instant.from_secs(50))) == 1  # no refresh needed yet
    sock.send_to(b"late", (PEER, 9))
    poll, data = h.decode(h.poll(Instant.from_secs(56)))
    # A unicast request to the known MAC, and the datagram goes out at once all the same.
    assert poll.arp is not None and poll.arp["op"] == 1 and poll.eth_dst == mac(PEER_MAC)
    assert data.payload == b"late"
    # Once per interval, however many packets are sent.
    sock.send_to(b"again", (PEER, 9))
    assert [f.payload for f in h.decode(h.poll(Instant.from_millis(56500)))] == [b"again"]
    # The peer answers: the entry lives another minute.
    h.feed(reply(), at=Instant.from_millis(56600))
    assert h.iface.neighbor_cache.lookup(Ipv4Address(PEER), Instant.from_secs(116)) is not None
