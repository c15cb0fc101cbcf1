"""Print every frame of a network interface, one line per frame: a tiny tcpdump.

It reads an ``AF_PACKET`` raw socket, so it works on any Ethernet-like interface (tap0, a veth,
eth0) and needs CAP_NET_RAW (root). The stack is not involved: only `smoltcp.phy.RawSocket`
and the wire layer's pretty printer, whose per-layer descriptions are joined by " | ". IPv4
and IPv6 alike, with ARP, ICMP, ICMPv6 with neighbour discovery and MLD, the IPv6 extension
headers, UDP and TCP:

    sudo smoltcp-tcpdump tap0
    sudo smoltcp-tcpdump eth0 -c 10

    12:00:00.000000 EthernetII src=... type=IPv6 | IPv6 src=fdaa::100 dst=fdaa::1 nxt=ICMPv6
    len=64 hlim=64 | ICMPv6 echo request id=7 seq=1 len=56      (one line)
"""

from __future__ import annotations

import argparse
import sys
import time

from smoltcp.phy import RawSocket, Waiter, format_frame
from smoltcp.stack.time import Duration
from smoltcp.wire.capabilities import Medium

from . import options
from .runtime import Clock, run

__all__ = ["main"]

PROG = "smoltcp-tcpdump"


def build_parser() -> options.ExampleParser:
    """Return the command-line parser of smoltcp-tcpdump."""
    p = options.ExampleParser(
        prog=PROG,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "iface",
        metavar="IFACE",
        type=options.interface_name,
        help="the interface to listen on (tap0, eth0, ...)",
    )
    p.add_argument(
        "-c",
        "--count",
        type=options.positive,
        default=None,
        metavar="N",
        help="exit after N frames",
    )
    p.add_argument(
        "--timeout",
        type=options.non_negative,
        default=None,
        metavar="SECS",
        help="exit after SECS seconds",
    )
    return p


def dump(args: argparse.Namespace) -> int:
    """Print the frames of ``args.iface`` until the count or the timeout is reached."""
    device = RawSocket(args.iface)
    clock = Clock()
    deadline = None if args.timeout is None else time.monotonic() + args.timeout
    out = sys.stdout
    seen = 0

    def show(frame: memoryview) -> None:
        stamp = time.strftime("%H:%M:%S", time.localtime())
        fraction = f"{time.time() % 1:.6f}"[1:]
        # One line per frame; the printer indents nested parts (IPv6 extension headers).
        lines = format_frame(frame, Medium.ETHERNET).splitlines()
        text = " | ".join(line.strip() for line in lines)
        out.write(f"{stamp}{fraction} {text}\n")

    with Waiter([device]) as waiter:
        while args.count is None or seen < args.count:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                break
            pair = device.receive(clock.now())
            if pair is None:
                out.flush()
                waiter.wait(None if left is None else Duration.from_secs(left))
                continue
            pair[0].consume(show)
            seen += 1
    out.flush()
    device.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run smoltcp-tcpdump with ``argv`` (default: the command line); return the status."""
    args = build_parser().parse_args(argv)
    return run(PROG, lambda: dump(args))


if __name__ == "__main__":
    sys.exit(main())
