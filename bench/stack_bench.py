"""Benchmarks of the interface and the UDP socket (prints figures; asserts nothing).

    python3 bench/stack_bench.py [--frames N] [--round-trips N]

1. Ingress cost per frame: UDP datagrams to bound sockets, with 1 and with 10,000 sockets in
   the set. The demultiplexing is a dictionary look-up, so the ratio should stay near 1
   (target <= 1.2). Only `Interface.poll` is timed (draining the sockets is not).
2. Egress cost per UDP datagram: from the socket's queue to a frame in the device's buffer.
3. Idle poll cost with 1 and 10,000 sockets waiting for timers (they sleep in a heap).
4. UDP request/response between two interfaces over an in-memory link: round trips and
   datagrams per second.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from typing import Any

from smoltcp.stack.device import DeviceCapabilities
from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.socket import Socket, SocketSet, UdpSocket
from smoltcp.stack.storage import PacketBuffer
from smoltcp.stack.testing import ethernet, ipv4, link, udp
from smoltcp.stack.time import Instant
from smoltcp.wire import EthernetAddress, IpCidr, IpEndpoint, Ipv4Address

US, PEER = "192.168.69.1", "192.168.69.2"
US_MAC, PEER_MAC = "02-00-00-00-00-01", "02-00-00-00-00-02"


class _Rx:
    __slots__ = ("view",)

    def __init__(self) -> None:
        self.view = memoryview(b"")

    def consume(self, f: Callable[[memoryview], Any]) -> Any:
        return f(self.view)


class _Tx:
    __slots__ = ("buf",)

    def __init__(self) -> None:
        self.buf = memoryview(bytearray(65536))

    def consume(self, length: int, f: Callable[[memoryview], Any]) -> Any:
        return f(self.buf[:length])


class ReplayDevice:
    """Hands out ``budget`` frames from a fixed list, round robin, with no copies."""

    def __init__(self, frames: list[bytes]) -> None:
        self.frames = [memoryview(bytearray(f)) for f in frames]
        self.budget = 0
        self.i = 0
        self.rx = _Rx()
        self.tx = _Tx()
        self.pair = (self.rx, self.tx)
        self.caps = DeviceCapabilities(max_burst_size=64)

    def receive(self, now: Instant) -> Any:
        if self.budget <= 0:
            return None
        self.budget -= 1
        frames = self.frames
        self.rx.view = frames[self.i % len(frames)]
        self.i += 1
        return self.pair

    def transmit(self, now: Instant) -> Any:
        return self.tx

    def capabilities(self) -> DeviceCapabilities:
        return self.caps


def ingress_cost(n_sockets: int, frames: int, payload: int = 64) -> float:
    """Return the seconds per received frame with ``n_sockets`` bound UDP sockets."""
    ports = [10000 + i for i in range(n_sockets)]
    # Frames to 64 distinct ports spread over the whole set (dictionary hits everywhere).
    targets = [ports[(i * n_sockets) // 64] for i in range(64)] if n_sockets > 1 else [10000]
    data = bytes(payload)
    wire = [
        ethernet(US_MAC, PEER_MAC, 0x0800, ipv4(PEER, US, 17, udp(PEER, US, 5000, p, data)))
        for p in targets
    ]
    dev = ReplayDevice(wire)
    iface = Interface(Config(hardware_addr=EthernetAddress.parse(US_MAC)), dev, Instant.ZERO)
    iface.update_ip_addrs(lambda a: a.append(IpCidr.parse(US + "/24")))
    sockets = SocketSet()
    by_port = {}
    for p in ports:
        s = UdpSocket(PacketBuffer(64, 64 * (payload + 8)), PacketBuffer(1, 64))
        s.bind(p)
        sockets.add(s)
        by_port[p] = s
    receivers = [by_port[p] for p in set(targets)]
    now = Instant.from_secs(1)
    iface.poll(now, dev, sockets)  # let every socket go idle
    # Warm up, then time only poll; drain the receivers between polls.
    total = 0.0
    done = 0
    batch = 64
    gc.collect()
    gc.disable()
    try:
        while done < frames:
            dev.budget = batch
            t0 = time.perf_counter()
            iface.poll(now, dev, sockets)
            total += time.perf_counter() - t0
            done += batch
            for s in receivers:
                while s.can_recv():
                    s.recv()
    finally:
        gc.enable()
    dropped = iface.counters.total_dropped()
    if dropped:
        print(f"  (warning: {dropped} frames dropped: {dict(iface.counters.dropped)})")
    return total / done


def egress_cost(datagrams: int, payload: int = 64, burst: int = 32) -> float:
    """Return the seconds per UDP datagram sent (socket queue to frame in the device buffer)."""
    dev = ReplayDevice([])
    iface = Interface(Config(hardware_addr=EthernetAddress.parse(US_MAC)), dev, Instant.ZERO)
    iface.update_ip_addrs(lambda a: a.append(IpCidr.parse(US + "/24")))
    iface.neighbor_cache.fill(Ipv4Address(PEER), EthernetAddress.parse(PEER_MAC), Instant.ZERO)
    sockets = SocketSet()
    sock = UdpSocket(PacketBuffer(1, 64), PacketBuffer(burst, burst * payload))
    sock.bind(5000)
    sockets.add(sock)
    dst = IpEndpoint(Ipv4Address(PEER), 9)
    data = bytes(payload)
    now = Instant.from_secs(1)
    total = 0.0
    done = 0
    gc.collect()
    gc.disable()
    try:
        while done < datagrams:
            for _ in range(burst):
                sock.send_to(data, dst)
            t0 = time.perf_counter()
            iface.poll(now, dev, sockets)
            total += time.perf_counter() - t0
            done += burst
    finally:
        gc.enable()
    assert iface.counters.sent == done, iface.counters
    return total / done


class _TimerSocket(Socket):
    """A socket that only waits for a timer far in the future (like an idle TCP connection)."""

    def dispatch(self, cx: Any, now: Instant, emit: Any) -> bool:
        return False

    def poll_at(self, cx: Any) -> Instant | None:
        return Instant.from_secs(3600)

    def process(self, cx: Any, now: Instant, ip_repr: Any, repr: Any) -> None:
        return None


def idle_poll_cost(n_sockets: int, polls: int = 20000) -> float:
    """Return the seconds per `poll` (nothing received) with ``n_sockets`` timer sockets."""
    dev = ReplayDevice([])
    iface = Interface(Config(hardware_addr=EthernetAddress.parse(US_MAC)), dev, Instant.ZERO)
    iface.update_ip_addrs(lambda a: a.append(IpCidr.parse(US + "/24")))
    sockets = SocketSet()
    for _ in range(n_sockets):
        sockets.add(_TimerSocket())
    now = Instant.from_secs(1)
    iface.poll(now, dev, sockets)  # every socket goes to sleep on its timer
    t0 = time.perf_counter()
    for _ in range(polls):
        iface.poll(now, dev, sockets)
        iface.poll_delay(now, sockets)
    return (time.perf_counter() - t0) / polls


def udp_request_response(round_trips: int, burst: int = 1) -> tuple[float, float]:
    """Return (round trips/s, datagrams/s) between two interfaces over an in-memory link."""
    da, db = link()
    ia = Interface(Config(hardware_addr=EthernetAddress.parse(PEER_MAC)), da, Instant.ZERO)
    ib = Interface(Config(hardware_addr=EthernetAddress.parse(US_MAC)), db, Instant.ZERO)
    ia.update_ip_addrs(lambda a: a.append(IpCidr.parse(PEER + "/24")))
    ib.update_ip_addrs(lambda a: a.append(IpCidr.parse(US + "/24")))
    sa, sb = SocketSet(), SocketSet()
    client = UdpSocket(PacketBuffer(64, 65536), PacketBuffer(64, 65536))
    server = UdpSocket(PacketBuffer(64, 65536), PacketBuffer(64, 65536))
    client.bind(5000)
    server.bind(7)
    sa.add(client)
    sb.add(server)
    dst = IpEndpoint(Ipv4Address(US), 7)
    request = bytes(64)
    now = Instant.from_secs(1)
    # Resolve ARP first.
    client.send_to(request, dst)
    for _ in range(10):
        ia.poll(now, da, sa)
        ib.poll(now, db, sb)
        while server.can_recv():
            data, src = server.recv()
            server.send_to(data, src)
    while client.can_recv():
        client.recv()
    da.tx.clear()
    db.tx.clear()
    gc.collect()
    t0 = time.perf_counter()
    for _ in range(round_trips // burst):
        for _ in range(burst):
            client.send_to(request, dst)
        ia.poll(now, da, sa)
        ib.poll(now, db, sb)
        while server.can_recv():
            view, src = server.recv()
            server.send_to(view, src)
        ib.poll(now, db, sb)
        ia.poll(now, da, sa)
        while client.can_recv():
            client.recv()
        da.tx.clear()
        db.tx.clear()
    elapsed = time.perf_counter() - t0
    n = (round_trips // burst) * burst
    return n / elapsed, 2 * n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200_000)
    parser.add_argument("--round-trips", type=int, default=50_000)
    args = parser.parse_args()

    print("ingress cost per frame (Ethernet/IPv4/UDP, 64-octet payload, checksums verified)")
    # The best of three interleaved runs of each: the machine is shared, noise only adds.
    ones, manys = [], []
    for _ in range(3):
        ones.append(ingress_cost(1, args.frames))
        manys.append(ingress_cost(10_000, args.frames))
    one, many = min(ones), min(manys)
    print(f"  1 socket:       {one * 1e6:7.3f} us/frame  ({1 / one:,.0f} frames/s)")
    print(f"  10,000 sockets: {many * 1e6:7.3f} us/frame  ({1 / many:,.0f} frames/s)")
    print(f"  ratio 10,000 / 1: {many / one:.3f}  (target <= 1.2)")

    out = egress_cost(args.frames)
    print("egress cost per datagram (UDP socket to frame, 64-octet payload, checksums computed)")
    print(f"  {out * 1e6:7.3f} us/datagram  ({1 / out:,.0f} datagrams/s)")

    print("idle poll + poll_delay with sockets waiting for timers (like idle TCP connections)")
    one, many = idle_poll_cost(1), idle_poll_cost(10_000)
    print(f"  1 socket: {one * 1e6:6.2f} us; 10,000 sockets: {many * 1e6:6.2f} us")

    print("UDP request/response over an in-memory link (two interfaces, 64-octet payload)")
    for burst in (1, 16):
        rtt, dgrams = udp_request_response(args.round_trips, burst)
        print(f"  {burst:2d} in flight: {rtt:,.0f} round trips/s, {dgrams:,.0f} datagrams/s")


if __name__ == "__main__":
    main()
