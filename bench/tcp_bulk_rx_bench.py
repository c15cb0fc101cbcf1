"""CPU per 64 KiB segment received through `Interface.poll` (prints figures; asserts nothing).

    python3 bench/tcp_bulk_rx_bench.py [--segments N] [--rounds R] [--size OCTETS]
                                       [--profile | --split]

One interface on an in-memory device of IP MTU 1500 with offloads, as a TAP with the
virtio-net header shows the stack: the kernel hands over GRO segments of up to 64 KiB. The
peer is crafted frames (no second stack): a handshake with MSS, window scale, timestamps and
SACK permitted, then in-order segments of ``--size`` octets (45 full-sized 1448-octet
segments by default), each with a new TSval. Per segment the loop is what a bulk receiver
does: the frame in, `Interface.poll` (parse, checksum, TCP, the copy into the ring buffer,
the ACK out), the application reading everything. The one frame buffer is rewritten before
each poll (outside the timed part), so only the stack's work is timed.

Printed twice: with the TCP checksum verified by the stack, and with the device vouching for
it (``checksum_valid``, as a TAP does for a segment the kernel built). Each figure is the
median of ``--rounds`` runs of ``--segments`` segments, in CPU microseconds per segment and as
Gbit/s of payload per CPU second. ``--profile`` prints cProfile's hottest functions;
``--split`` the CPU of each stage (each timed by a wrapper, so they add up to more than the
figure without it, and a stage includes those nested in it).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import statistics
import struct
import sys
import time
from collections.abc import Callable
from typing import Any

from smoltcp.stack.device import DeviceCapabilities
from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.kernels import internet_sum
from smoltcp.stack.socket import SocketSet
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.testing import arp, decode, ethernet, ipv4, tcp
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import EthernetAddress, IpCidr, IpEndpoint

US, PEER = "192.168.69.1", "192.168.69.100"
US_MAC, PEER_MAC = "02-00-00-00-00-01", "02-00-00-00-00-02"
PORT, PEER_PORT = 5001, 40000
_SEQ = _TSVAL = struct.Struct("!I")
_CSUM = struct.Struct("!H")
# The clock moves this much per segment (about 20 Gbit/s of 64 KiB segments).
_STEP = Duration.from_micros(25)


class _Rx:
    __slots__ = ("checksum_valid", "frame")

    def __init__(self, frame: memoryview, valid: bool) -> None:
        self.frame = frame
        self.checksum_valid = valid

    def consume(self, f: Callable[[memoryview], Any]) -> Any:
        return f(self.frame)


class _Tx:
    __slots__ = ("_sent",)

    def __init__(self, sent: list[bytearray]) -> None:
        self._sent = sent

    def consume(self, length: int, f: Callable[[memoryview], Any]) -> Any:
        buf = bytearray(length)
        result = f(memoryview(buf))
        self._sent.append(buf)
        return result


class Device:
    """One frame at a time, handed over without a copy; what the stack sends is kept."""

    def __init__(self) -> None:
        self.pending: memoryview | None = None
        self.valid = False
        self.sent: list[bytearray] = []
        self._tx = _Tx(self.sent)
        self._caps = DeviceCapabilities(max_transmission_unit=1514, max_tso_size=65535 + 14)

    def receive(self, now: Instant) -> tuple[_Rx, _Tx] | None:
        frame = self.pending
        if frame is None:
            return None
        self.pending = None
        return _Rx(frame, self.valid), self._tx

    def transmit(self, now: Instant) -> _Tx:
        return self._tx

    def capabilities(self) -> DeviceCapabilities:
        return self._caps


def _options(tsval: int, tsecr: int, syn: bool) -> bytes:
    ts = struct.pack("!BBBBII", 1, 1, 8, 10, tsval, tsecr)
    if not syn:
        return ts
    # MSS 1460, SACK permitted, timestamps, window scale 7 (the kernel's SYN, in its order).
    return struct.pack("!BBH", 2, 4, 1460) + struct.pack("!BB", 4, 2) + ts[2:] + b"\x01\x03\x03\x07"


def _frame(seq: int, ack: int, flags: str, payload: bytes, tsval: int, tsecr: int) -> bytes:
    seg = tcp(
        PEER,
        US,
        PEER_PORT,
        PORT,
        seq,
        ack,
        flags,
        512,
        payload,
        _options(tsval, tsecr, "S" in flags),
    )
    return ethernet(US_MAC, PEER_MAC, 0x0800, ipv4(PEER, US, 6, seg))


def run(segments: int, size: int, valid: bool, profile: bool) -> tuple[float, float]:
    """Return the CPU microseconds per ``size``-octet segment received, and the frames sent
    per segment."""
    dev = Device()
    now = Instant.from_secs(1)
    iface = Interface(Config(hardware_addr=EthernetAddress.parse(US_MAC)), dev, now)
    iface.update_ip_addrs(lambda a: a.append(IpCidr.parse(US + "/24")))
    sockets = SocketSet()
    sock = TcpSocket(1 << 20, 1 << 16)
    sockets.add(sock)
    sock.listen(IpEndpoint(None, PORT), 0)
    sink = memoryview(bytearray(1 << 20))

    def poll(frame: bytes | memoryview | None) -> None:
        nonlocal now
        if frame is not None:
            dev.pending = memoryview(frame)
        iface.poll(now, dev, sockets)
        while sock.can_recv():
            sock.recv_into(sink)
        iface.poll_delay(now, sockets)
        now = now + _STEP

    # The peer asks for our MAC (so we learn its own), then the handshake (the SYN-ACK
    # tells the ISS).
    poll(ethernet(b"\xff" * 6, PEER_MAC, 0x0806, arp(1, PEER_MAC, PEER, bytes(6), US)))
    seq, tsval = 1000, 100
    poll(_frame(seq, 0, "S", b"", tsval, 0))
    synack = decode(dev.sent[-1]).tcp
    assert synack is not None and synack["flags"] == "SA", synack
    ack = (synack["seq"] + 1) & 0xFFFFFFFF
    seq += 1
    tsval += 1
    poll(_frame(seq, ack, "A", b"", tsval, 0))
    assert sock.state is TcpState.ESTABLISHED, sock.state
    payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
    # One frame buffer, rewritten in place for every segment (its sequence number, TSval and
    # checksum), as a device reads every frame into the same buffer: the octets are as warm
    # in the cache as those the kernel has just written.
    frame = bytearray(_frame(seq, ack, "A", payload, tsval, 0))
    view = memoryview(frame)
    tcp_at = 14 + 20
    pseudo = internet_sum(ipv4(PEER, US, 6, b"")[12:20]) + 6 + len(frame) - tcp_at
    dev.valid = valid
    cpu = 0.0
    prof = cProfile.Profile(time.process_time) if profile else None
    acks = 0
    gc.collect()
    for _ in range(segments):
        tsval += 1
        _SEQ.pack_into(frame, tcp_at + 4, seq)
        _TSVAL.pack_into(frame, tcp_at + 24, tsval)
        _CSUM.pack_into(frame, tcp_at + 16, 0)
        _CSUM.pack_into(frame, tcp_at + 16, ~internet_sum(view[tcp_at:], pseudo) & 0xFFFF)
        seq = (seq + size) & 0xFFFFFFFF
        if prof is not None:
            prof.enable()
        t0 = time.process_time()
        poll(view)
        cpu += time.process_time() - t0
        if prof is not None:
            prof.disable()
        acks += len(dev.sent)
        dev.sent.clear()
    if sock.tcb.n_bytes_in != segments * size:
        raise AssertionError(f"received {sock.tcb.n_bytes_in} of {segments * size} octets")
    if prof is not None:
        pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(30)
    return cpu / segments * 1e6, acks / segments


def split(segments: int, size: int) -> None:
    """Print the CPU microseconds per segment of each stage of the receive path."""
    from smoltcp.stack.iface import ingress
    from smoltcp.stack.iface.egress import Egress
    from smoltcp.stack.iface.ingress import Ingress
    from smoltcp.stack.tcp.process import SegmentArrives
    from smoltcp.stack.tcp.receive import Receiver

    spent: dict[str, float] = {}

    def timed(name: str, f: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any) -> Any:
            t0 = time.process_time()
            try:
                return f(*args)
            finally:
                spent[name] = spent.get(name, 0.0) + time.process_time() - t0

        return wrapper

    stages: list[tuple[Any, str, str]] = [
        (Interface, "poll", "Interface.poll (all of the stack)"),
        (Ingress, "process_frame", "  ingress, from the frame to the reply sent"),
        (ingress, "_parse_ipv4", "    IPv4 header parse and checksum"),
        (ingress, "_parse_tcp", "    TCP header parse and checksum"),
        (SegmentArrives, "process", "    TCP segment arrival (RFC 9293 3.10.7)"),
        (Receiver, "receive_data", "      the octets into the ring buffer"),
        (SegmentArrives, "ack_reply", "      the ACK built"),
        (Egress, "send_ip", "    the ACK sent"),
        (Egress, "dispatch", "  the sockets' turn to send"),
        (Interface, "poll_delay", "Interface.poll_delay"),
    ]
    saved = [(owner, attr, getattr(owner, attr)) for owner, attr, _ in stages]
    try:
        for owner, attr, name in stages:
            setattr(owner, attr, timed(name, getattr(owner, attr)))
        run(64, size, False, False)
        spent.clear()
        us, _ = run(segments, size, False, False)
    finally:
        for owner, attr, f in saved:
            setattr(owner, attr, f)
    print(f"{size}-octet segments, checksum verified: {us:.2f} us CPU per segment, of which")
    for _, _, name in stages:
        print(f"  {name:44s} {spent.get(name, 0.0) / segments * 1e6:7.2f} us")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--segments", type=int, default=2048)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--size", type=int, default=45 * 1448, help="payload octets per segment")
    show = p.add_mutually_exclusive_group()
    show.add_argument("--profile", action="store_true", help="cProfile one run (checksum verified)")
    show.add_argument("--split", action="store_true", help="the CPU of each stage of one run")
    args = p.parse_args()
    from smoltcp.stack import kernels

    kernels.build()
    run(64, args.size, False, False)  # warm up
    if args.profile:
        run(args.segments, args.size, False, True)
        return 0
    if args.split:
        split(args.segments, args.size)
        return 0
    runs: dict[bool, list[float]] = {False: [], True: []}
    acks = 0.0
    for _ in range(args.rounds):
        for valid in (False, True):
            us, acks = run(args.segments, args.size, valid, False)
            runs[valid].append(us)
    for valid in (False, True):
        us = statistics.median(runs[valid])
        how = "vouched for by the device" if valid else "verified by the stack"
        print(
            f"{args.size}-octet segments, checksum {how}: {us:7.2f} us CPU per segment, "
            f"{args.size * 8 / us / 1e3:6.2f} Gbit per CPU s, {acks:.2f} ACKs per segment"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
