"""Fragmentation on send, path MTU discovery and ICMP errors about TCP connections.

scapy reassembles what the interface cut (an independent oracle) and forges the ICMP errors:
"fragmentation needed" and "packet too big" shrink what goes out, within their floors and for
ten minutes; an error whose quote is not a segment in flight changes nothing (RFC 5927).
"""

from __future__ import annotations

import random

import pytest
from scapy.layers.inet import ICMP, IP, TCP, UDP, defragment, fragment
from scapy.layers.inet6 import (
    ICMPv6DestUnreach,
    ICMPv6EchoRequest,
    ICMPv6PacketTooBig,
    IPv6,
    IPv6ExtHdrFragment,
    defragment6,
    fragment6,
)
from scapy.layers.l2 import Ether

from smoltcp.stack.iface.pmtu import PathMtuCache
from smoltcp.stack.socket import UdpSocket
from smoltcp.stack.storage import PacketBuffer
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.testing import Harness
from smoltcp.stack.time import Duration
from smoltcp.wire import EthernetAddress, IpAddress, IpCidr, Ipv4Address

US = "192.168.69.1"
PEER = "192.168.69.2"
ROUTER = "192.168.69.254"
US_MAC = "02:00:00:00:00:01"
PEER_MAC = "02:00:00:00:00:02"
US6 = "fdaa::1"
PEER6 = "fdaa::100"
PORT, PEER_PORT = 80, 40000


def harness(**config: object) -> Harness:
    """A dual-stack host that already knows PEER's MAC for both versions."""
    h = Harness(**config)  # type: ignore[arg-type]
    h.iface.update_ip_addrs(lambda a: a.append(IpCidr.parse(f"{US6}/64")))
    for addr in (PEER, PEER6):
        h.iface.neighbor_cache.learn(IpAddress.parse(addr), EthernetAddress.parse(PEER_MAC), h.now)
    h.iface.neighbor_cache.learn(IpAddress.parse(ROUTER), EthernetAddress.parse(PEER_MAC), h.now)
    return h


def eth(pkt: object) -> bytes:
    return bytes(Ether(src=PEER_MAC, dst=US_MAC) / pkt)


def udp_socket(h: Harness, port: int = 7000) -> UdpSocket:
    sock = UdpSocket(PacketBuffer(16, 262144), PacketBuffer(16, 262144))
    sock.bind(port)
    h.sockets.add(sock)
    return sock


# -- fragmentation on send --------------------------------------------------------------------


@pytest.mark.parametrize("size", [1473, 8192, 61440])
def test_a_large_udp_datagram_leaves_in_fragments(size: int) -> None:
    h = harness()
    sock = udp_socket(h)
    data = random.Random(size).randbytes(size)
    sock.send_to(data, (PEER, 9))
    frames = [Ether(f) for f in h.poll()]
    assert len(frames) == -(-(size + 8) // 1480)
    idents = {f[IP].id for f in frames}
    assert len(idents) == 1
    for f in frames:
        assert len(f[IP]) <= 1500 and not f[IP].flags.DF
        assert f[IP].frag * 8 % 8 == 0
    assert all(f[IP].flags.MF for f in frames[:-1]) and not frames[-1][IP].flags.MF
    (whole,) = defragment([f[IP] for f in frames])
    whole = IP(bytes(whole))
    assert bytes(whole[UDP].payload) == data
    # The UDP checksum was computed over the whole datagram.
    check = whole[UDP].chksum
    del whole[UDP].chksum
    assert IP(bytes(whole))[UDP].chksum == check
    assert h.iface.fragmenter.datagrams == 1 and h.iface.fragmenter.fragments == len(frames)


@pytest.mark.parametrize("size", [8192, 61440])
def test_a_large_udp_datagram_leaves_in_ipv6_fragments(size: int) -> None:
    h = harness()
    sock = udp_socket(h)
    data = random.Random(size).randbytes(size)
    sock.send_to(data, (PEER6, 9))
    frames = [Ether(f) for f in h.poll()]
    assert len(frames) > 1
    for f in frames:
        assert len(f[IPv6]) <= 1500 and IPv6ExtHdrFragment in f
    whole = defragment6([f[IPv6] for f in frames])
    whole = IPv6(bytes(whole))
    assert bytes(whole[UDP].payload) == data
    check = whole[UDP].chksum
    del whole[UDP].chksum
    assert IPv6(bytes(whole))[UDP].chksum == check


def test_each_datagram_gets_its_own_identification_from_the_seed() -> None:
    def idents(seed: int) -> list[int]:
        h = harness(random_seed=seed)
        sock = udp_socket(h)
        sock.send_to(b"a" * 3000, (PEER, 9))
        sock.send_to(b"b" * 3000, (PEER, 9))
        return sorted({Ether(f)[IP].id for f in h.poll()})

    assert len(idents(1)) == 2
    assert idents(1) == idents(1)
    assert idents(1) != idents(2)


@pytest.mark.parametrize("v6", [False, True], ids=["ipv4", "ipv6"])
def test_a_fragmented_8000_octet_ping_is_answered_in_fragments(v6: bool) -> None:
    h = harness()
    data = random.Random(8000).randbytes(8000)
    if v6:
        ping = IPv6(src=PEER6, dst=US6) / IPv6ExtHdrFragment(id=5) / ICMPv6EchoRequest(data=data)
        outs = h.feed(*(eth(f) for f in fragment6(ping, 1500)))
        whole = IPv6(bytes(defragment6([Ether(f)[IPv6] for f in outs])))
        assert whole.nh == 58 and whole.payload.type == 129
        assert bytes(whole.payload.data) == data
    else:
        ping = IP(src=PEER, dst=US, id=5) / ICMP(type=8, id=1, seq=2) / data
        outs = h.feed(*(eth(f) for f in fragment(ping, 1480)))
        (whole,) = defragment([Ether(f)[IP] for f in outs])
        whole = IP(bytes(whole))
        assert whole[ICMP].type == 0 and bytes(whole[ICMP].payload) == data
    assert len(outs) > 1
    assert h.iface.counters.icmp_echo_replies_sent == 1


# -- path MTU -----------------------------------------------------------------------------------


def frag_needed(mtu: int, quoted: bytes, src: str = ROUTER) -> bytes:
    return eth(IP(src=src, dst=US) / ICMP(type=3, code=4, nexthopmtu=mtu) / quoted[:28])


def test_fragmentation_needed_lowers_the_path_mtu_for_udp() -> None:
    h = harness()
    sock = udp_socket(h)
    sock.send_to(b"x" * 1400, (PEER, 9))
    (sent,) = h.poll()
    assert h.feed(frag_needed(1000, bytes(Ether(sent)[IP]))) == []
    assert h.iface.pmtu.get(Ipv4Address(PEER), 1500, h.now.micros) == 1000
    sock.send_to(b"y" * 1400, (PEER, 9))
    frames = [Ether(f) for f in h.poll()]
    assert len(frames) == 2 and all(len(f[IP]) <= 1000 for f in frames)
    # Other destinations keep the link's MTU.
    sock.send_to(b"z" * 1400, ("192.168.69.3", 9))
    h.iface.neighbor_cache.learn(
        IpAddress.parse("192.168.69.3"), EthernetAddress.parse(PEER_MAC), h.now
    )
    assert len(h.poll()) == 1


def test_the_path_mtu_has_a_floor_and_ages_out() -> None:
    h = harness()
    sock = udp_socket(h)
    sock.send_to(b"x" * 1400, (PEER, 9))
    (sent,) = h.poll()
    h.feed(frag_needed(100, bytes(Ether(sent)[IP])))
    assert h.iface.pmtu.get(Ipv4Address(PEER), 1500, h.now.micros) == 552
    h.advance(Duration.from_secs(599))
    assert h.iface.pmtu.get(Ipv4Address(PEER), 1500, h.now.micros) == 552
    h.advance(Duration.from_secs(1))
    assert h.iface.pmtu.get(Ipv4Address(PEER), 1500, h.now.micros) == 1500
    sock.send_to(b"x" * 1400, (PEER, 9))
    assert len(h.poll()) == 1


def test_a_report_that_would_raise_the_estimate_is_ignored() -> None:
    h = harness()
    sock = udp_socket(h)
    sock.send_to(b"x" * 1400, (PEER, 9))
    (sent,) = h.poll()
    h.feed(frag_needed(1000, bytes(Ether(sent)[IP])))
    h.feed(frag_needed(1200, bytes(Ether(sent)[IP])))
    assert h.iface.pmtu.get(Ipv4Address(PEER), 1500, h.now.micros) == 1000
    assert h.dropped["icmp-pmtu-ignored"] == 1


def test_packet_too_big_lowers_the_ipv6_path_mtu_not_below_1280() -> None:
    h = harness()
    sock = udp_socket(h)
    sock.send_to(b"x" * 1400, (PEER6, 9))
    (sent,) = h.poll()
    quoted = bytes(Ether(sent)[IPv6])
    ptb = IPv6(src="fdaa::fe", dst=US6) / ICMPv6PacketTooBig(mtu=1000) / quoted
    assert h.feed(eth(ptb)) == []
    assert h.iface.pmtu.get(IpAddress.parse(PEER6), 1500, h.now.micros) == 1280
    sock.send_to(b"y" * 1400, (PEER6, 9))
    frames = [Ether(f) for f in h.poll()]
    assert len(frames) == 2 and all(len(f[IPv6]) <= 1280 for f in frames)


def test_path_mtu_cache_is_bounded() -> None:
    cache = PathMtuCache(4, 600_000_000)
    for i in range(10):
        assert cache.lower(Ipv4Address(f"10.0.0.{i}"), 1000, 1500, 0) == 1000
    assert len(cache) == 4
    assert cache.get(Ipv4Address("10.0.0.0"), 1500, 0) == 1500  # evicted first
    assert cache.get(Ipv4Address("10.0.0.9"), 1500, 0) == 1000
    with pytest.raises(ValueError, match="capacity"):
        PathMtuCache(-1, 0)


# -- TCP ----------------------------------------------------------------------------------------


def peer_tcp(seq: int, ack: int, flags: str, options: list[object] | None = None) -> bytes:
    seg = TCP(sport=PEER_PORT, dport=PORT, seq=seq, ack=ack, flags=flags, window=65535)
    if options:
        seg.options = options
    return eth(IP(src=PEER, dst=US) / seg)


def established() -> tuple[Harness, TcpSocket, int]:
    """A connection from PEER, ESTABLISHED with MSS 1460; return our ISN + 1."""
    h = harness()
    sock = TcpSocket(1 << 20, 1 << 20)
    h.sockets.add(sock)
    sock.listen(PORT)
    (synack,) = h.feed(peer_tcp(1000, 0, "S", [("MSS", 1460)]))
    iss1 = Ether(synack)[TCP].seq + 1
    h.feed(peer_tcp(1001, iss1, "A"))
    assert sock.state is TcpState.ESTABLISHED
    return h, sock, iss1


def tcp_quote(seq: int, sport: int = PORT, dport: int = PEER_PORT) -> bytes:
    return bytes(IP(src=US, dst=PEER, flags="DF") / TCP(sport=sport, dport=dport, seq=seq))


def test_tcp_segments_carry_dont_fragment_and_fit_the_link() -> None:
    h, sock, _ = established()
    sock.send(b"x" * 6000)
    frames = [Ether(f) for f in h.poll()]
    assert frames and all(f[IP].flags.DF for f in frames)
    assert max(len(f[TCP].payload) for f in frames) == 1460


def test_fragmentation_needed_shrinks_tcp_segments_in_flight() -> None:
    h, sock, iss1 = established()
    sock.send(b"x" * 6000)
    first = [Ether(f) for f in h.poll()]
    assert len(first) == 5
    # The router drops the first segment and says why; the stack sends it all again, cut.
    outs = [Ether(f) for f in h.feed(frag_needed(1000, tcp_quote(iss1)))]
    assert outs, h.dropped
    assert outs[0][TCP].seq == iss1
    assert all(len(f[IP]) <= 1000 for f in outs)
    assert max(len(f[TCP].payload) for f in outs) == 960
    # Acknowledge everything: the transfer completes with the smaller segments.
    end = iss1 + 6000
    h.feed(peer_tcp(1001, end, "A"))
    assert sock.tcb.snd_una == end


def test_an_out_of_window_quote_changes_nothing() -> None:
    h, sock, iss1 = established()
    sock.send(b"x" * 3000)
    assert len(h.poll()) == 3
    mss = sock.tcb.snd_mss
    for seq in (iss1 - 1, iss1 + 3000, iss1 + 1_000_000):
        assert h.feed(frag_needed(600, tcp_quote(seq))) == []
        port_unreachable = IP(src=ROUTER, dst=US) / ICMP(type=3, code=3) / tcp_quote(seq)[:28]
        assert h.feed(eth(port_unreachable)) == []
    assert sock.tcb.snd_mss == mss
    assert sock.state is TcpState.ESTABLISHED
    assert len(h.iface.pmtu) == 0
    assert h.dropped["icmp-tcp-out-of-window"] == 6
    # An error about a connection we do not have is ignored too.
    assert h.feed(frag_needed(600, tcp_quote(iss1, dport=1))) == []
    assert h.dropped["icmp-tcp-no-connection"] == 1


@pytest.mark.parametrize("code", [0, 1, 2, 3, 13])
def test_no_icmp_error_aborts_an_established_connection(code: int) -> None:
    h, sock, iss1 = established()
    sock.send(b"x" * 100)
    h.poll()
    unreachable = IP(src=ROUTER, dst=US) / ICMP(type=3, code=code) / tcp_quote(iss1)[:28]
    assert h.feed(eth(unreachable)) == []
    assert sock.state is TcpState.ESTABLISHED and sock.error is None


def syn_sent() -> tuple[Harness, TcpSocket, int]:
    h = harness()
    sock = TcpSocket(4096, 4096)
    h.sockets.add(sock)
    sock.connect(h.iface.context, (PEER, PEER_PORT), 4321)
    (syn,) = h.poll()
    return h, sock, Ether(syn)[TCP].seq


@pytest.mark.parametrize(("code", "aborts"), [(3, True), (2, True), (13, True), (0, False)])
def test_a_hard_error_aborts_a_connection_still_opening(code: int, aborts: bool) -> None:
    h, sock, iss = syn_sent()
    quote = tcp_quote(iss, sport=4321)[:28]
    h.feed(eth(IP(src=ROUTER, dst=US) / ICMP(type=3, code=code) / quote))
    if aborts:
        assert sock.state is TcpState.CLOSED and sock.error == "unreachable"
    else:
        assert sock.state is TcpState.SYN_SENT


def test_a_hard_error_with_a_wrong_quote_does_not_abort_an_open() -> None:
    h, sock, iss = syn_sent()
    quote = tcp_quote(iss + 1, sport=4321)[:28]
    h.feed(eth(IP(src=ROUTER, dst=US) / ICMP(type=3, code=3) / quote))
    assert sock.state is TcpState.SYN_SENT
    assert h.dropped["icmp-tcp-out-of-window"] == 1


def test_ipv6_port_unreachable_aborts_an_open_only_with_a_good_quote() -> None:
    h = harness()
    sock = TcpSocket(4096, 4096)
    h.sockets.add(sock)
    sock.connect(h.iface.context, (PEER6, PEER_PORT), 4321)
    (syn,) = h.poll()
    iss = Ether(syn)[TCP].seq
    for seq, state in ((iss + 7, TcpState.SYN_SENT), (iss, TcpState.CLOSED)):
        quoted = bytes(IPv6(src=US6, dst=PEER6) / TCP(sport=4321, dport=PEER_PORT, seq=seq))
        err = IPv6(src="fdaa::fe", dst=US6) / ICMPv6DestUnreach(code=4) / quoted
        h.feed(eth(err))
        assert sock.state is state


def test_a_new_connection_starts_from_the_learnt_path_mtu() -> None:
    h = harness()
    udp = udp_socket(h)
    udp.send_to(b"x" * 1400, (PEER, 9))
    (sent,) = h.poll()
    h.feed(frag_needed(1000, bytes(Ether(sent)[IP])))
    sock = TcpSocket(1 << 16, 1 << 16)
    h.sockets.add(sock)
    sock.connect(h.iface.context, (PEER, PEER_PORT), 4321)
    (syn,) = h.poll()
    iss = Ether(syn)[TCP].seq
    synack = TCP(sport=PEER_PORT, dport=4321, seq=5000, ack=iss + 1, flags="SA", window=65535)
    synack.options = [("MSS", 1460)]
    h.feed(eth(IP(src=PEER, dst=US) / synack))
    assert sock.state is TcpState.ESTABLISHED
    sock.send(b"y" * 5000)
    frames = [Ether(f) for f in h.poll()]
    assert frames and max(len(f[IP]) for f in frames) == 1000


def test_icmp_sockets_on_the_udp_port_still_hear_fragmentation_needed() -> None:
    from smoltcp.stack.socket import IcmpEndpoint, IcmpSocket
    from smoltcp.wire import IpEndpoint

    h = harness()
    udp = udp_socket(h)
    icmp = IcmpSocket(PacketBuffer(4, 4096), PacketBuffer(4, 4096))
    icmp.bind(IcmpEndpoint.udp(IpEndpoint(None, 7000)))
    h.sockets.add(icmp)
    udp.send_to(b"x" * 1400, (PEER, 9))
    (sent,) = h.poll()
    h.feed(frag_needed(1000, bytes(Ether(sent)[IP])))
    data, src = icmp.recv_from()
    assert (data[0], data[1]) == (3, 4) and str(src) == ROUTER
    assert len(h.iface.pmtu) == 1


def test_a_raw_socket_packet_larger_than_the_mtu_leaves_in_fragments() -> None:
    from smoltcp.stack.socket import RawIpSocket

    h = harness()
    raw = RawIpSocket(4, 253, 1 << 16, 1 << 16)
    h.sockets.add(raw)
    body = random.Random(1).randbytes(4000)
    raw.send_slice(bytes(IP(src=US, dst=PEER, proto=253) / body))
    frames = [Ether(f) for f in h.poll()]
    assert len(frames) == 3
    (whole,) = defragment([f[IP] for f in frames])
    assert bytes(IP(bytes(whole)).payload) == body
