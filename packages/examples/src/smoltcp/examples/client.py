"""Connect to a TCP server and answer it with the reverse of each line it sends.

The host is 02-00-00-00-00-02 / 192.168.69.2/24 with 192.168.69.100 as its default gateway
(``--mac``, ``--address``, ``--gateway``), and fdaa::2/64 with fdaa::100 as its IPv6 gateway
(``--ip6``, ``--gateway6``), on the TAP interface IFACE (or TUN with --tun). Its
socket buffers are small (64 octets to receive, 128 to send), so that flow control shows in a
capture. Try it against a kernel listener:

    socat stdio tcp4-listen:1234            # in one shell, on the kernel side of tap0
    smoltcp-client tap0 192.168.69.100 1234 # in another; type lines into socat

and over IPv6 (a link-local address names its link, as with ping -6):

    socat stdio tcp6-listen:1234
    smoltcp-client tap0 fdaa::100 1234
    smoltcp-client tap0 fe80::100%tap0 1234
"""

from __future__ import annotations

import argparse
import sys

from smoltcp.stack.socket import SocketSet
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import IpEndpoint

from . import options
from .apps import LineReverser, Pump
from .runtime import Clock, UserError, poll_loop, run

__all__ = ["main"]

PROG = "smoltcp-client"
HARDWARE_ADDR = "02-00-00-00-00-02"
ADDRESS = "192.168.69.2/24"
GATEWAY = "192.168.69.100"
ADDRESSES6 = ("fdaa::2/64",)
GATEWAY6 = "fdaa::100"
RX_BUFFER = 64
TX_BUFFER = 128


def build_parser() -> options.ExampleParser:
    """Return the command-line parser of smoltcp-client."""
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
        metavar="ADDRESS",
        help="server address: IPv4, or IPv6 (fdaa::100, or fe80::100%%IFACE for a link-local one)",
    )
    p.add_argument("port", metavar="PORT", type=options.port, help="server port")
    p.add_argument(
        "--timeout",
        type=options.non_negative,
        default=10.0,
        metavar="SECS",
        help="give up if the connection is not established within SECS (default 10)",
    )
    return p


def converse(args: argparse.Namespace) -> int:
    """Connect, reverse lines until the server closes; return the exit status."""
    clock = Clock()
    device = options.open_device(args)
    start = clock.now()
    iface = options.host_interface(args, device, start)
    sockets = SocketSet()
    sock = TcpSocket(RX_BUFFER, TX_BUFFER)
    sockets.add(sock)
    remote = str(IpEndpoint(args.address, args.port))
    sock.connect(iface.context, (args.address, args.port), 0)
    connect_deadline = start + Duration.from_secs(args.timeout)
    reverser = LineReverser(max_line=RX_BUFFER)
    pump = Pump()
    established = False
    finished = False

    def step(now: Instant) -> bool:
        nonlocal established, finished
        state = sock.state
        if not established:
            if state is TcpState.ESTABLISHED or state is TcpState.CLOSE_WAIT:
                established = True
                print(f"{PROG}: connected to {remote} from {sock.local_endpoint}", file=sys.stderr)
            elif state is TcpState.CLOSED:
                reason = sock.error or "refused"
                raise UserError(f"cannot connect to {remote}: connection {reason}")
            elif now >= connect_deadline:
                sock.abort()
                raise UserError(
                    f"cannot connect to {remote}: no answer within {args.timeout:g} s "
                    "(host down or unreachable?)"
                )
        while sock.can_recv() and len(pump) < TX_BUFFER:
            pump.push(reverser.feed(sock.recv(RX_BUFFER)))
        pump.drain(sock)
        if sock.state is TcpState.CLOSE_WAIT and not sock.can_recv() and not finished:
            pump.push(reverser.finish())
            finished = True
        if finished:
            pump.drain(sock)
            if not len(pump):
                sock.close()
        state = sock.state
        if state is TcpState.CLOSED and established:
            if sock.error:
                raise UserError(f"connection to {remote} {sock.error}")
            return False
        return state is not TcpState.TIME_WAIT

    poll_loop(iface, device, sockets, step, clock=clock)
    print(f"{PROG}: connection to {remote} closed", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run smoltcp-client with ``argv`` (default: the command line); return the status."""
    args = build_parser().parse_args(argv)
    options.configure_logging(args.verbose)
    return run(PROG, lambda: converse(args))


if __name__ == "__main__":
    sys.exit(main())
