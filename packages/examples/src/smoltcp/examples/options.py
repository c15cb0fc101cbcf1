"""The options every example shares, and the device stack they describe.

Each example builds its parser with `parser(...)`, which already holds the device and middleware
options (`--tun`, `--offload`, `--pcap` and its limits, the fault-injection knobs, `--seed`, `-v`);
`add_host_options` adds the host's own `--address`, `--gateway` and `--mac`, and for the examples
that speak IPv6 as well `--ip6` and `--gateway6` (a dual-stack host: the IPv4 address, the
link-local IPv6 address formed from the MAC, and the IPv6 addresses given). After parsing,
`open_device(args)` opens the interface named on the command line and wraps it, innermost first,
in a `PcapWriter`, a `Tracer` and a `FaultInjector`, as the options ask. Because the fault
injector sits outside the tracer, a frame it drops has already been traced (on receive) or is
never traced (on transmit), as in the seed's examples.

Without ``--seed`` the stack's secret (TCP initial sequence numbers, ephemeral ports) and the
fault injector's seed come from the operating system (`secrets`), so that two runs cannot be
predicted from each other; ``--seed N`` makes a run repeatable (for tests and for comparing runs).

The parser reports a bad command line as one line on stderr (exit status 2), not argparse's
usage block, so that every user error of every example looks the same (see `runtime`).
"""

from __future__ import annotations

import argparse
import logging
import secrets
import sys
from collections.abc import Callable, Sequence
from typing import IO, Any, NoReturn

from .argtypes import IFNAMSIZ as IFNAMSIZ
from .argtypes import MAX_SECONDS as MAX_SECONDS
from .argtypes import (
    address,
    cidr,
    endpoint,
    hardware,
    int_range,
    interface_name,
    non_negative,
    non_negative_int,
    octets,
    out_directory,
    pcap_path,
    percent,
    port,
    positive,
    seed,
)
from .netem_options import add_netem_arguments, netem_settings
from .peers import (
    Ipv6Addresses,
    bracketed_address,
    gateway6_address,
    ipv6_addresses,
    ipv6_cidr,
    peer_address,
    peer_host,
    split_zone,
    zone_problem,
)

__all__ = [
    "ExampleParser",
    "add_device_options",
    "add_host_options",
    "add_middleware_options",
    "address",
    "bracketed_address",
    "cidr",
    "configure_logging",
    "endpoint",
    "hardware",
    "host_interface",
    "int_range",
    "interface_name",
    "ipv6_addresses",
    "ipv6_cidr",
    "non_negative",
    "non_negative_int",
    "octets",
    "open_device",
    "out_directory",
    "parser",
    "peer_address",
    "peer_host",
    "percent",
    "port",
    "pcap_path",
    "positive",
    "random_seed",
    "split_zone",
    "wrap_device",
    "zone_problem",
]


class ExampleParser(argparse.ArgumentParser):
    """An `argparse.ArgumentParser` whose errors are one line: ``prog: error: ... (see --help)``.

    `add_peer_argument` adds a positional peer address that may carry a zone (``fe80::1%tap0``);
    after parsing, the attribute holds the address and ``<dest>_zone`` the zone, both checked.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._peers: list[tuple[str, str]] = []

    def add_peer_argument(
        self, dest: str, *, metavar: str, help: str, names: bool = False, nargs: str | None = None
    ) -> None:
        """Add positional ``dest``: an IP address (brackets and a zone allowed), or with
        ``names`` also a host name (kept as text)."""
        self._peers.append((dest, metavar))
        self.add_argument(
            dest, metavar=metavar, nargs=nargs, type=peer_host if names else peer_address, help=help
        )

    def error(self, message: str) -> NoReturn:
        """Print ``message`` as one line on stderr and exit with status 2."""
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")

    def parse_args(self, args: Any = None, namespace: Any = None) -> Any:
        """Parse ``args``, then check the options that only make sense together."""
        parsed = super().parse_args(args, namespace)
        if getattr(parsed, "pcap_files", None) is not None and parsed.pcap_limit is None:
            self.error("argument --pcap-files: needs --pcap-limit")
        for dest, metavar in self._peers:
            value = getattr(parsed, dest, None)
            if value is None:  # an optional positional not given
                setattr(parsed, f"{dest}_zone", None)
                continue
            addr, zone = value
            setattr(parsed, dest, addr)
            setattr(parsed, f"{dest}_zone", zone)
            if not isinstance(addr, str):
                problem = zone_problem(addr, zone, getattr(parsed, "iface", None))
                if problem:
                    self.error(f"argument {metavar}: {problem}")
        return parsed


def random_seed(args: argparse.Namespace) -> int:
    """Return ``args.seed``; without ``--seed``, draw one from the operating system (once).

    The draw is stored in ``args.seed``, so that every user of the seed in one run (the
    stack's `Config.random_seed`, the fault injector) agrees.
    """
    if getattr(args, "seed", None) is None:
        args.seed = secrets.randbits(64)
        # Secrets of their own, not derived from a seed a user may print or reuse.
        args.syncookie_secret = secrets.token_bytes(16)
    return int(args.seed)


def syncookie_secret(args: argparse.Namespace) -> bytes | None:
    """Return the SYN-cookie secret for `Config.syncookie_secret`.

    Without ``--seed``: 16 octets from the operating system (drawn with the seed, once). With
    ``--seed N``: None, so that the stack derives it from the seed and a run is reproducible.
    """
    random_seed(args)
    return getattr(args, "syncookie_secret", None)


# -- the shared options -------------------------------------------------------------------------


def add_device_options(p: argparse.ArgumentParser, *, iface: bool = True) -> None:
    """Add ``IFACE``, ``--no-offload`` and ``--offload`` (when ``iface``) and ``--tun``.

    ``args.offload`` is None (offloads when granted), False or True: `open_device` decides.
    """
    if iface:
        p.add_argument(
            "iface",
            metavar="IFACE",
            type=interface_name,
            help="the TAP (or, with --tun, TUN) interface",
        )
        g = p.add_mutually_exclusive_group()
        g.add_argument(
            "--no-offload",
            dest="offload",
            action="store_false",
            default=None,
            help="open IFACE without the virtio-net header: every frame within the MTU (the "
            "default is TCP segmentation and checksum offloads whenever the kernel grants them, "
            "except with fault injection, which works frame by frame)",
        )
        g.add_argument(
            "--offload",
            dest="offload",
            action="store_true",
            default=None,
            help="require the offloads (an error if the kernel refuses them), even with fault "
            "injection",
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
        type=pcap_path,
        help="write every frame the stack sends and receives to FILE (libpcap format)",
    )
    g.add_argument(
        "--pcap-snaplen",
        metavar="OCTETS",
        type=int_range(64, 262144, "snap length"),
        default=65535,
        help="keep at most OCTETS of each frame in the capture (64 to 262144; default 65535)",
    )
    g.add_argument(
        "--pcap-limit",
        metavar="SIZE",
        type=lambda text: octets(text, low=4096, high=1 << 40),
        default=None,
        help="start a new capture file (FILE.1, FILE.2, ...) when FILE would grow past SIZE "
        "octets (4K to 1T; K, M, G suffixes), like tcpdump -C",
    )
    g.add_argument(
        "--pcap-files",
        metavar="N",
        type=int_range(1, 100000, "file count"),
        default=None,
        help="with --pcap-limit, keep at most N files, reusing the oldest (like tcpdump -W; "
        "default: no limit)",
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
        type=seed,
        default=None,
        help="seed of the fault injector and of the stack's random choices (initial sequence "
        "numbers, ports), for a repeatable run; default: a secret from the operating system",
    )
    add_netem_arguments(p)


def add_host_options(
    p: argparse.ArgumentParser,
    *,
    address: str,
    gateway: str | None,
    mac: str,
    ipv6: Sequence[str] | None = None,
    gateway6: str | None = None,
) -> None:
    """Add ``--address CIDR``, ``--gateway ADDRESS`` and ``--mac MAC`` with these defaults.

    With ``ipv6`` (the host's IPv6 addresses, such as ``("fdaa::1/64",)``), also add
    ``--ip6 CIDR`` (repeatable; the first one given replaces the defaults) and ``--gateway6``
    (default ``gateway6``): the host is then dual-stack.
    """
    g = p.add_argument_group("this host")
    g.add_argument(
        "--address",
        dest="host_cidr",  # the clients' positional ADDRESS is the peer's
        metavar="CIDR",
        type=cidr,
        default=address,
        help=f"this host's IP address and prefix length (default {address})",
    )
    g.add_argument(
        "--gateway",
        metavar="ADDRESS",
        type=gateway_address,
        default=gateway,
        help=f"the default IPv4 route, or 'none' (default {gateway or 'none'})",
    )
    g.add_argument(
        "--mac",
        metavar="MAC",
        type=hardware,
        default=mac,
        help=f"this host's Ethernet address on a TAP device (default {mac})",
    )
    if ipv6 is None:
        return
    defaults = " ".join(ipv6) or "none"
    g.add_argument(
        "--ip6",
        dest="host_cidrs6",
        metavar="CIDR",
        type=ipv6_cidr,
        action=Ipv6Addresses,
        default=tuple(ipv6),
        help="an IPv6 address of this host with its prefix length; repeat it for more, or "
        "give 'none' for no IPv6 address but the link-local one formed from --mac on a TAP "
        f"device (default {defaults})",
    )
    g.add_argument(
        "--gateway6",
        metavar="ADDRESS",
        type=gateway6_address,
        default=gateway6,
        help=f"the default IPv6 route, or 'none' (default {gateway6 or 'none'})",
    )


def gateway_address(text: str) -> Any:
    """Parse ``--gateway``: an IPv4 address a router can have (`route.check_router`: the
    interface's route table refuses the rest), or "none"."""
    if text.lower() == "none":
        return None
    from smoltcp.stack.iface.route import check_router
    from smoltcp.wire import Ipv4Address

    value = address(text)
    if not isinstance(value, Ipv4Address):
        raise argparse.ArgumentTypeError(
            f"bad gateway {text!r} (want an IPv4 address or none; an IPv6 one goes to --gateway6)"
        )
    try:
        check_router(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"bad gateway {text!r}: {exc}") from None
    return value


def host_interface(args: argparse.Namespace, device: Any, now: Any) -> Any:
    """Return the `Interface` the host options describe on ``device`` at ``now``.

    Besides ``--address`` and ``--gateway``: the ``--ip6`` addresses and the ``--gateway6``
    route when the example has them.
    """
    from smoltcp.wire import IpCidr, Ipv6Address

    from .runtime import make_interface

    extra = [IpCidr.parse(a) if isinstance(a, str) else a for a in getattr(args, "host_cidrs6", ())]
    iface = make_interface(
        device,
        now,
        hardware_addr=args.mac,
        addresses=[args.host_cidr, *(a for a in extra if a != args.host_cidr)],
        gateway=args.gateway,
        seed=random_seed(args),
        syncookie_secret=syncookie_secret(args),
    )
    gateway6 = getattr(args, "gateway6", None)
    if gateway6 is not None:
        iface.routes.add_default_ipv6_route(
            Ipv6Address(gateway6) if isinstance(gateway6, str) else gateway6
        )
    return iface


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
    """Open ``args.iface`` (TAP, or TUN with ``--tun``) with offloads, and wrap it.

    Offloads (the virtio-net header: TCP segments of up to 64 KiB both ways, partial
    checksums) are on whenever the kernel grants them, unless ``--no-offload``; fault
    injection and netem work frame by frame, so with one of them offloads stay off unless
    ``--offload`` (which also makes a refusal an error). Raises `OSError` when the interface
    cannot be opened (no such interface, no privileges, no ``/dev/net/tun``); `runtime.run`
    turns that into one line.
    """
    from smoltcp.phy import TapInterface, TunInterface

    kind = TunInterface if args.tun else TapInterface
    offload = getattr(args, "offload", None)
    if offload is None and _injects_faults(args):
        offload = False
        logging.getLogger("smoltcp.phy").info(
            "%s: fault injection works frame by frame: offloads off (--offload keeps them)",
            args.iface,
        )
    device = kind(args.iface, offload=offload)
    return wrap_device(device, args)


def _injects_faults(args: argparse.Namespace) -> bool:
    # Whether wrap_device adds a FaultInjector (its drop, corruption, size and rate knobs count
    # frames, which offloads would make 64 KiB super-segments).
    return bool(
        netem_settings(args) is not None
        or args.drop_chance
        or args.corrupt_chance
        or args.size_limit
        or args.tx_rate_limit
        or args.rx_rate_limit
    )


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
        device = PcapWriter(
            device,
            args.pcap,
            PcapMode(pcap_mode),
            snaplen=getattr(args, "pcap_snaplen", 65535),
            limit=getattr(args, "pcap_limit", None),
            files=getattr(args, "pcap_files", None),
        )
    if trace is not None or args.verbose:
        device = Tracer(device, trace)
    netem = netem_settings(args)
    if _injects_faults(args):
        rate_limited = args.tx_rate_limit or args.rx_rate_limit
        device = FaultInjector(
            device,
            random_seed(args),
            drop_chance=args.drop_chance,
            corrupt_chance=args.corrupt_chance,
            size_limit=args.size_limit,
            tx_rate_limit=args.tx_rate_limit,
            rx_rate_limit=args.rx_rate_limit,
            shaping_interval=args.shaping_interval or (50 if rate_limited else 0),
            netem=netem,
        )
    return device
