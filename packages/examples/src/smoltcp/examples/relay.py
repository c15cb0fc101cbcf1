"""A transparent relay: TCP and UDP from a TUN device out through the kernel's own sockets.

The stack runs in transparent mode on IFACE (normally a TUN device, ``--tun``): every
connection a client behind IFACE opens, to any address and port, is accepted by the stack
with the destination the client dialled, and relayed over a kernel socket to that same
destination; UDP datagrams likewise, one kernel socket per (client, destination) flow, the
answers sent back from the destination's address. It does what tun2socks does without the
SOCKS server: IFACE in, the host's routing table out.

    smoltcp-relay tun0 --tun --address 10.99.0.1/24
    # then, on the client's side of tun0: ip route add 198.51.100.0/24 dev tun0

Safety rules (read them before running it):

- Only for traffic you own: everything routed into IFACE is sent out as this host, from its
  addresses. Never open it on an interface that carries other people's traffic.
- Destinations are limited to ``--allow`` prefixes (default: all; IPv6 with ``--address6``).
  Refused always, with a TCP reset or a dropped datagram: a destination the kernel routes
  back into IFACE (a loop, as the kernel's own route lookup answers), the stack's own
  subnets (the clients' side), loopback, multicast and broadcast.
- Bounded: at most ``--max-connections`` TCP connections (more wait in a ``--backlog``, then
  are dropped) and ``--max-flows`` UDP flows (the one idle longest is closed for a new one);
  each connection has TCP buffers of ``--buffer`` octets on the stack and reads at most that
  much at a time from the kernel.
- Timeouts: ``--connect-timeout`` for the kernel's connection, ``--idle-timeout`` for a TCP
  connection with no data either way, ``--udp-timeout`` for an idle UDP flow.

Each connection and flow is logged on stdout when it ends (``--quiet`` stops it), with the
octets relayed each way.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import ipaddress
import sys
import time
from typing import Any

from . import options
from .kernel_route import route_interface
from .runtime import Clock, run

__all__ = ["Policy", "build_parser", "kernel_route_interface", "main"]

PROG = "smoltcp-relay"
HARDWARE_ADDR = "02-00-00-00-00-01"
ADDRESS = "10.99.0.1/24"
UDP_QUEUE = 16
"""Datagrams a new UDP flow keeps while its kernel socket opens (more are dropped)."""


def build_parser() -> options.ExampleParser:
    """Return the command-line parser of smoltcp-relay."""
    p = options.parser(PROG, __doc__ or "")
    p.add_argument(
        "--address",
        default=ADDRESS,
        type=options.cidr,
        help=f"the stack's address and prefix on IFACE (default {ADDRESS})",
    )
    p.add_argument(
        "--address6",
        default=None,
        type=options.cidr,
        help="an IPv6 address and prefix of the stack on IFACE, to relay IPv6 too (default none)",
    )
    p.add_argument(
        "--allow",
        action="append",
        type=_network,
        default=None,
        metavar="PREFIX",
        help="relay only to destinations in PREFIX (repeatable; default 0.0.0.0/0 and ::/0)",
    )
    p.add_argument(
        "--max-connections",
        type=options.int_range(1, 65536, "count"),
        default=256,
        help="TCP connections relayed at once, 1 to 65536 (default 256)",
    )
    p.add_argument(
        "--backlog",
        type=options.int_range(1, 65536, "count"),
        default=128,
        help="TCP connections waiting beyond those, 1 to 65536 (default 128)",
    )
    p.add_argument(
        "--max-flows",
        type=options.int_range(1, 65536, "count"),
        default=256,
        help="UDP flows relayed at once, 1 to 65536 (default 256)",
    )
    p.add_argument(
        "--buffer",
        type=lambda text: options.octets(text, low=1024, high=16 << 20),
        default=64 * 1024,
        help="octets of each connection's TCP buffers, 1K to 16M (default 64K)",
    )
    p.add_argument(
        "--connect-timeout",
        type=_seconds,
        default=10.0,
        help="seconds to connect to a destination, 0.1 to 3600 (default 10)",
    )
    p.add_argument(
        "--idle-timeout",
        type=_seconds,
        default=300.0,
        help="seconds a TCP connection may pass without data, 0.1 to 3600 (default 300)",
    )
    p.add_argument(
        "--udp-timeout",
        type=_seconds,
        default=60.0,
        help="seconds a UDP flow may stay idle, 0.1 to 3600 (default 60)",
    )
    p.add_argument("--quiet", action="store_true", help="log no connections or flows")
    return p


def _seconds(text: str) -> float:
    value = options.non_negative(text)
    if not 0.1 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"bad value {text!r} (want 0.1 to 3600 seconds)")
    return value


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad prefix {text!r}") from None


def _name(endpoint: tuple[str, int]) -> str:
    host, port = endpoint[0], endpoint[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


# -- the policy ---------------------------------------------------------------------------------


def kernel_route_interface(address: str) -> str | None:
    """Return the interface the kernel would send ``address`` through (None: no route).

    The kernel is asked as ``ip route get`` asks it, so policy routing rules and every table
    count (see `smoltcp.examples.kernel_route.route_interface`).
    """
    return route_interface(address)


class Policy:
    """Which destinations the relay serves (see the module's safety rules)."""

    def __init__(self, iface_name: str, own: list[Any], allow: list[Any]) -> None:
        self.iface_name = iface_name
        self.own = own
        self.allow = allow

    def refusal(self, host: str) -> str | None:
        """Return why ``host`` is refused, or None when it may be relayed."""
        addr = ipaddress.ip_address(host)
        if addr.is_loopback or addr.is_multicast or addr.is_unspecified:
            return "not a unicast host"
        if any(addr in net for net in self.own if net.version == addr.version):
            return "the clients' own subnet"
        if not any(addr in net for net in self.allow if net.version == addr.version):
            return "not allowed"
        if kernel_route_interface(host) == self.iface_name:
            return f"routed back into {self.iface_name} (a loop)"
        return None


# -- TCP ----------------------------------------------------------------------------------------


class TcpRelay:
    """Relay each connection the transparent server accepts to a kernel connection."""

    def __init__(self, args: argparse.Namespace, policy: Policy) -> None:
        self.args = args
        self.policy = policy
        self.active = 0
        self.done = 0

    def log(self, text: str) -> None:
        if not self.args.quiet:
            print(text, flush=True)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Relay one accepted connection until both directions end, one fails or it idles."""
        dst = writer.get_extra_info("sockname")
        src = writer.get_extra_info("peername")
        what = f"tcp {_name(src)} -> {_name(dst)}"
        refusal = self.policy.refusal(dst[0])
        if refusal is not None:
            writer.transport.abort()
            self.log(f"{what} refused: {refusal}")
            return
        try:
            up_reader, up_writer = await asyncio.wait_for(
                asyncio.open_connection(dst[0], dst[1], limit=self.args.buffer),
                self.args.connect_timeout,
            )
        except (OSError, asyncio.TimeoutError) as exc:
            writer.transport.abort()  # the client sees a reset, as from a closed port
            self.log(f"{what} failed: {exc.__class__.__name__} {exc}".rstrip())
            return
        self.active += 1
        last = [time.monotonic()]
        counts = [0, 0]
        outcome = "closed"
        try:
            await asyncio.gather(
                self.pipe(reader, up_writer, last, counts, 0),
                self.pipe(up_reader, writer, last, counts, 1),
            )
        except TimeoutError:
            outcome = "idle"
        except (OSError, asyncio.IncompleteReadError) as exc:
            outcome = f"failed: {exc.__class__.__name__}"
        finally:
            self.active -= 1
            self.done += 1
            for w in (writer, up_writer):
                if outcome == "closed":
                    w.close()
                else:
                    w.transport.abort()
            self.log(f"{what} {outcome} up {counts[0]} down {counts[1]}")

    async def pipe(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        last: list[float],
        counts: list[int],
        index: int,
    ) -> None:
        """Copy from ``reader`` to ``writer`` until EOF (passed on as a half-close)."""
        idle = self.args.idle_timeout
        while True:
            try:
                data = await asyncio.wait_for(reader.read(self.args.buffer), idle)
            except asyncio.TimeoutError:
                # Idle only when neither direction moved (a download leaves one side quiet).
                if time.monotonic() - last[0] >= idle:
                    raise TimeoutError from None
                continue
            if not data:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            last[0] = time.monotonic()
            counts[index] += len(data)
            writer.write(data)
            await writer.drain()


# -- UDP ----------------------------------------------------------------------------------------


class _Upstream(asyncio.DatagramProtocol):
    def __init__(self, relay: UdpRelay, key: tuple[Any, Any]) -> None:
        self.relay = relay
        self.key = key

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.relay.answer(self.key, data)

    def error_received(self, exc: Exception) -> None:
        pass  # port unreachable from the destination: the client's own timeout handles it


class _Flow:
    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.queue: list[bytes] = []
        self.last = time.monotonic()
        self.up = 0
        self.down = 0


class UdpRelay:
    """Relay datagrams of each (client, destination) flow over a kernel UDP socket."""

    def __init__(self, args: argparse.Namespace, policy: Policy) -> None:
        self.args = args
        self.policy = policy
        self.flows: collections.OrderedDict[tuple[Any, Any], _Flow] = collections.OrderedDict()
        self.transport: Any = None
        self.dropped = 0
        self.paused = False

    # the transparent datagram protocol
    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.close_all()

    def pause_writing(self) -> None:
        # The stack's device is behind: answers are dropped (counted) until it catches up,
        # rather than queued without bound.
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False

    def error_received(self, exc: Exception) -> None:
        pass

    def datagram_received(self, data: bytes, addr: Any, dst: Any) -> None:
        key = (addr, dst)
        flow = self.flows.get(key)
        if flow is None:
            refusal = self.policy.refusal(dst[0])
            if refusal is not None:
                self.dropped += 1
                self.log(f"udp {_name(addr)} -> {_name(dst)} refused: {refusal}")
                return
            if len(self.flows) >= self.args.max_flows:
                old_key, _ = next(iter(self.flows.items()))
                self.end(old_key, "evicted")
            flow = self.flows[key] = _Flow()
            asyncio.get_running_loop().create_task(self.open(key, flow))
        self.flows.move_to_end(key)
        flow.last = time.monotonic()
        flow.up += len(data)
        if flow.transport is not None:
            flow.transport.sendto(data)
        elif len(flow.queue) < UDP_QUEUE:
            flow.queue.append(data)
        else:
            self.dropped += 1

    async def open(self, key: tuple[Any, Any], flow: _Flow) -> None:
        loop = asyncio.get_running_loop()
        try:
            transport, _ = await asyncio.wait_for(
                loop.create_datagram_endpoint(lambda: _Upstream(self, key), remote_addr=key[1]),
                self.args.connect_timeout,
            )
        except (OSError, asyncio.TimeoutError) as exc:
            self.end(key, f"failed: {exc.__class__.__name__}")
            return
        if self.flows.get(key) is not flow:  # evicted or closed meanwhile
            transport.close()
            return
        flow.transport = transport
        for data in flow.queue:
            transport.sendto(data)
        flow.queue = []

    def answer(self, key: tuple[Any, Any], data: bytes) -> None:
        flow = self.flows.get(key)
        if flow is None or self.transport is None:
            return
        if self.paused:
            self.dropped += 1
            return
        flow.last = time.monotonic()
        flow.down += len(data)
        addr, dst = key
        # From the destination the client sent to: its socket takes nothing else.
        self.transport.sendto(data, addr, dst)

    def sweep(self) -> None:
        """Close the flows idle longer than ``--udp-timeout``."""
        limit = time.monotonic() - self.args.udp_timeout
        for key, flow in list(self.flows.items()):
            if flow.last < limit:
                self.end(key, "idle")

    def end(self, key: tuple[Any, Any], outcome: str) -> None:
        flow = self.flows.pop(key, None)
        if flow is None:
            return
        if flow.transport is not None:
            flow.transport.close()
        (addr, dst) = key
        self.log(f"udp {_name(addr)} -> {_name(dst)} {outcome} up {flow.up} down {flow.down}")

    def close_all(self) -> None:
        for key in list(self.flows):
            self.end(key, "closed")

    def log(self, text: str) -> None:
        if not self.args.quiet:
            print(text, flush=True)


# -- the program --------------------------------------------------------------------------------


def make_transparent_interface(args: argparse.Namespace, device: Any) -> Any:
    """Return the `Interface` on ``device`` in transparent mode (`Config.any_ip`)."""
    from smoltcp.stack.iface import Config, Interface
    from smoltcp.wire import EthernetAddress
    from smoltcp.wire.capabilities import Medium

    ethernet = device.capabilities().medium is Medium.ETHERNET
    config = Config(
        hardware_addr=EthernetAddress.parse(HARDWARE_ADDR) if ethernet else None,
        random_seed=options.random_seed(args),
        syncookie_secret=options.syncookie_secret(args),
        any_ip=True,
    )
    iface = Interface(config, device, Clock().now())
    cidrs = [c for c in (args.address, args.address6) if c is not None]
    iface.update_ip_addrs(lambda addrs: addrs.extend(cidrs))
    return iface


async def relay(args: argparse.Namespace, device: Any) -> None:
    """Relay on ``device`` until cancelled (Ctrl-C, SIGTERM)."""
    from smoltcp.phy.aio import Runtime

    iface = make_transparent_interface(args, device)
    own = [
        ipaddress.ip_network(str(c), strict=False)
        for c in (args.address, args.address6)
        if c is not None
    ]
    allow = args.allow or [ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")]
    policy = Policy(args.iface, own, allow)
    tcp = TcpRelay(args, policy)
    udp = UdpRelay(args, policy)
    async with Runtime(iface, device, tcp_buffer=args.buffer, linger=args.connect_timeout) as rt:
        server = await rt.start_transparent_server(
            tcp.handle,
            backlog=args.backlog,
            max_connections=args.max_connections,
            limit=args.buffer,
        )
        datagrams, _ = await rt.create_transparent_datagram_endpoint(lambda: udp)
        print(f"relaying from {args.iface} ({args.address}) to the host's sockets", flush=True)
        try:
            while True:
                await asyncio.sleep(1.0)
                udp.sweep()
        finally:
            server.close()
            server.abort_clients()
            udp.close_all()
            datagrams.close()


def main(argv: list[str] | None = None) -> int:
    """Run smoltcp-relay; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.address6 is not None and args.address6.address.version != 6:
        parser.error(f"argument --address6: not an IPv6 prefix: {args.address6}")
    options.configure_logging(args.verbose)

    def body() -> int:
        device = options.open_device(args)
        try:
            asyncio.run(relay(args, device))
        finally:
            close = getattr(device, "close", None)
            if close is not None:
                close()
        return 0

    return run(PROG, body)


if __name__ == "__main__":
    sys.exit(main())
