"""TCP segmentation offload (TSO): a device that segments lets TCP send super-segments.

A device reporting ``DeviceCapabilities.max_tso_size`` takes TCP/IPv4 frames beyond its MTU
(it cuts them to the MTU itself, as a NIC or the kernel behind a TAP with offloads does). The
in-memory link here hands such frames to the peer whole, as a receiver with GRO would: the
peer's interface takes frames beyond its MTU.
"""

from __future__ import annotations

import hashlib
import random
import struct
from typing import Any

import pytest

from smoltcp.stack.device import DeviceCapabilities
from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.socket import SocketSet, UdpSocket
from smoltcp.stack.storage import PacketBuffer
from smoltcp.stack.testing import LinkDevice, _TxToken
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import EthernetAddress, IpCidr, IpEndpoint, Ipv4Address, Medium

tcp = pytest.importorskip("smoltcp.stack.tcp")

B_ADDR = Ipv4Address("10.0.0.2")
MTU = 1514
TSO = 65535 + 14


class TsoLinkDevice(LinkDevice):
    """A link end that reports TSO and takes frames up to ``max_tso_size``."""

    def __init__(self, max_tso_size: int, mtu: int = MTU) -> None:
        super().__init__(Medium.ETHERNET, mtu)
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


def pair(tso: int, peer_mtu: int = MTU) -> tuple[Node, Node]:
    da, db = TsoLinkDevice(tso), TsoLinkDevice(0, peer_mtu)
    da.peer, db.peer = db, da
    return Node(da, "02-00-00-00-00-0a", "10.0.0.1/24", 1), Node(
        db, "02-00-00-00-00-0b", "10.0.0.2/24", 2
    )


def run(a: Node, b: Node, until: Any, limit: int = 100000) -> None:
    now = Instant.ZERO
    for _ in range(limit):
        if until():
            return
        if a.poll(now) | b.poll(now):
            continue
        delays = [
            d
            for d in (a.iface.poll_delay(now, a.sockets), b.iface.poll_delay(now, b.sockets))
            if d is not None
        ]
        now = now + (min(delays) if delays and min(delays).micros > 0 else Duration.from_millis(1))
    raise AssertionError("did not finish")


def transfer(tso: int, size: int, peer_mtu: int = MTU) -> tuple[Node, bytes, bytes]:
    a, b = pair(tso, peer_mtu)
    server = tcp.TcpSocket(1 << 20, 1 << 20)
    client = tcp.TcpSocket(1 << 20, 1 << 20)
    b.sockets.add(server)
    a.sockets.add(client)
    server.listen(IpEndpoint(None, 80))
    client.connect(a.iface.context, IpEndpoint(B_ADDR, 80), 40000)
    data = random.Random(3).randbytes(size)
    state = {"sent": 0, "got": bytearray()}

    def step() -> bool:
        if client.can_send() and state["sent"] < len(data):
            state["sent"] += client.send(data[state["sent"] : state["sent"] + 65536])
            if state["sent"] == len(data):
                client.close()
        while server.can_recv():
            state["got"] += server.recv(1 << 20)
        return len(state["got"]) == len(data)

    run(a, b, step)
    return a, data, bytes(state["got"])


def test_capabilities_state_the_ip_size_of_a_super_segment() -> None:
    assert DeviceCapabilities().max_tso_size == 0
    assert DeviceCapabilities().ip_tso_size() == 0
    caps = DeviceCapabilities(max_transmission_unit=1514, max_tso_size=TSO)
    assert caps.ip_tso_size() == 65535
    ip = DeviceCapabilities(medium=Medium.IP, max_transmission_unit=1500, max_tso_size=65535)
    assert ip.ip_tso_size() == 65535
    # Not larger than the MTU: no offload worth the name.
    assert DeviceCapabilities(max_tso_size=1000).ip_tso_size() == 0


def test_context_offers_the_devices_tso_size() -> None:
    a, _ = pair(TSO)
    assert a.iface.context.max_tso_size == 65535
    assert a.iface.software_gso is False
    # Without TSO the interface cuts super-segments itself (test_iface_gso.py).
    plain, _ = pair(0)
    assert plain.iface.context.max_tso_size == Config().gso_size


def test_tcp_sends_super_segments_of_whole_mss_and_the_stream_arrives_intact() -> None:
    a, data, got = transfer(TSO, 2_000_000)
    assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest()
    big = [f for f in a.dev.tx if len(f) > MTU]
    assert big, "no super-segment was sent"
    for frame in big:
        assert len(frame) <= TSO
        assert frame[12:14] == b"\x08\x00" and frame[23] == 6  # TCP over IPv4
        total = struct.unpack_from("!H", frame, 16)[0]
        assert total == len(frame) - 14
        thl = (frame[14 + 20 + 12] >> 4) * 4
        payload = total - 20 - thl
        # Cut by the window or the end of the stream, a super-segment still holds whole
        # MSS-sized segments (1448 with timestamps) unless it is the last of the data.
        assert payload % 1448 == 0 or frame[14 + 20 + 13] & 0x09  # FIN or PSH: the tail
    # Far fewer frames than one per MSS.
    data_frames = [f for f in a.dev.tx if len(f) > 14 + 20 + 32]
    assert len(data_frames) < len(data) // 1448 // 4


def test_without_tso_every_frame_fits_the_mtu() -> None:
    a, data, got = transfer(0, 300_000)
    assert got == data
    assert max(len(f) for f in a.dev.tx) <= MTU


def test_no_super_segments_when_the_peer_mss_is_smaller_than_ours() -> None:
    # The device cuts at what our MTU leaves; a smaller peer MSS must be kept to.
    a, data, got = transfer(TSO, 300_000, peer_mtu=1014)
    assert got == data
    assert max(len(f) for f in a.dev.tx) <= 14 + 1000


def test_udp_beyond_the_mtu_is_fragmented_not_offloaded_with_tso() -> None:
    a, _ = pair(TSO)
    sock = UdpSocket(PacketBuffer(4, 1 << 17), PacketBuffer(4, 1 << 17))
    sock.bind(1000)
    a.sockets.add(sock)
    a.iface.neighbor_cache.fill(B_ADDR, EthernetAddress.parse("02-00-00-00-00-0b"), Instant.ZERO)
    sock.send_to(b"x" * 3000, IpEndpoint(B_ADDR, 2000))
    a.poll(Instant.ZERO)
    assert all(len(f) <= MTU for f in a.dev.tx)
    assert a.iface.counters.dropped["too-big"] == 0
    assert a.iface.fragmenter.datagrams == 1 and len(a.dev.tx) == a.iface.fragmenter.fragments
