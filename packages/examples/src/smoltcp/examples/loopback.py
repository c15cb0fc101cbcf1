"""Transfer data between two TCP sockets of one stack over an in-memory loopback device.

Needs no TAP interface and no privileges: the quickest way to see the stack work. A server
socket listens on 192.168.69.1:1234, a client socket on 192.168.69.2 connects to it, sends a
chunk of seeded pseudo-random data and closes; the server reads everything, checks it and
closes too. The program prints the first and last frames exchanged (the handshake and the
close), a count of the rest, the transfer's size, digest, duration and throughput, and a
summary of each end's TCP statistics (retransmissions by cause, SRTT, cwnd, and what limited
the sender). ``--trace FILE`` writes the stack's TCP event trace, for ``smoltcp-tcpplot``.

    smoltcp-loopback
    smoltcp-loopback --size 16M --pcap loopback.pcap    # then: wireshark loopback.pcap
    smoltcp-loopback --drop-chance 10 --corrupt-chance 5
    smoltcp-loopback --mtu 1514 --drop-chance 5 --trace lossy.jsonl   # then: smoltcp-tcpplot
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import logging
import random
import re
import sys
import time
from typing import Any

from smoltcp.phy import Direction, Loopback, format_frame
from smoltcp.stack import kernels
from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.socket import SocketSet
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import EthernetAddress, IpCidr, IpEndpoint, Ipv4Address
from smoltcp.wire.capabilities import Medium

from . import options, tcpinfo
from .runtime import Clock, UserError, run

__all__ = ["main"]

PROG = "smoltcp-loopback"
HARDWARE_ADDR = EthernetAddress.parse("02-00-00-00-00-01")
SERVER = IpEndpoint(Ipv4Address("192.168.69.1"), 1234)
CLIENT = IpEndpoint(Ipv4Address("192.168.69.2"), 49152)
ADDRESSES = ("192.168.69.1/24", "192.168.69.2/24")

trace_log = logging.getLogger("smoltcp.phy.tracer")
_IP_ADDRS = re.compile(r"IPv4 src=(\S+) dst=(\S+)")


MAX_SIZE = 1 << 40  # 1T: the transfer streams its data, so only time bounds it
MAX_BUFFER = 16 << 20  # four socket buffers and a read buffer of this size live in memory
MAX_FRAMES = 100_000
BLOCK = 1 << 16  # the payload is generated, sent and hashed this many octets at a time


def size(text: str) -> int:
    """Parse a size in octets, 1 to 1T, with an optional K, M, G or T suffix (powers of 1024)."""
    return options.octets(text, low=1, high=MAX_SIZE)


def buffer_size(text: str) -> int:
    """Parse a socket buffer size in octets, 64 to 16M (K, M suffixes)."""
    return options.octets(text, low=64, high=MAX_BUFFER)


class Payload:
    """The seeded pseudo-random data to send, generated a block at a time (bounded memory).

    `pending` is what is generated and not yet sent; `advance` marks octets as sent. The
    digest covers everything generated, which is everything sent once `left` is 0.
    """

    def __init__(self, seed: int, size: int) -> None:
        self._random = random.Random(seed)
        self.left = size
        self.digest = hashlib.sha256()
        self.pending = memoryview(b"")

    def next_chunk(self) -> memoryview:
        """Return the unsent data of the current block, generating the next when it is sent."""
        if not self.pending and self.left:
            block = self._random.randbytes(min(BLOCK, self.left))
            self.digest.update(block)
            self.pending = memoryview(block)
        return self.pending

    def advance(self, count: int) -> None:
        """Mark ``count`` octets of `next_chunk` as sent."""
        self.pending = self.pending[count:]
        self.left -= count


def build_parser() -> options.ExampleParser:
    """Return the command-line parser of smoltcp-loopback."""
    p = options.parser(PROG, __doc__ or "", iface=False)
    # A loopback has no interface to open as TUN: --tun picks the IP medium instead.
    p.set_defaults(tun=False)
    p.add_argument(
        "--size",
        type=size,
        default=1 << 20,
        help="octets to transfer, 1 to 1T (default 1M; K, M, G, T suffixes); the data is "
        "generated as it is sent, so memory stays small whatever the size",
    )
    p.add_argument(
        "--buffer",
        type=buffer_size,
        default=64 << 10,
        help="size of each socket buffer, 64 to 16M (default 64K; larger ones use window scaling)",
    )
    p.add_argument(
        "--mtu",
        type=options.int_range(256, Loopback.MTU, "MTU"),
        default=Loopback.MTU,
        metavar="OCTETS",
        help=f"the device's MTU, 256 to {Loopback.MTU} (default {Loopback.MTU}; try 1514 to "
        "see many segments in flight and loss recovered by SACK)",
    )
    p.add_argument(
        "--frames",
        type=options.int_range(0, MAX_FRAMES, "frame count"),
        default=6,
        metavar="N",
        help=f"frames to show at the start and at the end of the exchange, 0 to {MAX_FRAMES} "
        "(default 6)",
    )
    p.add_argument(
        "--timeout",
        type=options.non_negative,
        default=60.0,
        metavar="SECS",
        help="give up after this many seconds (default 60)",
    )
    tcpinfo.add_trace_option(p)
    return p


class MtuLimit:
    """Present ``inner`` with a smaller MTU: the stack then sends smaller segments."""

    def __init__(self, inner: Any, mtu: int) -> None:
        self.inner = inner
        self._caps = inner.capabilities()._replace(max_transmission_unit=mtu)

    def receive(self, now: Instant) -> Any:
        """Return the inner device's next frame, if any."""
        return self.inner.receive(now)

    def transmit(self, now: Instant) -> Any:
        """Return the inner device's transmit token, if any."""
        return self.inner.transmit(now)

    def capabilities(self) -> Any:
        """Return the inner device's capabilities with the smaller MTU."""
        return self._caps

    def readable(self) -> bool:
        """Return whether a frame waits in the inner device."""
        return bool(self.inner.readable())


class FrameLog:
    """Keep the first and last ``n`` frames sent (a loopback receives each one it sends)."""

    def __init__(self, n: int, medium: Medium, origin: Instant) -> None:
        self.n = n
        self.medium = medium
        self.origin = origin
        self.head: list[tuple[Instant, bytes]] = []
        self.tail: collections.deque[tuple[Instant, bytes]] = collections.deque(maxlen=n)
        self.frames = 0
        self.octets = 0

    def __call__(self, direction: Direction, now: Instant, frame: memoryview) -> None:
        if direction is not Direction.TX:
            return
        if trace_log.isEnabledFor(logging.INFO):  # -v: every frame, as the tracer would log it
            trace_log.info("-> %s %s", now, format_frame(frame, self.medium))
        if self.frames == 0:
            self.origin = now  # times are shown from the first frame (the SYN)
        self.frames += 1
        self.octets += len(frame)
        if self.n <= 0:
            return
        if len(self.head) < self.n:
            self.head.append((now, bytes(frame)))
        else:
            self.tail.append((now, bytes(frame)))

    def lines(self) -> list[str]:
        """Return the frames kept, one block per frame, with the count of those left out."""
        out = [self._line(*entry) for entry in self.head]
        hidden = self.frames - len(self.head) - len(self.tail)
        if hidden > 0:
            out.append(f"{'':>12}   ... {hidden} more frames ...")
        out.extend(self._line(*entry) for entry in self.tail)
        return out

    def _line(self, now: Instant, frame: bytes) -> str:
        millis = (now - self.origin).total_micros() / 1000
        layers = format_frame(frame, self.medium).split("\n")
        if len(layers) > 1 and self.medium is Medium.ETHERNET:
            del layers[0]  # every frame goes from and to the same MAC: say it once, not here
        if len(layers) > 1 and (match := _IP_ADDRS.match(layers[0])):
            # The IP layer's other fields say little here: keep who talks to whom.
            layers[0] = f"{match[1]} > {match[2]}"
        return f"{millis:10.3f}ms  {' | '.join(layers)}"


def transfer(args: argparse.Namespace) -> int:
    """Run the transfer that ``args`` describes; return the exit status."""
    # A bulk transfer in real time: load the checksum kernel before the clock starts, not in
    # the background mid-stream, where its import would stall the loop into a retransmission.
    kernels.build()
    clock = Clock()
    start = clock.now()
    medium = Medium.IP if args.tun else Medium.ETHERNET
    log = FrameLog(args.frames, medium, start)
    loopback: Any = Loopback(medium)
    if args.mtu != Loopback.MTU:
        loopback = MtuLimit(loopback, args.mtu)
    device = options.wrap_device(loopback, args, pcap_mode="tx", trace=log)

    config = Config(
        hardware_addr=HARDWARE_ADDR if medium is Medium.ETHERNET else None,
        random_seed=options.random_seed(args),
        syncookie_secret=options.syncookie_secret(args),
    )
    iface = Interface(config, device, start)
    iface.update_ip_addrs(lambda addrs: addrs.extend(IpCidr.parse(a) for a in ADDRESSES))

    sockets = SocketSet()
    trace = tcpinfo.TraceFile(args.trace) if args.trace else None
    if trace is not None:
        sockets.set_tcp_trace(trace.recorder)
    server = TcpSocket(args.buffer, args.buffer)
    client = TcpSocket(args.buffer, args.buffer)
    server_handle = sockets.add(server)
    sockets.add(client)
    server.listen(SERVER)
    client.connect(iface.context, SERVER, CLIENT)

    payload = Payload(args.seed, args.size)
    sent = 0
    received = 0
    digest = hashlib.sha256()
    rx_buf = bytearray(args.buffer)
    rx_view = memoryview(rx_buf)
    closed_client = False
    deadline = start + Duration.from_secs(args.timeout)
    began: Instant | None = None
    finished: Instant | None = None
    conn = server
    print(
        f"{PROG}: {args.size} octets from {CLIENT} to {SERVER} over an in-memory loopback "
        f"({medium.name}, MTU {args.mtu})"
    )

    while True:
        now = clock.now()
        if now >= deadline:
            raise UserError(
                f"timed out after {args.timeout:g} s: sent {sent}, received {received} octets "
                f"(client {client.state}, server {conn.state})"
            )
        iface.poll(now, device, sockets)
        if conn is server and server.state is TcpState.LISTEN:
            accepted = server.accept() if hasattr(server, "accept") else None
            if accepted is not None:
                conn = sockets.get(accepted)
        if began is None and client.state is TcpState.ESTABLISHED:
            began = now
        while client.can_send() and sent < args.size:
            count = client.send(payload.next_chunk())
            if not count:
                break
            payload.advance(count)
            sent += count
        if sent == args.size and not closed_client:
            client.close()
            closed_client = True
        while conn.can_recv():
            count = conn.recv_into(rx_view)
            if count == 0:
                break
            digest.update(rx_view[:count])
            received += count
        if conn.state is TcpState.CLOSE_WAIT and not conn.can_recv():
            conn.close()
        if finished is None and received == args.size:
            finished = now
        if conn.state is TcpState.CLOSED and client.state in (TcpState.TIME_WAIT, TcpState.CLOSED):
            break
        delay = iface.poll_delay(now, sockets)
        if delay is not None and delay.micros > 0 and not device.readable():
            time.sleep(min(delay.micros, 10_000) / 1e6)
    del server_handle

    status = report(
        args, payload, digest, log, (client, conn), received, began or start, finished or now, now
    )
    if trace is not None:
        print(trace.close())
    return status


def report(
    args: argparse.Namespace,
    payload: Payload,
    digest: Any,
    log: FrameLog,
    ends: tuple[TcpSocket, TcpSocket],
    received: int,
    began: Instant,
    finished: Instant,
    closed: Instant,
) -> int:
    """Print the frames kept, the digests and the throughput; return the exit status.

    The data time runs from the client's ESTABLISHED to the last octet read; the whole
    exchange's time from the first frame (the SYN) to both ends closed, so a close that had
    to be retransmitted shows. Segments and retransmissions count both ends.
    """
    for line in log.lines():
        print(line)
    expected = payload.digest.hexdigest()
    got = digest.hexdigest()
    ok = received == args.size and got == expected
    seconds = max((finished - began).total_micros(), 1) / 1e6
    whole = max((closed - log.origin).total_micros(), 1) / 1e6
    client, server = (end.stats for end in ends)
    print(f"sent     {args.size:>12} octets  sha256 {expected}")
    print(f"received {received:>12} octets  sha256 {got}  {'OK' if ok else 'MISMATCH'}")
    print(
        f"{received} octets in {seconds:.3f} s: {received * 8 / seconds / 1e6:.1f} Mbit/s "
        f"(whole exchange, handshake to close: {whole:.3f} s); {log.frames} frames "
        f"({log.octets} octets); segments sent: client {client.segments_sent}, server "
        f"{server.segments_sent}; retransmitted: client {client.retransmissions}, server "
        f"{server.retransmissions}"
    )
    print(tcpinfo.summary_line(f"client {CLIENT}", client))
    print(tcpinfo.summary_line(f"server {SERVER}", server))
    if args.pcap:
        print(f"capture written to {args.pcap} (open it with Wireshark or `tshark -r`)")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    """Run smoltcp-loopback with ``argv`` (default: the command line); return the status."""
    args = build_parser().parse_args(argv)
    options.configure_logging(args.verbose)
    return run(PROG, lambda: transfer(args))


if __name__ == "__main__":
    sys.exit(main())
