"""Segmentation and receive offloads over IPv6: software GSO, TSO and GRO for TCP/IPv6.

- GSO: an IPv6 super-segment handed to an interface whose device has no TSO leaves as the
  very frames that sending its pieces one by one (GSO off) produces; scapy checks every
  frame's checksums independently.
- TSO: a device reporting ``max_tso_size`` takes TCP/IPv6 frames beyond its MTU; the in-memory
  link hands them to the peer whole (as a receiver with GRO would).
- Transfers in memory over IPv6, GSO and GRO on (the defaults), and with TSO: the stream
  arrives intact (sha256), in super-segments.
"""

from __future__ import annotations

import hashlib
import random
import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.inet import TCP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether

from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.iface.gso import pieces
from smoltcp.stack.socket import Socket, SocketSet
from smoltcp.stack.tcp import TcpSocket
from smoltcp.stack.testing import LinkDevice, TestingDevice, _TxToken
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import (
    EthernetAddress,
    IpCidr,
    IpEndpoint,
    IpProtocol,
    Ipv6Address,
    Medium,
    TcpControl,
    TcpRepr,
    TcpSeqNumber,
    TcpTimestampRepr,
    ip_repr,
)

US, PEER = Ipv6Address("fdaa::1"), Ipv6Address("fdaa::2")
US_MAC, PEER_MAC = "02-00-00-00-00-01", "02-00-00-00-00-02"
NOW = Instant.from_millis(1)
MTU = 1514
TSO = 65535 + 14
IPV6_TCP = b"\x86\xdd"


class Emitter(Socket):
    """A socket that emits the packets it is given, one per dispatch."""

    def __init__(self, packets: list[tuple[Any, Any]]) -> None:
        super().__init__()
        self.packets = list(packets)

    def process(self, cx: Any, now: Instant, ip_repr: Any, repr: Any) -> None:
        return None

    def dispatch(self, cx: Any, now: Instant, emit: Any) -> bool:
        if not self.packets:
            return False
        emit(*self.packets.pop(0))
        return True

    def poll_at(self, cx: Any) -> Instant | None:
        return Instant.ZERO if self.packets else None


def interface(medium: Medium, mtu: int, gso: bool) -> tuple[Interface, TestingDevice]:
    dev = TestingDevice(medium, mtu)
    hw = EthernetAddress.parse(US_MAC) if medium is Medium.ETHERNET else None
    iface = Interface(Config(hardware_addr=hw, gso_size=65535 if gso else 0), dev, Instant.ZERO)
    iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("fdaa::1/64")))
    if medium is Medium.ETHERNET:
        iface.neighbor_cache.fill(PEER, EthernetAddress.parse(PEER_MAC), Instant.ZERO)
    return iface, dev


def send(iface: Interface, dev: TestingDevice, packets: list[tuple[Any, Any]]) -> list[bytes]:
    sockets = SocketSet()
    emitter = Emitter(packets)
    sockets.add(emitter)
    emitter._wake()
    iface.poll(NOW, dev, sockets)
    return dev.take()


def segment(size: int, control: TcpControl, *, cwr: bool, timestamp: bool, seq: int) -> TcpRepr:
    return TcpRepr(
        src_port=40000,
        dst_port=80,
        control=control,
        seq_number=TcpSeqNumber(seq),
        ack_number=TcpSeqNumber(12345),
        window_len=5000,
        timestamp=TcpTimestampRepr(77, 88) if timestamp else None,
        payload=bytes(i * 7 % 251 for i in range(size)),
        cwr=cwr,
    )


def ip_of(seg: TcpRepr) -> Any:
    return ip_repr(US, PEER, IpProtocol.TCP, seg.buffer_len(), 64)


@given(
    size=st.integers(1, 64000),
    mtu=st.sampled_from([1280, 1500, 9000]),
    medium=st.sampled_from([Medium.ETHERNET, Medium.IP]),
    control=st.sampled_from([TcpControl.NONE, TcpControl.PSH, TcpControl.FIN]),
    cwr=st.booleans(),
    timestamp=st.booleans(),
    seq=st.integers(0, 2**32 - 1),
)
@settings(max_examples=60, deadline=None)
def test_gso_frames_over_ipv6_are_the_ordinary_frames_of_the_pieces(
    size: int, mtu: int, medium: Medium, control: TcpControl, cwr: bool, timestamp: bool, seq: int
) -> None:
    link_mtu = mtu + (14 if medium is Medium.ETHERNET else 0)
    seg = segment(size, control, cwr=cwr, timestamp=timestamp, seq=seq)
    iface, dev = interface(medium, link_mtu, gso=True)
    frames = send(iface, dev, [(ip_of(seg), seg)])
    assert not iface.counters.dropped
    plain, plain_dev = interface(medium, link_mtu, gso=False)
    piece_size = mtu - 40 - (seg.buffer_len() - len(seg.payload))
    parts = list(pieces(seg, piece_size))
    assert frames == send(plain, plain_dev, [(ip_of(p), p) for p in parts])
    assert len(frames) == len(parts)
    payload = b""
    for frame in frames:
        assert len(frame) <= link_mtu
        packet = Ether(frame)[IPv6] if medium is Medium.ETHERNET else IPv6(frame)
        assert packet.plen == len(bytes(packet.payload))
        tcp = packet[TCP]
        # scapy recomputes both checksums from scratch: the frame's must be the same.
        sent = tcp.chksum
        del tcp.chksum
        assert IPv6(bytes(packet))[TCP].chksum == sent
        payload += bytes(tcp.payload)
    assert payload == seg.payload


@pytest.mark.parametrize("medium", [Medium.ETHERNET, Medium.IP])
@pytest.mark.parametrize("control", [TcpControl.NONE, TcpControl.FIN])
@pytest.mark.parametrize("extra", [1, 700, 0])
def test_a_super_segment_of_two_pieces_over_ipv6_is_the_ordinary_frames_of_its_pieces(
    medium: Medium, control: TcpControl, extra: int
) -> None:
    # The last of two pieces is written from the first's headers (`Egress._fill_last`).
    link_mtu = 1500 + (14 if medium is Medium.ETHERNET else 0)
    piece_size = 1500 - 40 - 32
    size = piece_size + (extra or piece_size)
    seg = segment(size, control, cwr=True, timestamp=True, seq=0xFFFF_FF00)
    iface, dev = interface(medium, link_mtu, gso=True)
    frames = send(iface, dev, [(ip_of(seg), seg)])
    plain, plain_dev = interface(medium, link_mtu, gso=False)
    parts = list(pieces(seg, piece_size))
    assert len(parts) == 2
    assert frames == send(plain, plain_dev, [(ip_of(p), p) for p in parts])


# -- transfers in memory ---------------------------------------------------------------------


class TsoLinkDevice(LinkDevice):
    """A link end that reports TSO and takes frames up to ``max_tso_size``."""

    def __init__(self, max_tso_size: int) -> None:
        super().__init__(Medium.ETHERNET, MTU)
        self._caps = self._caps._replace(max_tso_size=max_tso_size)

    def transmit(self, now: Instant) -> Any:
        return _TxToken(self._send, max(MTU, self._caps.max_tso_size))

    def receive(self, now: Instant) -> Any:
        got = super().receive(now)
        if got is None:
            return None
        return got[0], _TxToken(self._send, max(MTU, self._caps.max_tso_size))


class Node:
    def __init__(self, dev: LinkDevice, mac: str, cidr: str, seed: int) -> None:
        self.dev = dev
        config = Config(hardware_addr=EthernetAddress.parse(mac), random_seed=seed)
        self.iface = Interface(config, dev, Instant.ZERO)
        self.iface.update_ip_addrs(lambda a: a.append(IpCidr.parse(cidr)))
        self.sockets = SocketSet()

    def poll(self, now: Instant) -> bool:
        return self.iface.poll(now, self.dev, self.sockets)


def transfer(
    a_dev: LinkDevice, b_dev: LinkDevice, size: int
) -> tuple[Node, Node, TcpSocket, bytes, bytes]:
    a_dev.peer, b_dev.peer = b_dev, a_dev
    a = Node(a_dev, US_MAC, "fdaa::1/64", 1)
    b = Node(b_dev, PEER_MAC, "fdaa::2/64", 2)
    server, client = TcpSocket(1 << 20, 1 << 20), TcpSocket(1 << 20, 1 << 20)
    b.sockets.add(server)
    a.sockets.add(client)
    server.listen(IpEndpoint(None, 80))
    client.connect(a.iface.context, IpEndpoint(PEER, 80), 40000)
    data = random.Random(6).randbytes(size)
    sent, got = 0, bytearray()
    now = Instant.ZERO
    for _ in range(200000):
        if client.can_send() and sent < len(data):
            sent += client.send(data[sent : sent + 65536])
            if sent == len(data):
                client.close()
        while server.can_recv():
            got += server.recv(1 << 20)
        if len(got) == len(data):
            break
        if a.poll(now) | b.poll(now):
            continue
        delays = [
            d
            for d in (a.iface.poll_delay(now, a.sockets), b.iface.poll_delay(now, b.sockets))
            if d is not None
        ]
        now = now + (min(delays) if delays and min(delays).micros > 0 else Duration.from_millis(1))
    else:
        raise AssertionError("the transfer did not finish")
    return a, b, client, data, bytes(got)


def data_frames(frames: list[bytes]) -> list[bytes]:
    """The TCP/IPv6 frames of ``frames`` that carry data (beyond a 32-octet TCP header)."""
    return [f for f in frames if f[12:14] == IPV6_TCP and f[20] == 6 and len(f) > 14 + 40 + 32]


def test_a_transfer_over_ipv6_with_gso_and_gro_arrives_intact_in_mtu_sized_frames() -> None:
    plain = Medium.ETHERNET
    a, b, client, data, got = transfer(LinkDevice(plain, MTU), LinkDevice(plain, MTU), 4 << 20)
    assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest()
    assert a.iface.context.max_tso_size == Config().gso_size
    # GSO: the connection hands the interface super-segments of up to 64 KiB over IPv6 too.
    assert client.tcb.tso_room > 60000
    frames = data_frames(a.dev.tx)
    assert frames and all(len(f) <= MTU for f in frames)
    assert sum(len(f) - 14 - 40 - 32 for f in frames) >= len(data)
    # GRO: in-order segments received in one poll are one segment to the receiving socket,
    # which so acknowledges far fewer times than one ACK per two segments.
    acks = [f for f in b.dev.tx if f[12:14] == IPV6_TCP and f[20] == 6]
    assert len(acks) < len(frames) // 4, (len(acks), len(frames))
    assert not a.iface.counters.dropped and not b.iface.counters.dropped


def test_a_transfer_over_ipv6_with_tso_sends_super_segments_and_arrives_intact() -> None:
    a, b, _, data, got = transfer(TsoLinkDevice(TSO), TsoLinkDevice(0), 4 << 20)
    assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest()
    big = [f for f in a.dev.tx if len(f) > MTU]
    assert big, "no super-segment was sent"
    for frame in big:
        assert len(frame) <= TSO
        assert frame[12:14] == IPV6_TCP and frame[20] == 6, "TCP right after the IPv6 header"
        assert struct.unpack_from("!H", frame, 18)[0] == len(frame) - 14 - 40
        payload = len(frame) - 14 - 40 - 32
        # Whole segments of the MSS (1500 - 40 - 20 - 12 for timestamps) unless the tail.
        assert payload % 1428 == 0 or frame[14 + 40 + 13] & 0x09
    assert len(data_frames(a.dev.tx)) < len(data) // 1428 // 4
    assert not a.iface.counters.dropped and not b.iface.counters.dropped
