"""Send ICMP echo requests and report the replies, like ping.

The host is 02-00-00-00-00-04 / 192.168.69.4/24 with 192.168.69.100 as its default gateway
(``--mac``, ``--address``, ``--gateway``), and fdaa::4/64 with fdaa::100 as its IPv6 gateway
(``--ip6``, ``--gateway6``). An IPv6 HOST gets ICMPv6 echo requests (RFC 4443 4.1); a
link-local one names its link (``fe80::100%tap0``), as with ping -6. A host name is looked
up as an A record, or with ``-6`` as an AAAA record.
It sends COUNT echo requests (default 4), one every INTERVAL seconds (default 1), each carrying
its send time, and prints a line for every reply with its sequence number, size and round-trip
time, then a summary like ping's. It exits with 0 if any reply came back, 1 otherwise.

    smoltcp-ping tap0 192.168.69.100
    smoltcp-ping tap0 192.168.69.100 -c 10 -i 0.2
    smoltcp-ping tap0 www.example.test --dhcp
    smoltcp-ping tap0 fdaa::100
    smoltcp-ping tap0 fe80::100%tap0
    smoltcp-ping -6 tap0 v6.example.test --dns fdaa::100
"""

from __future__ import annotations

import argparse
import math
import random
import struct
import sys
from typing import Any

from smoltcp.stack.socket import SocketSet
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import (
    ChecksumCapabilities,
    Icmpv4Message,
    Icmpv4Packet,
    Icmpv4Repr,
    Ipv6Address,
)
from smoltcp.wire.icmpv6 import Icmpv6Message, Icmpv6Repr

from . import names, options
from .runtime import Clock, poll_loop, run

__all__ = ["main"]

PROG = "smoltcp-ping"
HARDWARE_ADDR = "02-00-00-00-00-04"
ADDRESS = "192.168.69.4/24"
GATEWAY = "192.168.69.100"
ADDRESSES6 = ("fdaa::4/64",)
GATEWAY6 = "fdaa::100"
MIN_SIZE = 8  # the send time
MAX_SIZE = 65000
_STAMP = struct.Struct("!Q")  # the send time, in microseconds, at the start of the data
_NO_CHECKSUM = ChecksumCapabilities.ignored()


def build_parser() -> options.ExampleParser:
    """Return the command-line parser of smoltcp-ping."""
    p = options.parser(PROG, __doc__ or "")
    options.add_host_options(
        p,
        address=ADDRESS,
        gateway=GATEWAY,
        mac=HARDWARE_ADDR,
        ipv6=ADDRESSES6,
        gateway6=GATEWAY6,
    )
    p.add_peer_argument(
        "address",
        metavar="HOST",
        names=True,
        help=names.HOST_HELP + " (fe80::100%%IFACE for a link-local IPv6 address)",
    )
    family = p.add_mutually_exclusive_group()
    family.add_argument(
        "-4",
        dest="family",
        action="store_const",
        const=4,
        help="IPv4 only: look a name up as an A record (the default), refuse an IPv6 HOST",
    )
    family.add_argument(
        "-6",
        dest="family",
        action="store_const",
        const=6,
        help="IPv6 only: look a name up as an AAAA record, refuse an IPv4 HOST",
    )
    names.add_name_options(p)
    p.add_argument(
        "-c", "--count", type=options.positive, default=4, help="requests to send (default 4)"
    )
    p.add_argument(
        "-i",
        "--interval",
        type=options.non_negative,
        default=1.0,
        metavar="SECS",
        help="seconds between requests (default 1)",
    )
    p.add_argument(
        "-s",
        "--size",
        type=options.int_range(MIN_SIZE, MAX_SIZE, "size"),
        default=56,
        metavar="OCTETS",
        help=f"data octets per request, {MIN_SIZE} to {MAX_SIZE} (default 56)",
    )
    p.add_argument(
        "--timeout",
        type=options.non_negative,
        default=5.0,
        metavar="SECS",
        help="how long to wait for replies after the last request (default 5)",
    )
    return p


def make_icmp_socket(ident: int) -> Any:
    """Return an ICMP socket bound to echo identifier ``ident``."""
    from smoltcp.stack.socket import IcmpSocket
    from smoltcp.stack.storage import PacketBuffer

    sock = IcmpSocket(PacketBuffer(16, 16 * 1024), PacketBuffer(16, 16 * 1024))
    sock.bind(ident)
    return sock


class Pinger:
    """Send the requests at their times; match the replies; keep the statistics."""

    def __init__(self, args: argparse.Namespace, sock: Any, start: Instant) -> None:
        self.args = args
        self.sock = sock
        self.ident = random.Random(options.random_seed(args)).randrange(1, 0x10000)
        self.caps = ChecksumCapabilities()
        self.interval = Duration.from_secs(args.interval)
        self.next_at = start
        self.sent = 0
        self.sent_at: dict[int, Instant] = {}
        self.received: set[int] = set()
        self.rtts: list[float] = []
        self.done_at: Instant | None = None
        self.padding = bytes(i & 0xFF for i in range(max(self.args.size - _STAMP.size, 0)))
        self.out = sys.stdout

    def step(self, now: Instant) -> bool:
        sock = self.sock
        if self.sent < self.args.count and now >= self.next_at and sock.can_send():
            self.send_request(now)
        while sock.can_recv():
            payload, source = sock.recv_from()
            self.take_reply(now, bytes(payload), source)
        if self.sent == self.args.count and self.done_at is None:
            self.done_at = now + Duration.from_secs(self.args.timeout)
        if self.done_at is not None:
            all_back = len(self.received) == self.sent
            return not all_back and now < self.done_at
        return True

    def send_request(self, now: Instant) -> None:
        self.sent += 1
        seq = self.sent
        data = _STAMP.pack(now.total_micros()) + self.padding
        if isinstance(self.args.address, Ipv6Address):
            # The socket fills the checksum: it covers a pseudo header with our source address.
            request6 = Icmpv6Repr.echo_request(self.ident, seq, data)
            buf = bytearray(request6.buffer_len())
            request6.emit_buffer(buf, self.args.address, self.args.address, _NO_CHECKSUM)
        else:
            request = Icmpv4Repr.echo_request(self.ident, seq, data)
            buf = bytearray(request.buffer_len())
            request.emit(Icmpv4Packet.new_unchecked(buf), self.caps)
        self.sock.send_to(buf, self.args.address)
        self.sent_at[seq] = now
        self.next_at = now + self.interval

    def take_reply(self, now: Instant, payload: bytes, source: Any) -> None:
        try:
            if isinstance(self.args.address, Ipv6Address):
                # The interface checked the checksum (it needs the addresses we do not have).
                reply: Any = Icmpv6Repr.parse_buffer(payload, source, source, _NO_CHECKSUM)
                echo_reply: Any = Icmpv6Message.ECHO_REPLY
            else:
                reply = Icmpv4Repr.parse(Icmpv4Packet(payload), self.caps)
                echo_reply = Icmpv4Message.ECHO_REPLY
        except ValueError:
            return  # a damaged reply (fault injection) is not one
        if reply.message != echo_reply or reply.ident != self.ident:
            return
        seq = reply.seq_no
        if seq not in self.sent_at:
            return
        if len(reply.data) >= _STAMP.size:
            (stamp,) = _STAMP.unpack_from(reply.data)
            rtt_ms = (now.total_micros() - stamp) / 1000
        else:
            rtt_ms = (now - self.sent_at[seq]).total_micros() / 1000
        duplicate = seq in self.received
        self.received.add(seq)
        if not duplicate:
            self.rtts.append(rtt_ms)
        self.out.write(
            f"{len(payload)} bytes from {source}: icmp_seq={seq} time={rtt_ms:.3f} ms"
            f"{' (DUP!)' if duplicate else ''}\n"
        )
        self.out.flush()

    def summary(self) -> str:
        lost = self.sent - len(self.received)
        loss = 100 * lost // self.sent if self.sent else 0
        lines = [
            f"--- {self.args.address} ping statistics ---",
            f"{self.sent} packets transmitted, {len(self.received)} received, {loss}% packet loss",
        ]
        if self.rtts:
            mean = sum(self.rtts) / len(self.rtts)
            mdev = math.sqrt(sum((r - mean) ** 2 for r in self.rtts) / len(self.rtts))
            lines.append(
                f"rtt min/avg/max/mdev = {min(self.rtts):.3f}/{mean:.3f}/"
                f"{max(self.rtts):.3f}/{mdev:.3f} ms"
            )
        return "\n".join(lines)


def ping(args: argparse.Namespace) -> int:
    """Ping ``args.address``; return 0 if any reply came back."""
    clock = Clock()
    device = options.open_device(args)
    start = clock.now()
    iface = options.host_interface(args, device, start)
    sockets = SocketSet()
    lease = names.configure(args, iface, device, sockets, clock)
    args.address = names.lookup(args, args.address, iface, device, sockets, lease, args.family)
    start = clock.now()
    pinger = Pinger(args, None, start)
    pinger.sock = make_icmp_socket(pinger.ident)
    sockets.add(pinger.sock)
    print(f"PING {args.address}: {args.size} data bytes", flush=True)
    try:
        poll_loop(iface, device, sockets, pinger.step, clock=clock)
    finally:
        print(pinger.summary(), flush=True)
        device.close()
    return 0 if pinger.received else 1


def main(argv: list[str] | None = None) -> int:
    """Run smoltcp-ping with ``argv`` (default: the command line); return the status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    version = getattr(args.address, "version", None)
    if args.family is not None and version is not None and version != args.family:
        parser.error(f"argument -{args.family}: HOST {args.address} is an IPv{version} address")
    options.configure_logging(args.verbose)
    return run(PROG, lambda: ping(args))


if __name__ == "__main__":
    sys.exit(main())
