"""Fetch a URL over HTTP/1.1 and write the response body to stdout.

The host is 02-00-00-00-00-03 / 192.168.69.3/24 (192.168.69.100, the kernel side of tap0, is
the default gateway; ``--mac``, ``--address``, ``--gateway`` change them, ``--dhcp`` leases
them), and fdaa::3/64 with fdaa::100 as its IPv6 gateway (``--ip6``, ``--gateway6``). ADDRESS
is the host to connect to, by default the URL's; a name is resolved with the DNS server of
``--dns`` or the one DHCP gives. URL gives the path, the Host header and the port.
The status line and the headers go to stderr, the body to stdout, so ``> file`` saves
exactly the resource. The socket buffers are 1024 octets (``--buffer``), which makes captures
show many small windows.

    smoltcp-httpclient tap0 192.168.69.100 http://192.168.69.100:8000/index.html
    smoltcp-httpclient tap0 192.168.69.100 http://192.168.69.100:8000/big > big.bin
    smoltcp-httpclient tap0 http://www.example.test/ --dns 192.168.69.100
    smoltcp-httpclient tap0 'http://[fdaa::100]:8000/index.html'
    smoltcp-httpclient tap0 'http://[fe80::100%25tap0]:8000/index.html'

An IPv6 address in a URL is in brackets (RFC 3986 3.2.2); a link-local one also names its
link, the program's interface, as a zone after "%25" (RFC 6874), which the Host header leaves
out.

The exit status is 0 for a complete 2xx response, 1 for anything else.
"""

from __future__ import annotations

import argparse
import sys
import urllib.parse
from typing import Any

from smoltcp.stack.socket import SocketSet
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import IpEndpoint

from . import names, options
from .apps import HttpError, HttpResponseParser, Pump
from .runtime import Clock, UserError, poll_loop, run

__all__ = ["main"]

PROG = "smoltcp-httpclient"
HARDWARE_ADDR = "02-00-00-00-00-03"
ADDRESS = "192.168.69.3/24"
GATEWAY = "192.168.69.100"
ADDRESSES6 = ("fdaa::3/64",)
GATEWAY6 = "fdaa::100"
BUFFER = 1024


def url(text: str) -> urllib.parse.SplitResult:
    """Parse an ``http://`` URL; an IPv6 address in it is in brackets (RFC 3986 3.2.2)."""
    try:
        parts = urllib.parse.urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        netloc = text.partition("//")[2].partition("/")[0].rpartition("@")[2]
        if netloc.count(":") > 1 and "[" not in netloc:
            raise argparse.ArgumentTypeError(
                f"bad URL {text!r} (an IPv6 address goes in brackets: http://[ADDRESS]:PORT/)"
            ) from None
        raise argparse.ArgumentTypeError(f"bad URL {text!r}") from None
    if parts.scheme != "http" or not parts.hostname:
        raise argparse.ArgumentTypeError(f"bad URL {text!r} (want http://HOST[:PORT]/PATH)")
    return parts


def url_target(parts: urllib.parse.SplitResult, iface: str | None) -> Any:
    """Return the host of URL ``parts``: an `IpAddress`, or a name (text).

    Raise ArgumentTypeError for a bracketed literal that is no IPv6 address, or whose zone
    does not fit it (a link-local address needs one: the program's interface, RFC 6874).
    """
    host = parts.netloc.rpartition("@")[2]
    if not host.startswith("["):
        return names.url_host(parts)
    literal = host[: host.index("]") + 1]
    addr, zone = options.peer_address(literal)
    if addr.version != 6:
        raise argparse.ArgumentTypeError(f"bad URL host {literal} (brackets hold IPv6 only)")
    problem = options.zone_problem(addr, zone, iface, url=True)
    if problem:
        raise argparse.ArgumentTypeError(f"URL {urllib.parse.urlunsplit(parts)}: {problem}")
    return addr


def build_parser() -> options.ExampleParser:
    """Return the command-line parser of smoltcp-httpclient."""
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
        nargs="?",
        names=True,
        help="server to connect to (default: the URL's host); " + names.HOST_HELP,
    )
    p.add_argument("url", metavar="URL", type=url, help="http:// URL to fetch")
    names.add_name_options(p)
    p.add_argument(
        "--buffer",
        type=options.int_range(64, 1 << 30, "buffer size"),
        default=BUFFER,
        metavar="OCTETS",
        help=f"size of each socket buffer (default {BUFFER})",
    )
    p.add_argument(
        "--timeout",
        type=options.non_negative,
        default=60.0,
        metavar="SECS",
        help="give up after SECS without progress (default 60)",
    )
    return p


def request_bytes(target: urllib.parse.SplitResult) -> bytes:
    """Return the GET request for ``target``."""
    path = target.path or "/"
    if target.query:
        path += "?" + target.query
    host = target.netloc.rpartition("@")[2]
    if host.startswith("[") and "%" in host:
        # RFC 6874 4: the zone means something on this host only; the server is not told.
        host = host[: host.index("%")] + host[host.index("]") :]
    return (
        f"GET {path} HTTP/1.1\r\n"
        f"Host: {host}\r\n"
        "User-Agent: smoltcp-httpclient\r\n"
        "Accept: */*\r\n"
        "Connection: close\r\n"
        "\r\n"
    ).encode("ascii")


def fetch(args: argparse.Namespace) -> int:
    """Fetch ``args.url`` from ``args.address``; return the exit status."""
    clock = Clock()
    device = options.open_device(args)
    start = clock.now()
    iface = options.host_interface(args, device, start)
    sockets = SocketSet()
    lease = names.configure(args, iface, device, sockets, clock)
    target = args.address if args.address is not None else args.url_host
    args.address = names.lookup(args, target, iface, device, sockets, lease)
    start = clock.now()
    sock = TcpSocket(args.buffer, args.buffer)
    sockets.add(sock)
    port = args.url.port or 80
    remote = str(IpEndpoint(args.address, port))
    sock.connect(iface.context, (args.address, port), 0)
    pump = Pump()
    pump.push(request_bytes(args.url))
    response = HttpResponseParser()
    out = sys.stdout.buffer
    patience = Duration.from_secs(args.timeout)
    progress_at = start
    established = False
    body = 0

    def step(now: Instant) -> bool:
        nonlocal established, progress_at, body
        state = sock.state
        if not established:
            if state is TcpState.CLOSED:
                reason = sock.error or "refused"
                raise UserError(f"cannot connect to {remote}: connection {reason}")
            if state is TcpState.ESTABLISHED or state is TcpState.CLOSE_WAIT:
                established = True
        if pump.drain(sock):
            progress_at = now
        while sock.can_recv():
            data = sock.recv(args.buffer)
            progress_at = now
            if not response.head_done:
                chunk = response.feed(data)
                if response.head_done:
                    print(
                        f"{response.version} {response.status} {response.reason}", file=sys.stderr
                    )
                    for name, value in response.headers:
                        print(f"{name}: {value}", file=sys.stderr)
            else:
                chunk = response.feed(data)
            if chunk:
                out.write(chunk)
                body += len(chunk)
        if response.done and sock.state is TcpState.ESTABLISHED:
            sock.close()  # the whole body is here: no need to wait for the server's FIN
        state = sock.state
        if state is TcpState.CLOSE_WAIT and not sock.can_recv():
            response.close()
            sock.close()
        elif state is TcpState.CLOSED or state is TcpState.TIME_WAIT:
            if sock.error and not response.done:
                raise UserError(f"connection to {remote} {sock.error} after {body} octets")
            if not response.done:
                response.close()
            return False
        if now - progress_at > patience:
            sock.abort()
            what = "connecting" if not established else f"after {body} octets of body"
            raise UserError(f"{remote}: no progress for {args.timeout:g} s {what}")
        return True

    try:
        poll_loop(iface, device, sockets, step, clock=clock)
    except HttpError as exc:
        raise UserError(f"{remote}: {exc}") from None
    finally:
        out.flush()
    status = response.status or 0
    return 0 if 200 <= status < 300 else 1


def main(argv: list[str] | None = None) -> int:
    """Run smoltcp-httpclient with ``argv`` (default: the command line); return the status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.url_host = url_target(args.url, args.iface)
    except argparse.ArgumentTypeError as exc:
        parser.error(f"argument URL: {exc}")
    options.configure_logging(args.verbose)
    return run(PROG, lambda: fetch(args))


if __name__ == "__main__":
    sys.exit(main())
