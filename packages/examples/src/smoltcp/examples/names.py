"""Host names and DHCP for the examples: ``--dns SERVER`` and ``--dhcp``.

`add_name_options` adds both; `configure` leases an address by DHCP when asked (the lease's
address, router and DNS servers then replace the example's fixed ones); `lookup` turns a
host given on the command line into an address, asking the DNS server given with ``--dns``
or learned by DHCP when it is a name.
"""

from __future__ import annotations

import argparse
from typing import Any

from smoltcp.stack.time import Duration, Instant

from .runtime import Clock, UserError

__all__ = ["acquire_lease", "add_name_options", "configure", "host", "lookup", "url_host"]

HOST_HELP = "an IP address, or a host name with --dns or --dhcp"
_DIGITS_DOTS = "0123456789."
_NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."


def host(text: str) -> Any:
    """Parse a host given on the command line: an `IpAddress`, else a host name (text).

    Dotted digits that are no address are a bad address, not a name; a name has letters,
    digits, hyphens, underscores and dots only (RFC 952, RFC 1123 2.1).
    """
    from smoltcp.wire import IpAddress
    from smoltcp.wire.dns import encode_name

    try:
        return IpAddress.parse(text)
    except (ValueError, TypeError):
        pass
    if not text.strip(_DIGITS_DOTS) or ":" in text:
        raise argparse.ArgumentTypeError(f"bad IP address {text!r}")
    if text.strip(_NAME_CHARS):
        raise argparse.ArgumentTypeError(f"bad host name {text!r}")
    try:
        encode_name(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"bad host name {text!r}: {exc}") from None
    return text


def url_host(target: Any) -> Any:
    """Return the host of a parsed URL as an `IpAddress`, or as the name (text)."""
    from smoltcp.wire import IpAddress

    text = target.hostname or ""
    try:
        return IpAddress.parse(text)
    except (ValueError, TypeError):
        return text


def add_name_options(p: argparse.ArgumentParser) -> None:
    """Add ``--dns SERVER``, ``--dhcp`` and ``--dhcp-timeout``."""
    from . import options

    g = p.add_argument_group("addresses and names")
    g.add_argument(
        "--dns",
        metavar="SERVER",
        type=options.address,
        help="DNS server to resolve host names with (default: the one DHCP gives, if --dhcp)",
    )
    g.add_argument(
        "--dhcp",
        action="store_true",
        help="lease the address, default route and DNS servers by DHCP instead of the fixed ones",
    )
    g.add_argument(
        "--dhcp-timeout",
        type=options.non_negative,
        default=30.0,
        metavar="SECS",
        help="how long to wait for a DHCP lease (default 30)",
    )


def acquire_lease(iface: Any, device: Any, sockets: Any, clock: Clock, timeout: float) -> Any:
    """Lease an address by DHCP and apply it to ``iface``; return the lease.

    The address is probed first (RFC 5227; about 7 s): one another host holds is declined and
    another leased. Raises UserError when no usable lease comes within ``timeout`` seconds.
    """
    from smoltcp.phy.resolver import os_random
    from smoltcp.stack.socket.dhcpv4 import Dhcpv4Socket
    from smoltcp.stack.socket.dhcpv4_probe import DhcpLeaseApplier

    from .runtime import poll_loop

    dhcp = Dhcpv4Socket(os_random())
    handle = sockets.add(dhcp)
    applier = DhcpLeaseApplier(iface, dhcp)
    deadline = clock.now() + Duration.from_secs(timeout)
    found: list[Any] = []

    def step(now: Instant) -> bool:
        for event in applier.poll(now):
            if event.kind == "configured":
                found.append(event.lease)
                return False
            if event.kind == "declined" and event.lease is not None:
                print(f"DHCP: declined {event.lease.address} (in use)", flush=True)
        return now < deadline

    poll_loop(iface, device, sockets, step, clock=clock)
    sockets.remove(handle)
    if not found:
        raise UserError(f"no DHCP lease within {timeout:g} s")
    return found[0]


def configure(args: argparse.Namespace, iface: Any, device: Any, sockets: Any, clock: Clock) -> Any:
    """Lease by DHCP when ``args.dhcp``; return the lease (None without ``--dhcp``)."""
    if not getattr(args, "dhcp", False):
        return None
    # The lease replaces the fixed address and route.
    iface.update_ip_addrs(lambda addrs: addrs.clear())
    iface.routes.remove_default_ipv4_route()
    lease = acquire_lease(iface, device, sockets, clock, args.dhcp_timeout)
    print(f"DHCP lease {lease.address} via {lease.router}", flush=True)
    return lease


def lookup(
    args: argparse.Namespace,
    target: Any,
    iface: Any,
    device: Any,
    sockets: Any,
    lease: Any = None,
    family: int | None = None,
) -> Any:
    """Return the address of ``target`` (an address already, or a name to resolve).

    The DNS server is ``args.dns``, else the lease's first. A name is looked up as an A
    record, or as an AAAA record when ``family`` is 6. Raises UserError when there is none,
    when the name is not known, or when no server answers.
    """
    from smoltcp.wire import IpAddress

    if isinstance(target, IpAddress):
        return target
    from smoltcp.phy.resolver import os_random, resolve
    from smoltcp.stack.socket.dns import DnsSocket
    from smoltcp.wire.dns import DnsType

    servers = [args.dns] if getattr(args, "dns", None) is not None else []
    if not servers and lease is not None:
        servers = list(lease.dns_servers)
    if not servers:
        raise UserError(f"cannot resolve {target!r}: give a DNS server with --dns, or --dhcp")
    dns = DnsSocket(os_random(), servers)
    handle = sockets.add(dns)
    try:
        qtype = DnsType.AAAA if family == 6 else DnsType.A
        found = resolve(iface, device, sockets, dns, target, qtype=qtype, timeout=15)
    except (OSError, ValueError) as exc:
        reason = str(exc.args[-1]).removeprefix(f"{target!r}: ")
        raise UserError(f"cannot resolve {target!r}: {reason}") from None
    finally:
        sockets.remove(handle)
    return found[0]
