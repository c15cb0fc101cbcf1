"""IGMPv2 on the interface: reports on join and in answer to queries, leaves, and multicast
UDP accepted for joined groups only."""

from __future__ import annotations

from smoltcp.stack.socket import UdpSocket
from smoltcp.stack.storage import PacketBuffer
from smoltcp.stack.testing import Harness, ethernet, ipv4, udp
from smoltcp.stack.time import Instant
from smoltcp.wire import Ipv4Address
from smoltcp.wire.igmp import IgmpMessage, IgmpRepr

GROUP = Ipv4Address("239.1.2.3")
GROUP_MAC = "01-00-5e-01-02-03"
PEER = "192.168.69.100"
PEER_MAC = "02-00-00-00-00-64"


def igmp_sent(h: Harness, frames: list[bytes]) -> list[tuple[object, IgmpRepr]]:
    out = []
    for d in h.decode(frames):
        if d.ip is not None and d.ip["proto"] == 2:
            assert not d.errors
            out.append((d, IgmpRepr.parse(d.payload)))
    return out


def query(group: str = "0.0.0.0", max_resp: int = 100, dst: str = "224.0.0.1") -> bytes:
    body = IgmpRepr(IgmpMessage.MEMBERSHIP_QUERY, max_resp, Ipv4Address(group)).to_bytes()
    mac = "01-00-5e-00-00-01" if dst == "224.0.0.1" else GROUP_MAC
    return ethernet(mac, PEER_MAC, 0x0800, ipv4(PEER, dst, 2, body, ttl=1))


def datagram(dst: str, mac: str, payload: bytes) -> bytes:
    return ethernet(mac, PEER_MAC, 0x0800, ipv4(PEER, dst, 17, udp(PEER, dst, 4000, 5000, payload)))


def test_join_reports_twice_and_leave_sends_leave_group() -> None:
    h = Harness()
    assert h.iface.join_multicast_group(GROUP, h.now)
    assert not h.iface.join_multicast_group(GROUP, h.now)
    ((d, msg),) = igmp_sent(h, h.poll())
    assert msg == IgmpRepr(IgmpMessage.V2_MEMBERSHIP_REPORT, 0, GROUP)
    assert d.ip["dst"] == str(GROUP) and d.ip["ttl"] == 1  # type: ignore[attr-defined]
    assert d.eth_dst == bytes.fromhex("01005e010203")  # type: ignore[attr-defined]
    # The unsolicited report is repeated once within 10 s (RFC 2236 3).
    at = h.iface.poll_at(h.now, h.sockets)
    assert at is not None and Instant.ZERO < at <= Instant.from_secs(10)
    assert len(igmp_sent(h, h.poll(at))) == 1
    assert h.iface.poll_at(h.now, h.sockets) is None
    assert h.iface.leave_multicast_group(GROUP)
    ((d, msg),) = igmp_sent(h, h.poll())
    assert msg.message == IgmpMessage.LEAVE_GROUP and msg.group_addr == GROUP
    assert d.ip["dst"] == "224.0.0.2"  # type: ignore[attr-defined]


def test_query_is_answered_after_a_random_delay_within_max_resp_time() -> None:
    h = Harness()
    h.iface.join_multicast_group(GROUP, h.now)
    h.poll()
    h.poll(Instant.from_secs(11))  # the repeat
    start = Instant.from_secs(20)
    assert igmp_sent(h, h.feed(query(max_resp=50), at=start)) == []
    at = h.iface.poll_at(h.now, h.sockets)
    assert at is not None and start < at <= start + (Instant.from_secs(5) - Instant.ZERO)
    ((_, msg),) = igmp_sent(h, h.poll(at))
    assert msg.group_addr == GROUP
    # A query for a group we are not in asks nothing of us.
    h.feed(query("239.9.9.9", dst="239.9.9.9"))
    assert h.iface.poll_at(h.now, h.sockets) is None


def test_multicast_udp_reaches_sockets_only_for_joined_groups() -> None:
    h = Harness()
    sock = UdpSocket(PacketBuffer(4, 1024), PacketBuffer(4, 1024))
    sock.bind(5000)
    h.sockets.add(sock)
    h.feed(datagram(str(GROUP), GROUP_MAC, b"early"))
    assert not sock.can_recv() and h.dropped["multicast"] == 1
    h.iface.join_multicast_group(GROUP, h.now)
    h.poll()
    out = h.feed(datagram(str(GROUP), GROUP_MAC, b"hello"))
    assert sock.recv_from()[0] == b"hello"
    # No ICMP error about a multicast datagram, even to a closed port.
    h.feed(
        ethernet(
            GROUP_MAC,
            PEER_MAC,
            0x0800,
            ipv4(PEER, str(GROUP), 17, udp(PEER, str(GROUP), 1, 9, b"x")),
        )
    )
    assert all(d.icmp is None for d in h.decode(out))
    # Another group on the same Ethernet address (the 23-bit mapping is not one to one) is
    # still dropped at the IP layer.
    h.feed(datagram("239.129.2.3", GROUP_MAC, b"other"))
    assert not sock.can_recv()
    h.iface.leave_multicast_group(GROUP)
    h.poll()
    h.feed(datagram(str(GROUP), GROUP_MAC, b"late"))
    assert not sock.can_recv()
