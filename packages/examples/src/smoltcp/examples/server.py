"""A host that answers simple requests on a TAP interface: ping, UDP and four TCP services.

The host is 02-00-00-00-00-01 / 192.168.69.1/24 with 192.168.69.100 as its default gateway
(``--mac``, ``--address``, ``--gateway`` change them), and dual-stack: fdaa::1/64, fe80::1/64
and the link-local address formed from its MAC (fe80::ff:fe00:1), with fdaa::100 as its
default IPv6 gateway (``--ip6``, ``--gateway6``). Every service below answers on every address.
It answers:

- pings (the interface itself replies to echo requests);
- UDP 6969: "hello" to any datagram;
- TCP 6969: "hello", then closes the connection;
- TCP 6970: the reverse of each line received, for as long as the peer likes;
- TCP 6971: reads and discards everything, with a keep-alive every second and a user
  timeout of 2 s;
- TCP 6972: sends data until the peer closes.

Buffers are 64 octets (except the receive buffer of 6971 and the send buffer of 6972) to
exercise flow control and resource exhaustion. Each TCP port has a listening socket with a
backlog, so connections that arrive back to back are all served. Try, from the kernel's side:

    ping 192.168.69.1
    socat stdio udp4-connect:192.168.69.1:6969 <<<"abcdefg"
    socat stdio tcp4-connect:192.168.69.1:6969
    socat stdio tcp4-connect:192.168.69.1:6970 <<<"abcdefg"
    socat stdio tcp4-connect:192.168.69.1:6971 </dev/urandom
    socat stdio tcp4-connect:192.168.69.1:6972 >/dev/null

and over IPv6, once the kernel's tap0 has fdaa::100/64:

    ping -6 fdaa::1
    ping -6 fe80::1%tap0
    socat stdio udp6-connect:[fdaa::1]:6969 <<<"abcdefg"
    socat stdio tcp6-connect:[fdaa::1]:6970 <<<"abcdefg"
    curl -g --http0.9 http://[fdaa::1]:6969/

On SIGUSR1 the server prints its live TCP connections to stdout, one line each in the manner
of ``ss -ti`` (state, Recv-Q, Send-Q, endpoints, then the connection's statistics):

    kill -USR1 <pid of smoltcp-server>
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import Any

from smoltcp.stack.socket import SocketSet
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.time import Duration, Instant

from . import options, tcpinfo
from .apps import LineReverser, Pump
from .runtime import Clock, poll_loop, run

__all__ = ["main"]

PROG = "smoltcp-server"
HARDWARE_ADDR = "02-00-00-00-00-01"
ADDRESS = "192.168.69.1/24"
GATEWAY = "192.168.69.100"
ADDRESSES6 = ("fdaa::1/64", "fe80::1/64")  # as the Rust smoltcp's server
GATEWAY6 = "fdaa::100"
SMALL = 64
LARGE = 65535
HELLO = b"hello\n"

log = logging.getLogger("smoltcp.examples.server")

Handler = Callable[[TcpSocket], None]


def build_parser() -> options.ExampleParser:
    """Return the command-line parser of smoltcp-server."""
    p = options.parser(PROG, __doc__ or "")
    options.add_host_options(
        p,
        address=ADDRESS,
        gateway=GATEWAY,
        mac=HARDWARE_ADDR,
        ipv6=ADDRESSES6,
        gateway6=GATEWAY6,
    )
    return p


# -- one handler per TCP service; each is called at every poll with its connection ----------


def hello() -> Handler:
    """Port 6969: say hello and close."""
    said = False

    def step(sock: TcpSocket) -> None:
        nonlocal said
        if not said and sock.may_send():
            sock.send(HELLO)
            sock.close()
            said = True

    return step


def reverse() -> Handler:
    """Port 6970: answer every line with its reverse until the peer closes."""
    reverser = LineReverser(max_line=SMALL)
    pump = Pump()
    finished = False

    def step(sock: TcpSocket) -> None:
        nonlocal finished
        # Read only what can be answered: a peer that never reads stalls, it does not grow us.
        while sock.can_recv() and len(pump) < SMALL:
            pump.push(reverser.feed(sock.recv(SMALL)))
        pump.drain(sock)
        if sock.state is TcpState.CLOSE_WAIT and not sock.can_recv() and not finished:
            pump.push(reverser.finish())
            finished = True
        if finished:
            pump.drain(sock)
            if not len(pump):
                sock.close()

    return step


def sink() -> Handler:
    """Port 6971: read and discard everything; close when the peer does."""
    scratch = bytearray(LARGE)

    def step(sock: TcpSocket) -> None:
        while sock.can_recv():
            if not sock.recv_into(scratch):
                break
        if sock.state is TcpState.CLOSE_WAIT:
            sock.close()

    return step


def source() -> Handler:
    """Port 6972: send data for as long as the peer keeps the connection open."""
    block = bytes(range(256)) * (LARGE // 256 + 1)
    offset = 0

    def step(sock: TcpSocket) -> None:
        nonlocal offset
        while sock.can_send():
            n = sock.send(block[offset : offset + LARGE])
            if not n:
                break
            offset = (offset + n) % 256
        while sock.can_recv():  # whatever the peer says is ignored
            sock.recv(SMALL)
        if sock.state is TcpState.CLOSE_WAIT:
            sock.close()

    return step


class TcpService:
    """A listening socket with a backlog, and the connections accepted from it."""

    def __init__(
        self,
        sockets: Any,
        port: int,
        rx: int,
        tx: int,
        handler: Callable[[], Handler],
        *,
        backlog: int = 8,
        keep_alive: Duration | None = None,
        timeout: Duration | None = None,
    ) -> None:
        self.sockets = sockets
        self.port = port
        self.handler = handler
        self.backlog = backlog
        self.listener = TcpSocket(rx, tx)
        # Children copy the listener's settings, so these hold for every connection.
        self.listener.set_keep_alive(keep_alive)
        self.listener.set_timeout(timeout)
        self.listener.listen(port, backlog)
        sockets.add(self.listener)
        self.conns: dict[int, Handler] = {}
        self.served = 0

    def step(self) -> None:
        """Accept new connections, run each connection's handler, forget closed ones."""
        listener = self.listener
        if listener.state is TcpState.CLOSED:  # never expected; be a server that stays up
            listener.listen(self.port, self.backlog)
        while (handle := listener.accept()) is not None:
            self.conns[handle] = self.handler()
            self.served += 1
            if log.isEnabledFor(logging.INFO):
                sock = self.sockets.get(handle)
                log.info("tcp:%d: connection from %s", self.port, sock.remote_endpoint)
        closed = []
        for handle, step in self.conns.items():
            sock = self.sockets.get(handle)
            step(sock)
            if sock.state is TcpState.CLOSED:
                closed.append(handle)
        for handle in closed:
            del self.conns[handle]
            sock = self.sockets.remove(handle)
            if log.isEnabledFor(logging.INFO):
                how = f"ended: {sock.error}" if sock.error else "closed"
                log.info("tcp:%d: %s %s", self.port, sock.remote_endpoint, how)


class UdpHello:
    """UDP 6969: answer every datagram with "hello"."""

    def __init__(self, sockets: Any, port: int) -> None:
        from smoltcp.stack.socket import UdpSocket
        from smoltcp.stack.storage import PacketBuffer

        self.sock = UdpSocket(PacketBuffer(4, SMALL), PacketBuffer(4, SMALL))
        self.sock.bind(port)
        self.port = port
        sockets.add(self.sock)

    def step(self) -> None:
        """Answer what has arrived, as far as the send buffer allows."""
        sock = self.sock
        while sock.can_recv() and sock.can_send():
            _data, remote = sock.recv_from()
            if log.isEnabledFor(logging.INFO):
                log.info("udp:%d: datagram from %s", self.port, remote)
            sock.send_to(HELLO, remote)


class ConnectionsReport:
    """Print the live TCP connections of ``sockets`` once per request (SIGUSR1).

    `request` only sets a flag (it runs as a signal handler, possibly in the middle of a poll);
    `step`, called between polls, prints: the sockets are then in a consistent state.
    """

    def __init__(self, sockets: SocketSet) -> None:
        self.sockets = sockets
        self.pending = False

    def request(self) -> None:
        """Ask for a report at the next `step`."""
        self.pending = True

    def step(self, now: Instant) -> None:
        """Print the report if one was asked for."""
        if self.pending:
            self.pending = False
            tcpinfo.print_connections(self.sockets, now)


def serve(args: argparse.Namespace) -> int:
    """Run the server until interrupted."""
    clock = Clock()
    device = options.open_device(args)
    iface = options.host_interface(args, device, clock.now())
    sockets = SocketSet()
    udp = UdpHello(sockets, 6969)
    services = [
        TcpService(sockets, 6969, SMALL, SMALL, hello, backlog=32),
        TcpService(sockets, 6970, SMALL, SMALL, reverse),
        TcpService(
            sockets,
            6971,
            LARGE,
            SMALL,
            sink,
            keep_alive=Duration.from_secs(1),
            timeout=Duration.from_secs(2),
        ),
        TcpService(sockets, 6972, SMALL, LARGE, source),
    ]
    report = ConnectionsReport(sockets)
    tcpinfo.install_sigusr1(report.request)
    addrs = dict.fromkeys(str(c.address) for c in iface.context.ip_addrs)
    addrs.update(dict.fromkeys(str(a) for a in iface.ipv6_addrs()))
    print(
        f"{PROG}: {' '.join(addrs)} on {args.iface}: ping, udp 6969, "
        "tcp 6969 6970 6971 6972 (Ctrl-C to stop; SIGUSR1 lists the TCP connections)",
        file=sys.stderr,
        flush=True,
    )

    def step(now: Instant) -> bool:
        report.step(now)
        udp.step()
        for service in services:
            service.step()
        return True

    try:
        poll_loop(iface, device, sockets, step, clock=clock)
    finally:
        device.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run smoltcp-server with ``argv`` (default: the command line); return the status."""
    args = build_parser().parse_args(argv)
    options.configure_logging(args.verbose)
    return run(PROG, lambda: serve(args))


if __name__ == "__main__":
    sys.exit(main())
