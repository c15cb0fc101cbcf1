"""An HTTP/1.1 server on the stack, written with asyncio's streams (standard library only).

The host is 02-00-00-00-00-01 / 192.168.69.1/24 (``--address``) with 192.168.69.100 as its
default gateway, and listens on port 8080 (``--port``). It answers GET and HEAD with
persistent connections (HTTP/1.1 keep-alive; ``Connection: close`` and HTTP/1.0 close), and
serves:

- ``/bytes/N``: N octets of generated content (the pattern 0, 1, ..., 255 repeated);
- with ``--root DIR``, every other path is a file under DIR (nothing outside it).

Each request is logged on stdout as ``PEER METHOD PATH STATUS OCTETS`` (``--quiet`` stops it).
Try, from the kernel's side:

    smoltcp-httpserver tap0 --root /srv/files
    curl -s http://192.168.69.1:8080/bytes/1048576 | sha256sum
    curl -s http://192.168.69.1:8080/a http://192.168.69.1:8080/b    # one connection
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from pathlib import Path
from typing import Any

from . import options
from .runtime import Clock, make_interface, run

__all__ = ["PATTERN", "generated", "main"]

PROG = "smoltcp-httpserver"
HARDWARE_ADDR = "02-00-00-00-00-01"
ADDRESS = "192.168.69.1/24"
GATEWAY = "192.168.69.100"
MAX_HEAD = 16 * 1024
"""Octets a request line and its headers may take together."""
MAX_GENERATED = 1 << 34
CHUNK = 256 * 1024
PATTERN = bytes(range(256)) * (CHUNK // 256)
"""One chunk of the generated content; `generated` repeats it."""

REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    431: "Request Header Fields Too Large",
    501: "Not Implemented",
}


def generated(size: int) -> bytes:
    """Return the first ``size`` octets of the generated content (for checking a download)."""
    whole, rest = divmod(size, len(PATTERN))
    return PATTERN * whole + PATTERN[:rest]


def build_parser() -> options.ExampleParser:
    """Return the command-line parser of smoltcp-httpserver."""
    p = options.parser(PROG, __doc__ or "")
    p.add_argument("--port", type=options.port, default=8080, help="TCP port (default 8080)")
    p.add_argument(
        "--address",
        default=ADDRESS,
        type=options.cidr,
        help=f"the host's address and prefix (default {ADDRESS})",
    )
    p.add_argument(
        "--gateway",
        type=options.gateway_address,
        default=GATEWAY,
        help=f"the default IPv4 route, or 'none' (default {GATEWAY})",
    )
    p.add_argument("--root", type=Path, default=None, help="serve the files under this directory")
    p.add_argument(
        "--buffer",
        type=options.positive,
        default=256 * 1024,
        help="octets of each connection's TCP receive and send buffers (default 256K)",
    )
    p.add_argument(
        "--backlog", type=options.positive, default=128, help="pending connections (default 128)"
    )
    p.add_argument("--quiet", action="store_true", help="log no requests")
    return p


class Request:
    """A parsed request head: method, target, version and headers (names lower-cased)."""

    def __init__(self, method: str, target: str, version: str, headers: dict[str, str]) -> None:
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers

    def keep_alive(self) -> bool:
        """Return whether the connection persists after the response (RFC 9112 9.3)."""
        tokens = {t.strip().lower() for t in self.headers.get("connection", "").split(",")}
        if "close" in tokens:
            return False
        if self.version == "HTTP/1.1":
            return True
        return "keep-alive" in tokens


class BadRequest(Exception):
    """A request the server answers with ``status`` and then closes the connection."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status


def parse_head(head: bytes) -> Request:
    """Parse a request head (up to and including the empty line). Raises `BadRequest`."""
    try:
        text = head.decode("latin-1")
    except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes everything
        raise BadRequest(400, "undecodable head") from None
    lines = text.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise BadRequest(400, "bad request line")
    method, target, version = parts
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise BadRequest(400, "bad header line")
        key = name.lower()
        value = value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return Request(method, target, version, headers)


class HttpServer:
    """Serve one connection after another; see the module's docstring for what is served."""

    def __init__(self, root: Path | None, *, quiet: bool = False) -> None:
        self.root = root.resolve() if root is not None else None
        self.quiet = quiet
        self.requests = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve the requests of one connection until it closes or asks to."""
        peer = writer.get_extra_info("peername")
        try:
            while await self.one(reader, writer, peer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            writer.transport.abort()
            return
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()

    async def one(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: Any
    ) -> bool:
        """Serve one request; return whether the connection stays open for another."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if exc.partial:
                await self.error(writer, peer, BadRequest(400, "truncated head"))
            return False
        except asyncio.LimitOverrunError:
            await self.error(writer, peer, BadRequest(431, "head too large"))
            return False
        if len(head) > MAX_HEAD:
            await self.error(writer, peer, BadRequest(431, "head too large"))
            return False
        try:
            request = parse_head(head)
            await self.discard_body(reader, request)
        except BadRequest as exc:
            await self.error(writer, peer, exc)
            return False
        keep = request.keep_alive()
        await self.respond(writer, peer, request, keep)
        return keep

    async def discard_body(self, reader: asyncio.StreamReader, request: Request) -> None:
        """Read and drop a request body, so that the next request can be read."""
        if "transfer-encoding" in request.headers:
            raise BadRequest(501, "chunked request bodies are not supported")
        text = request.headers.get("content-length", "0")
        if not text.isdigit():
            raise BadRequest(400, "bad Content-Length")
        length = int(text)
        if length > 1 << 20:
            raise BadRequest(413, "body too large")
        if length:
            await reader.readexactly(length)

    def resolve(self, target: str) -> tuple[int, Path | None, int]:
        """Return (status, file or None, size) for a request target."""
        path = target.split("?", 1)[0]
        if path.startswith("/bytes/"):
            count = path[len("/bytes/") :]
            if count.isdigit() and int(count) <= MAX_GENERATED:
                return 200, None, int(count)
            return 404, None, 0
        if self.root is None:
            return 404, None, 0
        candidate = (self.root / path.lstrip("/")).resolve()
        if candidate == self.root or self.root not in candidate.parents or not candidate.is_file():
            return 404, None, 0
        return 200, candidate, candidate.stat().st_size

    async def respond(
        self, writer: asyncio.StreamWriter, peer: Any, request: Request, keep: bool
    ) -> None:
        """Write the response head and (unless HEAD) its body."""
        if request.method not in ("GET", "HEAD"):
            status, path, size = 405, None, 0
        else:
            status, path, size = self.resolve(request.target)
        body_size = size if status == 200 else 0
        head = [
            f"HTTP/1.1 {status} {REASONS[status]}",
            f"Content-Length: {body_size}",
            "Content-Type: application/octet-stream",
            f"Connection: {'keep-alive' if keep else 'close'}",
        ]
        if status == 405:
            head.append("Allow: GET, HEAD")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
        if request.method != "HEAD" and status == 200:
            if path is None:
                await self.send_generated(writer, size)
            else:
                await self.send_file(writer, path)
        await writer.drain()
        self.log(peer, request.method, request.target, status, body_size)

    async def send_generated(self, writer: asyncio.StreamWriter, size: int) -> None:
        view = memoryview(PATTERN)
        while size > 0:
            n = min(size, CHUNK)
            writer.write(view[:n])
            size -= n
            await writer.drain()

    async def send_file(self, writer: asyncio.StreamWriter, path: Path) -> None:
        # Reads are small and local: the event loop blocks for one chunk at most.
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                writer.write(chunk)
                await writer.drain()

    async def error(self, writer: asyncio.StreamWriter, peer: Any, exc: BadRequest) -> None:
        body = f"{exc}\n".encode()
        writer.write(
            f"HTTP/1.1 {exc.status} {REASONS[exc.status]}\r\nContent-Length: {len(body)}\r\n"
            f"Content-Type: text/plain\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        self.log(peer, "-", "-", exc.status, len(body))

    def log(self, peer: Any, method: str, target: str, status: int, size: int) -> None:
        self.requests += 1
        if not self.quiet:
            host, port = peer if peer else ("-", 0)
            print(f"{host}:{port} {method} {target} {status} {size}", flush=True)


async def serve(args: argparse.Namespace, device: Any) -> None:
    """Run the server on ``device`` until cancelled (Ctrl-C)."""
    from smoltcp.phy.aio import Runtime

    iface = make_interface(
        device,
        Clock().now(),
        hardware_addr=HARDWARE_ADDR,
        addresses=[str(args.address)],
        gateway=args.gateway,
        seed=options.random_seed(args),  # --seed, or a secret from the OS
        syncookie_secret=options.syncookie_secret(args),
    )
    app = HttpServer(args.root, quiet=args.quiet)
    async with Runtime(iface, device, tcp_buffer=args.buffer) as rt:
        server = await rt.start_server(
            app.handle, None, args.port, backlog=args.backlog, limit=MAX_HEAD
        )
        print(f"listening on http://{args.address.address}:{args.port}/", flush=True)
        try:
            await asyncio.get_running_loop().create_future()  # until cancelled (Ctrl-C)
        finally:
            # Not `serve_forever`, which would wait for idle keep-alive connections to end.
            server.close()
            server.abort_clients()


def main(argv: list[str] | None = None) -> int:
    """Run smoltcp-httpserver; return the exit status."""
    args = build_parser().parse_args(argv)
    options.configure_logging(args.verbose)
    if args.root is not None and not args.root.is_dir():
        print(f"{PROG}: error: argument --root: {args.root}: not a directory", file=sys.stderr)
        return 2

    def body() -> int:
        device = options.open_device(args)
        try:
            asyncio.run(serve(args, device))
        finally:
            close = getattr(device, "close", None)
            if close is not None:
                close()
        return 0

    return run(PROG, body)


if __name__ == "__main__":
    sys.exit(main())
