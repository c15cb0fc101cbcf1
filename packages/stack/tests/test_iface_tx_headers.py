"""The link and IP headers of TCP segments stay right while egress reuses them.

A connection hands egress the same IP representation while its segments keep one length
(`SegmentOutput.ip_repr`), and egress copies the link and IP headers it wrote last for the same
representation and addresses (`Egress._fill_tcp`). These tests change what those headers are
made of between segments of one length: the hop limit, the interface's hardware address, and
the connection (two connections interleaved), and check every frame against its own fields.
"""

from __future__ import annotations

import struct

from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.socket import SocketSet
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.testing import LinkDevice, link
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import EthernetAddress, IpCidr, IpEndpoint, Ipv4Address
from smoltcp.wire.checksum import internet_sum

SERVER, CLIENT = "192.168.69.1", "192.168.69.100"
SERVER_MAC, CLIENT_MAC, NEW_MAC = "02-00-00-00-00-01", "02-00-00-00-00-02", "02-00-00-00-00-0b"
_ETH = 14
_STEP = Duration.from_micros(100)


class Pair:
    """A client and a server interface over an in-memory link, ``count`` connections."""

    def __init__(self, count: int) -> None:
        self.ds, self.dc = link()
        self.now = Instant.from_secs(1)
        self.iserver = Interface(
            Config(hardware_addr=EthernetAddress.parse(SERVER_MAC)), self.ds, self.now
        )
        self.iclient = Interface(
            Config(hardware_addr=EthernetAddress.parse(CLIENT_MAC)), self.dc, self.now
        )
        self.iserver.update_ip_addrs(lambda a: a.append(IpCidr.parse(SERVER + "/24")))
        self.iclient.update_ip_addrs(lambda a: a.append(IpCidr.parse(CLIENT + "/24")))
        self.ss, self.sc = SocketSet(), SocketSet()
        self.clients: list[TcpSocket] = []
        for i in range(count):
            server, client = TcpSocket(65536, 65536), TcpSocket(65536, 65536)
            self.ss.add(server)
            self.sc.add(client)
            # Each small segment at once: no Nagle, no delayed ACK.
            client.set_nagle_enabled(False)
            server.set_ack_delay(None)
            server.listen(IpEndpoint(None, 1300 + i), 0)
            client.connect(self.iclient.context, (Ipv4Address(SERVER), 1300 + i), 40000 + i)
            self.clients.append(client)
        self.run(20)
        assert all(c.state is TcpState.ESTABLISHED for c in self.clients)
        self.dc.tx.clear()

    def run(self, polls: int) -> None:
        for _ in range(polls):
            self.iclient.poll(self.now, self.dc, self.sc)
            self.iserver.poll(self.now, self.ds, self.ss)
            self.now = self.now + _STEP


def _client_frames(device: LinkDevice) -> list[bytes]:
    """The IPv4 frames the client sent (ARP left out), each with a valid IPv4 checksum."""
    frames = [f for f in device.tx if f[12:14] == b"\x08\x00"]
    for f in frames:
        assert ~internet_sum(f[_ETH : _ETH + 20], 0) & 0xFFFF == 0
    return frames


def test_hop_limit_change_reaches_the_next_segment_of_the_same_length() -> None:
    p = Pair(1)
    client = p.clients[0]
    ttls = []
    for hop in (None, None, 9, 9, None):
        client.set_hop_limit(hop)
        p.dc.tx.clear()
        client.send(b"x" * 100)
        p.run(3)
        frames = [f for f in _client_frames(p.dc) if len(f) > _ETH + 20 + 32]
        assert frames, "a data segment went out"
        ttls.append({f[_ETH + 8] for f in frames})
    assert ttls == [{64}, {64}, {9}, {9}, {64}]


def test_hardware_address_change_reaches_the_next_segment_of_the_same_length() -> None:
    p = Pair(1)
    client = p.clients[0]
    client.send(b"x" * 100)
    p.run(3)
    assert {f[6:12] for f in _client_frames(p.dc)} == {EthernetAddress.parse(CLIENT_MAC).octets}
    p.iclient.set_hardware_addr(EthernetAddress.parse(NEW_MAC), p.now)
    p.dc.tx.clear()
    client.send(b"y" * 100)
    p.run(3)
    data = [f for f in _client_frames(p.dc) if len(f) > _ETH + 20 + 32]
    assert data and {f[6:12] for f in data} == {EthernetAddress.parse(NEW_MAC).octets}


def test_interleaved_connections_each_get_their_own_headers() -> None:
    p = Pair(3)
    p.dc.tx.clear()
    for _ in range(4):
        for client in p.clients:
            client.send(b"z" * 50)
        p.run(2)
    ports = set()
    for f in _client_frames(p.dc):
        # Each segment's IP length matches its frame, and its TCP checksum its addresses.
        (total,) = struct.unpack_from("!H", f, _ETH + 2)
        assert total == len(f) - _ETH
        src, dst = f[_ETH + 12 : _ETH + 16], f[_ETH + 16 : _ETH + 20]
        assert (src, dst) == (Ipv4Address(CLIENT).packed, Ipv4Address(SERVER).packed)
        tcp = f[_ETH + 20 :]
        pseudo = (int.from_bytes(src, "big") + int.from_bytes(dst, "big") + 6 + len(tcp)) % 0xFFFF
        assert ~internet_sum(tcp, pseudo) & 0xFFFF == 0
        ports.add(struct.unpack_from("!H", tcp, 0)[0])
    assert ports == {40000, 40001, 40002}
