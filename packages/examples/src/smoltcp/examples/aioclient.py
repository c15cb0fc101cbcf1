"""Connect to a TCP server and answer each line with its reverse: smoltcp-client on asyncio.

The same program as ``smoltcp-client`` (same host, 02-00-00-00-00-02 / 192.168.69.2/24 with
192.168.69.100 as its default gateway; 128-octet buffers; the same messages), written with
asyncio's streams over `smoltcp.phy.aio` instead of a hand-written poll loop:

    socat stdio tcp4-listen:1234               # in one shell, on the kernel side of tap0
    smoltcp-aioclient tap0 192.168.69.100 1234 # in another; type lines into socat
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from . import options
from .apps import LineReverser
from .client import RX_BUFFER, TX_BUFFER
from .client import build_parser as client_parser
from .runtime import Clock, UserError, run

__all__ = ["main"]

PROG = "smoltcp-aioclient"


def build_parser() -> options.ExampleParser:
    """Return the command-line parser of smoltcp-aioclient (smoltcp-client's)."""
    p = client_parser()
    p.prog = PROG
    p.description = __doc__
    return p


async def converse(args: argparse.Namespace, device: Any) -> int:
    """Connect, reverse lines until the server closes; return the exit status."""
    from smoltcp.phy.aio import Runtime

    iface = options.host_interface(args, device, Clock().now())
    remote = f"{args.address}:{args.port}"
    async with Runtime(iface, device) as rt:
        try:
            connecting = rt.open_connection(args.address, args.port, buffer=TX_BUFFER)
            reader, writer = await asyncio.wait_for(connecting, args.timeout)
        except ConnectionRefusedError:
            raise UserError(f"cannot connect to {remote}: connection refused") from None
        except TimeoutError:
            raise UserError(
                f"cannot connect to {remote}: no answer within {args.timeout:g} s "
                "(host down or unreachable?)"
            ) from None
        print(
            f"{PROG}: connected to {remote} from {writer.get_extra_info('sockname')[0]}",
            file=sys.stderr,
        )
        reverser = LineReverser(max_line=RX_BUFFER)
        try:
            while data := await reader.read(RX_BUFFER):
                writer.write(reverser.feed(data))
                await writer.drain()
            writer.write(reverser.finish())
            writer.close()
            await writer.wait_closed()
        except ConnectionError as exc:
            raise UserError(f"connection to {remote} {exc.strerror or exc}") from None
    print(f"{PROG}: connection to {remote} closed", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run smoltcp-aioclient with ``argv`` (default: the command line); return the status."""
    args = build_parser().parse_args(argv)
    options.configure_logging(args.verbose)

    def body() -> int:
        device = options.open_device(args)
        try:
            return asyncio.run(converse(args, device))
        finally:
            close = getattr(device, "close", None)
            if close is not None:
                close()

    return run(PROG, body)


if __name__ == "__main__":
    sys.exit(main())
