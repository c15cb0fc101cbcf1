"""A path MTU drop in the middle of a transfer is not a congestion loss (RFC 1191 6.5, RFC 8201
5.4, RFC 4821).

A scripted peer behind a scripted router: the router drops every frame longer than the link
MTU and answers each with "fragmentation needed" (scapy builds it), the peer acknowledges in
order what arrives. When the link shrinks mid-transfer, the sender must resend at once, cut to
the new size, exactly what was dropped: no window cut, no recovery, no RTO, and the resends
counted as ``pmtu`` retransmissions, not as the loss recovery's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from scapy.layers.inet import ICMP, IP, TCP
from scapy.layers.l2 import Ether

from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.tcp.rack import Rack
from smoltcp.stack.testing import Harness
from smoltcp.stack.time import Duration
from smoltcp.wire import EthernetAddress, IpAddress

US, PEER, ROUTER = "192.168.69.1", "192.168.69.2", "192.168.69.254"
US_MAC, PEER_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"
PORT, PEER_PORT = 80, 40000
SMALL_MTU = 1000
NEW_MSS = SMALL_MTU - 40


def eth(pkt: object) -> bytes:
    return bytes(Ether(src=PEER_MAC, dst=US_MAC) / pkt)


def peer_tcp(seq: int, ack: int, flags: str, options: list[object] | None = None) -> bytes:
    seg = TCP(sport=PEER_PORT, dport=PORT, seq=seq, ack=ack, flags=flags, window=65535)
    seg.options = options or []
    return eth(IP(src=PEER, dst=US) / seg)


def frag_needed(mtu: int, dropped: Ether) -> bytes:
    # RFC 792 / RFC 1191: the dropped datagram's IP header and first 8 octets of payload.
    quoted = bytes(dropped[IP])[:28]
    return eth(IP(src=ROUTER, dst=US) / ICMP(type=3, code=4, nexthopmtu=mtu) / quoted)


def established(sack: bool) -> tuple[Harness, TcpSocket, int]:
    """A connection from PEER (MSS 1460, with or without SACK), ESTABLISHED; our ISN + 1."""
    h = Harness()
    h.iface.neighbor_cache.learn(IpAddress.parse(PEER), EthernetAddress.parse(PEER_MAC), h.now)
    sock = TcpSocket(1 << 20, 1 << 20)
    h.sockets.add(sock)
    sock.listen(PORT)
    options: list[object] = [("MSS", 1460), ("WScale", 7)]
    if sack:
        options.append(("SAckOK", b""))
    (synack,) = h.feed(peer_tcp(1000, 0, "S", options))
    iss1 = Ether(synack)[TCP].seq + 1
    h.advance(Duration.from_millis(10))
    h.feed(peer_tcp(1001, iss1, "A"))
    assert sock.state is TcpState.ESTABLISHED
    assert sock.tcb.sack_ok is sack
    return h, sock, iss1


@dataclass
class Path:
    """The router (MTU ``mtu``) and the in-order receiving peer, both scripted."""

    iss1: int
    mtu: int = 1500
    received: bytearray = field(default_factory=bytearray)
    dropped: list[Ether] = field(default_factory=list)

    def carry(self, frames: list[bytes]) -> tuple[list[bytes], list[bytes]]:
        """Take what the stack sent: return (the router's errors, the peer's ACKs)."""
        errors, acks = [], []
        for raw in frames:
            frame = Ether(raw)
            if len(frame[IP]) > self.mtu:
                self.dropped.append(frame)
                errors.append(frag_needed(self.mtu, frame))
                continue
            data = bytes(frame[TCP].payload)
            if not data:
                continue
            offset = (frame[TCP].seq - self.iss1) % (1 << 32)
            if offset <= len(self.received) < offset + len(data):
                self.received += data[len(self.received) - offset :]
            acks.append(peer_tcp(1001, (self.iss1 + len(self.received)) % (1 << 32), "A"))
        return errors, acks[-1:]  # one cumulative ACK per flight


def payload(size: int) -> bytes:
    return bytes((i * 7 + i // 251) & 0xFF for i in range(size))


@pytest.mark.parametrize("sack", [True, False])
def test_a_path_mtu_drop_mid_transfer_resends_at_once_with_no_congestion_response(
    sack: bool,
) -> None:
    h, sock, iss1 = established(sack)
    data = payload(300_000)
    path = Path(iss1)
    queued = sock.send(data)
    assert queued == len(data)
    frames = h.poll()
    shrunk = False
    before = after = None
    resent: list[Ether] = []
    for _ in range(500):
        if not shrunk and len(path.received) >= 60_000:
            path.mtu = SMALL_MTU  # the route changes: a narrower link mid-transfer
            shrunk = True
        errors, acks = path.carry(frames)
        frames = []
        for i, error in enumerate(errors):
            if i == 0:
                before = sock.stats
                outstanding = sock.tcb.snd_max - sock.tcb.snd_una
            out = h.feed(error)
            if i == 0:
                after = sock.stats
                resent = [Ether(f) for f in out]
            frames += out
        h.advance(Duration.from_millis(10))
        for ack in acks:
            frames += h.feed(ack)
        frames += h.poll()
        if len(path.received) == len(data):
            break
    assert bytes(path.received) == data
    assert before is not None and after is not None
    # The sender shrank its segments to the path at once, and resent right away, from
    # SND.UNA, what was dropped (everything in flight was full-sized), cut to the new size.
    assert sock.tcb.snd_mss == NEW_MSS
    assert resent, "nothing resent on the error"
    assert resent[0][TCP].seq == path.dropped[0][TCP].seq
    assert all(len(f[IP]) <= SMALL_MTU for f in resent)
    assert max(len(f[TCP].payload) for f in resent) == NEW_MSS
    dropped_octets = sum(len(f[TCP].payload) for f in path.dropped)
    assert dropped_octets == outstanding
    # No congestion response: the window and ssthresh stay, no recovery, no timeout.
    assert after.cwnd == before.cwnd and after.ssthresh == before.ssthresh
    end = sock.stats
    assert end.timeouts == 0 and end.fast_retransmits == 0 and end.rack_losses == 0
    assert end.retransmits_rto_segments == 0
    assert end.retransmits_fast_segments == 0 and end.retransmits_rack_segments == 0
    # Exactly the dropped octets went again, in whole segments of the new size.
    assert 0 < end.retransmits_pmtu_segments == -(-dropped_octets // NEW_MSS)
    assert end.retransmissions == end.retransmits_pmtu_segments
    assert end.retransmitted_octets == dropped_octets
    assert "pmtu:" in end.describe()


def test_only_the_segments_too_big_for_the_new_path_go_again() -> None:
    h, sock, iss1 = established(True)
    sock.set_nagle_enabled(False)
    sock.send(b"a" * (3 * 1460))
    sock.send(b"b" * 400)
    first = [Ether(f) for f in h.poll()]
    assert [len(f[TCP].payload) for f in first] == [1460, 1460, 1460, 400]
    out = [Ether(f) for f in h.feed(frag_needed(SMALL_MTU, first[0]))]
    # The three full-sized segments, as one range cut in whole 960-octet segments; the
    # 400-octet one crossed the path and stays in flight.
    sizes = [len(f[TCP].payload) for f in out]
    assert sizes == [960, 960, 960, 960, 540]
    assert [f[TCP].seq for f in out] == [iss1 + i * 960 for i in range(5)]
    assert sock.stats.retransmits_pmtu_segments == 5
    assert sock.tcb.snd_nxt == sock.tcb.snd_max
    # The peer acknowledges everything; nothing else goes.
    h.advance(Duration.from_millis(10))
    assert h.feed(peer_tcp(1001, iss1 + 3 * 1460 + 400, "A")) == []
    assert sock.tcb.snd_una == sock.tcb.snd_max
    stats = sock.stats
    assert stats.retransmissions == 5 and stats.fast_retransmits == 0


def test_an_error_that_does_not_lower_the_mss_changes_nothing() -> None:
    h, sock, _ = established(True)
    sock.send(b"x" * 6000)
    first = [Ether(f) for f in h.poll()]
    assert len(first) == 5
    # A report of the MTU we already use lowers nothing: nothing goes again.
    nxt = sock.tcb.snd_nxt
    assert h.feed(frag_needed(1500, first[1])) == []
    assert sock.stats.retransmissions == 0 and sock.tcb.snd_mss == 1460
    assert h.feed(frag_needed(1400, first[0])) != []  # lowers: 1360-octet segments
    stats = sock.stats
    assert stats.retransmits_pmtu_segments == 5 and sock.tcb.snd_mss == 1360
    # Before any ACK the initial window is counted anew in segments of the new size.
    assert stats.cwnd == 10 * 1360
    # A stale error (larger than what the path now carries) changes nothing more.
    assert h.feed(frag_needed(1450, first[2])) == []
    assert h.feed(frag_needed(1400, first[3])) == []
    after = sock.stats
    assert after.retransmits_pmtu_segments == 5 and sock.tcb.snd_mss == 1360
    assert after.cwnd == stats.cwnd and after.ssthresh == stats.ssthresh
    assert sock.tcb.snd_nxt == nxt == sock.tcb.snd_max
    assert after.timeouts == 0 and after.fast_retransmits == 0


def test_rack_marks_only_the_pieces_too_big_for_the_new_mss() -> None:
    rack = Rack()
    # Three segments, the last short; then a super-segment cut in 1460-octet pieces whose
    # last piece (400 octets) is short too.
    for start, end in ((0, 1460), (1460, 2920), (2920, 3320), (3320, 3320 + 4380 + 400)):
        rack.on_send(start, end, 1000, False)
    found = rack.mark_too_big(960, 1460, True)
    assert found == [(0, 1460), (1460, 2920), (3320, 7700)]
    # Contiguous ranges join, so that they go again in whole segments of the new size.
    assert rack.lost == [[0, 2920, 1], [3320, 7700, 1]]
    assert rack.lost_bytes == 2920 + 4380
    # Marked once: a second error finds nothing more, and RACK's own detection skips them.
    assert rack.mark_too_big(960, 1460, True) == []
    assert rack.on_ack(0, [(2920, 3320), (7700, 8100)], 30_000)
    rack.detect(10_000_000)
    assert rack.lost == [[0, 2920, 1], [3320, 7700, 1]]
    # Sent again, a range leaves the lost list; what is left of it keeps its mark.
    rack.on_send(0, 960, 40_000, True)
    assert rack.lost == [[960, 2920, 1], [3320, 7700, 1]]
    rack.on_ack(8100, [], 50_000)
    assert rack.lost == []
