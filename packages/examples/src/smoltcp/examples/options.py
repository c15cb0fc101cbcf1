"""The options every example shares, and the device stack they describe.

Each example builds its parser with `parser(...)`, which already holds the device and middleware
options (`--tun`, `--offload`, `--pcap`, the fault-injection knobs, `--seed`, `-v`). After parsing,
`open_device(args)` opens the interface named on the command line and wraps it, innermost first,
in a `PcapWriter`, a `Tracer` and a `FaultInjector`, as the options ask. Because the fault
injector sits outside the tracer, a frame it drops has already been traced (on receive) or is
never traced (on transmit), as in the seed's examples.

The parser reports a bad command line as one line on stderr (exit status 2), not argparse's
usage block, so that every user error of every example looks the same (see `runtime`).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import IO, Any, NoReturn

from .netem_options import add_netem_arguments, netem_settings

__all__ = [
    "ExampleParser",
    "add_device_options",
    "add_middleware_options",
    "address",
    "cidr",
    "configure_logging",
    "endpoint",
    "open_device",
    "parser",
    "percent",
    "port",
    "positive",
    "wrap_device",
]


class ExampleParser(argparse.ArgumentParser):
    """An `argparse.ArgumentParser` whose errors are one line: ``prog: error: ... (see --help)``."""

    def error(self, message: str) -> NoReturn:
        """Print ``message`` as one line on stderr and exit with status 2."""
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


# -- argument types: each raises ValueError/ArgumentTypeError with a message a user can act on --


def address(text: str) -> Any:
    """Parse an IP address given on the command line (not a host name)."""
    from smoltcp.wire import IpAddress

    try:
        return IpAddress.parse(text)
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(f"bad IP address {text!r}") from None


def cidr(text: str) -> Any:
    """Parse an address with its prefix length, such as ``192.168.69.1/24``."""
    from smoltcp.wire import IpCidr

    try:
        return IpCidr.parse(text)
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(f"bad address/prefix {text!r}") from None


def hardware(text: str) -> Any:
    """Parse an Ethernet address such as ``02-00-00-00-00-01``."""
    from smoltcp.wire import EthernetAddress

    try:
        return EthernetAddress.parse(text)
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(f"bad Ethernet address {text!r}") from None


def endpoint(text: str) -> Any:
    """Parse ``ADDRESS:PORT``."""
    from smoltcp.wire import IpEndpoint

    try:
        return IpEndpoint.parse(text)
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(f"bad endpoint {text!r} (want ADDRESS:PORT)") from None


def port(text: str) -> int:
    """Parse a TCP/UDP port number, 1 to 65535."""
    try:
        value = int(text, 10)
    except ValueError:
        value = -1
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError(f"bad port {text!r} (want 1 to 65535)")
    return value


def percent(text: str) -> float:
    """Parse a probability in percent, 0 to 100."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 100.0:
        raise argparse.ArgumentTypeError(f"bad percentage {text!r} (want 0 to 100)")
    return value


def positive(text: str) -> int:
    """Parse a positive integer."""
    try:
        value = int(text, 10)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"bad count {text!r} (want a positive integer)")
    return value


def non_negative(text: str) -> float:
    """Parse a non-negative number (seconds, milliseconds)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value < 0:
        raise argparse.ArgumentTypeError(f"bad value {text!r} (want a number >= 0)")
    return value


# -- the shared options -------------------------------------------------------------------------


def add_device_options(p: argparse.ArgumentParser, *, iface: bool = True) -> None:
    """Add ``IFACE`` and ``--offload`` (when ``iface``) and ``--tun``."""
    if iface:
        p.add_argument("iface", metavar="IFACE", help="the TAP (or, with --tun, TUN) interface")
        p.add_argument(
            "--offload",
            action="store_true",
            help="open IFACE with TCP segmentation and checksum offloads (virtio-net header): "
            "the kernel and the stack exchange TCP segments of up to 64 KiB",
        )
    p.add_argument(
        "--tun",
        action="store_true",
        help="open IFACE as a TUN device (bare IP packets, no Ethernet and no ARP)",
    )


def add_middleware_options(p: argparse.ArgumentParser) -> None:
    """Add the packet-dump, fault-injection, seed and verbosity options."""
    g = p.add_argument_group("packet dumps and tracing")
    g.add_argument(
        "--pcap",
        metavar="FILE",
        help="write every frame the stack sends and receives to FILE (libpcap format)",
    )
    g.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="trace every frame (-v), and the stack's own debug log (-vv) and trace log (-vvv)",
    )
    g = p.add_argument_group("fault injection (applied to both directions)")
    g.add_argument(
        "--drop-chance",
        metavar="PCT",
        type=percent,
        default=0.0,
        help="drop each frame with this probability, in percent",
    )
    g.add_argument(
        "--corrupt-chance",
        metavar="PCT",
        type=percent,
        default=0.0,
        help="mutate one octet of each frame with this probability, in percent",
    )
    g.add_argument(
        "--size-limit",
        metavar="OCTETS",
        type=positive,
        default=None,
        help="drop frames larger than OCTETS",
    )
    g.add_argument(
        "--tx-rate-limit",
        metavar="PKTS",
        type=positive,
        default=None,
        help="send at most PKTS frames per shaping interval (a token bucket)",
    )
    g.add_argument(
        "--rx-rate-limit",
        metavar="PKTS",
        type=positive,
        default=None,
        help="receive at most PKTS frames per shaping interval (a token bucket)",
    )
    g.add_argument(
        "--shaping-interval",
        metavar="MS",
        type=positive,
        default=None,
        help="refill interval of the rate limiters, in milliseconds (default 50 when one is set)",
    )
    g.add_argument(
        "--seed",
        metavar="N",
        type=int,
        default=0,
        help="seed of the fault injector and of the stack's random choices (default 0)",
    )
    add_netem_arguments(p)


def parser(prog: str, description: str, *, iface: bool = True) -> ExampleParser:
    """Return a parser for example ``prog`` holding the shared device and middleware options."""
    p = ExampleParser(
        prog=prog,
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_device_options(p, iface=iface)
    add_middleware_options(p)
    return p


def configure_logging(verbose: int, stream: IO[str] | None = None) -> None:
    """Send log records to stderr: frames at ``-v``, the stack's DEBUG at -vv, TRACE at -vvv."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(logging.Formatter("%(relativeCreated)9.3fms %(name)s: %(message)s"))
    root = logging.getLogger("smoltcp")
    root.addHandler(handler)
    if verbose >= 3:
        root.setLevel(5)  # smoltcp.stack.log.TRACE
    elif verbose == 2:
        root.setLevel(logging.DEBUG)
    elif verbose == 1:
        root.setLevel(logging.INFO)
    else:
        root.setLevel(logging.WARNING)


# -- the device stack ---------------------------------------------------------------------------


def open_device(args: argparse.Namespace) -> Any:
    """Open ``args.iface`` (TAP, or TUN with ``--tun``; offloads with ``--offload``) and wrap it.

    Raises `OSError` when the interface cannot be opened (no such interface, no privileges,
    no ``/dev/net/tun``); `runtime.run` turns that into one line.
    """
    from smoltcp.phy import TapInterface, TunInterface

    kind = TunInterface if args.tun else TapInterface
    device = kind(args.iface, offload=getattr(args, "offload", False))
    return wrap_device(device, args)


def wrap_device(
    device: Any,
    args: argparse.Namespace,
    *,
    pcap_mode: str = "both",
    trace: Callable[[Any, Any, memoryview], None] | None = None,
) -> Any:
    """Wrap ``device`` in a `PcapWriter`, a `Tracer` and a `FaultInjector`, as ``args`` asks.

    Each layer is added only when an option needs it, so that a plain run pays for none.
    ``pcap_mode`` is "rx", "tx" or "both" (a loopback sees each frame twice: use "tx").
    ``trace(direction, now, frame)`` replaces the tracer's default callback (which logs each
    frame on ``smoltcp.phy.tracer`` at INFO) and adds the tracer even without ``-v``.
    """
    from smoltcp.phy import FaultInjector, PcapMode, PcapWriter, Tracer

    if getattr(args, "pcap", None):
        device = PcapWriter(device, args.pcap, PcapMode(pcap_mode))
    if trace is not None or args.verbose:
        device = Tracer(device, trace)
    netem = netem_settings(args)
    if (
        netem is not None
        or args.drop_chance
        or args.corrupt_chance
        or args.size_limit
        or args.tx_rate_limit
        or args.rx_rate_limit
    ):
        rate_limited = args.tx_rate_limit or args.rx_rate_limit
        device = FaultInjector(
            device,
            args.seed,
            drop_chance=args.drop_chance,
            corrupt_chance=args.corrupt_chance,
            size_limit=args.size_limit,
            tx_rate_limit=args.tx_rate_limit,
            rx_rate_limit=args.rx_rate_limit,
            shaping_interval=args.shaping_interval or (50 if rate_limited else 0),
            netem=netem,
        )
    return device
